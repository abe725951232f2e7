#include "summary_output.h"

#include <arpa/inet.h>

#include "output.h"
#include "packet_fields.h"
#include "packet_json.h"
#include "packet_summary.h"
#include "pcapng_writer.h"

namespace ddump {
namespace {

constexpr uint64_t kSll2Key = uint64_t{1} << 32;
constexpr uint64_t kNoInterfaceKey = uint64_t{1} << 33;

}  // namespace

SummaryOutput::SummaryOutput(const Output& owner, SummaryConfig config)
    : owner_(owner), config_(config) {
  if (config_.kind == SummaryKind::Flows) {
    flows_ = std::make_unique<FlowTable>(config_.flowIntervalNs, config_.maxFlows,
                                         [this](const FlowKey& key, const FlowCounts& counts) {
                                           appendFlowJson(out_, hosts_[key.stream], key, counts);
                                         });
  }
}

SummaryOutput::~SummaryOutput() = default;

void SummaryOutput::setNameRecords(const std::vector<NameRecord>& records) {
  for (const NameRecord& r : records) {
    uint8_t address[16];
    if (inet_pton(AF_INET, r.address.c_str(), address) == 1) {
      podHosts_[std::string(reinterpret_cast<const char*>(address), 4)] = hostId(r.name);
    } else if (inet_pton(AF_INET6, r.address.c_str(), address) == 1) {
      podHosts_[std::string(reinterpret_cast<const char*>(address), 16)] = hostId(r.name);
    }
  }
}

uint32_t SummaryOutput::hostOf(const Names& names, const PacketFields& fields) const {
  if (podHosts_.empty() || (fields.ipVersion != 4 && fields.ipVersion != 6)) return names.host;
  const size_t bytes = fields.ipVersion == 4 ? 4 : 16;
  for (const auto* address : {&fields.ipSrc, &fields.ipDst}) {
    const auto found =
        podHosts_.find(std::string(reinterpret_cast<const char*>(address->data()), bytes));
    if (found != podHosts_.end()) return found->second;
  }
  return names.host;
}

uint32_t SummaryOutput::hostId(const std::string& name) {
  const auto [it, added] = hostIds_.emplace(name, static_cast<uint32_t>(hosts_.size()));
  if (added) hosts_.push_back(name);
  return it->second;
}

const SummaryOutput::Names& SummaryOutput::namesOf(const RecordSource& source,
                                                   std::span<const uint8_t> data) {
  uint64_t key = kNoInterfaceKey;
  std::optional<uint32_t> ifindex;
  if (source.interface != kNoInputInterface) {
    key = source.interface;
  } else if ((ifindex = sll2InterfaceIndex(source.linkType, data))) {
    key = kSll2Key | *ifindex;
  }
  const auto found = names_.find({source.stream, key});
  if (found != names_.end()) return found->second;
  // Bounded like the pcapng output's interfaces: a stream claiming endless
  // interface indexes shares one entry past the cap.
  if (names_.size() >= kMaxInterfacesPerStream * 64) key = kNoInterfaceKey;
  const std::string& label = owner_.label(source.stream).name;
  Names names;
  names.host = hostId(label);
  if (source.interface != kNoInputInterface) {
    if (const auto input = owner_.inputInterface(source.stream, source.interface)) {
      const std::string& name = input->interface.name;
      // ddump's own pcapng files name interfaces HOST:IF.
      const auto colon = name.rfind(':');
      if (colon != std::string::npos && colon > 0 && colon + 1 < name.size()) {
        names.host = hostId(name.substr(0, colon));
        names.interface = name.substr(colon + 1);
      } else {
        names.interface = name;
      }
    }
  } else if (ifindex) {
    names.interface = owner_.interfaceName(source.stream, *ifindex);
  }
  return names_.emplace(std::make_pair(source.stream, key), std::move(names)).first->second;
}

void SummaryOutput::add(const RecordSource& source, uint64_t tsNs, const RecordHeader& record,
                        std::span<const uint8_t> data) {
  const Names& names = namesOf(source, data);
  switch (config_.kind) {
    case SummaryKind::Text: {
      const uint32_t host =
          podHosts_.empty() ? names.host : hostOf(names, dissectPacket(source.linkType, data));
      appendTextLine(out_, tsNs, hosts_[host], names.interface,
                     directionWord(source.linkType, data, source.flags),
                     summarizePacket(source.linkType, data, record.len), config_.style);
      break;
    }
    case SummaryKind::Ndjson: {
      const PacketFields fields = dissectPacket(source.linkType, data);
      PacketMeta meta;
      meta.tsNs = tsNs;
      meta.host = hosts_[hostOf(names, fields)];
      meta.interface = names.interface;
      meta.direction = packetDirection(fields, source.flags);
      meta.len = record.len;
      meta.caplen = record.caplen;
      appendPacketJson(out_, meta, fields);
      break;
    }
    case SummaryKind::Flows: {
      const PacketFields fields = dissectPacket(source.linkType, data);
      FlowKey key;
      if (flowKeyOf(fields, hostOf(names, fields), key))
        flows_->add(key, tsNs, record.len, fields.tcpFlags);
      break;
    }
  }
}

void SummaryOutput::finish() {
  if (flows_) flows_->flushAll();
}

}  // namespace ddump
