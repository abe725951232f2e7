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
  Status feed(std::span<const uint8_t> bytes, DecoderSink& sink);
  // Declares the end of input: fails unless it ended on a record boundary.
  Status finish();

  State state() const { return state_; }
  const GlobalHeader& globalHeader() const { return global_; }
  uint64_t packets() const { return packets_; }
  uint64_t offset() const { return offset_; }

 private:
  size_t consumeGlobalHeader(std::span<const uint8_t> in, DecoderSink& sink);
  size_t consumeRecordHeader(std::span<const uint8_t> in, DecoderSink& sink);
  size_t consumeWholeRecords(std::span<const uint8_t> in, DecoderSink& sink);
  bool recordFits() const;
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

}  // namespace ddump
