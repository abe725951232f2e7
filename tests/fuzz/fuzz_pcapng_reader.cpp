// libFuzzer target: the pcapng reader must survive any bytes in any chunking,
// never read past what it is given, and keep its promises:
//   - no event once it has failed (checked in every callback, and by feeding
//     on after the error);
//   - a packet's caplen equals its data's size and is at most maxCaplen and
//     its original length; its interface is one the section described;
//   - every view (packet data, comments, raw blocks) lies inside the piece
//     being fed or the reader's own buffered block;
//   - a raw block is a whole block: its type, both lengths, a multiple of 4;
//   - fed whole, the same bytes give the same events and the same error.
// The last input byte picks the chunk size (bits 1-7) and maxCaplen (bit 0:
// 64 or 262144), so split points and the caplen bound are fuzzed too (the
// last byte, so that whole pcapng files make useful seeds).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "pcapng_reader.h"

namespace {

using namespace ddump;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool within(std::span<const uint8_t> view, std::span<const uint8_t> area) {
  return !area.empty() && view.data() >= area.data() &&
         view.data() + view.size() <= area.data() + area.size();
}

class CheckingSink : public PcapngSink {
 public:
  CheckingSink(const PcapngReader& reader, uint32_t maxCaplen)
      : reader_(reader), maxCaplen_(maxCaplen) {}

  void setPiece(std::span<const uint8_t> piece) { piece_ = piece; }
  void close() { closed_ = true; }
  uint64_t digest() const { return digest_; }

  void onSection(const PcapngSectionInfo& section) override {
    event(1);
    mix(section.versionMinor);
    mix(section.byteOrder == ByteOrder::Little);
    mix(section.comments.size());
  }
  void onInterface(const PcapngInterfaceInfo& interface) override {
    event(2);
    check(interface.id + 1 == reader_.interfaceCount());
    mix(interface.linkType);
    mix(interface.clock.resolution.unitsPerSecond);
    mix(static_cast<uint64_t>(interface.clock.offsetSeconds));
  }
  void onPacket(const PcapngPacketView& packet) override {
    event(3);
    check(packet.caplen == packet.data.size());
    check(packet.caplen <= maxCaplen_);
    check(packet.caplen <= packet.len);
    check(packet.interfaceId < reader_.interfaceCount());
    check(packet.tsNs.has_value() == (packet.blockType != kPcapngSpbType));
    view(packet.data);
    for (std::string_view c : packet.comments) view(bytes(c));
    mix(packet.tsNs.value_or(1));
    mix(packet.len);
    mix(packet.flags.value_or(0));
  }
  void onStatistics(const PcapngStatisticsView& stats) override {
    event(4);
    check(stats.interfaceId < reader_.interfaceCount());
    for (std::string_view c : stats.comments) view(bytes(c));
    mix(stats.tsNs);
    mix(stats.received.value_or(0));
  }
  void onRawBlock(uint32_t type, std::span<const uint8_t> block) override {
    event(5);
    check(type == kPcapngNrbType || type == kPcapngDsbType);
    check(block.size() >= 12 && block.size() % 4 == 0);
    view(block);
    mix(block.size());
  }
  void onSkippedBlock(uint32_t type, uint32_t length) override {
    event(6);
    check(length >= 12 && length % 4 == 0 && length <= kPcapngMaxBlockLength);
    mix(type);
    mix(length);
  }

 private:
  static std::span<const uint8_t> bytes(std::string_view s) {
    return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
  }
  void event(uint64_t kind) {
    check(!closed_);
    check(reader_.state() != PcapngReader::State::Failed);
    mix(kind);
  }
  // Inside what was fed or what the reader buffered; every byte read, so
  // ASan sees a view that is not.
  void view(std::span<const uint8_t> v) {
    if (v.empty()) return;
    check(within(v, piece_) || within(v, reader_.bufferedBlock()));
    for (uint8_t b : v) mix(b);
  }
  void mix(uint64_t v) { digest_ = (digest_ ^ v) * 0x100000001b3u; }

  const PcapngReader& reader_;
  uint32_t maxCaplen_;
  std::span<const uint8_t> piece_;
  bool closed_ = false;
  uint64_t digest_ = 0xcbf29ce484222325u;
};

struct Outcome {
  uint64_t digest;
  std::string error;
  uint64_t offset;
};

Outcome read(std::span<const uint8_t> input, size_t chunk, uint32_t maxCaplen) {
  PcapngReader reader(maxCaplen);
  CheckingSink sink(reader, maxCaplen);
  std::span<const uint8_t> rest = input;
  Status status = Status::success();
  while (!rest.empty()) {
    const auto piece = rest.first(std::min(chunk, rest.size()));
    sink.setPiece(piece);
    status = reader.feed(piece, sink);
    rest = rest.subspan(piece.size());
    if (!status) break;
  }
  if (status) status = reader.finish();
  check(reader.offset() <= input.size());
  if (!status) {
    check(!status.error().message.empty());
    check(status.error().message.find('\n') == std::string::npos);
    check(reader.state() == PcapngReader::State::Failed ||
          status.error().code == ErrorCode::Truncated);
    if (reader.state() == PcapngReader::State::Failed) {
      sink.close();  // a failed reader stays failed and silent
      sink.setPiece(input);
      const Status again = reader.feed(input, sink);
      check(!again && again.error().message == status.error().message);
    }
  } else {
    check(reader.offset() == input.size());
  }
  return {sink.digest(), status ? std::string() : status.error().message, reader.offset()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[size - 1];
  const size_t chunk = (size_t{control} >> 1) + 1;
  const uint32_t maxCaplen = (control & 1) ? 64 : kMaxSnaplen;
  const std::span<const uint8_t> input(data, size - 1);
  const Outcome chunked = read(input, chunk, maxCaplen);
  const Outcome whole = read(input, input.size() + 1, maxCaplen);
  check(chunked.digest == whole.digest);
  check(chunked.error == whole.error);
  return 0;
}
