#include "summary_icmp6.h"

#include <array>
#include <optional>
#include <string>
#include <string_view>

#include "byte_order.h"
#include "summary_ip.h"

namespace ddump::summary {
namespace {

// clang-format off
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
// clang-format on

// Prints `text` unless a read for it cut the packet; false when it did.
bool add(PacketCursor& p, const std::string& text) {
  if (!p.cut()) p.print(text);
  return !p.cut();
}

// The transport header quoted in an ICMPv6 error, past the quoted packet's
// extension headers; nullopt when it is cut or not TCP/UDP.
std::optional<size_t> quotedTransport(const PacketCursor& p, size_t ipAt, uint8_t& proto) {
  if (!p.has(ipAt + 6, 1)) return std::nullopt;
  const auto data = p.data();
  uint8_t next = data[ipAt + 6];
  size_t cursor = ipAt, step = 40;
  while (cursor < p.end()) {  // every step is at least 8 bytes
    cursor += step;
    switch (next) {
      case kProtoTcp:
      case kProtoUdp:
        if (!p.has(cursor + 2, 2)) return std::nullopt;
        proto = next;
        return cursor;
      case kProtoHopByHop:
      case kProtoDestOpts:
      case kProtoRouting:
        if (!p.has(cursor, 2)) return std::nullopt;
        next = data[cursor];
        step = (data[cursor + 1] + 1u) * 8;
        break;
      case kProtoFragment:
        if (!p.has(cursor, 4)) return std::nullopt;
        if ((load16(&data[cursor + 2], ByteOrder::Big) & 0xfff8) != 0) return std::nullopt;
        next = data[cursor];
        step = 8;
        break;
      case kProtoAh:  // RFC 4302: length in 4-byte units, minus 2
        if (!p.has(cursor, 2)) return std::nullopt;
        next = data[cursor];
        step = (data[cursor + 1] + 2u) * 4;
        break;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

// RFC 4443 §3.1; `quoted` is the invoking packet's IPv6 header.
bool unreachable(PacketCursor& p, size_t quoted, uint8_t code) {
  const char* text = lookup(kIcmp6Unreachable, code);
  p.print(cat(", ", text ? std::string(text) : cat("unknown unreach code (", code, ")")));
  if (code == 0 || code == 1 || code == 3) return add(p, cat(" ", p.ipv6Text(quoted + 24)));
  if (code == 2) {
    return add(p, cat(" ", p.ipv6Text(quoted + 24), ", source address ", p.ipv6Text(quoted + 8)));
  }
  if (code != 4) return false;  // tcpdump dumps the rest in hex
  uint8_t proto = 0;
  const auto transport = quotedTransport(p, quoted, proto);
  if (!transport) {
    p.markCut();
    return false;
  }
  return add(p, cat(", ", p.ipv6Text(quoted + 24), proto == kProtoTcp ? " tcp" : " udp", " port ",
                    p.be16(*transport + 2)));
}

// A multicast listener query longer than MLDv1's 24 bytes: MLDv2 (RFC 3810 §5.1).
bool mldv2Query(PacketCursor& p, size_t at, uint32_t length) {
  if (length < 28) {
    p.print(cat(" unknown-version (len ", length, ") "));
    return true;
  }
  p.print(" v2");
  static_cast<void>(p.be16(at + 4));  // the maximum response code: read, not printed
  if (!add(p, cat(" [gaddr ", p.ipv6Text(at + 8)))) return false;
  const uint16_t sources = p.be16(at + 26);
  if (p.cut()) return false;
  if (sources > 0) {
    p.print(length < 28u + sources * 16u ? std::string(" [invalid number of sources]")
                                         : cat(", ", sources, " source(s)"));
  }
  p.print("]");
  return true;
}

// MLDv1 (RFC 2710 §3): tcpdump prints it only when all 24 bytes are there,
// and without a separator after the type name.
bool mldv1(PacketCursor& p, size_t at) {
  if (p.has(at, 24)) {
    p.print(cat("max resp delay: ", p.be16(at + 4), " addr: ", p.ipv6Text(at + 8)));
  }
  return true;
}

// Prints what follows the type name; false when the line ends there.
bool printDetail(PacketCursor& p, size_t at, uint32_t length, uint8_t type, uint8_t code) {
  const size_t quoted = at + 8;  // the invoking packet's IPv6 header
  switch (type) {
    case 1:
      return unreachable(p, quoted, code);
    case 2:
      return add(p, cat(", mtu ", p.be32(at + 4)));
    case 3:
      if (code == 0) return add(p, cat(" for ", p.ipv6Text(quoted + 24)));
      p.print(code == 1 ? std::string(" (reassembly)") : cat(", unknown code (", code, ")"));
      return true;
    case 4: {
      if (!p.has(quoted + 24, 16)) {
        p.markCut();
        return false;
      }
      const char* text = lookup(kIcmp6ParamProblem, code);
      return add(p, text ? cat(std::string_view(text), p.be32(at + 4)) : cat(", code-#", code));
    }
    case 128:
    case 129:
      return add(p, cat(", id ", p.be16(at + 4), ", seq ", p.be16(at + 6)));
    case 130:
      return length == 24 ? mldv1(p, at) : mldv2Query(p, at, length);
    case 131:
    case 132:
      return mldv1(p, at);
    case 135:
      return add(p, cat(", who has ", p.ipv6Text(at + 8)));
    case 136:
      return add(p, cat(", tgt is ", p.ipv6Text(at + 8)));
    case 137:
      return add(p, cat(", ", p.ipv6Text(at + 8))) && add(p, cat(" to ", p.ipv6Text(at + 24)));
    case 143:
      if (length < 8) {
        p.print(cat(" [invalid len ", length, "]"));
        return true;
      }
      return add(p, cat(", ", p.be16(at + 6), " group record(s)"));
    case 144:
    case 146:
      return add(p, cat(", id 0x", hex(p.be16(at + 4), 4)));
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
      p.print(cat(", length ", length));  // tcpdump dumps the rest in hex
      return false;
  }
}

}  // namespace

// RFC 4443 (and RFC 4861 neighbor discovery, RFC 2710/3810 MLD).
void printIcmp6(PacketCursor& p, size_t at, uint32_t length) {
  p.setProto("icmp6");
  if (length == 0) {
    p.print("ICMP6, length 0 (invalid)");
    return;
  }
  const uint8_t type = p.u8(at);
  if (p.cut()) return;
  const char* name = lookup(kIcmp6Types, type);
  p.print(cat("ICMP6, ", name ? std::string(name) : cat("unknown icmp6 type (", type, ")")));
  const uint8_t code = p.u8(at + 1);
  if (p.cut() || !printDetail(p, at, length, type, code)) return;
  p.print(cat(", length ", length));
}

}  // namespace ddump::summary
