// libFuzzer target: the client's decoder (CaptureDecoder: pcap, both as a
// worker's stream and as a savefile, or pcapng, by the magic) must survive
// any bytes in any chunking. The last input byte picks the chunk size and
// the pcap mode, so split points are fuzzed too (the last byte, so that
// whole pcap and pcapng files make useful seeds).

#include <cstddef>
#include <algorithm>
#include <cstdint>
#include <span>

#include "capture_decoder.h"
#include "sll.h"

namespace {

class CheckingSink : public ddump::DecoderSink {
 public:
  void onGlobalHeader(const ddump::GlobalHeader& header) override { linkType_ = header.linkType; }
  void onPacket(const ddump::PacketView& packet) override {
    // Touch every byte so ASan sees any out-of-bounds view.
    volatile uint8_t sum = 0;
    for (uint8_t b : packet.data) sum = static_cast<uint8_t>(sum + b);
    if (packet.header.caplen != packet.data.size()) __builtin_trap();
    if (linkType_ == ddump::kLinkTypeLinuxSll2) {
      (void)ddump::convertSll2RecordToSll(packet.header, packet.data);
    }
  }

 private:
  uint32_t linkType_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = size_t{data[size - 1] & 0x7fu} + 1;
  const auto mode = (data[size - 1] & 0x80u) != 0 ? ddump::PcapInput::Savefile : ddump::PcapInput::Stream;
  std::span<const uint8_t> rest(data, size - 1);
  ddump::CaptureDecoder decoder(mode);
  CheckingSink sink;
  while (!rest.empty()) {
    const auto piece = rest.first(std::min(chunk, rest.size()));
    if (!decoder.feed(piece, sink)) return 0;
    rest = rest.subspan(piece.size());
  }
  (void)decoder.finish();
  return 0;
}
