#include "summary_ipv6_extensions.h"

#include "byte_order.h"

namespace ddump::summary {
namespace {

// RFC 8200 §4.2 options; tcpdump checks their lengths even when it does not
// print them. The caller has checked that all `len` bytes are there.
bool checkOptions(PacketCursor& p, size_t at, uint32_t len, bool& jumbo, uint32_t& payloadLen) {
  const auto data = p.data();
  bool jumboSeen = false;
  uint32_t optionLength = 0;
  for (uint32_t i = 0; i < len; i += optionLength) {
    const uint8_t type = data[at + i];
    if (type == 0x00) {
      optionLength = 1;  // Pad1
    } else if (i + 1 < len) {
      optionLength = data[at + i + 1] + 2u;
    } else {
      return false;
    }
    if (i + optionLength > len) return false;
    const uint32_t left = len - i;
    const uint8_t dataLength = type == 0x00 ? 0 : data[at + i + 1];
    switch (type) {
      case 0x01:  // PadN
        if (left < 2) return p.print("(padn: trunc)"), false;
        break;
      case 0x05:  // router alert, RFC 2711
        if (left < 4) return p.print("(rtalert: trunc)"), false;
        if (dataLength != 2) return p.print(cat("(rtalert: invalid len ", dataLength, ")")), false;
        break;
      case 0xc2:  // jumbo payload, RFC 2675
        if (left < 6) return p.print("(jumbo: trunc)"), false;
        if (dataLength != 4) return p.print(cat("(jumbo: invalid len ", dataLength, ")")), false;
        if (!jumboSeen) {
          jumboSeen = true;
          const uint32_t jumboLength = load32(&data[at + i + 2], ByteOrder::Big);
          if (payloadLen == 0 && jumboLength >= 65536) {
            jumbo = true;
            payloadLen = jumboLength;
          }
        }
        break;
      case 0xc9:  // home address, RFC 6275 §6.3
        if (left < 18) return p.print("(homeaddr: trunc)"), false;
        if (dataLength < 16) {
          return p.print(cat("(homeaddr: invalid len ", dataLength, ")")), false;
        }
        break;
      case 0x00:
        break;
      default:
        if (left < 2) return p.print(cat("(type ", type, ": trunc)")), false;
        break;
    }
  }
  return true;
}

}  // namespace

int printHopByHop(PacketCursor& p, size_t at, bool& jumbo, uint32_t& payloadLen) {
  p.setProto("hbhopt");
  const uint32_t length = (p.u8(at + 1) + 1u) * 8;
  if (p.cut()) return -1;
  if (!p.has(at, length)) {
    p.markCut();
    return -1;
  }
  p.print("HBH ");
  if (!checkOptions(p, at + 2, length - 2, jumbo, payloadLen)) {
    p.markCut();
    return -1;
  }
  return static_cast<int>(length);
}

int printDestinationOptions(PacketCursor& p, size_t at) {
  p.setProto("dstopt");
  const uint32_t length = (p.u8(at + 1) + 1u) * 8;
  if (p.cut()) return -1;
  if (!p.has(at, length)) {
    p.markCut();
    return -1;
  }
  p.print("DSTOPT ");
  return static_cast<int>(length);
}

// RFC 8200 §4.5: tcpdump prints the fragment's offset and what the payload length leaves
// for it, and decodes no further than a first fragment.
int printFragment6(PacketCursor& p, size_t at, size_t ipAt) {
  p.setProto("frag6");
  const uint16_t offsetFlags = p.be16(at + 2);
  if (p.cut()) return -1;
  const uint16_t payloadLen = load16(&p.data()[ipAt + 4], ByteOrder::Big);
  const uint64_t left = uint64_t{40} + payloadLen - (at - ipAt) - 8;  // wraps as size_t does
  p.print(cat("frag (", static_cast<unsigned>(offsetFlags & 0xfff8), "|", left, ")"));
  if ((offsetFlags & 0xfff8) != 0) return -1;
  p.print(" ");
  return 8;
}

// RFC 8200 §4.4 routing header; types 0 (RFC 5095, deprecated), 2 (RFC 6275)
// and 4 (segment routing, RFC 8754) carry a list of addresses.
int printRouting6(PacketCursor& p, size_t at) {
  p.setProto("rt6");
  p.print("RT6");
  const uint8_t length = p.u8(at + 1);
  if (p.cut()) return -1;
  p.print(cat(" (len=", length));
  const uint8_t type = p.u8(at + 2);
  if (p.cut()) return -1;
  p.print(cat(", type=", type, type == 0 ? " [Deprecated]" : ""));
  const uint8_t segmentsLeft = p.u8(at + 3);
  if (p.cut()) return -1;
  p.print(cat(", segleft=", segmentsLeft));
  if (type == 0 || type == 2) {
    const uint32_t reserved = p.be32(at + 4);
    if (p.cut()) return -1;
    if (reserved != 0) p.print(cat(", rsv=0x", hex(reserved)));
  } else if (type == 4) {
    const uint8_t lastEntry = p.u8(at + 4);
    if (p.cut()) return -1;
    p.print(cat(", last-entry=", lastEntry));
    const uint8_t flags = p.u8(at + 5);
    if (p.cut()) return -1;
    if (flags != 0) p.print(cat(", flags=0x", hex(flags)));
    const uint16_t tag = p.be16(at + 6);
    if (p.cut()) return -1;
    p.print(cat(", tag=", hex(tag)));
  } else {
    p.print(" (unknown type) (invalid)");
    return -1;
  }
  if (length % 2 == 1) {
    p.print(cat(" (invalid length ", length, ") (invalid)"));
    return -1;
  }
  for (unsigned i = 0; i < length / 2u; ++i) {
    const std::string address = p.ipv6Text(at + 8 + 16 * i);
    if (p.cut()) return -1;
    p.print(cat(", [", i, "]", address));
  }
  p.print(") ");
  return (length + 1) * 8;
}

}  // namespace ddump::summary
