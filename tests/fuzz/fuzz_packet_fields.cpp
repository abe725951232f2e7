// libFuzzer target: dissectPacket and appendPacketJson must survive any bytes
// under every link type they know (and one they do not), never read past the
// captured bytes, and write one line of valid JSON (parsed back here with
// nlohmann-json) whose numbers are the dissector's, the same line when asked
// twice.
//
// Each packet is copied into a buffer of exactly its caplen, so ASan reports
// the first byte read past it. An input that is a pcap savefile (the
// fixtures in tests/data/packet_summary are the seeds) is dissected record by
// record under its own link type; any other input is
//   [link-type selector][direction flags][packet bytes].

#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "packet_fields.h"
#include "packet_json.h"
#include "pcap_format.h"
#include "stream_decoder.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void dissectOne(uint32_t linkType, std::span<const uint8_t> bytes, uint32_t epbFlags) {
  const std::vector<uint8_t> exact(bytes.begin(), bytes.end());
  const std::span<const uint8_t> data(exact.data(), exact.size());
  const ddump::PacketFields fields = ddump::dissectPacket(linkType, data);
  ddump::PacketMeta meta;
  meta.tsNs = 1'700'000'000'123'456'789ULL + exact.size();
  meta.host = "h\x01\"";
  meta.interface = exact.empty() ? "" : "eth0";
  meta.direction = ddump::packetDirection(fields, epbFlags);
  meta.len = static_cast<uint32_t>(exact.size()) + 4;
  meta.caplen = static_cast<uint32_t>(exact.size());
  std::string line;
  ddump::appendPacketJson(line, meta, fields);
  check(!line.empty() && line.back() == '\n');
  check(line.find('\n') == line.size() - 1);
  const auto json = nlohmann::json::parse(line, nullptr, false);
  check(json.is_object());
  check(json["host"] == "h\x01\"");
  check(json["caplen"] == exact.size());
  if (fields.transport == ddump::PacketFields::Transport::Udp)
    check(json["udp"]["dport"] == fields.dstPort);
  if (fields.transport == ddump::PacketFields::Transport::Tcp)
    check(json["tcp"]["seq"] == fields.tcpSeq);
  check(json.contains("truncated") == fields.truncated);
  std::string again;
  ddump::appendPacketJson(again, meta, ddump::dissectPacket(linkType, data));
  check(again == line);
}

class DissectingSink final : public ddump::DecoderSink {
 public:
  void onGlobalHeader(const ddump::GlobalHeader& header) override { linkType_ = header.linkType; }
  void onPacket(const ddump::PacketView& packet) override { dissectOne(linkType_, packet.data, 0); }

 private:
  uint32_t linkType_ = 0;
};

constexpr uint32_t kLinkTypes[] = {1, 113, 276, 101, 12, 14, 0, 108, 147};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  if (size >= ddump::kGlobalHeaderSize &&
      ddump::decodeGlobalHeader(input.first<ddump::kGlobalHeaderSize>()).ok()) {
    ddump::StreamDecoder decoder;
    DissectingSink sink;
    static_cast<void>(decoder.feed(input, sink));
    return 0;
  }
  if (size < 2) return 0;
  dissectOne(kLinkTypes[data[0] % std::size(kLinkTypes)], input.subspan(2), data[1]);
  return 0;
}
