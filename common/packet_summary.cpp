// The summary is tcpdump 4.99's wording, re-derived from its output on the
// fixtures in tests/data/packet_summary/ and from the protocol specifications
// cited per layer. This file checks the record header and prints the link
// layers; the layers above are the common/summary_*.h files, and all of them
// read the packet through common/packet_cursor.h.

#include "packet_summary.h"

#include <algorithm>
#include <array>
#include <string_view>

#include "byte_order.h"
#include "packet_cursor.h"
#include "pcap_format.h"
#include "summary_ethertype.h"
#include "summary_ip.h"

namespace ddump {
namespace {

using summary::cat;
using summary::hex;
using summary::lookup;
using summary::Name;
using summary::PacketCursor;

// https://www.tcpdump.org/linktypes.html; DLT_RAW is 12 on most systems and
// 14 on OpenBSD, and old savefiles carry the DLT value.
constexpr uint32_t kLinkTypeNull = 0;
constexpr uint32_t kLinkTypeRawDlt12 = 12;
constexpr uint32_t kLinkTypeRawDlt14 = 14;
constexpr uint32_t kLinkTypeRaw = 101;
constexpr uint32_t kLinkTypeLoop = 108;

// clang-format off
// BSD address families in a DLT_NULL/DLT_LOOP header.
constexpr auto kBsdFamilies = std::to_array<Name>({
    {2, "IPv4"}, {6, "NS"}, {7, "ISO"}, {16, "Appletalk"}, {23, "IPX"}, {24, "IPv6"}, {28, "IPv6"},
    {30, "IPv6"}});
constexpr auto kSllPacketTypes = std::to_array<Name>({
    {0, "In"}, {1, "B"}, {2, "M"}, {3, "P"}, {4, "Out"}});
// clang-format on

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

std::string_view etherTypeText(uint16_t type) {
  const char* name = summary::etherTypeName(type);
  return name ? name : "Unknown";
}

// tcpdump checks the record header before any printer runs (print.c).
bool validRecordHeader(PacketCursor& p, uint32_t len) {
  const size_t caplen = p.data().size();
  std::string problems;
  const auto add = [&problems](const std::string& problem) {
    problems += problems.empty() ? " " : ", ";
    problems += problem;
  };
  if (caplen == 0) add("caplen==0");
  if (len == 0) {
    add("len==0");
  } else if (len < caplen) {
    add(cat("len(", len, ") < caplen(", caplen, ")"));
  }
  if (caplen > kMaxSnaplen) add(cat("caplen(", caplen, ") > ", kMaxSnaplen));
  if (len > kMaxSnaplen) add(cat("len(", len, ") > ", kMaxSnaplen));
  if (problems.empty()) return true;
  p.print(cat("[Invalid header:", problems, "]"));
  return false;
}

// IEEE 802.3: destination, source, type (or length); 802.1Q/802.1ad tags of
// 4 bytes each may come before the type. tcpdump prints the tags only with -e.
void ethernet(PacketCursor& p, uint32_t len) {
  p.setProto("ether");
  if (!p.has(0, 14)) {
    p.setCut();
    return;
  }
  size_t at = 14;
  uint32_t length = len - 14;
  uint16_t type = p.be16(12);
  // Each tag consumes 4 captured bytes, so this ends with the packet.
  while (type == summary::kEtherTypeVlan || type == 0x88a8 || type == 0x9100 || type == 0x9200) {
    if (!p.has(at, 4) || length < 4) {
      p.setProto("vlan");
      p.setCut();
      return;
    }
    type = p.be16(at + 2);
    at += 4;
    length -= 4;
  }
  const std::string addresses = cat(p.macText(6), " > ", p.macText(0), ", ");
  if (type <= summary::kMaxEthernetLength) {
    p.print(cat(addresses, "802.3, length ", len));
    return;
  }
  if (summary::printEtherType(p, type, at, length)) return;
  p.print(cat(addresses, "ethertype ", etherTypeText(type), " (0x", hex(type, 4), "), length ", len,
              ":"));
}

// What tcpdump prints of a cooked header for a payload it does not decode.
void cookedHeaderLine(PacketCursor& p, bool v2, uint32_t length) {
  std::string line;
  size_t addressLength = 0, address = 0;
  uint16_t protocol = 0;
  if (v2) {
    line = cat("ifindex ", p.be32(4), " ");
    addressLength = p.u8(11), address = 12, protocol = p.be16(0);
  } else {
    const char* type = lookup(kSllPacketTypes, p.be16(0));
    const std::string_view name = type ? type : "?";
    line = cat(std::string(3 - std::min<size_t>(3, name.size()), ' '), name, " ");
    addressLength = p.be16(4), address = 6, protocol = p.be16(14);
  }
  if (addressLength == 6) line += cat(p.macText(address), " ");
  if (protocol <= summary::kMaxEthernetLength) {
    line += protocol == 0x0001   ? std::string("802.3")
            : protocol == 0x0004 ? std::string("802.2")
                                 : cat("ethertype Unknown (0x", hex(protocol, 4), ")");
  } else {
    line += cat("ethertype ", etherTypeText(protocol), " (0x", hex(protocol, 4), ")");
  }
  p.print(cat(line, ", length ", length, ":"));
}

// Linux cooked headers, https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
// and LINKTYPE_LINUX_SLL2.html: the protocol is an Ethernet type; an 802.1Q
// tag may stay in front of the payload, and tcpdump names the inner type then.
void cooked(PacketCursor& p, bool v2, uint32_t len) {
  p.setProto(v2 ? "sll2" : "sll");
  const size_t header = v2 ? 20 : 16;
  if (!p.has(0, header)) {
    p.setCut();
    return;
  }
  size_t at = header;
  uint32_t length = len - static_cast<uint32_t>(header);
  uint16_t type = p.be16(v2 ? 0 : 14);
  // Each tag consumes 4 captured bytes, so this ends with the packet.
  while (type == summary::kEtherTypeVlan) {
    if (!p.has(at, 4)) {
      p.setProto("vlan");
      p.setCut();
      return;
    }
    type = p.be16(at + 2);
    if (type <= summary::kMaxEthernetLength) type = 0x0004;  // 802.2 LLC
    p.print(cat("ethertype ", etherTypeText(type), ", "));
    at += 4;
    length -= 4;
  }
  if (type > summary::kMaxEthernetLength && summary::printEtherType(p, type, at, length)) return;
  cookedHeaderLine(p, v2, length + static_cast<uint32_t>(header));
}

// DLT_NULL/DLT_LOOP: a 4-byte BSD address family, in the capturing host's
// byte order for NULL and big-endian for LOOP. As tcpdump (here on a
// little-endian host) does, a value with high bits set is taken byte-swapped.
void nullLink(PacketCursor& p, uint32_t len) {
  p.setProto("null");
  if (!p.has(0, 4)) {
    p.setCut();
    return;
  }
  const auto data = p.data();
  uint32_t family = load32(&data[0], ByteOrder::Little);
  if ((family & 0xffff0000) != 0) family = load32(&data[0], ByteOrder::Big);
  switch (family) {
    case 2:
      summary::printIpv4(p, 4, len - 4);
      return;
    case 24:
    case 28:
    case 30:
      summary::printIpv6(p, 4, len - 4);
      return;
    default: {
      const char* name = lookup(kBsdFamilies, family);
      p.print(cat("AF ", std::string_view(name ? name : "Unknown"), " (", family, "), length ", len,
                  ":"));
    }
  }
}

// Raw IP: the version nibble says IPv4 or IPv6.
void rawIp(PacketCursor& p, uint32_t len) {
  p.setProto("ipn");
  const uint8_t version = p.u8(0) >> 4;
  if (p.cut()) return;
  if (version == 4) {
    summary::printIpv4(p, 0, len);
  } else if (version == 6) {
    summary::printIpv6(p, 0, len);
  } else {
    p.print(cat("unknown ip ", version));
  }
}

void printLinkLayer(PacketCursor& p, uint32_t linkType, uint32_t len) {
  switch (linkType) {
    case kLinkTypeEthernet:
      ethernet(p, len);
      break;
    case kLinkTypeLinuxSll:
      cooked(p, false, len);
      break;
    case kLinkTypeLinuxSll2:
      cooked(p, true, len);
      break;
    case kLinkTypeRaw:
    case kLinkTypeRawDlt12:
    case kLinkTypeRawDlt14:
      rawIp(p, len);
      break;
    case kLinkTypeNull:
    case kLinkTypeLoop:
      nullLink(p, len);
      break;
    default:
      p.print(cat("unsupported link-type ", linkType, ", length ", len));
      break;
  }
}

}  // namespace

std::string summarizePacket(uint32_t linkType, std::span<const uint8_t> data, uint32_t len) {
  PacketCursor p(data);
  if (!validRecordHeader(p, len)) return p.line();
  printLinkLayer(p, linkType & kLinkTypeMask, len);
  if (p.cut()) p.markCut();
  return std::string(trimmed(p.line()));
}

}  // namespace ddump
