#include "summary_ip.h"

#include "summary_icmp.h"
#include "summary_icmp6.h"
#include "summary_ipv6_extensions.h"
#include "summary_tcp.h"
#include "summary_udp.h"

namespace ddump::summary {
namespace {

// IPv4-in-IPv4/IPv6 tunnels decoded inside one another; deeper ones are
// printed as an undecoded protocol.
constexpr int kMaxTunnels = 4;
// IPv6 extension headers followed in one packet (RFC 8200 §4.1 expects at
// most one of each, and destination options twice).
constexpr int kMaxExtensionHeaders = 16;

// Hands the payload at `at` to the printer of protocol `proto`.
void printIpPayload(PacketCursor& p, const IpContext& ip, size_t at, uint32_t length,
                    uint8_t proto) {
  switch (proto) {
    case kProtoTcp:
      printTcp(p, ip, at, length);
      return;
    case kProtoUdp:
      printUdp(p, ip, at, length);
      return;
    case kProtoIcmp:
      if (ip.version == 4) {
        printIcmp(p, at, length);
      } else {
        p.print("[ICMP requires IPv4] (invalid)");
      }
      return;
    case kProtoIcmp6:
      if (ip.version == 6) {
        printIcmp6(p, at, length);
      } else {
        p.print("[ICMPv6 requires IPv6] (invalid)");
      }
      return;
    case kProtoIgmp:
      if (ip.version == 6) {
        p.print("[IGMP requires IPv4] (invalid)");
        return;
      }
      break;
    case kProtoEthernet:
      if (ip.version == 4) {
        p.print("[Ethernet requires IPv6] (invalid)");
        return;
      }
      break;
    case kProtoNone:
      p.print("no next header");
      return;
    case kProtoIpv4:
    case kProtoIpv6:
      if (p.enterTunnel(kMaxTunnels)) {
        proto == kProtoIpv4 ? printIpv4(p, at, length) : printIpv6(p, at, length);
        return;
      }
      break;
    default:
      break;
  }
  p.print(cat(" ip-proto-", proto, " ", length));
}

struct Ipv6Walk {
  size_t header;        // the fixed header's offset
  uint32_t length;      // what the link layer left for the datagram
  uint32_t len;         // header and payload as the payload length says
  uint32_t payloadLen;  // the header's, or a jumbo option's
  size_t outerEnd;      // end() before the datagram narrowed it
};

// Follows the next-header chain, printing each extension header as tcpdump
// names it, and hands the payload to its transport.
void printIpv6Chain(PacketCursor& p, Ipv6Walk walk) {
  const size_t at = walk.header;
  IpContext ip{at, 6, p.data()[at + 6], false};
  uint8_t next = ip.headerProto, previous = 255;
  size_t cursor = at;
  int advance = 40;
  uint32_t len = walk.len, consumed = 0;
  bool extension = false, jumbo = false, hopByHopSeen = false;
  // Every pass moves on by a header of 8 bytes or more, and stops at end().
  for (int headers = 0; cursor < p.end() && advance > 0; ++headers) {
    if (len < static_cast<uint32_t>(advance)) {
      p.setCut();
      return;
    }
    cursor += static_cast<size_t>(advance);
    len -= static_cast<uint32_t>(advance);
    consumed += static_cast<uint32_t>(advance);
    if (cursor == at + 40 && next != kProtoTcp && next != kProtoUdp) {
      p.print(cat(p.ipv6Text(at + 8), " > ", p.ipv6Text(at + 24), ": "));
    }
    const bool extensionHeader = next == kProtoHopByHop || next == kProtoDestOpts ||
                                 next == kProtoFragment || next == kProtoRouting;
    if (extensionHeader && headers >= kMaxExtensionHeaders) {
      p.print("[too many extension headers]");
      return;
    }
    switch (next) {
      case kProtoHopByHop:
        // RFC 8200 §4.3: only directly after the IPv6 header, and once.
        if (hopByHopSeen || previous != 255) {
          p.print(hopByHopSeen ? "[The Hop-by-Hop Options header was already found] (invalid)"
                               : "[The Hop-by-Hop Options header don't follow the IPv6 "
                                 "header] (invalid)");
          return;
        }
        advance = printHopByHop(p, cursor, jumbo, walk.payloadLen);
        if (p.cut()) return;
        if (walk.payloadLen == 0 && !jumbo) {
          p.print("[No valid Jumbo Payload Hop-by-Hop option found] (invalid)");
          return;
        }
        hopByHopSeen = true;
        break;
      case kProtoDestOpts:
        advance = printDestinationOptions(p, cursor);
        break;
      case kProtoFragment:
        advance = printFragment6(p, cursor, at);
        if (advance > 0 && p.end() <= cursor + static_cast<size_t>(advance)) return;
        ip.fragmented = true;
        break;
      case kProtoRouting:
        if (!p.has(cursor, 1)) {
          p.markCut();
          return;
        }
        advance = printRouting6(p, cursor);
        break;
      default:
        if (jumbo || walk.payloadLen == 0) {
          // RFC 2675: a jumbogram's length is in its hop-by-hop option;
          // without one, payload length 0 leaves no room for a payload.
          if (!jumbo && extension) {
            p.setCut();
            return;
          }
          len = jumbo ? walk.payloadLen + 40 : 40;
          if (len < consumed) {
            p.setCut();
            return;
          }
          if (jumbo && walk.length < len) {
            p.print(cat("truncated-ip6 - ", len - walk.length, " bytes missing!"));
          }
          // tcpdump's nd_change_snaplen: measured from the end before the IPv6 header narrowed it.
          if (len <= walk.outerEnd - at) p.setEnd(at + len);
          len -= consumed;
        }
        printIpPayload(p, ip, cursor, len, next);
        return;
    }
    if (p.cut() || advance < 0) return;
    extension = true;
    next = p.u8(cursor);
    previous = next;
    p.setProto("ip6");
  }
}

}  // namespace

std::string ipAddressText(PacketCursor& p, const IpContext& ip, bool source) {
  if (ip.version == 4) return p.ipv4Text(ip.header + (source ? 12 : 16));
  return p.ipv6Text(ip.header + (source ? 8 : 24));
}

// RFC 791 §3.1.
void printIpv4(PacketCursor& p, size_t at, uint32_t length) {
  p.setProto("ip");
  const uint8_t versionIhl = p.u8(at);
  if (p.cut()) return;
  if (versionIhl >> 4 != 4) {
    p.print(versionIhl >> 4 == 6 ? std::string("IP6, wrong link-layer encapsulation")
                                 : cat("IP", static_cast<unsigned>(versionIhl >> 4)));
    p.print(" (invalid)");
    return;
  }
  p.print("IP ");
  if (!p.has(at, 20)) {
    p.setCut();
    return;
  }
  if (length < 20) {
    p.print(cat("truncated-ip ", length));
    return;
  }
  const uint32_t headerLength = (versionIhl & 0x0fu) * 4;
  if (headerLength < 20) {
    p.print(cat("bad-hlen ", headerLength));
    return;
  }
  uint32_t totalLength = p.be16(at + 2);
  if (length < totalLength) {
    p.print(cat("truncated-ip - ", totalLength - length, " bytes missing! "));
  }
  if (totalLength < headerLength) {
    p.print(cat("bad-len ", totalLength));
    return;
  }
  p.narrowEnd(at, totalLength);
  const uint16_t fragment = p.be16(at + 6);
  const uint8_t proto = p.u8(at + 9);
  const IpContext ip{at, 4, proto, (fragment & 0x2000) != 0};
  const std::string addresses = cat(p.ipv4Text(at + 12), " > ", p.ipv4Text(at + 16), ":");
  if ((fragment & 0x1fff) != 0) {
    // Not the first fragment: no transport header to decode.
    p.print(cat(addresses, " ip-proto-", proto));
    return;
  }
  if (proto != kProtoTcp && proto != kProtoUdp) p.print(cat(addresses, " "));
  if (!p.has(at, headerLength)) {
    p.print(cat(" [remaining caplen(", p.end() - at, ") < header length(", headerLength, ")]"));
    p.setCut();
    return;
  }
  printIpPayload(p, ip, at + headerLength, totalLength - headerLength, proto);
}

// RFC 8200 §3-4: the fixed header, then extension headers chained by their
// next-header fields. tcpdump names each one it passes.
void printIpv6(PacketCursor& p, size_t at, uint32_t length) {
  p.setProto("ip6");
  if (!p.has(at, 40)) {
    p.setCut();
    return;
  }
  if (length < 40) {
    p.print(cat("truncated-ip6 ", length));
    return;
  }
  p.print("IP6 ");
  const unsigned version = p.data()[at] >> 4;
  if (version != 6) {
    p.print(cat("version error: ", version, " != 6"));
    return;
  }
  const uint32_t payloadLen = p.be16(at + 4);
  uint32_t len = length + 40;  // RFC 2675: 0 means a jumbogram, sized by the link
  if (payloadLen != 0) {
    len = payloadLen + 40;
    if (length < len) p.print(cat("truncated-ip6 - ", len - length, " bytes missing!"));
  }
  const size_t outerEnd = p.end();
  p.narrowEnd(at, len);
  printIpv6Chain(p, Ipv6Walk{at, length, len, payloadLen, outerEnd});
}

}  // namespace ddump::summary
