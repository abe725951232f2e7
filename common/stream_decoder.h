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

#include <cstdint>
#include <span>
#include <vector>

#include "pcap_format.h"
#include "result.h"

namespace ddump {

// A decoded record. `data` points into the decoder's input or its own buffer
// and is valid only during the onPacket call.
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

class StreamDecoder {
 public:
  enum class State { GlobalHeader, RecordHeader, Body, Failed };

  explicit StreamDecoder(uint32_t maxCaplen = kMaxSnaplen) : maxCaplen_(maxCaplen) {}

  // Decodes as much of `bytes` as forms whole records, buffering the rest.
  // A template over the sink so that a `final` sink's onPacket is called
  // directly, and inlined, in the per-record loop (a file merge decodes tens
  // of millions of records a second); any DecoderSink works.
  template <class Sink>
  Status feed(std::span<const uint8_t> bytes, Sink& sink);
  // Declares the end of input: fails unless it ended on a record boundary.
  Status finish();

  State state() const { return state_; }
  const GlobalHeader& globalHeader() const { return global_; }
  uint64_t packets() const { return packets_; }
  uint64_t offset() const { return offset_; }

 private:
  size_t consumeGlobalHeader(std::span<const uint8_t> in, DecoderSink& sink);
  size_t consumeRecordHeader(std::span<const uint8_t> in, DecoderSink& sink);
  template <class Sink>
  size_t consumeWholeRecords(std::span<const uint8_t> in, Sink& sink);
  size_t consumeSlowly(std::span<const uint8_t> in, DecoderSink& sink);
  bool recordFits(const RecordHeader& record) const {
    const uint32_t caplen = record.caplen;
    // snaplen 0 is "unspecified" to some writers; the caplen bound still holds.
    return caplen <= maxCaplen_ && caplen <= record.len &&
           (global_.snaplen == 0 || caplen <= global_.snaplen);
  }
  size_t consumeBody(std::span<const uint8_t> in, DecoderSink& sink);
  size_t fillHeader(std::span<const uint8_t> in, size_t want);
  void acceptRecordHeader(std::span<const uint8_t, kRecordHeaderSize> bytes, DecoderSink& sink);
  Error recordError() const;
  void emit(std::span<const uint8_t> data, DecoderSink& sink);
  void fail(Error error);

  uint32_t maxCaplen_;
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
  const uint8_t* at = in.data();
  const uint8_t* const end = in.data() + in.size();
  while (static_cast<size_t>(end - at) >= kRecordHeaderSize) {
    const RecordHeader record = decodeRecordHeader(
        std::span<const uint8_t, kRecordHeaderSize>(at, kRecordHeaderSize), global_.byteOrder);
    const size_t caplen = record.caplen;
    const size_t used = static_cast<size_t>(at - in.data());
    if (!recordFits(record)) [[unlikely]] {
      record_ = record;
      fail(recordError());
      return used;
    }
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
