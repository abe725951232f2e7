#pragma once
// The body of an HTTP/1.1 response, delimited as its head said (RFC 9112
// §6.3): chunked, Content-Length, or the end of the connection. Hands out
// views of the payload in the caller's buffer, never reads past it, and says
// whether the connection may end where it did (a chunked or sized body cut
// short is an error, not a quiet end).

#include <cstddef>
#include <cstdint>
#include <span>

#include "chunked_decoder.h"
#include "http_response_head.h"
#include "result.h"

namespace ddump {

class HttpBodyDecoder {
 public:
  using Step = ChunkedDecoder::Step;

  HttpBodyDecoder(BodyFraming framing, uint64_t contentLength);

  // Takes bytes from `in` up to and including the next piece of payload (a
  // view into `in`), or all of `in` when it holds none.
  Result<Step> next(std::span<const uint8_t> in);
  // The whole body has been seen; bytes after it are not ours.
  bool done() const;
  // The peer closed the connection: fine only when the body was complete
  // (or ends with the connection).
  Status endOfInput() const;

 private:
  BodyFraming framing_;
  uint64_t remaining_;  // ContentLength: payload bytes still to come
  uint64_t received_ = 0;
  ChunkedDecoder chunked_;
};

}  // namespace ddump
