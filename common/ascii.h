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

// True when `text` starts with `prefix` in either case (`prefix` in lower
// case): URL schemes and target kinds are case-insensitive (RFC 3986 3.1).
inline bool startsWithNoCase(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (size_t i = 0; i < prefix.size(); ++i) {
    const char c = text[i];
    if ((c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c) != prefix[i]) return false;
  }
  return true;
}

}  // namespace ddump
