#pragma once
// Incremental decoder for a pcap byte stream that arrives in arbitrary chunks
// (an HTTP body, a pipe). The input is untrusted, so it is an explicit state
// machine in the manner of curl's lib/http_chunks.c:
//
//   GlobalHeader --24 bytes--> RecordHeader --16 bytes--> Body --caplen--> RecordHeader
//         \__________________________\___________________________\______> Failed
//
// It never reads past the span it was given, never allocates more than one
// record's caplen (bounded by maxCaplen), and once Failed it stays Failed.
//
// Who wrote the bytes decides how strictly records are judged (PcapInput).
// A worker's stream is checked strictly. A savefile is read as libpcap's
// savefile reader (sf-pcap.c, 1.10) and Wireshark's (wiretap/libpcap.c) read
// it: old writers put wrong snaplens in file headers (libpcap's comment on
// Solaris 2.3 and BUFMOD) and fuzzers write anything, and both readers take
//   - a record longer than the header's snaplen: libpcap cuts it to the
//     snaplen, wiretap keeps it whole ("not a fatal error, and packets that
//     have one such packet probably have thousands"); here it is kept whole,
//     and globalHeader().snaplen is raised to cover it;
//   - a header snaplen of 0 or above the bound: libpcap's
//     pcap_adjust_snapshot() takes max_snaplen_for_dlt() instead, wiretap
//     keeps it; here it counts as the bound (no record can exceed that);
//   - caplen > len: neither checks it in a 2.4 file;
//   - versions 2.0-2.4 and 543.0 (DG/UX). Before 2.3, and in 543.0, caplen
//     and len are in each other's place, and 2.3 files were written both
//     ways: both readers swap them (in 2.3 when caplen > len), and so does
//     this decoder.
// Both refuse a record longer than their per-record maximum (libpcap
// "invalid packet capture length", wiretap "File has %u-byte packet, bigger
// than maximum"): the bound here is libpcap's MAXIMUM_SNAPLEN (262144) for
// every link type, and it is what keeps one record's memory bounded. (Both
// allow more for a few link types, D-Bus 128 MiB above all: such files are
// refused here once a record passes 262144 bytes.)

#include <cstdint>
#include <span>
#include <vector>

#include "pcap_format.h"
#include "result.h"

namespace ddump {

// A decoded record. `data` points into the decoder's input or its own buffer
// and is valid only during the onPacket call. When it points into the input,
// the 16 bytes before it are the record's header exactly as `header` says
// (in the stream's byte order): a record whose header the decoder rewrote
// comes from its own buffer, so a sink may keep input records in place.
struct PacketView {
  RecordHeader header;
  std::span<const uint8_t> data;
};

class DecoderSink {
 public:
  virtual ~DecoderSink() = default;
  virtual void onGlobalHeader(const GlobalHeader& header) = 0;
  virtual void onPacket(const PacketView& packet) = 0;
};

// Who wrote the bytes (see above).
enum class PcapInput {
  Stream,    // a worker's capture stream: strict checks
  Savefile,  // a file, FIFO or stdin: read as libpcap and wiretap read it
};

class StreamDecoder {
 public:
  enum class State { GlobalHeader, RecordHeader, Body, Failed };

  explicit StreamDecoder(PcapInput input = PcapInput::Stream, uint32_t maxCaplen = kMaxSnaplen)
      : input_(input), maxCaplen_(maxCaplen) {}

  // Decodes as much of `bytes` as forms whole records, buffering the rest.
  // A template over the sink so that a `final` sink's onPacket is called
  // directly, and inlined, in the per-record loop (a file merge decodes tens
  // of millions of records a second); any DecoderSink works.
  template <class Sink>
  Status feed(std::span<const uint8_t> bytes, Sink& sink);
  // Declares the end of input: fails unless it ended on a record boundary.
  Status finish();

  State state() const { return state_; }
  // For a savefile, snaplen is raised to the bound once a record exceeded the
  // header's (or was the bound already): it covers every record so far.
  const GlobalHeader& globalHeader() const { return global_; }
  uint64_t packets() const { return packets_; }
  uint64_t offset() const { return offset_; }

 private:
  size_t consumeGlobalHeader(std::span<const uint8_t> in, DecoderSink& sink);
  size_t consumeRecordHeader(std::span<const uint8_t> in, DecoderSink& sink);
  template <class Sink>
  size_t consumeWholeRecords(std::span<const uint8_t> in, Sink& sink);
  size_t consumeSlowly(std::span<const uint8_t> in, DecoderSink& sink);
  // Where caplen and len are in a record header (see above).
  enum class Lengths { InPlace, Swapped, SwappedIfCaplenLarger };

