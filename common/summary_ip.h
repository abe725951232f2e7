#pragma once
// The packet summary's network layer: IPv4 (RFC 791) and IPv6 (RFC 8200) with
// its extension headers, the hand-over to the transport a header names, and
// IP-in-IP tunnels. Internal to common/packet_summary.cpp and its layers.

#include <cstddef>
#include <cstdint>
#include <string>

#include "packet_cursor.h"

namespace ddump::summary {

// IANA protocol numbers the layers tell apart.
inline constexpr uint8_t kProtoHopByHop = 0, kProtoIcmp = 1, kProtoIgmp = 2, kProtoIpv4 = 4,
                         kProtoTcp = 6, kProtoUdp = 17, kProtoIpv6 = 41, kProtoRouting = 43,
                         kProtoFragment = 44, kProtoAh = 51, kProtoIcmp6 = 58, kProtoNone = 59,
                         kProtoDestOpts = 60, kProtoEthernet = 143;

// The IP header a transport header came in: tcpdump prints "addr.port" only
// when that header's own protocol field names the transport.
struct IpContext {
  size_t header;
  int version;
  uint8_t headerProto;
  bool fragmented;
};

// The source (or destination) address of the header `ip` describes.
std::string ipAddressText(PacketCursor& p, const IpContext& ip, bool source);

// Print the datagram at `at`; `length` is what the link layer (or the outer
// datagram of a tunnel) says is left of the packet.
void printIpv4(PacketCursor& p, size_t at, uint32_t length);
void printIpv6(PacketCursor& p, size_t at, uint32_t length);

}  // namespace ddump::summary
