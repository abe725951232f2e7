#pragma once
// The one request the client sends a worker: an HTTP/1.1 GET (RFC 9112 §3)
// with Host, optional Basic credentials (RFC 7617) and, for a capture,
// "Connection: close" (one stream per connection, ended by the body's own
// framing or by us).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "result.h"

namespace ddump {

struct GetRequest {
  std::string authority;      // Host header: "host:port", IPv6 in brackets
  std::string requestTarget;  // "/path?query", already percent-encoded
  std::vector<std::pair<std::string, std::string>> headers;
  bool basicAuth = false;
  std::string user;
  std::string password;
  bool keepAlive = false;  // else "Connection: close"
};

// The request's bytes. Bytes a request line cannot hold (controls, space,
// non-ASCII) in the target are percent-encoded; a header value holding a
// line break is refused, so nothing can be smuggled into the request.
Result<std::string> formatGetRequest(const GetRequest& request);

// RFC 4648 §4 base64 with padding.
std::string base64Encode(std::string_view bytes);

}  // namespace ddump
