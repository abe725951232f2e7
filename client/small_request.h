#pragma once
// The worker's small JSON answers (/interfaces before a capture, /stats at
// exit) on an open HttpConnection: one GET, the answer read whole through the
// same untrusted-input state machines as a capture stream (http_response_head,
// http_body), bounded in size and in time.

#include <string>

#include "http_connection.h"
#include "http_response_head.h"
#include "result.h"
#include "target.h"

namespace ddump {

inline constexpr const char* kUserAgent = "ddump/0.1";
// /interfaces and /stats answers are a few KiB; a worker sending more is broken.
inline constexpr size_t kSmallBodyLimit = 1024 * 1024;

struct SmallReply {
  HttpResponseHead head;
  std::string body;
};

// GET `path` of `target` and read the answer whole within timeoutMs, the body
// capped at kSmallBodyLimit so a broken or hostile worker cannot make us
// buffer more. `keepAlive`: the connection is used again afterwards.
Result<SmallReply> getSmall(HttpConnection& connection, const Target& target,
                            const std::string& path, bool keepAlive, int timeoutMs);

}  // namespace ddump
