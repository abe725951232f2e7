#include "packet_fields.h"

#include <algorithm>

namespace ddump {
namespace {

// https://www.tcpdump.org/linktypes.html
constexpr uint32_t kNull = 0;
constexpr uint32_t kEthernet = 1;
constexpr uint32_t kRawDlt12 = 12;
constexpr uint32_t kRawDlt14 = 14;
constexpr uint32_t kRaw = 101;
constexpr uint32_t kLoop = 108;
constexpr uint32_t kSll = 113;
constexpr uint32_t kSll2 = 276;

constexpr uint16_t kTypeIpv4 = 0x0800;
constexpr uint16_t kTypeArp = 0x0806;
constexpr uint16_t kTypeIpv6 = 0x86DD;
constexpr uint16_t kTypeRarp = 0x8035;  // RFC 903: ARP's format

constexpr size_t kMaxVlanTags = 4;
constexpr int kMaxExtensionHeaders = 16;

// Bounds-checked big-endian reads of the captured bytes; the caller checks
// has() first, so a read never goes past them.
class Bytes {
 public:
  explicit Bytes(std::span<const uint8_t> data) : data_(data) {}
  bool has(size_t at, size_t n) const { return at <= data_.size() && n <= data_.size() - at; }
  uint8_t u8(size_t at) const { return data_[at]; }
  uint16_t be16(size_t at) const { return static_cast<uint16_t>(data_[at] << 8 | data_[at + 1]); }
  uint32_t be32(size_t at) const { return uint32_t{be16(at)} << 16 | be16(at + 2); }
  template <size_t N>
  void copy(size_t at, std::array<uint8_t, N>& to, size_t n = N) const {
    std::copy_n(data_.begin() + static_cast<ptrdiff_t>(at), n, to.begin());
  }

