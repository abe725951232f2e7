// libFuzzer target: summarizePacket must survive any bytes under every link
// type it knows (and one it does not), never read past the captured bytes,
// and keep its promises: one printable line without surrounding blanks, of a
// length bounded by the packet's, and the same line when asked twice.
//
// Each packet is copied into a buffer of exactly its caplen, so ASan reports
// the first byte read past it. An input that is a pcap savefile (the fixtures
// in tests/data/packet_summary are the seeds) is summarized record by record
// under its own link type; any other input is
//   [link-type selector][len slack][packet bytes].

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "packet_summary.h"
#include "pcap_format.h"
#include "stream_decoder.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void summarizeOne(uint32_t linkType, std::span<const uint8_t> bytes, uint32_t len) {
  const std::vector<uint8_t> exact(bytes.begin(), bytes.end());
  const std::span<const uint8_t> data(exact.data(), exact.size());
  const std::string line = ddump::summarizePacket(linkType, data, len);
  check(!line.empty());
  check(line.size() <= 512 + 16 * exact.size());
  check(line.front() != ' ' && line.back() != ' ');
  for (const char c : line) check(c >= 0x20 && c <= 0x7e);
  check(ddump::summarizePacket(linkType, data, len) == line);
}

class SummarizingSink final : public ddump::DecoderSink {
 public:
  void onGlobalHeader(const ddump::GlobalHeader& header) override { linkType_ = header.linkType; }
  void onPacket(const ddump::PacketView& packet) override {
    summarizeOne(linkType_, packet.data, packet.header.len);
  }

 private:
  uint32_t linkType_ = 0;
};

// As FUZZ_LINKTYPES in tests/data/packet_summary/make_fixtures.py (the seeds).
constexpr uint32_t kLinkTypes[] = {1, 113, 276, 101, 12, 14, 0, 108, 147};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::span<const uint8_t> input(data, size);
  if (size >= ddump::kGlobalHeaderSize &&
      ddump::decodeGlobalHeader(input.first<ddump::kGlobalHeaderSize>()).ok()) {
    ddump::StreamDecoder decoder;
    SummarizingSink sink;
    static_cast<void>(decoder.feed(input, sink));
    return 0;
  }
  if (size < 2) return 0;
  const uint32_t linkType = kLinkTypes[data[0] % std::size(kLinkTypes)];
  const auto packet = input.subspan(2);
  // Mostly len >= caplen, as in a capture; 255 tries one below it.
  const auto caplen = static_cast<uint32_t>(packet.size());
  const uint32_t len = data[1] == 255 ? caplen / 2 : caplen + data[1] * 16u;
  summarizeOne(linkType, packet, len);
  return 0;
}
