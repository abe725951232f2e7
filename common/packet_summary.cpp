// The summary is tcpdump 4.99's wording, re-derived from its output on the
// fixtures in tests/data/packet_summary/ and from the protocol specifications
// cited per layer. tcpdump's printers stop a packet at the first read past the
// captured bytes (a longjmp from its GET_* macros) and print " [|protocol]";
// here every read goes through u8/be16/be32, which return 0 and set cut_
// instead, and every printer checks cut_ before printing what it read.

#include "packet_summary.h"

#include <algorithm>
#include <array>
#include <concepts>
#include <optional>
#include <string_view>

#include "byte_order.h"
#include "pcap_format.h"

namespace ddump {
namespace {

// https://www.tcpdump.org/linktypes.html; DLT_RAW is 12 on most systems and
// 14 on OpenBSD, and old savefiles carry the DLT value.
constexpr uint32_t kLinkTypeNull = 0;
constexpr uint32_t kLinkTypeRawDlt12 = 12;
constexpr uint32_t kLinkTypeRawDlt14 = 14;
constexpr uint32_t kLinkTypeRaw = 101;
constexpr uint32_t kLinkTypeLoop = 108;

// IPv4-in-IPv4/IPv6 tunnels decoded inside one another; deeper ones are
// printed as an undecoded protocol.
constexpr int kMaxTunnels = 4;
// IPv6 extension headers followed in one packet (RFC 8200 §4.1 expects at
// most one of each, and destination options twice).
constexpr int kMaxExtensionHeaders = 16;

constexpr uint16_t kMaxEthernetLength = 1500;  // IEEE 802.3: a length, not a type
constexpr uint16_t kEtherTypeIpv4 = 0x0800;
constexpr uint16_t kEtherTypeIpv6 = 0x86dd;
constexpr uint16_t kEtherTypeArp = 0x0806;
constexpr uint16_t kEtherTypeRarp = 0x8035;
constexpr uint16_t kEtherTypeTrail = 0x1000;
constexpr uint16_t kEtherTypeVlan = 0x8100;

constexpr uint8_t kProtoIcmp = 1, kProtoIgmp = 2, kProtoEthernet = 143, kProtoIpv4 = 4,
                  kProtoTcp = 6, kProtoUdp = 17, kProtoIpv6 = 41, kProtoRouting = 43,
                  kProtoFragment = 44, kProtoAh = 51, kProtoIcmp6 = 58, kProtoNone = 59,
                  kProtoDestOpts = 60, kProtoHopByHop = 0;

struct Name {
  uint32_t value;
  const char* text;
};

template <size_t N>
const char* lookup(const std::array<Name, N>& table, uint32_t value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.text;
  }
  return nullptr;
}

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

constexpr auto kIcmpOtherTypes = std::to_array<Name>({
    {4, "source quench"}, {10, "router solicitation"}, {15, "information request"},
    {16, "information reply"}, {17, "address mask request"}});

// RFC 792 / RFC 1812 destination-unreachable codes, indexed by code, as
// tcpdump words them (%s: the quoted destination, %p: its protocol).
constexpr auto kIcmpUnreachable = std::to_array<Name>({
    {0, "net %s unreachable"}, {1, "host %s unreachable"}, {2, "%s protocol %p unreachable"},
    {3, ""}, {4, ""}, {5, "%s unreachable - source route failed"},
    {6, "net %s unreachable - unknown"}, {7, "host %s unreachable - unknown"},
    {8, "%s unreachable - source host isolated"}, {9, "net %s unreachable - admin prohibited"},
    {10, "host %s unreachable - admin prohibited"}, {11, "net %s unreachable - tos prohibited"},
    {12, "host %s unreachable - tos prohibited"},
    {13, "host %s unreachable - admin prohibited filter"},
    {14, "host %s unreachable - host precedence violation"},
    {15, "host %s unreachable - precedence cutoff"}});

constexpr auto kIcmp6Types = std::to_array<Name>({
    {1, "destination unreachable"}, {2, "packet too big"}, {3, "time exceeded in-transit"},
    {4, "parameter problem"}, {128, "echo request"}, {129, "echo reply"},
    {130, "multicast listener query"}, {131, "multicast listener report"},
    {132, "multicast listener done"}, {133, "router solicitation"}, {134, "router advertisement"},
    {135, "neighbor solicitation"}, {136, "neighbor advertisement"}, {137, "redirect"},
    {138, "router renumbering"}, {141, "inverse neighbor solicitation"},
    {142, "inverse neighbor advertisement"}, {143, "multicast listener report v2"},
    {144, "ha discovery request"}, {145, "ha discovery reply"}, {146, "mobile router solicitation"},
    {147, "mobile router advertisement"}, {139, "who-are-you request"}, {140, "who-are-you reply"},
    {139, "node information query"}, {140, "node information reply"}, {201, "mtrace message"},
    {200, "mtrace response"}, {155, "RPL"}});

constexpr auto kIcmp6Unreachable = std::to_array<Name>({
    {0, "unreachable route"}, {1, " unreachable prohibited"}, {2, "beyond scope"},
    {3, "unreachable address"}, {4, "unreachable port"}});

constexpr auto kIcmp6ParamProblem = std::to_array<Name>({
    {0, ", erroneous - octet "}, {1, ", next header - octet "}, {2, ", option - octet "},
    {3, ", incomplete header chain - octet "}});

// RFC 9293 §3.1 and the IANA TCP option registry, with tcpdump's names.
constexpr auto kTcpOptions = std::to_array<Name>({
    {0, "eol"}, {1, "nop"}, {2, "mss"}, {3, "wscale"}, {4, "sackOK"}, {5, "sack"}, {6, "echo"},
    {7, "echoreply"}, {8, "TS"}, {11, "cc"}, {12, "ccnew"}, {13, ""}, {19, "md5"}, {20, "scps"},
    {28, "uto"}, {29, "tcp-ao"}, {30, "mptcp"}, {34, "tfo"}, {254, "exp"}});

// BSD address families in a DLT_NULL/DLT_LOOP header.
constexpr auto kBsdFamilies = std::to_array<Name>({
    {2, "IPv4"}, {6, "NS"}, {7, "ISO"}, {16, "Appletalk"}, {23, "IPX"}, {24, "IPv6"}, {28, "IPv6"},
    {30, "IPv6"}});
constexpr auto kSllPacketTypes = std::to_array<Name>({
    {0, "In"}, {1, "B"}, {2, "M"}, {3, "P"}, {4, "Out"}});

// clang-format on

// ---------------------------------------------------------------- text

void appendPart(std::string& out, std::string_view part) {
  out += part;
}
template <std::unsigned_integral T>
void appendPart(std::string& out, T value) {
  out += std::to_string(value);
}

template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (appendPart(out, parts), ...);
  return out;
}

std::string hex(uint64_t value, int width = 1) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string digits;
  do {
    digits.insert(digits.begin(), kDigits[value & 0xf]);
    value >>= 4;
  } while (value != 0);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

std::string_view trimmed(std::string_view text) {
  const auto first = text.find_first_not_of(' ');
  if (first == std::string_view::npos) return {};
  return text.substr(first, text.find_last_not_of(' ') - first + 1);
}

// ---------------------------------------------------------------- the dissector

// The IP header a transport header came in: tcpdump prints "addr.port" only
// when that header's own protocol field names the transport.
struct IpContext {
  size_t header;
  int version;
  uint8_t headerProto;
  bool fragmented;
};

