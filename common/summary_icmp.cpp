#include "summary_icmp.h"

#include <array>
#include <string>
#include <string_view>

#include "byte_order.h"
#include "summary_ip.h"

namespace ddump::summary {
namespace {

// clang-format off
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
// clang-format on

// Two decimal digits.
std::string twoDigits(uint32_t v) {
  return v < 10 ? cat("0", v) : cat(v);
}

std::string unreachable(PacketCursor& p, size_t at, uint8_t code) {
  const size_t quoted = at + 8;
  if (code == 3) {  // the quoted IP header says which transport port
    if (!p.has(quoted + 9, 1)) {
      p.markCut();
      return {};
    }
    const auto data = p.data();
    const uint32_t headerLength = (data[quoted] & 0x0fu) * 4;
    const uint16_t port = p.be16(quoted + headerLength + 2);
    const uint8_t proto = data[quoted + 9];
    const std::string target = p.ipv4Text(quoted + 16);
    if (proto == kProtoTcp || proto == kProtoUdp) {
      return cat(target, proto == kProtoTcp ? " tcp" : " udp", " port ", port, " unreachable");
    }
    return cat(target, " protocol ", proto, " port ", port, " unreachable");
  }
  if (code == 4) {  // RFC 1191: the next-hop MTU in the second half of the header
    const uint16_t mtu = p.be16(at + 6);
    const std::string target = p.ipv4Text(quoted + 16);
    return cat(target, " unreachable - need to frag",
               mtu != 0 ? cat(" (mtu ", mtu, ")") : std::string());
  }
  const std::string target = p.ipv4Text(quoted + 16);
  std::string text = code < kIcmpUnreachable.size() ? std::string(kIcmpUnreachable[code].text)
                                                    : cat("%s unreachable - #", code);
  text.replace(text.find("%s"), 2, target);
  if (const auto pos = text.find("%p"); pos != std::string::npos) {
    text.replace(pos, 2, std::to_string(p.u8(quoted + 9)));
  }
  return text;
}

std::string redirect(PacketCursor& p, size_t at, uint8_t code) {
  static constexpr std::array<const char*, 4> kRedirects{
      "redirect %s to net %g", "redirect %s to host %g", "redirect-tos %s to net %g",
      "redirect-tos %s to host %g"};
  const size_t quoted = at + 8;
  const std::string target = p.ipv4Text(quoted + 16), gateway = p.ipv4Text(at + 4);
  std::string text =
      code < 4 ? std::string(kRedirects[code]) : cat("redirect-#", code, " %s to %g");
  text.replace(text.find("%s"), 2, target);
  text.replace(text.find("%g"), 2, gateway);
  return text;
}

// RFC 1256.
std::string routerAdvertisement(PacketCursor& p, size_t at) {
  if (!p.has(at + 4, 4)) {
    p.markCut();
    return {};
  }
  const auto data = p.data();
  const uint8_t count = data[at + 4], entrySize = data[at + 5];
  const uint32_t lifetime = load16(&data[at + 6], ByteOrder::Big);
  std::string text = "router advertisement lifetime ";
  if (lifetime < 60) {
    text += cat(lifetime);
  } else if (lifetime < 3600) {
    text += cat(lifetime / 60, ":", twoDigits(lifetime % 60));
  } else {
    text +=
        cat(lifetime / 3600, ":", twoDigits(lifetime % 3600 / 60), ":", twoDigits(lifetime % 60));
  }
  text += cat(" ", count, ":");
  if (entrySize != 2) return cat(text, " [size ", entrySize, "]");
  for (unsigned i = 0; i < count; ++i) {  // at most 255 entries of 8 bytes
    const size_t entry = at + 8 + 8 * i;
    if (!p.has(entry, 8)) {
      p.markCut();
      return {};
    }
    text += cat(" {", p.ipv4Text(entry), " ", load32(&data[entry + 4], ByteOrder::Big), "}");
  }
  return text;
}

// Milliseconds since midnight UT, printed as hh:mm:ss.mmm.
std::string clockText(uint32_t ms) {
  const uint32_t s = ms / 1000;
  const uint32_t milli = ms % 1000;
  return cat(twoDigits(s / 3600), ":", twoDigits(s / 60 % 60), ":", twoDigits(s % 60), ".",
             milli < 10    ? "00"
             : milli < 100 ? "0"
                           : "",
             milli);
}

std::string timestampReply(PacketCursor& p, size_t at) {
  if (!p.has(at + 16, 4)) {
    p.markCut();
    return {};
  }
  return cat("time stamp reply id ", p.be16(at + 4), " seq ", p.be16(at + 6), ": org ",
             clockText(p.be32(at + 8)), ", recv ", clockText(p.be32(at + 12)), ", xmit ",
             clockText(p.be32(at + 16)));
}

// The text after "ICMP "; empty when the line ends (the packet is cut, or a
// truncation was marked).
std::string messageText(PacketCursor& p, size_t at, uint8_t type, uint8_t code) {
  const size_t quoted = at + 8;
  switch (type) {
    case 0:
    case 8:
      return cat("echo ", std::string_view(type == 8 ? "request" : "reply"), ", id ",
                 p.be16(at + 4), ", seq ", p.be16(at + 6));
    case 3:
      return unreachable(p, at, code);
    case 5:
      return redirect(p, at, code);
    case 9:
      return routerAdvertisement(p, at);
    case 11:
      if (!p.has(quoted + 16, 4)) {
        p.markCut();
        return {};
      }
      return code == 0   ? std::string("time exceeded in-transit")
             : code == 1 ? std::string("ip reassembly time exceeded")
                         : cat("time exceeded-#", code);
    case 12:
      return code != 0 ? cat("parameter problem - code ", code)
                       : cat("parameter problem - octet ", p.u8(at + 4));
    case 18:
      return cat("address mask is 0x", hex(p.be32(at + 8), 8));
    case 13:
      return cat("time stamp query id ", p.be16(at + 4), " seq ", p.be16(at + 6));
    case 14:
      return timestampReply(p, at);
    default: {
      const char* name = lookup(kIcmpOtherTypes, type);
      return name ? std::string(name) : cat("type-#", type);
    }
  }
}

}  // namespace

// RFC 792 (and RFC 1191 for the next-hop MTU, RFC 1256 for router
// advertisements). The quoted datagram of an error starts at byte 8.
void printIcmp(PacketCursor& p, size_t at, uint32_t length) {
  p.setProto("icmp");
  const uint8_t type = p.u8(at), code = p.u8(at + 1);
  if (p.cut()) return;
  const std::string text = messageText(p, at, type, code);
  if (p.cut() || text.empty()) return;
  p.print(cat("ICMP ", text, ", length ", length));
}

}  // namespace ddump::summary
