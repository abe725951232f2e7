#pragma once
// The fields of one captured packet that NDJSON and flow output report:
// link, VLAN tags, IPv4/IPv6 or ARP, and TCP, UDP, ICMP or ICMPv6 — decoded
// into a flat value (no allocation) for programs rather than people (the
// line for people is common/packet_summary.h).
//
// The bytes are untrusted. Every read is checked against the captured bytes,
// as tcpdump's GET_* macros check against its snapend: a packet that ends
// inside a header it had begun gives the layers read before it and
// `truncated`, never a read past the data. Loops are bounded: 4 VLAN tags,
// 16 IPv6 extension headers. Tunnels are not followed: the first IP header
// and what it carries are reported.
//
// Link types (https://www.tcpdump.org/linktypes.html): ETHERNET (1, with
// 802.1Q/802.1ad tags), LINUX_SLL (113), LINUX_SLL2 (276), RAW (101, and
// DLT_RAW's 12 and 14), NULL (0, host byte order) and LOOP (108, network
// byte order). Anything else is reported with its length only.

#include <array>
#include <cstdint>
#include <span>

namespace ddump {

struct PacketFields {
  enum class Link : uint8_t { Unknown, Ethernet, Sll, Sll2, Null, Raw };
  enum class Net : uint8_t { None, Ipv4, Ipv6, Arp };
  enum class Transport : uint8_t { None, Tcp, Udp, Icmp, Icmp6 };
  // TCP flag bits as in the header's 13th byte (RFC 9293 3.1, RFC 3168).
  static constexpr uint8_t kFin = 0x01, kSyn = 0x02, kRst = 0x04, kPsh = 0x08, kAck = 0x10,
                           kUrg = 0x20, kEce = 0x40, kCwr = 0x80;

  Link link = Link::Unknown;
  Net net = Net::None;
  Transport transport = Transport::None;
  bool truncated = false;  // the capture ends inside a header that had begun

  // Ethernet (Link::Ethernet): addresses; the EtherType after any tags (also
  // the protocol of SLL, SLL2, NULL/LOOP and RAW, as an EtherType), 0: none.
  std::array<uint8_t, 6> ethSrc{};
  std::array<uint8_t, 6> ethDst{};
  uint16_t etherType = 0;
  std::array<uint16_t, 4> vlans{};  // VLAN IDs, outermost first
  uint8_t vlanCount = 0;
  // SLL/SLL2 (sll_pkttype: 0 to us, 1 broadcast, 2 multicast, 3 other host,
  // 4 sent by us) and SLL2's interface index.
  bool hasPacketType = false;
  uint8_t packetType = 0;
  uint32_t interfaceIndex = 0;

  // IPv4 / IPv6: addresses (IPv4 in the first 4 bytes), the upper-layer
  // protocol (after IPv6 extension headers), TTL or hop limit, IPv4's
  // identification, and whether the datagram is a fragment; a fragment past
  // the first carries no transport header.
  uint8_t ipVersion = 0;
  std::array<uint8_t, 16> ipSrc{};
  std::array<uint8_t, 16> ipDst{};
  uint8_t protocol = 0;
  uint8_t ttl = 0;
  uint32_t ipId = 0;  // IPv4 identification, or an IPv6 Fragment header's
  bool fragment = false;

  // ARP for IPv4 over Ethernet (RFC 826): operation, sender and target.
  uint16_t arpOp = 0;
  std::array<uint8_t, 6> arpSha{};
  std::array<uint8_t, 4> arpSpa{};
  std::array<uint8_t, 6> arpTha{};
  std::array<uint8_t, 4> arpTpa{};

  // Transport: ports (TCP, UDP), UDP length, TCP flags, sequence and
  // acknowledgment numbers and window, ICMP/ICMPv6 type and code.
  uint16_t srcPort = 0;
  uint16_t dstPort = 0;
  uint16_t udpLength = 0;
  uint8_t tcpFlags = 0;
  uint32_t tcpSeq = 0;
  uint32_t tcpAck = 0;
  uint16_t tcpWindow = 0;
  uint8_t icmpType = 0;
  uint8_t icmpCode = 0;
};

PacketFields dissectPacket(uint32_t linkType, std::span<const uint8_t> data);

// TCP flags as letters: S A F R P U E C for SYN ACK FIN RST PSH URG ECE CWR,
// in that order ("SA", "SAF", "AP"); empty for none. `out` holds 9 bytes.
const char* tcpFlagLetters(uint8_t flags, char (&out)[9]);

}  // namespace ddump
