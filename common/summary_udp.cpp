#include "summary_udp.h"

#include <algorithm>

namespace ddump::summary {
namespace {

// The ports (-1 when not captured), with the addresses when the IP header
// names UDP.
void printAddresses(PacketCursor& p, const IpContext& ip, int sport, int dport) {
  if (ip.headerProto == kProtoUdp) {
    if (sport < 0) {
      p.print(cat(ipAddressText(p, ip, true), " > ", ipAddressText(p, ip, false), ": "));
    } else {
      p.print(cat(ipAddressText(p, ip, true), ".", static_cast<unsigned>(sport), " > ",
                  ipAddressText(p, ip, false), ".", static_cast<unsigned>(dport), ": "));
    }
  } else if (sport >= 0) {
    p.print(cat(static_cast<unsigned>(sport), " > ", static_cast<unsigned>(dport), ": "));
  }
}

}  // namespace

// RFC 768.
void printUdp(PacketCursor& p, const IpContext& ip, size_t at, uint32_t length) {
  p.setProto("udp");
  if (!p.has(at + 2, 2)) {
    printAddresses(p, ip, -1, -1);
    p.setCut();
    return;
  }
  const uint16_t sport = p.be16(at), dport = p.be16(at + 2);
  if (length < 8) {
    printAddresses(p, ip, sport, dport);
    p.print(cat("truncated-udp ", length));
    return;
  }
  uint32_t udpLength = p.be16(at + 4);
  if (p.cut()) {
    printAddresses(p, ip, sport, dport);
    return;
  }
  if (udpLength == 0 && length > 65535) udpLength = length;  // RFC 2675 jumbogram
  if (udpLength < 8) {
    printAddresses(p, ip, sport, dport);
    p.print(cat("truncated-udplength ", udpLength));
    return;
  }
  udpLength -= 8;
  length = std::min(length - 8, udpLength);
  printAddresses(p, ip, sport, dport);
  if (at + 8 > p.end()) {
    p.setCut();
    return;
  }
  if (udpLength > length && !ip.fragmented) {
    p.print(cat("UDP, bad length ", udpLength, " > ", length));
  } else {
    p.print(cat("UDP, length ", udpLength));
  }
}

}  // namespace ddump::summary
