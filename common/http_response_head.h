#pragma once
// The status line and header section of an HTTP/1.1 response (RFC 9112 §4,
// §5), parsed from untrusted bytes that arrive in pieces, and the body framing
// they announce (§6.3). Bounded: a head larger than kMaxHeadBytes fails.

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "result.h"

namespace ddump {

enum class BodyFraming { None, Chunked, ContentLength, UntilClose };

struct HttpResponseHead {
  int status = 0;
  std::string reason;
  std::vector<std::pair<std::string, std::string>> fields;  // names as sent, values trimmed

  // The first field called `name` (case-insensitive), or "" when absent.
  std::string field(std::string_view name) const;
  bool has(std::string_view name) const;
};

// How the body that follows `head` is delimited (RFC 9112 §6.3), for a
// response to GET. `contentLength` is set for ContentLength.
Result<BodyFraming> bodyFraming(const HttpResponseHead& head, uint64_t& contentLength);

class HttpHeadParser {
 public:
  static constexpr size_t kMaxHeadBytes = 64 * 1024;

  // Takes bytes until the head is complete; returns how many it used (the
  // rest belongs to the body). Interim 1xx responses are skipped (RFC 9110
  // §15.2: a client must parse them even when it did not ask for one).
  Result<size_t> feed(std::span<const uint8_t> bytes);
  bool complete() const { return complete_; }
  const HttpResponseHead& head() const { return head_; }

 private:
  Status parse(std::string_view text);
  Status parseStatusLine(std::string_view line);
  Status parseField(std::string_view line);

  std::string buffer_;
  bool complete_ = false;
  HttpResponseHead head_;
};

}  // namespace ddump
