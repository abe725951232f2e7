#include "summary_ethertype.h"

#include <algorithm>
#include <array>
#include <string>

#include "summary_ip.h"

namespace ddump::summary {
namespace {

constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeRarp = 0x8035;
constexpr uint16_t kEtherTypeTrail = 0x1000;

// clang-format off
// tcpdump's names for Ethernet types (ethertype_values).
constexpr auto kEtherTypes = std::to_array<Name>({
    {0x0800, "IPv4"}, {0x8847, "MPLS unicast"}, {0x8848, "MPLS multicast"}, {0x86dd, "IPv6"},
    {0x8100, "802.1Q"}, {0x9100, "802.1Q-9100"}, {0x88a8, "802.1Q-QinQ"}, {0x9200, "802.1Q-9200"},
    {0x88e5, "802.1AE MACsec"}, {0x9100, "VMAN"}, {0x0200, "PUP"}, {0x0806, "ARP"},
    {0x8035, "Reverse ARP"}, {0x0600, "NS"}, {0x0500, "Sprite"}, {0x1000, "Trail"},
    {0x6001, "MOP DL"}, {0x6002, "MOP RC"}, {0x6003, "DN"}, {0x6004, "LAT"}, {0x6007, "SCA"},
    {0x6558, "TEB"}, {0x8038, "Lanbridge"}, {0x803c, "DEC DNS"}, {0x803e, "DEC DTS"},
    {0x805b, "VEXP"}, {0x805c, "VPROD"}, {0x809b, "Appletalk"}, {0x80f3, "Appletalk ARP"},
    {0x8137, "IPX"}, {0x880b, "PPP"}, {0x8808, "MPCP"}, {0x8809, "Slow Protocols"},
    {0x8863, "PPPoE D"}, {0x8864, "PPPoE S"}, {0x888e, "EAPOL"}, {0x8899, "Realtek protocols"},
    {0x886f, "MS NLB heartbeat"}, {0x8870, "Jumbo"}, {0x894f, "NSH"}, {0x9000, "Loopback"},
    {0xfefe, "OSI"}, {0x00fe, "GRE-OSI"}, {0xabcd, "CFM (old)"}, {0x8902, "CFM"},
    {0x893a, "IEEE1905.1"}, {0x88cc, "LLDP"}, {0x88ca, "TIPC"}, {0x0707, "GeoNet (old)"},
    {0x8947, "GeoNet"}, {0x1111, "CALM FAST"}, {0x88a2, "AoE"}, {0x88f7, "PTP"},
    {0xd28b, "Arista Vendor Specific Protocol"}});

constexpr auto kArpHardware = std::to_array<Name>({
    {1, "Ethernet"}, {6, "TokenRing"}, {7, "ArcNet"}, {15, "FrameRelay"}, {23, "Strip"},
    {24, "IEEE 1394"}, {19, "ATM"}, {32, "InfiniBand"}});

constexpr auto kArpOps = std::to_array<Name>({
    {1, "Request"}, {2, "Reply"}, {3, "Reverse Request"}, {4, "Reverse Reply"},
    {8, "Inverse Request"}, {9, "Inverse Reply"}, {10, "NACK Reply"}});
// clang-format on

// RFC 826 (and RFC 903 for reverse ARP, RFC 2390 for inverse ARP).
void printArp(PacketCursor& p, size_t at, uint32_t length) {
  p.setProto("arp");
  if (!p.has(at, 8)) {
    p.markCut();
    return;
  }
  const auto data = p.data();
  const uint16_t hardware = p.be16(at), protocol = p.be16(at + 2), op = p.be16(at + 6);
  const uint8_t hardwareLength = data[at + 4], protocolLength = data[at + 5];
  const size_t senderHardware = at + 8, senderProtocol = senderHardware + hardwareLength;
  const size_t targetHardware = senderProtocol + protocolLength;
  const size_t targetProtocol = targetHardware + hardwareLength;
  if (!p.has(targetProtocol, protocolLength)) {
    p.markCut();
    return;
  }
  p.print("ARP, ");
  if ((protocol != kEtherTypeIpv4 && protocol != kEtherTypeTrail) || protocolLength != 4 ||
      hardwareLength == 0) {
    const char* hardwareName = lookup(kArpHardware, hardware);
    const char* protocolName = lookup(kEtherTypes, protocol);
    p.print(cat(hardwareName ? std::string(hardwareName) : cat("Unknown Hardware (", hardware, ")"),
                " (len ", hardwareLength, "), ",
                protocolName ? std::string(protocolName)
                             : cat("Unknown Protocol (0x", hex(protocol, 4), ")"),
                " (len ", protocolLength, "), length ", length));
    return;
  }
  const char* opName = lookup(kArpOps, op);
  p.print(cat(opName ? std::string(opName) : cat("Unknown (", op, ")"), " "));
  const auto hw = [&](size_t where) { return p.linkAddressText(where, hardwareLength); };
  switch (op) {
    case 1: {
      p.print(cat("who-has ", p.ipv4Text(targetProtocol)));
      const auto target = data.subspan(targetHardware, hardwareLength);
      if (std::any_of(target.begin(), target.end(), [](uint8_t b) { return b != 0; })) {
        p.print(cat(" (", hw(targetHardware), ")"));
      }
      p.print(cat(" tell ", p.ipv4Text(senderProtocol)));
      break;
    }
    case 2:
      p.print(cat(p.ipv4Text(senderProtocol), " is-at ", hw(senderHardware)));
      break;
    case 3:
    case 8:
      p.print(cat("who-is ", hw(targetHardware), " tell ", hw(senderHardware)));
      break;
    case 4:
      p.print(cat(hw(targetHardware), " at ", p.ipv4Text(targetProtocol)));
      break;
    case 9:
      p.print(cat(hw(senderHardware), " at ", p.ipv4Text(senderProtocol)));
      break;
    default:
      return;  // tcpdump dumps the packet in hex on the following lines
  }
  p.print(cat(", length ", length));
}

}  // namespace

const char* etherTypeName(uint16_t type) {
  return lookup(kEtherTypes, type);
}

bool printEtherType(PacketCursor& p, uint16_t type, size_t at, uint32_t length) {
  switch (type) {
    case kEtherTypeIpv4:
      printIpv4(p, at, length);
      return true;
    case kEtherTypeIpv6:
      printIpv6(p, at, length);
      return true;
    case kEtherTypeArp:
    case kEtherTypeRarp:
      printArp(p, at, length);
      return true;
    default:
      return false;
  }
}

}  // namespace ddump::summary