 private:
  std::span<const uint8_t> data_;
};

// A transport header is reported from the bytes its fields need (a header
// cut after them is still reported), and `truncated` when the capture ends
// before the header does.
void transport(const Bytes& b, size_t at, PacketFields& f) {
  switch (f.protocol) {
    case 6: {  // TCP, RFC 9293 3.1: 20 bytes, and options up to Data Offset x 4
      if (!b.has(at, 16)) break;
      f.transport = PacketFields::Transport::Tcp;
      f.srcPort = b.be16(at);
      f.dstPort = b.be16(at + 2);
      f.tcpSeq = b.be32(at + 4);
      f.tcpAck = b.be32(at + 8);
      f.tcpFlags = b.u8(at + 13);
      f.tcpWindow = b.be16(at + 14);
      const size_t headerLength = std::max<size_t>(20, size_t{b.u8(at + 12)} / 16 * 4);
      f.truncated = !b.has(at, headerLength);
      return;
    }
    case 17:  // UDP, RFC 768: 8 bytes
      if (!b.has(at, 6)) break;
      f.transport = PacketFields::Transport::Udp;
      f.srcPort = b.be16(at);
      f.dstPort = b.be16(at + 2);
      f.udpLength = b.be16(at + 4);
      f.truncated = !b.has(at, 8);
      return;
    case 1:   // ICMP, RFC 792: type, code, checksum
    case 58:  // ICMPv6, RFC 4443 2.1
      if (!b.has(at, 2)) break;
      f.transport =
          f.protocol == 1 ? PacketFields::Transport::Icmp : PacketFields::Transport::Icmp6;
      f.icmpType = b.u8(at);
      f.icmpCode = b.u8(at + 1);
      f.truncated = !b.has(at, 4);
      return;
    default:
      return;  // named by its protocol number
  }
  f.truncated = true;  // the IP header named a transport the capture cuts
}

// RFC 791 3.1.
void ipv4(const Bytes& b, size_t at, PacketFields& f) {
  if (!b.has(at, 20)) {
    f.truncated = true;
    return;
  }
  const size_t headerLength = size_t{b.u8(at) & 0x0Fu} * 4;
  f.net = PacketFields::Net::Ipv4;
  f.ipVersion = 4;
  f.ipId = b.be16(at + 4);
  const uint16_t fragment = b.be16(at + 6);
  f.fragment = (fragment & 0x2000) != 0 || (fragment & 0x1FFF) != 0;  // MF, or an offset
  f.ttl = b.u8(at + 8);
  f.protocol = b.u8(at + 9);
  b.copy(at + 12, f.ipSrc, 4);
  b.copy(at + 16, f.ipDst, 4);
  if (headerLength < 20) return;  // malformed: nothing after it can be found
  if (!b.has(at, headerLength)) {
    f.truncated = true;  // the options are cut
    return;
  }
  if ((fragment & 0x1FFF) != 0) return;  // only the first fragment has ports
  transport(b, at + headerLength, f);
}

// An extension header cut before its length: its first byte, when there,
// still names the next header.
void cutExtension(const Bytes& b, size_t at, PacketFields& f) {
  if (b.has(at, 1)) f.protocol = b.u8(at);
  f.truncated = true;
}

// RFC 8200 4: the chain of extension headers up to the upper layer.
void ipv6(const Bytes& b, size_t at, PacketFields& f) {
  if (!b.has(at, 40)) {
    f.truncated = true;
    return;
  }
  f.net = PacketFields::Net::Ipv6;
  f.ipVersion = 6;
  f.ttl = b.u8(at + 7);
  b.copy(at + 8, f.ipSrc);
  b.copy(at + 24, f.ipDst);
  uint8_t next = b.u8(at + 6);
  at += 40;
  for (int i = 0; i < kMaxExtensionHeaders; ++i) {
    f.protocol = next;
    size_t length = 0;
    switch (next) {
      case 0:    // Hop-by-Hop Options
      case 43:   // Routing
      case 60:   // Destination Options
      case 135:  // Mobility (RFC 6275 6.1)
        if (!b.has(at, 2)) return cutExtension(b, at, f);
        length = (size_t{b.u8(at + 1)} + 1) * 8;
        break;
      case 51:  // Authentication Header, RFC 4302 2.2: length in 4-byte units, minus 2
        if (!b.has(at, 2)) return cutExtension(b, at, f);
        length = (size_t{b.u8(at + 1)} + 2) * 4;
        break;
      case 44: {  // Fragment, RFC 8200 4.5
        if (!b.has(at, 8)) {
          f.truncated = true;
          return;
        }
        const uint16_t offsetAndFlags = b.be16(at + 2);
        f.fragment = true;
        f.ipId = b.be32(at + 4);
        if ((offsetAndFlags & 0xFFF8) != 0) {
          f.protocol = b.u8(at);
          return;  // a later fragment: no upper-layer header
        }
        length = 8;
        break;
      }
      default:
        transport(b, at, f);
        return;
    }
    next = b.u8(at);
    if (!b.has(at, length)) {
      f.protocol = next;  // what the cut header names next
      f.truncated = true;
      return;
    }
    at += length;
  }
  f.protocol = next;  // past the bound: reported as the next header named
}

// RFC 826, for Ethernet hardware and IPv4 protocol addresses only.
void arp(const Bytes& b, size_t at, PacketFields& f) {
  if (!b.has(at, 8)) {
    f.truncated = true;
    return;
  }
  if (b.be16(at) != 1 || b.be16(at + 2) != kTypeIpv4 || b.u8(at + 4) != 6 || b.u8(at + 5) != 4)
    return;
  if (!b.has(at, 28)) {
    f.truncated = true;
    return;
  }
  f.net = PacketFields::Net::Arp;
  f.arpOp = b.be16(at + 6);
  b.copy(at + 8, f.arpSha);
  b.copy(at + 14, f.arpSpa);
  b.copy(at + 18, f.arpTha);
  b.copy(at + 24, f.arpTpa);
}

// IEEE 802.1Q (0x8100) and 802.1ad (0x88A8; 0x9100 as older stacks wrote
// it) tags, after an Ethernet header or inside a cooked one; `at` is the
// type field's offset. Returns the offset after the last type, or 0 when the
// capture cuts a tag (etherType then names the tag).
size_t skipTags(const Bytes& b, size_t at, PacketFields& f) {
  while ((f.etherType == 0x8100 || f.etherType == 0x88A8 || f.etherType == 0x9100) &&
         f.vlanCount < kMaxVlanTags) {
    if (!b.has(at + 2, 4)) {
      f.truncated = true;
      return 0;
    }
    f.vlans[f.vlanCount++] = b.be16(at + 2) & 0x0FFF;
    at += 4;
    f.etherType = b.be16(at);
  }
  return at + 2;
}

// The network layer after a type field at `typeAt` (f.etherType holds it).
void network(const Bytes& b, size_t typeAt, PacketFields& f) {
  const size_t at = skipTags(b, typeAt, f);
  if (at == 0) return;
  switch (f.etherType) {
    case kTypeIpv4:
      ipv4(b, at, f);
      break;
    case kTypeIpv6:
      ipv6(b, at, f);
      break;
    case kTypeArp:
    case kTypeRarp:
      arp(b, at, f);
      break;
    default:
      break;
  }
}

// A raw IP packet: the version nibble says which.
void rawIp(const Bytes& b, size_t at, PacketFields& f) {
  if (!b.has(at, 1)) {
    f.truncated = true;
    return;
  }
  const uint8_t version = b.u8(at) >> 4;
  if (version == 4) ipv4(b, at, f);
  if (version == 6) ipv6(b, at, f);
}

// IEEE 802.3 with IEEE 802.1Q (0x8100) and 802.1ad (0x88A8; 0x9100 as
// older stacks wrote it) tags before the type.
void ethernet(const Bytes& b, PacketFields& f) {
  if (!b.has(0, 14)) {
    f.truncated = true;
    return;
  }
  f.link = PacketFields::Link::Ethernet;
  b.copy(0, f.ethDst);
  b.copy(6, f.ethSrc);
  f.etherType = b.be16(12);
  // Below 0x0600 the field is an 802.3 length, and LLC follows (not decoded).
  if (f.etherType >= 0x0600) network(b, 12, f);
}

// LINUX_SLL: packet type(2) ARPHRD(2) address length(2) address(8) protocol(2).
void sll(const Bytes& b, PacketFields& f) {
  if (!b.has(0, 16)) {
    f.truncated = true;
    return;
  }
  f.link = PacketFields::Link::Sll;
  f.hasPacketType = true;
  f.packetType = static_cast<uint8_t>(std::min<uint16_t>(b.be16(0), 0xFF));
  f.etherType = b.be16(14);
  network(b, 14, f);
}

// LINUX_SLL2: protocol(2) reserved(2) interface index(4) ARPHRD(2) packet
// type(1) address length(1) address(8).
void sll2(const Bytes& b, PacketFields& f) {
  if (!b.has(0, 20)) {
    f.truncated = true;
    return;
  }
  f.link = PacketFields::Link::Sll2;
  f.interfaceIndex = b.be32(4);
  f.hasPacketType = true;
  f.packetType = b.u8(10);
  // The protocol is at offset 0, the payload at 20: tags and all start there.
  f.etherType = b.be16(0);
  if (f.etherType == kTypeIpv4) {
    ipv4(b, 20, f);
  } else if (f.etherType == kTypeIpv6) {
    ipv6(b, 20, f);
  } else if (f.etherType == kTypeArp || f.etherType == kTypeRarp) {
    arp(b, 20, f);
  } else if (f.etherType == 0x8100 || f.etherType == 0x88A8 || f.etherType == 0x9100) {
    network(b, 18, f);  // the tag follows the header as if its type were at 18
  }
}

// DLT_NULL (the capturing host's byte order) and DLT_LOOP (network order):
// a 4-byte BSD address family; AF_INET is 2 everywhere, AF_INET6 24, 28 or 30.
void bsdLoopback(const Bytes& b, bool networkOrder, PacketFields& f) {
  if (!b.has(0, 4)) {
    f.truncated = true;
    return;
  }
  f.link = PacketFields::Link::Null;
  const uint32_t bigEndian = b.be32(0);
  const uint32_t littleEndian = (bigEndian >> 24) | ((bigEndian >> 8) & 0xFF00u) |
                                ((bigEndian << 8) & 0xFF0000u) | (bigEndian << 24);
  // Host order: whichever reading is a small number (tcpdump's null_if_print).
  const uint32_t family = networkOrder || (bigEndian & 0xFFFF0000u) == 0 ? bigEndian : littleEndian;
  if (family == 2) ipv4(b, 4, f);
  if (family == 24 || family == 28 || family == 30) ipv6(b, 4, f);
}

}  // namespace

PacketFields dissectPacket(uint32_t linkType, std::span<const uint8_t> data) {
  PacketFields f;
  const Bytes b(data);
  switch (linkType) {
    case kEthernet:
      ethernet(b, f);
      break;
    case kSll:
      sll(b, f);
      break;
    case kSll2:
      sll2(b, f);
      break;
    case kRaw:
    case kRawDlt12:
    case kRawDlt14:
      f.link = PacketFields::Link::Raw;
      rawIp(b, 0, f);
      break;
    case kNull:
      bsdLoopback(b, false, f);
      break;
    case kLoop:
      bsdLoopback(b, true, f);
      break;
    default:
      break;
  }
  return f;
}

const char* tcpFlagLetters(uint8_t flags, char (&out)[9]) {
  static constexpr struct {
    uint8_t bit;
    char letter;
  } kLetters[] = {{PacketFields::kSyn, 'S'}, {PacketFields::kAck, 'A'}, {PacketFields::kFin, 'F'},
                  {PacketFields::kRst, 'R'}, {PacketFields::kPsh, 'P'}, {PacketFields::kUrg, 'U'},
                  {PacketFields::kEce, 'E'}, {PacketFields::kCwr, 'C'}};
  size_t n = 0;
  for (const auto& l : kLetters) {
    if ((flags & l.bit) != 0) out[n++] = l.letter;
  }
  out[n] = '\0';
  return out;
}

}  // namespace ddump