class Dissector {
 public:
  explicit Dissector(std::span<const uint8_t> data) : data_(data), end_(data.size()) {}

  std::string summarize(uint32_t linkType, uint32_t len);

 private:
  // Reads. A read past end_ returns 0 and marks the packet cut.
  bool has(size_t at, size_t n) const { return at <= end_ && n <= end_ - at; }
  uint8_t u8(size_t at);
  uint16_t be16(size_t at);
  uint32_t be32(size_t at);
  std::string ipv4Text(size_t at);
  std::string ipv6Text(size_t at);
  std::string macText(size_t at);
  std::string linkAddressText(size_t at, size_t n);
  std::string ipAddressText(const IpContext& ip, bool source);
  // tcpdump narrows its snapend to an IP datagram's length (nd_push_snaplen).
  void narrowEnd(size_t at, size_t length) {
    if (length <= end_ - at) end_ = at + length;
  }
  // A truncation tcpdump reports where it found it and then returns normally
  // (ND_TCHECK): the mark is printed now, cut_ stays clear.
  void markCut() { out_ += cat(" [|", std::string_view(proto_), "]"); }

  bool validRecordHeader(uint32_t len);
  void ethernet(uint32_t len);
  void cooked(bool v2, uint32_t len);
  void cookedHeaderLine(bool v2, uint32_t length);
  void nullLink(uint32_t len);
  void rawIp(uint32_t len);
  bool etherType(uint16_t type, size_t at, uint32_t length);

  void ipv4(size_t at, uint32_t length);
  void ipv6(size_t at, uint32_t length);
  struct Ipv6Walk {
    size_t header;        // the fixed header's offset
    uint32_t length;      // what the link layer left for the datagram
    uint32_t len;         // header and payload as the payload length says
    uint32_t payloadLen;  // the header's, or a jumbo option's
    size_t outerEnd;      // end_ before the datagram narrowed it
  };
  void ipv6Chain(Ipv6Walk walk);
  int hopByHop(size_t at, bool& jumbo, uint32_t& payloadLen);
  bool ipv6Options(size_t at, uint32_t len, bool& jumbo, uint32_t& payloadLen);
  int destinationOptions(size_t at);
  int fragment6(size_t at, size_t ipAt);
  int routing6(size_t at);
  void demux(const IpContext& ip, size_t at, uint32_t length, uint8_t proto);
  void arp(size_t at, uint32_t length);

  void tcp(const IpContext& ip, size_t at, uint32_t length);
  struct TcpPayload {
    size_t at;
    uint32_t length;
  };
  // How an option ends the list: the next one follows, or tcpdump stops at a
  // bad one or at one cut by the capture.
  enum class OptionEnd { Next, Bad, Cut };
  bool tcpOptions(size_t at, uint32_t left, const TcpPayload& payload);
  OptionEnd optionData(size_t at, uint32_t left, uint32_t n) const;
  OptionEnd tcpOptionValue(uint8_t kind, uint32_t length, size_t at, uint32_t left,
                           const TcpPayload& payload, uint32_t& dataLength);
  OptionEnd optionHex(size_t at, uint32_t left, uint32_t from, uint32_t to);
  void fastOpenCookie(size_t at, uint32_t length);
  void udp(const IpContext& ip, size_t at, uint32_t length);
  void udpAddresses(const IpContext& ip, int sport, int dport);
  void icmp(size_t at, uint32_t length);
  std::string icmpUnreachable(size_t at, uint8_t code);
  std::string icmpRouterAdvertisement(size_t at);
  void icmp6(size_t at, uint32_t length);
  bool icmp6Detail(size_t at, uint32_t length, uint8_t type, uint8_t code);
  std::optional<size_t> quotedTransport(size_t ipAt, uint8_t& proto) const;

  std::span<const uint8_t> data_;
  size_t end_;  // tcpdump's snapend: the first byte not readable
  std::string out_;
  const char* proto_ = "";
  bool cut_ = false;
  int tunnels_ = 0;
};

uint8_t Dissector::u8(size_t at) {
  if (!has(at, 1)) {
    cut_ = true;
    return 0;
  }
  return data_[at];
}

uint16_t Dissector::be16(size_t at) {
  if (!has(at, 2)) {
    cut_ = true;
    return 0;
  }
  return load16(&data_[at], ByteOrder::Big);
}

uint32_t Dissector::be32(size_t at) {
  if (!has(at, 4)) {
    cut_ = true;
    return 0;
  }
  return load32(&data_[at], ByteOrder::Big);
}

std::string Dissector::ipv4Text(size_t at) {
  if (!has(at, 4)) {
    cut_ = true;
    return {};
  }
  return cat(data_[at], ".", data_[at + 1], ".", data_[at + 2], ".", data_[at + 3]);
}