  Result<GlobalHeader> decodeHeader(std::span<const uint8_t, kGlobalHeaderSize> bytes);
  // The per-record check, one compare in the usual case: caplen within
  // limit_ (the snaplen, within maxCaplen), and within len unless lenFree_.
  bool recordFits(const RecordHeader& record) const {
    return record.caplen <= limit_ && (lenFree_ || record.caplen <= record.len);
  }
  // A savefile record that recordFits refused may still be read (see above).
  bool admitLonger(const RecordHeader& record);
  void placeLengths(RecordHeader& record) const;
  size_t consumeBody(std::span<const uint8_t> in, DecoderSink& sink);
  size_t fillHeader(std::span<const uint8_t> in, size_t want);
  void acceptRecordHeader(std::span<const uint8_t, kRecordHeaderSize> bytes, DecoderSink& sink);
  Error recordError() const;
  void emit(std::span<const uint8_t> data, DecoderSink& sink);
  void fail(Error error);

  PcapInput input_;
  uint32_t maxCaplen_;
  uint32_t limit_ = 0;    // largest caplen recordFits lets through
  bool lenFree_ = false;  // caplen > len is no error (a savefile)
  Lengths lengths_ = Lengths::InPlace;
  State state_ = State::GlobalHeader;
  GlobalHeader global_;
  RecordHeader record_;
  std::array<uint8_t, kGlobalHeaderSize> header_{};  // partial global or record header
  size_t headerFill_ = 0;
  std::vector<uint8_t> body_;  // partial body; never more than record_.caplen
  uint64_t packets_ = 0;
  uint64_t offset_ = 0;  // bytes consumed so far, for error messages
  Error error_{ErrorCode::DecoderFailed, {}};
};

template <class Sink>
Status StreamDecoder::feed(std::span<const uint8_t> bytes, Sink& sink) {
  size_t pos = 0;
  while (pos < bytes.size() && state_ != State::Failed) {
    const auto rest = bytes.subspan(pos);
    if (state_ == State::RecordHeader && headerFill_ == 0) {
      const size_t whole = consumeWholeRecords(rest, sink);  // advances offset_ itself
      pos += whole;
      if (whole > 0) continue;
    }
    const size_t used = consumeSlowly(rest, sink);
    pos += used;
    offset_ += used;
  }
  if (state_ == State::Failed) return error_;
  return Status::success();
}

// The fast path of the same machine: while the input holds a whole record
// header, decode it, check it exactly as acceptRecordHeader does, and emit the
// record straight from the input if its body is there too. A body that is not
// all there leaves the machine in Body, as the slow path would. Never reads
// past `in`; offset_ follows every record so errors name the right offset.
template <class Sink>
size_t StreamDecoder::consumeWholeRecords(std::span<const uint8_t> in, Sink& sink) {
  // Records whose lengths must be put back in place are never handed out
  // from the input (see PacketView): the slow path copies them.
  if (lengths_ != Lengths::InPlace) [[unlikely]]
    return 0;
  const uint8_t* at = in.data();
  const uint8_t* const end = in.data() + in.size();
  while (static_cast<size_t>(end - at) >= kRecordHeaderSize) {
    const RecordHeader record = decodeRecordHeader(
        std::span<const uint8_t, kRecordHeaderSize>(at, kRecordHeaderSize), global_.byteOrder);
    const size_t caplen = record.caplen;
    const size_t used = static_cast<size_t>(at - in.data());
    // Anything unusual is left to the slow path, which admits or refuses it
    // (acceptRecordHeader): no call in this loop but the sink's.
    if (!recordFits(record)) [[unlikely]]
      return used;
    if (static_cast<size_t>(end - at) - kRecordHeaderSize < caplen) {
      record_ = record;
      state_ = State::Body;
      offset_ += kRecordHeaderSize;
      return used + kRecordHeaderSize;
    }
    ++packets_;
    sink.onPacket(PacketView{record, std::span<const uint8_t>(at + kRecordHeaderSize, caplen)});
    at += kRecordHeaderSize + caplen;
    offset_ += kRecordHeaderSize + caplen;
  }
  return static_cast<size_t>(at - in.data());
}

}  // namespace ddump
