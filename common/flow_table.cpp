#include "flow_table.h"

#include <algorithm>
#include <charconv>

#include "packet_json.h"

namespace ddump {
namespace {

void appendNumber(std::string& out, uint64_t value) {
  char digits[20];
  out.append(digits, std::to_chars(digits, digits + sizeof digits, value).ptr);
}

bool hasPorts(uint8_t protocol) {
  return protocol == 6 || protocol == 17;
}

}  // namespace

bool flowKeyOf(const PacketFields& fields, uint32_t stream, FlowKey& key) {
  if (fields.net != PacketFields::Net::Ipv4 && fields.net != PacketFields::Net::Ipv6) return false;
  key = FlowKey{};
  key.stream = stream;
  key.ipVersion = fields.ipVersion;
  key.protocol = fields.protocol;
  key.src = fields.ipSrc;
  key.dst = fields.ipDst;
  // Ports only where the packet carries them (not in later fragments).
  if (fields.transport == PacketFields::Transport::Tcp ||
      fields.transport == PacketFields::Transport::Udp) {
    key.srcPort = fields.srcPort;
    key.dstPort = fields.dstPort;
  }
  return true;
}

void appendFlowJson(std::string& out, std::string_view host, const FlowKey& key,
                    const FlowCounts& counts) {
  out += "{\"start\":";
  appendTimestampJson(out, counts.startNs);
  out += ",\"end\":";
  appendTimestampJson(out, counts.endNs);
  out += ",\"host\":";
  appendJsonString(out, host);
  out += ",\"proto\":";
  appendNumber(out, key.protocol);
  out += ",\"src\":";
  appendIpAddress(out, key.ipVersion, key.src.data());
  if (hasPorts(key.protocol)) {
    out += ",\"sport\":";
    appendNumber(out, key.srcPort);
  }
  out += ",\"dst\":";
  appendIpAddress(out, key.ipVersion, key.dst.data());
  if (hasPorts(key.protocol)) {
    out += ",\"dport\":";
    appendNumber(out, key.dstPort);
  }
  out += ",\"packets\":";
  appendNumber(out, counts.packets);
  out += ",\"bytes\":";
  appendNumber(out, counts.bytes);
  if (key.protocol == 6) {
    char letters[9];
    out += ",\"tcp_flags\":\"";
    out += tcpFlagLetters(counts.tcpFlags, letters);
    out += '"';
  }
  out += "}\n";
}

size_t FlowTable::KeyHash::operator()(const FlowKey& k) const {
  // FNV-1a over the fields; flows come from the network, but a collision
  // costs a longer bucket, never a wrong count, and the table is bounded.
  uint64_t h = 0xcbf29ce484222325u;
  auto mix = [&h](uint64_t v) { h = (h ^ v) * 0x100000001b3u; };
  mix(k.stream);
  mix(uint64_t{k.ipVersion} << 8 | k.protocol);
  mix(uint64_t{k.srcPort} << 16 | k.dstPort);
  for (size_t i = 0; i < 16; i += 8) {
    uint64_t s = 0;
    uint64_t d = 0;
    for (size_t j = 0; j < 8; ++j) {
      s = s << 8 | k.src[i + j];
      d = d << 8 | k.dst[i + j];
    }
    mix(s);
    mix(d);
  }
  return static_cast<size_t>(h ^ (h >> 29));
}

FlowTable::FlowTable(uint64_t intervalNs, size_t maxFlows, Emit emit)
    : intervalNs_(std::max<uint64_t>(intervalNs, 1)),
      maxFlows_(std::max<size_t>(maxFlows, 1)),
      emit_(std::move(emit)) {}

void FlowTable::add(const FlowKey& key, uint64_t tsNs, uint32_t originalLength, uint8_t tcpFlags) {
  if (intervalEnd_ == 0) {
    intervalEnd_ = (tsNs / intervalNs_ + 1) * intervalNs_;
  } else if (tsNs >= intervalEnd_) {
    flushAll();  // the interval is over: its flows go out
    intervalEnd_ = (tsNs / intervalNs_ + 1) * intervalNs_;
  }
  auto found = index_.find(key);
  if (found == index_.end()) {
    if (index_.size() >= maxFlows_) {
      const Flow& oldest = lru_.front();
      emit_(oldest.key, oldest.counts);
      index_.erase(oldest.key);
      lru_.pop_front();
      ++evicted_;
    }
    lru_.push_back(Flow{key, FlowCounts{tsNs, tsNs, 0, 0, 0}});
    found = index_.emplace(key, std::prev(lru_.end())).first;
  } else {
    lru_.splice(lru_.end(), lru_, found->second);  // now the most recent
  }
  FlowCounts& c = found->second->counts;
  // A record merged slightly out of order (after --max-delay) may be older.
  c.startNs = std::min(c.startNs, tsNs);
  c.endNs = std::max(c.endNs, tsNs);
  ++c.packets;
  c.bytes += originalLength;
  c.tcpFlags |= tcpFlags;
}

void FlowTable::flushAll() {
  for (const Flow& flow : lru_) emit_(flow.key, flow.counts);
  lru_.clear();
  index_.clear();
}

}  // namespace ddump
