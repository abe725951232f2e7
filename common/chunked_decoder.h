#pragma once
// HTTP/1.1 chunked transfer coding (RFC 9112 §7.1), decoded from untrusted
// bytes by an explicit state machine in the manner of curl's
// lib/http_chunks.c:
//
//   chunked-body = *chunk last-chunk trailer-section CRLF
//   chunk        = chunk-size [ chunk-ext ] CRLF chunk-data CRLF
//   last-chunk   = 1*"0" [ chunk-ext ] CRLF
//
//   Size -hex-> Size -;/SP-> Extension -CR-> SizeLf -LF-> Data -n bytes-> DataCr -CR-> DataLf -LF-> Size
//                                              \--size 0--> TrailerStart -CR-> FinalLf -LF-> Done
//                                                             \--field--> Trailer -CR-> TrailerLf -LF-/
//   (every malformed byte)                                                              ---> Failed
//
// It looks only at the bytes it is given, never copies chunk data (it hands
// out views into the caller's buffer), bounds every line it has to scan, and
// once Failed it stays Failed. Chunk extensions and trailer fields are skipped
// (§7.1.1, §7.1.2: a recipient may ignore them).

#include <cstddef>
#include <cstdint>
#include <span>

#include "result.h"

namespace ddump {

class ChunkedDecoder {
 public:
  enum class State {
    Size,
    Extension,
    SizeLf,
    Data,
    DataCr,
    DataLf,
    TrailerStart,
    Trailer,
    TrailerLf,
    FinalLf,
    Done,
    Failed
  };
  // One chunk-size line (with its extensions) or one trailer field line.
  static constexpr size_t kMaxLineBytes = 4096;
  // All trailer fields together.
  static constexpr size_t kMaxTrailerBytes = 16 * 1024;

  // What one call to next() did: `consumed` bytes of the input were used and,
  // when `data` is not empty, they end with that piece of chunk data (a view
  // into the input).
  struct Step {
    size_t consumed = 0;
    std::span<const uint8_t> data;
  };

  // Decodes from `in` up to and including the next piece of chunk data, or
  // all of `in` when it holds none. Call again with the rest of the input.
  Result<Step> next(std::span<const uint8_t> in);

  State state() const { return state_; }
  bool done() const { return state_ == State::Done; }
  uint64_t dataBytes() const { return dataBytes_; }

 private:
  // Handles one framing byte (any state but Data); false when it is malformed.
  bool framingByte(uint8_t byte);
  bool sizeDigit(uint8_t byte);
  bool countLine();
  Error failure(const char* what);

  State state_ = State::Size;
  uint64_t remaining_ = 0;  // bytes of chunk data still to come in this chunk
  size_t sizeDigits_ = 0;
  size_t significantDigits_ = 0;
  size_t lineBytes_ = 0;
  size_t trailerBytes_ = 0;
  uint64_t offset_ = 0;  // body bytes consumed so far, for error messages
  uint64_t dataBytes_ = 0;
  const char* problem_ = "";
};

}  // namespace ddump
