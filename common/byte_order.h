#pragma once
// Fixed-width loads and stores in an explicit byte order. Callers pass spans
// whose size they have already checked; these never read or write past `at + N`.

#include <cstdint>
#include <cstring>

namespace ddump {

enum class ByteOrder { Little, Big };

inline ByteOrder hostByteOrder() {
  const uint16_t probe = 1;
  uint8_t first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1 ? ByteOrder::Little : ByteOrder::Big;
}

inline uint16_t load16(const uint8_t* p, ByteOrder order) {
  return order == ByteOrder::Little ? static_cast<uint16_t>(p[0] | (p[1] << 8))
                                    : static_cast<uint16_t>((p[0] << 8) | p[1]);
}

inline uint32_t load32(const uint8_t* p, ByteOrder order) {
  if (order == ByteOrder::Little) {
    return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16) |
           (uint32_t{p[3]} << 24);
  }
  return (uint32_t{p[0]} << 24) | (uint32_t{p[1]} << 16) | (uint32_t{p[2]} << 8) | uint32_t{p[3]};
}

inline void store16(uint8_t* p, uint16_t v, ByteOrder order) {
  if (order == ByteOrder::Little) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
  } else {
    p[0] = static_cast<uint8_t>(v >> 8);
    p[1] = static_cast<uint8_t>(v);
  }
}

inline void store32(uint8_t* p, uint32_t v, ByteOrder order) {
  if (order == ByteOrder::Little) {
    p[0] = static_cast<uint8_t>(v);
    p[1] = static_cast<uint8_t>(v >> 8);
    p[2] = static_cast<uint8_t>(v >> 16);
    p[3] = static_cast<uint8_t>(v >> 24);
  } else {
    p[0] = static_cast<uint8_t>(v >> 24);
    p[1] = static_cast<uint8_t>(v >> 16);
    p[2] = static_cast<uint8_t>(v >> 8);
    p[3] = static_cast<uint8_t>(v);
  }
}

}  // namespace ddump
