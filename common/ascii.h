#pragma once
// Character classes the text parsers share (URLs, HTTP heads, chunk sizes),
// and how they show untrusted text in their one-line messages.

#include <cstddef>
#include <string>
#include <string_view>

namespace ddump {

// The value of a hex digit (RFC 5234 HEXDIG, either case), or -1.
inline int hexDigitValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Untrusted text (a query value, a command-line word) for a one-line
// message: printable ASCII, any other byte shown as '?', at most `limit`
// bytes of it with "..." marking the cut.
inline std::string printableText(std::string_view text, size_t limit = 64) {
  std::string out;
  for (const char c : text.substr(0, limit)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > limit) out += "...";
  return out;
}

}  // namespace ddump
