#pragma once
// Character classes the text parsers share (URLs, HTTP heads, chunk sizes).

namespace ddump {

// The value of a hex digit (RFC 5234 HEXDIG, either case), or -1.
inline int hexDigitValue(unsigned char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace ddump
