// libFuzzer target: a pcapng input read for pcapng output (CaptureDecoder
// keeping origins: interfaces numbered across sections, each packet's
// interface, flags and comments, NRBs and DSBs rewritten in host byte
// order) through the merger's RecordLog and a PcapngWriter. Checks what the
// output relies on: keys below the interfaces seen, bounded texts, notes
// in record order, and every kept block framed as a pcapng block. The last
// input byte picks the chunk size (whole pcapng files are useful seeds).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "byte_order.h"
#include "capture_decoder.h"
#include "merger.h"
#include "pcapng_writer.h"

namespace {

void check(bool ok) {
  if (!ok) __builtin_trap();
}

void checkBlock(const std::string& bytes) {
  const auto* p = reinterpret_cast<const uint8_t*>(bytes.data());
  check(bytes.size() >= 12 && bytes.size() % 4 == 0);
  const ddump::ByteOrder host = ddump::hostByteOrder();
  check(ddump::load32(p + 4, host) == bytes.size());
  check(ddump::load32(p + bytes.size() - 4, host) == bytes.size());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  // Split points are the pcapng_reader target's: here chunks of 64 B and up.
  const size_t chunk = 64 + size_t{data[size - 1]} * 61;
  std::span<const uint8_t> rest(data, size - 1);
  ddump::CaptureDecoder decoder(ddump::PcapInput::Savefile);
  decoder.keepOrigins();
  ddump::BatchCollector collector;
  ddump::Merger merger(ddump::MergerOptions{.mixedLinkTypes = true});
  ddump::RecordLog log;
  merger.setRecordLog(&log);
  const size_t stream = merger.addStream(false);
  ddump::PcapngWriter writer;
  writer.allowMixedLinkTypes();
  ddump::RecordBuffer out;
  size_t released = 0;
  bool headerSet = false;
  auto drain = [&] {
    for (auto& input : decoder.takeInterfaces()) {
      check(input.key < decoder.interfacesSeen());
      check(input.interface.name.size() <= ddump::kMaxInterfaceText);
      check(input.interface.comments.size() <= ddump::kMaxInterfaceComments);
      check(writer.appendInterface(input.interface).ok());
    }
    (void)decoder.takeStatistics();
    if (auto header = collector.takeHeader(); header && !headerSet) {
      headerSet = merger.setHeader(stream, *header, 0).ok();
    }
    if (collector.hasPackets() && headerSet) {
      merger.push(stream, collector.takeBatch(), 0);
      released += merger.release(0, out);
    }
  };
  while (!rest.empty()) {
    const auto piece = rest.first(std::min(chunk, rest.size()));
    const bool ok = decoder.feed(piece, collector).ok();
    drain();
    if (!ok) break;
    rest = rest.subspan(piece.size());
  }
  (void)decoder.finish();
  drain();
  merger.close(stream);
  released += merger.drain(out);
  check(log.records.size() == released);
  size_t last = 0;
  for (const auto& note : log.notes) {
    check(note.record >= last && note.record <= log.records.size());
    last = note.record;
    if (note.kind == ddump::BatchNote::Kind::Block) {
      checkBlock(note.bytes);
      writer.appendRawBlock(
          {reinterpret_cast<const uint8_t*>(note.bytes.data()), note.bytes.size()});
    }
  }
  for (const auto& record : log.records) {
    check(record.interface == ddump::kNoInputInterface ||
          record.interface < decoder.interfacesSeen());
  }
  return 0;
}