// RFC 4291 §2.2 text, as tcpdump's addrtostr6 writes it: the longest run of
// two or more zero words becomes "::" (the first of equal runs), and an
// IPv4-compatible or -mapped address ends in dotted decimal.
std::string Dissector::ipv6Text(size_t at) {
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

std::string Dissector::macText(size_t at) {
  return linkAddressText(at, 6);
}

std::string Dissector::linkAddressText(size_t at, size_t n) {
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

std::string Dissector::ipAddressText(const IpContext& ip, bool source) {
  if (ip.version == 4) return ipv4Text(ip.header + (source ? 12 : 16));
  return ipv6Text(ip.header + (source ? 8 : 24));
}

std::string Dissector::summarize(uint32_t linkType, uint32_t len) {
  if (!validRecordHeader(len)) return out_;
  switch (linkType & kLinkTypeMask) {
    case kLinkTypeEthernet:
      ethernet(len);
      break;
    case kLinkTypeLinuxSll:
      cooked(false, len);
      break;
    case kLinkTypeLinuxSll2:
      cooked(true, len);
      break;
    case kLinkTypeRaw:
    case kLinkTypeRawDlt12:
    case kLinkTypeRawDlt14:
      rawIp(len);
      break;
    case kLinkTypeNull:
    case kLinkTypeLoop:
      nullLink(len);
      break;
    default:
      out_ = cat("unsupported link-type ", linkType & kLinkTypeMask, ", length ", len);
      break;
  }
  if (cut_) markCut();
  return std::string(trimmed(out_));
}

// tcpdump checks the record header before any printer runs (print.c).
bool Dissector::validRecordHeader(uint32_t len) {
  const size_t caplen = data_.size();
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
  out_ = cat("[Invalid header:", problems, "]");
  return false;
}

// ---------------------------------------------------------------- link layers

// IEEE 802.3: destination, source, type (or length); 802.1Q/802.1ad tags of
// 4 bytes each may come before the type. tcpdump prints the tags only with -e.
void Dissector::ethernet(uint32_t len) {
  proto_ = "ether";
  if (!has(0, 14)) {
    cut_ = true;
    return;
  }
  size_t at = 14;
  uint32_t length = len - 14;
  uint16_t type = be16(12);
  // Each tag consumes 4 captured bytes, so this ends with the packet.
  while (type == kEtherTypeVlan || type == 0x88a8 || type == 0x9100 || type == 0x9200) {
    if (!has(at, 4) || length < 4) {
      proto_ = "vlan";
      cut_ = true;
      return;
    }
    type = be16(at + 2);
    at += 4;
    length -= 4;
  }
  const std::string addresses = cat(macText(6), " > ", macText(0), ", ");
  if (type <= kMaxEthernetLength) {
    out_ += cat(addresses, "802.3, length ", len);
    return;
  }
  if (etherType(type, at, length)) return;
  const char* name = lookup(kEtherTypes, type);
  out_ += cat(addresses, "ethertype ", std::string_view(name ? name : "Unknown"), " (0x",
              hex(type, 4), "), length ", len, ":");
}

bool Dissector::etherType(uint16_t type, size_t at, uint32_t length) {
  switch (type) {
    case kEtherTypeIpv4:
      ipv4(at, length);
      return true;
    case kEtherTypeIpv6:
      ipv6(at, length);
      return true;
    case kEtherTypeArp:
    case kEtherTypeRarp:
      arp(at, length);
      return true;
    default:
      return false;
  }
}

// Linux cooked headers, https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html
// and LINKTYPE_LINUX_SLL2.html: the protocol is an Ethernet type; an 802.1Q
// tag may stay in front of the payload, and tcpdump names the inner type then.
void Dissector::cooked(bool v2, uint32_t len) {
  proto_ = v2 ? "sll2" : "sll";
  const size_t header = v2 ? 20 : 16;
  if (!has(0, header)) {
    cut_ = true;
    return;
  }
  size_t at = header;
  uint32_t length = len - static_cast<uint32_t>(header);
  uint16_t type = be16(v2 ? 0 : 14);
  // Each tag consumes 4 captured bytes, so this ends with the packet.
  while (type == kEtherTypeVlan) {
    if (!has(at, 4)) {
      proto_ = "vlan";
      cut_ = true;
      return;
    }
    type = be16(at + 2);
    if (type <= kMaxEthernetLength) type = 0x0004;  // 802.2 LLC
    const char* name = lookup(kEtherTypes, type);
    out_ += cat("ethertype ", std::string_view(name ? name : "Unknown"), ", ");
    at += 4;
    length -= 4;
  }
  if (type > kMaxEthernetLength && etherType(type, at, length)) return;
  cookedHeaderLine(v2, length + static_cast<uint32_t>(header));
}

// What tcpdump prints of a cooked header for a payload it does not decode.
void Dissector::cookedHeaderLine(bool v2, uint32_t length) {
  std::string line;
  size_t addressLength = 0, address = 0;
  uint16_t protocol = 0;
  if (v2) {
    line = cat("ifindex ", be32(4), " ");
    addressLength = u8(11), address = 12, protocol = be16(0);
  } else {
    const char* type = lookup(kSllPacketTypes, be16(0));
    const std::string_view name = type ? type : "?";
    line = cat(std::string(3 - std::min<size_t>(3, name.size()), ' '), name, " ");
    addressLength = be16(4), address = 6, protocol = be16(14);
  }
  if (addressLength == 6) line += cat(macText(address), " ");
  if (protocol <= kMaxEthernetLength) {
    line += protocol == 0x0001   ? std::string("802.3")
            : protocol == 0x0004 ? std::string("802.2")
                                 : cat("ethertype Unknown (0x", hex(protocol, 4), ")");
  } else {
    const char* name = lookup(kEtherTypes, protocol);
    line +=
        cat("ethertype ", std::string_view(name ? name : "Unknown"), " (0x", hex(protocol, 4), ")");
  }
  out_ += cat(line, ", length ", length, ":");
}

// DLT_NULL/DLT_LOOP: a 4-byte BSD address family, in the capturing host's
// byte order for NULL and big-endian for LOOP. As tcpdump (here on a
// little-endian host) does, a value with high bits set is taken byte-swapped.
void Dissector::nullLink(uint32_t len) {
  proto_ = "null";
  if (!has(0, 4)) {
    cut_ = true;
    return;
  }
  uint32_t family = load32(&data_[0], ByteOrder::Little);
  if ((family & 0xffff0000) != 0) family = load32(&data_[0], ByteOrder::Big);
  switch (family) {
    case 2:
      ipv4(4, len - 4);
      return;
    case 24:
    case 28:
    case 30:
      ipv6(4, len - 4);
      return;
    default: {
      const char* name = lookup(kBsdFamilies, family);
      out_ += cat("AF ", std::string_view(name ? name : "Unknown"), " (", family, "), length ", len,
                  ":");
    }
  }
}

// Raw IP: the version nibble says IPv4 or IPv6.
void Dissector::rawIp(uint32_t len) {
  proto_ = "ipn";
  const uint8_t version = u8(0) >> 4;
  if (cut_) return;
  if (version == 4) {
    ipv4(0, len);
  } else if (version == 6) {
    ipv6(0, len);
  } else {
    out_ += cat("unknown ip ", version);
  }
}

// ---------------------------------------------------------------- network layers

// RFC 791 §3.1. `length` is what the link layer says is left of the packet.
void Dissector::ipv4(size_t at, uint32_t length) {
  proto_ = "ip";
  const uint8_t versionIhl = u8(at);
  if (cut_) return;
  if (versionIhl >> 4 != 4) {
    out_ += versionIhl >> 4 == 6 ? std::string("IP6, wrong link-layer encapsulation")
                                 : cat("IP", static_cast<unsigned>(versionIhl >> 4));
    out_ += " (invalid)";
    return;
  }
  out_ += "IP ";
  if (!has(at, 20)) {
    cut_ = true;
    return;
  }
  if (length < 20) {
    out_ += cat("truncated-ip ", length);
    return;
  }
  const uint32_t headerLength = (versionIhl & 0x0fu) * 4;
  if (headerLength < 20) {
    out_ += cat("bad-hlen ", headerLength);
    return;
  }
  uint32_t totalLength = be16(at + 2);
  if (length < totalLength)
    out_ += cat("truncated-ip - ", totalLength - length, " bytes missing! ");
  if (totalLength < headerLength) {
    out_ += cat("bad-len ", totalLength);
    return;
  }
  narrowEnd(at, totalLength);
  const uint16_t fragment = be16(at + 6);
  const uint8_t proto = u8(at + 9);
  const IpContext ip{at, 4, proto, (fragment & 0x2000) != 0};
  const std::string addresses = cat(ipv4Text(at + 12), " > ", ipv4Text(at + 16), ":");
  if ((fragment & 0x1fff) != 0) {
    // Not the first fragment: no transport header to decode.
    out_ += cat(addresses, " ip-proto-", proto);
    return;
  }
  if (proto != kProtoTcp && proto != kProtoUdp) out_ += cat(addresses, " ");
  if (!has(at, headerLength)) {
    out_ += cat(" [remaining caplen(", end_ - at, ") < header length(", headerLength, ")]");
    cut_ = true;
    return;
  }
  demux(ip, at + headerLength, totalLength - headerLength, proto);
}

// RFC 8200 §3-4: the fixed header, then extension headers chained by their
// next-header fields. tcpdump names each one it passes.
void Dissector::ipv6(size_t at, uint32_t length) {
  proto_ = "ip6";
  if (!has(at, 40)) {
    cut_ = true;
    return;
  }
  if (length < 40) {
    out_ += cat("truncated-ip6 ", length);
    return;
  }
  out_ += "IP6 ";
  const unsigned version = data_[at] >> 4;
  if (version != 6) {
    out_ += cat("version error: ", version, " != 6");
    return;
  }
  const uint32_t payloadLen = be16(at + 4);
  uint32_t len = length + 40;  // RFC 2675: 0 means a jumbogram, sized by the link
  if (payloadLen != 0) {
    len = payloadLen + 40;
    if (length < len) out_ += cat("truncated-ip6 - ", len - length, " bytes missing!");
  }
  const size_t outerEnd = end_;
  narrowEnd(at, len);
  ipv6Chain(Ipv6Walk{at, length, len, payloadLen, outerEnd});
}

// Follows the next-header chain, printing each extension header as tcpdump
// names it, and hands the payload to its transport.
void Dissector::ipv6Chain(Ipv6Walk walk) {
  const size_t at = walk.header;
  IpContext ip{at, 6, data_[at + 6], false};
  uint8_t next = ip.headerProto, previous = 255;
  size_t cursor = at;
  int advance = 40;
  uint32_t len = walk.len, consumed = 0;
  bool extension = false, jumbo = false, hopByHopSeen = false;
  // Every pass moves on by a header of 8 bytes or more, and stops at end_.
  for (int headers = 0; cursor < end_ && advance > 0; ++headers) {
    if (len < static_cast<uint32_t>(advance)) {
      cut_ = true;
      return;
    }
    cursor += static_cast<size_t>(advance);
    len -= static_cast<uint32_t>(advance);
    consumed += static_cast<uint32_t>(advance);
    if (cursor == at + 40 && next != kProtoTcp && next != kProtoUdp) {
      out_ += cat(ipv6Text(at + 8), " > ", ipv6Text(at + 24), ": ");
    }
    const bool extensionHeader = next == kProtoHopByHop || next == kProtoDestOpts ||
                                 next == kProtoFragment || next == kProtoRouting;
    if (extensionHeader && headers >= kMaxExtensionHeaders) {
      out_ += "[too many extension headers]";
      return;
    }
    switch (next) {
      case kProtoHopByHop:
        // RFC 8200 §4.3: only directly after the IPv6 header, and once.
        if (hopByHopSeen || previous != 255) {
          out_ += hopByHopSeen ? "[The Hop-by-Hop Options header was already found] (invalid)"
                               : "[The Hop-by-Hop Options header don't follow the IPv6 "
                                 "header] (invalid)";
          return;
        }
        advance = hopByHop(cursor, jumbo, walk.payloadLen);
        if (cut_) return;
        if (walk.payloadLen == 0 && !jumbo) {
          out_ += "[No valid Jumbo Payload Hop-by-Hop option found] (invalid)";
          return;
        }
        hopByHopSeen = true;
        break;
      case kProtoDestOpts:
        advance = destinationOptions(cursor);
        break;
      case kProtoFragment:
        advance = fragment6(cursor, at);
        if (advance > 0 && end_ <= cursor + static_cast<size_t>(advance)) return;
        ip.fragmented = true;
        break;
      case kProtoRouting:
        if (!has(cursor, 1)) {
          markCut();
          return;
        }
        advance = routing6(cursor);
        break;
      default:
        if (jumbo || walk.payloadLen == 0) {
          // RFC 2675: a jumbogram's length is in its hop-by-hop option;
          // without one, payload length 0 leaves no room for a payload.
          if (!jumbo && extension) {
            cut_ = true;
            return;
          }
          len = jumbo ? walk.payloadLen + 40 : 40;
          if (len < consumed) {
            cut_ = true;
            return;
          }
          if (jumbo && walk.length < len) {
            out_ += cat("truncated-ip6 - ", len - walk.length, " bytes missing!");
          }
          // tcpdump's nd_change_snaplen: measured from the end before the IPv6 header narrowed it.
          if (len <= walk.outerEnd - at) end_ = at + len;
          len -= consumed;
        }
        demux(ip, cursor, len, next);
        return;
    }
    if (cut_ || advance < 0) return;
    extension = true;
    next = u8(cursor);
    previous = next;
    proto_ = "ip6";
  }
}

int Dissector::hopByHop(size_t at, bool& jumbo, uint32_t& payloadLen) {
  proto_ = "hbhopt";
  const uint32_t length = (u8(at + 1) + 1u) * 8;
  if (cut_) return -1;
  if (!has(at, length)) {
    markCut();
    return -1;
  }
  out_ += "HBH ";
  if (!ipv6Options(at + 2, length - 2, jumbo, payloadLen)) {
    markCut();
    return -1;
  }
  return static_cast<int>(length);
}

// RFC 8200 §4.2 options; tcpdump checks their lengths even when it does not
// print them. The caller has checked that all `len` bytes are there.
bool Dissector::ipv6Options(size_t at, uint32_t len, bool& jumbo, uint32_t& payloadLen) {
  bool jumboSeen = false;
  uint32_t optionLength = 0;
  for (uint32_t i = 0; i < len; i += optionLength) {
    const uint8_t type = data_[at + i];
    if (type == 0x00) {
      optionLength = 1;  // Pad1
    } else if (i + 1 < len) {
      optionLength = data_[at + i + 1] + 2u;
    } else {
      return false;
    }
    if (i + optionLength > len) return false;
    const uint32_t left = len - i;
    const uint8_t dataLength = type == 0x00 ? 0 : data_[at + i + 1];
    switch (type) {
      case 0x01:  // PadN
        if (left < 2) return out_ += "(padn: trunc)", false;
        break;
      case 0x05:  // router alert, RFC 2711
        if (left < 4) return out_ += "(rtalert: trunc)", false;
        if (dataLength != 2) return out_ += cat("(rtalert: invalid len ", dataLength, ")"), false;
        break;
      case 0xc2:  // jumbo payload, RFC 2675
        if (left < 6) return out_ += "(jumbo: trunc)", false;
        if (dataLength != 4) return out_ += cat("(jumbo: invalid len ", dataLength, ")"), false;
        if (!jumboSeen) {
          jumboSeen = true;
          const uint32_t jumboLength = load32(&data_[at + i + 2], ByteOrder::Big);
          if (payloadLen == 0 && jumboLength >= 65536) {
            jumbo = true;
            payloadLen = jumboLength;
          }
        }
        break;
      case 0xc9:  // home address, RFC 6275 §6.3
        if (left < 18) return out_ += "(homeaddr: trunc)", false;
        if (dataLength < 16) return out_ += cat("(homeaddr: invalid len ", dataLength, ")"), false;
        break;
      case 0x00:
        break;
      default:
        if (left < 2) return out_ += cat("(type ", type, ": trunc)"), false;
        break;
    }
  }
  return true;
}

int Dissector::destinationOptions(size_t at) {
  proto_ = "dstopt";
  const uint32_t length = (u8(at + 1) + 1u) * 8;
  if (cut_) return -1;
  if (!has(at, length)) {
    markCut();
    return -1;
  }
  out_ += "DSTOPT ";
  return static_cast<int>(length);
}

// RFC 8200 §4.5: tcpdump prints the fragment's offset and what the payload
// length leaves for it, and decodes no further than a first fragment.
int Dissector::fragment6(size_t at, size_t ipAt) {
  proto_ = "frag6";
  const uint16_t offsetFlags = be16(at + 2);
  if (cut_) return -1;
  const uint16_t payloadLen = load16(&data_[ipAt + 4], ByteOrder::Big);
  const uint64_t left = uint64_t{40} + payloadLen - (at - ipAt) - 8;  // wraps as size_t does
  out_ += cat("frag (", static_cast<unsigned>(offsetFlags & 0xfff8), "|", left, ")");
  if ((offsetFlags & 0xfff8) != 0) return -1;
  out_ += " ";
  return 8;
}

// RFC 8200 §4.4 routing header; types 0 (RFC 5095, deprecated), 2 (RFC 6275)
// and 4 (segment routing, RFC 8754) carry a list of addresses.
int Dissector::routing6(size_t at) {
  proto_ = "rt6";
  out_ += "RT6";
  const uint8_t length = u8(at + 1);
  if (cut_) return -1;
  out_ += cat(" (len=", length);
  const uint8_t type = u8(at + 2);
  if (cut_) return -1;
  out_ += cat(", type=", type, type == 0 ? " [Deprecated]" : "");
  const uint8_t segmentsLeft = u8(at + 3);
  if (cut_) return -1;
  out_ += cat(", segleft=", segmentsLeft);
  if (type == 0 || type == 2) {
    const uint32_t reserved = be32(at + 4);
    if (cut_) return -1;
    if (reserved != 0) out_ += cat(", rsv=0x", hex(reserved));
  } else if (type == 4) {
    const uint8_t lastEntry = u8(at + 4);
    if (cut_) return -1;
    out_ += cat(", last-entry=", lastEntry);
    const uint8_t flags = u8(at + 5);
    if (cut_) return -1;
    if (flags != 0) out_ += cat(", flags=0x", hex(flags));
    const uint16_t tag = be16(at + 6);
    if (cut_) return -1;
    out_ += cat(", tag=", hex(tag));
  } else {
    out_ += " (unknown type) (invalid)";
    return -1;
  }
  if (length % 2 == 1) {
    out_ += cat(" (invalid length ", length, ") (invalid)");
    return -1;
  }
  for (unsigned i = 0; i < length / 2u; ++i) {
    const std::string address = ipv6Text(at + 8 + 16 * i);
    if (cut_) return -1;
    out_ += cat(", [", i, "]", address);
  }
  out_ += ") ";
  return (length + 1) * 8;
}

void Dissector::demux(const IpContext& ip, size_t at, uint32_t length, uint8_t proto) {
  switch (proto) {
    case kProtoTcp:
      tcp(ip, at, length);
      return;
    case kProtoUdp:
      udp(ip, at, length);
      return;
    case kProtoIcmp:
      if (ip.version == 4) {
        icmp(at, length);
      } else {
        out_ += "[ICMP requires IPv4] (invalid)";
      }
      return;
    case kProtoIcmp6:
      if (ip.version == 6) {
        icmp6(at, length);
      } else {
        out_ += "[ICMPv6 requires IPv6] (invalid)";
      }
      return;
    case kProtoIgmp:
      if (ip.version == 6) {
        out_ += "[IGMP requires IPv4] (invalid)";
        return;
      }
      break;
    case kProtoEthernet:
      if (ip.version == 4) {
        out_ += "[Ethernet requires IPv6] (invalid)";
        return;
      }
      break;
    case kProtoNone:
      out_ += "no next header";
      return;
    case kProtoIpv4:
    case kProtoIpv6:
      if (tunnels_ < kMaxTunnels) {
        ++tunnels_;
        proto == kProtoIpv4 ? ipv4(at, length) : ipv6(at, length);
        return;
      }
      break;
    default:
      break;
  }
  out_ += cat(" ip-proto-", proto, " ", length);
}

// RFC 826 (and RFC 903 for reverse ARP, RFC 2390 for inverse ARP).
void Dissector::arp(size_t at, uint32_t length) {
  proto_ = "arp";
  if (!has(at, 8)) {
    markCut();
    return;
  }
  const uint16_t hardware = be16(at), protocol = be16(at + 2), op = be16(at + 6);
  const uint8_t hardwareLength = data_[at + 4], protocolLength = data_[at + 5];
  const size_t senderHardware = at + 8, senderProtocol = senderHardware + hardwareLength;
  const size_t targetHardware = senderProtocol + protocolLength;
  const size_t targetProtocol = targetHardware + hardwareLength;
  if (!has(targetProtocol, protocolLength)) {
    markCut();
    return;
  }
  out_ += "ARP, ";
  if ((protocol != kEtherTypeIpv4 && protocol != kEtherTypeTrail) || protocolLength != 4 ||
      hardwareLength == 0) {
    const char* hardwareName = lookup(kArpHardware, hardware);
    const char* protocolName = lookup(kEtherTypes, protocol);
    out_ += cat(hardwareName ? std::string(hardwareName) : cat("Unknown Hardware (", hardware, ")"),
                " (len ", hardwareLength, "), ",
                protocolName ? std::string(protocolName)
                             : cat("Unknown Protocol (0x", hex(protocol, 4), ")"),
                " (len ", protocolLength, "), length ", length);
    return;
  }
  const char* opName = lookup(kArpOps, op);
  out_ += cat(opName ? std::string(opName) : cat("Unknown (", op, ")"), " ");
  const auto hw = [&](size_t where) { return linkAddressText(where, hardwareLength); };
  switch (op) {
    case 1: {
      out_ += cat("who-has ", ipv4Text(targetProtocol));
      const auto target = data_.subspan(targetHardware, hardwareLength);
      if (std::any_of(target.begin(), target.end(), [](uint8_t b) { return b != 0; })) {
        out_ += cat(" (", hw(targetHardware), ")");
      }
      out_ += cat(" tell ", ipv4Text(senderProtocol));
      break;
    }
    case 2:
      out_ += cat(ipv4Text(senderProtocol), " is-at ", hw(senderHardware));
      break;
    case 3:
    case 8:
      out_ += cat("who-is ", hw(targetHardware), " tell ", hw(senderHardware));
      break;
    case 4:
      out_ += cat(hw(targetHardware), " at ", ipv4Text(targetProtocol));
      break;
    case 9:
      out_ += cat(hw(senderHardware), " at ", ipv4Text(senderProtocol));
      break;
    default:
      return;  // tcpdump dumps the packet in hex on the following lines
  }
  out_ += cat(", length ", length);
}

// ---------------------------------------------------------------- transport layers

// RFC 9293 §3.1.
void Dissector::tcp(const IpContext& ip, size_t at, uint32_t length) {
  proto_ = "tcp";
  if (!has(at + 2, 2)) {
    out_ += cat(ipAddressText(ip, true), " > ", ipAddressText(ip, false), ":");
    cut_ = true;
    return;
  }
  const uint16_t sport = be16(at), dport = be16(at + 2);
  if (ip.headerProto == kProtoTcp) {
    out_ +=
        cat(ipAddressText(ip, true), ".", sport, " > ", ipAddressText(ip, false), ".", dport, ": ");
  } else {
    out_ += cat(sport, " > ", dport, ": ");
  }
  if (!has(at, 20)) {
    cut_ = true;
    return;
  }
  const uint32_t headerLength = (data_[at + 12] >> 4) * 4u;
  if (headerLength < 20) {
    out_ += cat(" tcp ", length - headerLength, " [bad hdr length ", headerLength,
                " - too short, < 20]");
    return;
  }
  const uint32_t seq = be32(at + 4), ack = be32(at + 8);
  const uint8_t flags = data_[at + 13];
  const uint16_t window = be16(at + 14), urgent = be16(at + 18);
  static constexpr std::array<std::pair<uint8_t, char>, 8> kFlags{{{0x01, 'F'},
                                                                   {0x02, 'S'},
                                                                   {0x04, 'R'},
                                                                   {0x08, 'P'},
                                                                   {0x10, '.'},
                                                                   {0x20, 'U'},
                                                                   {0x40, 'E'},
                                                                   {0x80, 'W'}}};
  std::string flagText;
  for (const auto& [bit, letter] : kFlags) {
    if ((flags & bit) != 0) flagText += letter;
  }
  out_ += cat("Flags [", flagText.empty() ? std::string("none") : flagText, "]");
  if (headerLength > length) {
    out_ += cat(" [bad hdr length ", headerLength, " - too long, > ", length, "]");
    return;
  }
  const uint32_t payload = length - headerLength;
  if (payload > 0 || (flags & 0x07) != 0) {
    out_ += cat(", seq ", seq);
    if (payload > 0) out_ += cat(":", static_cast<uint32_t>(seq + payload));
  }
  if ((flags & 0x10) != 0) out_ += cat(", ack ", ack);
  out_ += cat(", win ", window);
  if ((flags & 0x20) != 0) out_ += cat(", urg ", urgent);
  if (headerLength > 20 &&
      !tcpOptions(at + 20, headerLength - 20, TcpPayload{at + headerLength, payload})) {
    return;
  }
  out_ += cat(", length ", payload);
  if (payload > 0 && !has(at, headerLength)) {
    out_ += cat(" [remaining caplen(", end_ - at, ") < header length(", headerLength, ")]");
    cut_ = true;
  }
}

// RFC 9293 §3.2 options, as tcpdump lists them. Returns false when the line
// ends inside them: an option tcpdump calls bad, or a cut it marks on the spot.
bool Dissector::tcpOptions(size_t at, uint32_t left, const TcpPayload& payload) {
  out_ += ", options [";
  for (bool first = true; left > 0; first = false) {
    if (!first) out_ += ",";
    const uint8_t kind = u8(at++);
    if (cut_) return false;
    uint32_t length = 1;  // end of list and no-operation are a single byte
    OptionEnd end = OptionEnd::Next;
    if (kind > 1) {
      length = u8(at++);
      if (cut_) return false;
      if (length < 2 || length > left) end = OptionEnd::Bad;
      --left;
    }
    uint32_t dataLength = 0;
    if (end == OptionEnd::Next) {
      --left;
      const char* name = lookup(kTcpOptions, kind);
      out_ += name ? std::string(name) : cat("unknown-", kind);
      end = tcpOptionValue(kind, length, at, left, payload, dataLength);
    }
    if (end == OptionEnd::Bad) {
      out_ += first ? "[bad opt]" : "[bad opt]]";
      return false;
    }
    if (end == OptionEnd::Cut) {  // tcpdump's ND_TCHECK: marked where found
      markCut();
      if (!first) out_ += ">";
      return false;
    }
    at += dataLength;
    left -= dataLength;
    if (dataLength + (kind > 1 ? 2 : 1) != length) out_ += cat("[len ", length, "]");
    if (kind == 0) break;
  }
  out_ += "]";
  return true;
}

// tcpdump's LENCHECK: n bytes of option data must be left in the header
// (else the option is bad) and captured (else the packet is cut there).
Dissector::OptionEnd Dissector::optionData(size_t at, uint32_t left, uint32_t n) const {
  if (n > left) return OptionEnd::Bad;
  return has(at, n) ? OptionEnd::Next : OptionEnd::Cut;
}

// Prints one option's value; `dataLength` is what it takes after kind and length.
Dissector::OptionEnd Dissector::tcpOptionValue(uint8_t kind, uint32_t length, size_t at,
                                               uint32_t left, const TcpPayload& payload,
                                               uint32_t& dataLength) {
  const auto fixed = [&](uint32_t n) {
    dataLength = n;
    return optionData(at, left, n);
  };
  const auto be32At = [this](size_t where) { return load32(&data_[where], ByteOrder::Big); };
  OptionEnd end = OptionEnd::Next;
  switch (kind) {
    case 0:  // end of option list
    case 1:  // no-operation
    case 4:  // SACK permitted
      return OptionEnd::Next;
    case 2:  // maximum segment size
      if ((end = fixed(2)) == OptionEnd::Next) out_ += cat(" ", load16(&data_[at], ByteOrder::Big));
      return end;
    case 3:  // window scale, RFC 7323
      if ((end = fixed(1)) == OptionEnd::Next) out_ += cat(" ", data_[at]);
      return end;
    case 20:  // SCPS capabilities
      if ((end = fixed(2)) == OptionEnd::Next) {
        out_ += cat(" cap ", hex(data_[at], 2), " id ", data_[at + 1]);
      }
      return end;
    case 28:  // RFC 5482 user timeout: minutes when the low bit is set
      if ((end = fixed(2)) == OptionEnd::Next) {
        const unsigned timeout = load16(&data_[at], ByteOrder::Big);
        out_ +=
            cat(" 0x", hex(timeout), " ", (timeout & 1) != 0 ? (timeout >> 1) * 60 : timeout >> 1);
      }
      return end;
    case 6:   // echo, RFC 1072
    case 7:   // echo reply
    case 11:  // T/TCP CC, RFC 1644
    case 12:
    case 13:
      if ((end = fixed(4)) == OptionEnd::Next) out_ += cat(" ", be32At(at));
      return end;
    case 8:  // timestamps, RFC 7323
      if ((end = fixed(8)) == OptionEnd::Next) {
        out_ += cat(" val ", be32At(at), " ecr ", be32At(at + 4));
      }
      return end;
    case 5:  // SACK, RFC 2018: blocks as in the packet, as tcpdump -S prints them
      dataLength = length - 2;
      if (dataLength % 8 != 0) {
        out_ += " invalid sack";
        return OptionEnd::Next;
      }
      out_ += cat(" ", dataLength / 8, " ");
      for (uint32_t i = 0; i < dataLength; i += 8) {
        if ((end = optionData(at, left, i + 4)) != OptionEnd::Next ||
            (end = optionData(at, left, i + 8)) != OptionEnd::Next) {
          return end;
        }
        out_ += cat("{", be32At(at + i), ":", be32At(at + i + 4), "}");
      }
      return OptionEnd::Next;
    case 19:  // RFC 2385 MD5 signature: tcpdump cannot check it without -M
      if ((end = fixed(16)) != OptionEnd::Next) return end;
      out_ += has(payload.at, payload.length) ? " shared secret not supplied with -M, "
                                              : " snaplen too short, ";
      out_ += "can't check - ";
      for (uint32_t i = 0; i < 16; ++i) out_ += hex(data_[at + i], 2);
      return OptionEnd::Next;
    case 29:  // RFC 5925 TCP-AO
      dataLength = length - 2;
      if (dataLength < 2) {
        out_ += " (invalid)";
        return OptionEnd::Next;
      }
      if ((end = optionData(at, left, 1)) != OptionEnd::Next) return end;
      out_ += cat(" keyid ", data_[at]);
      if ((end = optionData(at, left, 2)) != OptionEnd::Next) return end;
      out_ += cat(" rnextkeyid ", data_[at + 1]);
      if (dataLength > 2) out_ += " mac 0x";
      return optionHex(at, left, 2, dataLength);
    case 34:   // RFC 7413 fast open
    case 254:  // RFC 6994 experiment; 0xf989 is fast open's
      dataLength = length - 2;
      if ((end = optionData(at, left, dataLength)) != OptionEnd::Next) return end;
      if (kind == 34) {
        out_ += " ";
        fastOpenCookie(at, dataLength);
        return OptionEnd::Next;
      }
      if (dataLength < 2) return OptionEnd::Bad;
      out_ += "-";
      if (load16(&data_[at], ByteOrder::Big) != 0xf989) {
        out_ += hex(load16(&data_[at], ByteOrder::Big), 4);
        return OptionEnd::Next;
      }
      out_ += "tfo";
      fastOpenCookie(at + 2, dataLength - 2);
      return OptionEnd::Next;
    default:  // unknown, and MPTCP (RFC 8684), which tcpdump decodes further
      dataLength = length - 2;
      if (dataLength != 0) out_ += " 0x";
      return optionHex(at, left, 0, dataLength);
  }
}

// Option bytes [from, to) in hex, as far as they were captured.
Dissector::OptionEnd Dissector::optionHex(size_t at, uint32_t left, uint32_t from, uint32_t to) {
  for (uint32_t i = from; i < to; ++i) {
    const OptionEnd end = optionData(at, left, i + 1);
    if (end != OptionEnd::Next) return end;
    out_ += hex(data_[at + i], 2);
  }
  return OptionEnd::Next;
}

void Dissector::fastOpenCookie(size_t at, uint32_t length) {
  if (length == 0) {
    out_ += " cookiereq";
  } else if (length % 2 != 0 || length < 4 || length > 16) {
    out_ += " (invalid)";
  } else {
    out_ += " cookie ";
    for (uint32_t i = 0; i < length; ++i) out_ += hex(data_[at + i], 2);
  }
}

// RFC 768.
void Dissector::udp(const IpContext& ip, size_t at, uint32_t length) {
  proto_ = "udp";
  if (!has(at + 2, 2)) {
    udpAddresses(ip, -1, -1);
    cut_ = true;
    return;
  }
  const uint16_t sport = be16(at), dport = be16(at + 2);
  if (length < 8) {
    udpAddresses(ip, sport, dport);
    out_ += cat("truncated-udp ", length);
    return;
  }
  uint32_t udpLength = be16(at + 4);
  if (cut_) {
    udpAddresses(ip, sport, dport);
    return;
  }
  if (udpLength == 0 && length > 65535) udpLength = length;  // RFC 2675 jumbogram
  if (udpLength < 8) {
    udpAddresses(ip, sport, dport);
    out_ += cat("truncated-udplength ", udpLength);
    return;
  }
  udpLength -= 8;
  length = std::min(length - 8, udpLength);
  udpAddresses(ip, sport, dport);
  if (at + 8 > end_) {
    cut_ = true;
    return;
  }
  if (udpLength > length && !ip.fragmented) {
    out_ += cat("UDP, bad length ", udpLength, " > ", length);
  } else {
    out_ += cat("UDP, length ", udpLength);
  }
}

void Dissector::udpAddresses(const IpContext& ip, int sport, int dport) {
  if (ip.headerProto == kProtoUdp) {
    if (sport < 0) {
      out_ += cat(ipAddressText(ip, true), " > ", ipAddressText(ip, false), ": ");
    } else {
      out_ += cat(ipAddressText(ip, true), ".", static_cast<unsigned>(sport), " > ",
                  ipAddressText(ip, false), ".", static_cast<unsigned>(dport), ": ");
    }
  } else if (sport >= 0) {
    out_ += cat(static_cast<unsigned>(sport), " > ", static_cast<unsigned>(dport), ": ");
  }
}

// RFC 792 (and RFC 1191 for the next-hop MTU, RFC 1256 for router
// advertisements). The quoted datagram of an error starts at byte 8.
void Dissector::icmp(size_t at, uint32_t length) {
  proto_ = "icmp";
  const uint8_t type = u8(at), code = u8(at + 1);
  if (cut_) return;
  const size_t quoted = at + 8;
  const auto idSeq = [&] { return cat("id ", be16(at + 4), " seq ", be16(at + 6)); };
  std::string text;
  switch (type) {
    case 0:
    case 8:
      text = cat("echo ", std::string_view(type == 8 ? "request" : "reply"), ", id ", be16(at + 4),
                 ", seq ", be16(at + 6));
      break;
    case 3:
      text = icmpUnreachable(at, code);
      break;
    case 5: {
      static constexpr std::array<const char*, 4> kRedirects{
          "redirect %s to net %g", "redirect %s to host %g", "redirect-tos %s to net %g",
          "redirect-tos %s to host %g"};
      const std::string target = ipv4Text(quoted + 16), gateway = ipv4Text(at + 4);
      text = code < 4 ? std::string(kRedirects[code]) : cat("redirect-#", code, " %s to %g");
      text.replace(text.find("%s"), 2, target);
      text.replace(text.find("%g"), 2, gateway);
      break;
    }
    case 9:
      text = icmpRouterAdvertisement(at);
      break;
    case 11:
      if (!has(quoted + 16, 4)) {
        markCut();
        return;
      }
      text = code == 0   ? std::string("time exceeded in-transit")
             : code == 1 ? std::string("ip reassembly time exceeded")
                         : cat("time exceeded-#", code);
      break;
    case 12:
      text = code != 0 ? cat("parameter problem - code ", code)
                       : cat("parameter problem - octet ", u8(at + 4));
      break;
    case 18:
      text = cat("address mask is 0x", hex(be32(at + 8), 8));
      break;
    case 13:
      text = cat("time stamp query ", idSeq());
      break;
    case 14: {
      if (!has(at + 16, 4)) {
        markCut();
        return;
      }
      // Milliseconds since midnight UT, printed as hh:mm:ss.mmm.
      const auto clock = [](uint32_t ms) {
        const uint32_t s = ms / 1000;
        const auto two = [](uint32_t v) { return v < 10 ? cat("0", v) : cat(v); };
        const uint32_t milli = ms % 1000;
        return cat(two(s / 3600), ":", two(s / 60 % 60), ":", two(s % 60), ".",
                   milli < 10    ? "00"
                   : milli < 100 ? "0"
                                 : "",
                   milli);
      };
      text = cat("time stamp reply ", idSeq(), ": org ", clock(be32(at + 8)), ", recv ",
                 clock(be32(at + 12)), ", xmit ", clock(be32(at + 16)));
      break;
    }
    default: {
      const char* name = lookup(kIcmpOtherTypes, type);
      text = name ? std::string(name) : cat("type-#", type);
    }
  }
  if (cut_ || text.empty()) return;
  out_ += cat("ICMP ", text, ", length ", length);
}

std::string Dissector::icmpUnreachable(size_t at, uint8_t code) {
  const size_t quoted = at + 8;
  if (code == 3) {  // the quoted IP header says which transport port
    if (!has(quoted + 9, 1)) {
      markCut();
      return {};
    }
    const uint32_t headerLength = (data_[quoted] & 0x0fu) * 4;
    const uint16_t port = be16(quoted + headerLength + 2);
    const uint8_t proto = data_[quoted + 9];
    const std::string target = ipv4Text(quoted + 16);
    if (proto == kProtoTcp || proto == kProtoUdp) {
      return cat(target, proto == kProtoTcp ? " tcp" : " udp", " port ", port, " unreachable");
    }
    return cat(target, " protocol ", proto, " port ", port, " unreachable");
  }
  if (code == 4) {  // RFC 1191: the next-hop MTU in the second half of the header
    const uint16_t mtu = be16(at + 6);
    const std::string target = ipv4Text(quoted + 16);
    return cat(target, " unreachable - need to frag",
               mtu != 0 ? cat(" (mtu ", mtu, ")") : std::string());
  }
  const std::string target = ipv4Text(quoted + 16);
  std::string text = code < kIcmpUnreachable.size() ? std::string(kIcmpUnreachable[code].text)
                                                    : cat("%s unreachable - #", code);
  text.replace(text.find("%s"), 2, target);
  if (const auto p = text.find("%p"); p != std::string::npos) {
    text.replace(p, 2, std::to_string(u8(quoted + 9)));
  }
  return text;
}

std::string Dissector::icmpRouterAdvertisement(size_t at) {
  if (!has(at + 4, 4)) {
    markCut();
    return {};
  }
  const uint8_t count = data_[at + 4], entrySize = data_[at + 5];
  const uint32_t lifetime = load16(&data_[at + 6], ByteOrder::Big);
  const auto two = [](uint32_t v) { return v < 10 ? cat("0", v) : cat(v); };
  std::string text = "router advertisement lifetime ";
  if (lifetime < 60) {
    text += cat(lifetime);
  } else if (lifetime < 3600) {
    text += cat(lifetime / 60, ":", two(lifetime % 60));
  } else {
    text += cat(lifetime / 3600, ":", two(lifetime % 3600 / 60), ":", two(lifetime % 60));
  }
  text += cat(" ", count, ":");
  if (entrySize != 2) return cat(text, " [size ", entrySize, "]");
  for (unsigned i = 0; i < count; ++i) {  // at most 255 entries of 8 bytes
    const size_t entry = at + 8 + 8 * i;
    if (!has(entry, 8)) {
      markCut();
      return {};
    }
    text += cat(" {", ipv4Text(entry), " ", load32(&data_[entry + 4], ByteOrder::Big), "}");
  }
  return text;
}

// RFC 4443 (and RFC 4861 neighbor discovery, RFC 2710/3810 MLD).
void Dissector::icmp6(size_t at, uint32_t length) {
  proto_ = "icmp6";
  if (length == 0) {
    out_ += "ICMP6, length 0 (invalid)";
    return;
  }
  const uint8_t type = u8(at);
  if (cut_) return;
  const char* name = lookup(kIcmp6Types, type);
  out_ += cat("ICMP6, ", name ? std::string(name) : cat("unknown icmp6 type (", type, ")"));
  const uint8_t code = u8(at + 1);
  if (cut_ || !icmp6Detail(at, length, type, code)) return;
  out_ += cat(", length ", length);
}

// Prints what follows the type name; false when the line ends there.
bool Dissector::icmp6Detail(size_t at, uint32_t length, uint8_t type, uint8_t code) {
  const size_t quoted = at + 8;  // the invoking packet's IPv6 header
  const auto add = [this](const std::string& text) {
    if (!cut_) out_ += text;
    return !cut_;
  };
  switch (type) {
    case 1: {
      const char* text = lookup(kIcmp6Unreachable, code);
      out_ += cat(", ", text ? std::string(text) : cat("unknown unreach code (", code, ")"));
      if (code == 0 || code == 1 || code == 3) return add(cat(" ", ipv6Text(quoted + 24)));
      if (code == 2) {
        return add(cat(" ", ipv6Text(quoted + 24), ", source address ", ipv6Text(quoted + 8)));
      }
      if (code != 4) return false;  // tcpdump dumps the rest in hex
      uint8_t proto = 0;
      const auto transport = quotedTransport(quoted, proto);
      if (!transport) {
        markCut();
        return false;
      }
      return add(cat(", ", ipv6Text(quoted + 24), proto == kProtoTcp ? " tcp" : " udp", " port ",
                     be16(*transport + 2)));
    }
    case 2:
      return add(cat(", mtu ", be32(at + 4)));
    case 3:
      if (code == 0) return add(cat(" for ", ipv6Text(quoted + 24)));
      out_ += code == 1 ? std::string(" (reassembly)") : cat(", unknown code (", code, ")");
      return true;
    case 4: {
      if (!has(quoted + 24, 16)) {
        markCut();
        return false;
      }
      const char* text = lookup(kIcmp6ParamProblem, code);
      return add(text ? cat(std::string_view(text), be32(at + 4)) : cat(", code-#", code));
    }
    case 128:
    case 129:
      return add(cat(", id ", be16(at + 4), ", seq ", be16(at + 6)));
    case 130:
      if (length == 24) break;
      if (length < 28) {
        out_ += cat(" unknown-version (len ", length, ") ");
        return true;
      }
      out_ += " v2";
      static_cast<void>(be16(at + 4));  // the maximum response code: read, not printed
      if (!add(cat(" [gaddr ", ipv6Text(at + 8)))) return false;
      {
        const uint16_t sources = be16(at + 26);
        if (cut_) return false;
        if (sources > 0) {
          out_ += length < 28u + sources * 16u ? std::string(" [invalid number of sources]")
                                               : cat(", ", sources, " source(s)");
        }
      }
      out_ += "]";
      return true;
    case 131:
    case 132:
      break;
    case 135:
      return add(cat(", who has ", ipv6Text(at + 8)));
    case 136:
      return add(cat(", tgt is ", ipv6Text(at + 8)));
    case 137:
      return add(cat(", ", ipv6Text(at + 8))) && add(cat(" to ", ipv6Text(at + 24)));
    case 143:
      if (length < 8) {
        out_ += cat(" [invalid len ", length, "]");
        return true;
      }
      return add(cat(", ", be16(at + 6), " group record(s)"));
    case 144:
    case 146:
      return add(cat(", id 0x", hex(be16(at + 4), 4)));
    case 133:
    case 134:
    case 138:
    case 139:
    case 140:
    case 141:
    case 142:
    case 145:
    case 147:
    case 155:
      return true;  // nothing more without -v (138-140, 155: tcpdump decodes more)
    default:
      out_ += cat(", length ", length);  // tcpdump dumps the rest in hex
      return false;
  }
  // MLDv1 (RFC 2710 §3): tcpdump prints it only when all 24 bytes are there,
  // and without a separator after the type name.
  if (has(at, 24)) out_ += cat("max resp delay: ", be16(at + 4), " addr: ", ipv6Text(at + 8));
  return true;
}

// The transport header quoted in an ICMPv6 error, past the quoted packet's
// extension headers; nullopt when it is cut or not TCP/UDP.
std::optional<size_t> Dissector::quotedTransport(size_t ipAt, uint8_t& proto) const {
  if (!has(ipAt + 6, 1)) return std::nullopt;
  uint8_t next = data_[ipAt + 6];
  size_t cursor = ipAt, step = 40;
  while (cursor < end_) {  // every step is at least 8 bytes
    cursor += step;
    switch (next) {
      case kProtoTcp:
      case kProtoUdp:
        if (!has(cursor + 2, 2)) return std::nullopt;
        proto = next;
        return cursor;
      case kProtoHopByHop:
      case kProtoDestOpts:
      case kProtoRouting:
        if (!has(cursor, 2)) return std::nullopt;
        next = data_[cursor];
        step = (data_[cursor + 1] + 1u) * 8;
        break;
      case kProtoFragment:
        if (!has(cursor, 4)) return std::nullopt;
        if ((load16(&data_[cursor + 2], ByteOrder::Big) & 0xfff8) != 0) return std::nullopt;
        next = data_[cursor];
        step = 8;
        break;
      case kProtoAh:  // RFC 4302: length in 4-byte units, minus 2
        if (!has(cursor, 2)) return std::nullopt;
        next = data_[cursor];
        step = (data_[cursor + 1] + 2u) * 4;
        break;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

}  // namespace

std::string summarizePacket(uint32_t linkType, std::span<const uint8_t> data, uint32_t len) {
  return Dissector(data).summarize(linkType, len);
}

}  // namespace ddump
