#include "packet_cursor.h"

#include "byte_order.h"

namespace ddump::summary {

uint8_t PacketCursor::u8(size_t at) {
  if (!has(at, 1)) {
    cut_ = true;
    return 0;
  }
  return data_[at];
}

uint16_t PacketCursor::be16(size_t at) {
  if (!has(at, 2)) {
    cut_ = true;
    return 0;
  }
  return load16(&data_[at], ByteOrder::Big);
}

uint32_t PacketCursor::be32(size_t at) {
  if (!has(at, 4)) {
    cut_ = true;
    return 0;
  }
  return load32(&data_[at], ByteOrder::Big);
}

std::string PacketCursor::ipv4Text(size_t at) {
  if (!has(at, 4)) {
    cut_ = true;
    return {};
  }
  return cat(data_[at], ".", data_[at + 1], ".", data_[at + 2], ".", data_[at + 3]);
}

// RFC 4291 §2.2 text, as tcpdump's addrtostr6 writes it: the longest run of
// two or more zero words becomes "::" (the first of equal runs), and an
// IPv4-compatible or -mapped address ends in dotted decimal.
std::string PacketCursor::ipv6Text(size_t at) {
  if (!has(at, 16)) {
    cut_ = true;
    return {};
  }
  std::array<uint16_t, 8> words{};
  for (size_t i = 0; i < 8; ++i) words[i] = load16(&data_[at + 2 * i], ByteOrder::Big);
  int bestBase = -1, bestLen = 0, curBase = -1, curLen = 0;
  for (int i = 0; i <= 8; ++i) {
    if (i < 8 && words[i] == 0) {
      if (curBase < 0) curBase = i, curLen = 0;
      ++curLen;
    } else if (curBase >= 0) {
      if (curLen > bestLen) bestBase = curBase, bestLen = curLen;
      curBase = -1;
    }
  }
  if (bestLen < 2) bestBase = -1;
  std::string text;
  for (int i = 0; i < 8; ++i) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i == bestBase) text += ':';
      continue;
    }
    if (i != 0) text += ':';
    if (i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xffff))) {
      text += ipv4Text(at + 12);
      return text;
    }
    text += hex(words[i]);
  }
  if (bestBase >= 0 && bestBase + bestLen == 8) text += ':';
  return text;
}

// n bytes as colon-separated hex pairs, as tcpdump's etheraddr_string and
// linkaddr_string print them.
std::string PacketCursor::linkAddressText(size_t at, size_t n) {
  if (n == 0) return "<empty>";
  if (!has(at, n)) {
    cut_ = true;
    return {};
  }
  std::string text;
  for (size_t i = 0; i < n; ++i) {
    if (i != 0) text += ':';
    text += hex(data_[at + i], 2);
  }
  return text;
}

}  // namespace ddump::summary
