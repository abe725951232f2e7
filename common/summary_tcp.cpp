#include "summary_tcp.h"

#include <array>
#include <string>
#include <utility>

#include "byte_order.h"

namespace ddump::summary {
namespace {

// clang-format off
// RFC 9293 §3.1 and the IANA TCP option registry, with tcpdump's names.
constexpr auto kTcpOptions = std::to_array<Name>({
    {0, "eol"}, {1, "nop"}, {2, "mss"}, {3, "wscale"}, {4, "sackOK"}, {5, "sack"}, {6, "echo"},
    {7, "echoreply"}, {8, "TS"}, {11, "cc"}, {12, "ccnew"}, {13, ""}, {19, "md5"}, {20, "scps"},
    {28, "uto"}, {29, "tcp-ao"}, {30, "mptcp"}, {34, "tfo"}, {254, "exp"}});
// clang-format on

// Where the segment's payload is: an MD5 signature's text depends on
// whether all of it was captured.
struct TcpPayload {
  size_t at;
  uint32_t length;
};

// One option being printed: its data (after kind and length) starts at
// `at`, and `left` bytes of the header are left from there.
struct Option {
  uint8_t kind;
  uint32_t length;  // the option's length field: kind, length and data
  size_t at;
  uint32_t left;
};

// How an option ends the list: the next one follows, or tcpdump stops at a
// bad one or at one cut by the capture.
enum class OptionEnd { Next, Bad, Cut };

// tcpdump's LENCHECK: n bytes of option data must be left in the header
// (else the option is bad) and captured (else the packet is cut there).
OptionEnd optionData(const PacketCursor& p, const Option& option, uint32_t n) {
  if (n > option.left) return OptionEnd::Bad;
  return p.has(option.at, n) ? OptionEnd::Next : OptionEnd::Cut;
}

// Option bytes [from, to) in hex, as far as they were captured.
OptionEnd optionHex(PacketCursor& p, const Option& option, uint32_t from, uint32_t to) {
  for (uint32_t i = from; i < to; ++i) {
    const OptionEnd end = optionData(p, option, i + 1);
    if (end != OptionEnd::Next) return end;
    p.print(hex(p.data()[option.at + i], 2));
  }
  return OptionEnd::Next;
}

uint32_t be32At(const PacketCursor& p, size_t where) {
  return load32(&p.data()[where], ByteOrder::Big);
}

// The options of a fixed data length; `dataLength` is that length.
OptionEnd fixedOptionValue(PacketCursor& p, const Option& option, uint32_t& dataLength) {
  const auto data = p.data();
  const size_t at = option.at;
  const auto fixed = [&](uint32_t n) {
    dataLength = n;
    return optionData(p, option, n);
  };
  OptionEnd end = OptionEnd::Next;
  switch (option.kind) {
    case 2:  // maximum segment size
      if ((end = fixed(2)) == OptionEnd::Next) p.print(cat(" ", load16(&data[at], ByteOrder::Big)));
      return end;
    case 3:  // window scale, RFC 7323
      if ((end = fixed(1)) == OptionEnd::Next) p.print(cat(" ", data[at]));
      return end;
    case 20:  // SCPS capabilities
      if ((end = fixed(2)) == OptionEnd::Next) {
        p.print(cat(" cap ", hex(data[at], 2), " id ", data[at + 1]));
      }
      return end;
    case 28:  // RFC 5482 user timeout: minutes when the low bit is set
      if ((end = fixed(2)) == OptionEnd::Next) {
        const unsigned timeout = load16(&data[at], ByteOrder::Big);
        p.print(
            cat(" 0x", hex(timeout), " ", (timeout & 1) != 0 ? (timeout >> 1) * 60 : timeout >> 1));
      }
      return end;
    case 8:  // timestamps, RFC 7323
      if ((end = fixed(8)) == OptionEnd::Next) {
        p.print(cat(" val ", be32At(p, at), " ecr ", be32At(p, at + 4)));
      }
      return end;
    default:  // 6, 7: echo and echo reply, RFC 1072; 11-13: T/TCP CC, RFC 1644
      if ((end = fixed(4)) == OptionEnd::Next) p.print(cat(" ", be32At(p, at)));
      return end;
  }
}

// SACK, RFC 2018: blocks as in the packet, as tcpdump -S prints them.
OptionEnd sackBlocks(PacketCursor& p, const Option& option, uint32_t dataLength) {
  if (dataLength % 8 != 0) {
    p.print(" invalid sack");
    return OptionEnd::Next;
  }
  p.print(cat(" ", dataLength / 8, " "));
  OptionEnd end = OptionEnd::Next;
  for (uint32_t i = 0; i < dataLength; i += 8) {
    if ((end = optionData(p, option, i + 4)) != OptionEnd::Next ||
        (end = optionData(p, option, i + 8)) != OptionEnd::Next) {
      return end;
    }
    p.print(cat("{", be32At(p, option.at + i), ":", be32At(p, option.at + i + 4), "}"));
  }
  return OptionEnd::Next;
}

// RFC 2385 MD5 signature: tcpdump cannot check it without -M.
OptionEnd md5Signature(PacketCursor& p, const Option& option, const TcpPayload& payload) {
  const OptionEnd end = optionData(p, option, 16);
  if (end != OptionEnd::Next) return end;
  p.print(p.has(payload.at, payload.length) ? " shared secret not supplied with -M, "
                                            : " snaplen too short, ");
  p.print("can't check - ");
  for (uint32_t i = 0; i < 16; ++i) p.print(hex(p.data()[option.at + i], 2));
  return OptionEnd::Next;
}

// RFC 5925 TCP-AO.
OptionEnd tcpAo(PacketCursor& p, const Option& option, uint32_t dataLength) {
  if (dataLength < 2) {
    p.print(" (invalid)");
    return OptionEnd::Next;
  }
  OptionEnd end = OptionEnd::Next;
  if ((end = optionData(p, option, 1)) != OptionEnd::Next) return end;
  p.print(cat(" keyid ", p.data()[option.at]));
  if ((end = optionData(p, option, 2)) != OptionEnd::Next) return end;
  p.print(cat(" rnextkeyid ", p.data()[option.at + 1]));
  if (dataLength > 2) p.print(" mac 0x");
  return optionHex(p, option, 2, dataLength);
}

void fastOpenCookie(PacketCursor& p, size_t at, uint32_t length) {
  if (length == 0) {
    p.print(" cookiereq");
  } else if (length % 2 != 0 || length < 4 || length > 16) {
    p.print(" (invalid)");
  } else {
    p.print(" cookie ");
    for (uint32_t i = 0; i < length; ++i) p.print(hex(p.data()[at + i], 2));
  }
}

// RFC 7413 fast open (kind 34), and RFC 6994 experiments (kind 254), of which
// 0xf989 is fast open's.
OptionEnd fastOpen(PacketCursor& p, const Option& option, uint32_t dataLength) {
  const OptionEnd end = optionData(p, option, dataLength);
  if (end != OptionEnd::Next) return end;
  const size_t at = option.at;
  if (option.kind == 34) {
    p.print(" ");
    fastOpenCookie(p, at, dataLength);
    return OptionEnd::Next;
  }
  if (dataLength < 2) return OptionEnd::Bad;
  p.print("-");
  const uint16_t experiment = load16(&p.data()[at], ByteOrder::Big);
  if (experiment != 0xf989) {
    p.print(hex(experiment, 4));
    return OptionEnd::Next;
  }
  p.print("tfo");
  fastOpenCookie(p, at + 2, dataLength - 2);
  return OptionEnd::Next;
}

// Prints one option's value; `dataLength` is what it takes after kind and length.
OptionEnd optionValue(PacketCursor& p, const Option& option, const TcpPayload& payload,
                      uint32_t& dataLength) {
  switch (option.kind) {
    case 0:  // end of option list
    case 1:  // no-operation
    case 4:  // SACK permitted
      return OptionEnd::Next;
    case 2:
    case 3:
    case 6:
    case 7:
    case 8:
    case 11:
    case 12:
    case 13:
    case 20:
    case 28:
      return fixedOptionValue(p, option, dataLength);
    case 19:
      dataLength = 16;
      return md5Signature(p, option, payload);
    default:
      break;
  }
  dataLength = option.length - 2;
  switch (option.kind) {
    case 5:
      return sackBlocks(p, option, dataLength);
    case 29:
      return tcpAo(p, option, dataLength);
    case 34:
    case 254:
      return fastOpen(p, option, dataLength);
    default:  // unknown, and MPTCP (RFC 8684), which tcpdump decodes further
      if (dataLength != 0) p.print(" 0x");
      return optionHex(p, option, 0, dataLength);
  }
}

// RFC 9293 §3.2 options, as tcpdump lists them. Returns false when the line
// ends inside them: an option tcpdump calls bad, or a cut it marks on the spot.
bool printOptions(PacketCursor& p, size_t at, uint32_t left, const TcpPayload& payload) {
  p.print(", options [");
  for (bool first = true; left > 0; first = false) {
    if (!first) p.print(",");
    const uint8_t kind = p.u8(at++);
    if (p.cut()) return false;
    uint32_t length = 1;  // end of list and no-operation are a single byte
    OptionEnd end = OptionEnd::Next;
    if (kind > 1) {
      length = p.u8(at++);
      if (p.cut()) return false;
      if (length < 2 || length > left) end = OptionEnd::Bad;
      --left;
    }
    uint32_t dataLength = 0;
    if (end == OptionEnd::Next) {
      --left;
      const char* name = lookup(kTcpOptions, kind);
      p.print(name ? std::string(name) : cat("unknown-", kind));
      end = optionValue(p, Option{kind, length, at, left}, payload, dataLength);
    }
    if (end == OptionEnd::Bad) {
      p.print(first ? "[bad opt]" : "[bad opt]]");
      return false;
    }
    if (end == OptionEnd::Cut) {  // tcpdump's ND_TCHECK: marked where found
      p.markCut();
      if (!first) p.print(">");
      return false;
    }
    at += dataLength;
    left -= dataLength;
    if (dataLength + (kind > 1 ? 2 : 1) != length) p.print(cat("[len ", length, "]"));
    if (kind == 0) break;
  }
  p.print("]");
  return true;
}

// The flags as tcpdump letters them, "none" when no flag is set.
std::string flagText(uint8_t flags) {
  static constexpr std::array<std::pair<uint8_t, char>, 8> kFlags{{{0x01, 'F'},
                                                                   {0x02, 'S'},
                                                                   {0x04, 'R'},
                                                                   {0x08, 'P'},
                                                                   {0x10, '.'},
                                                                   {0x20, 'U'},
                                                                   {0x40, 'E'},
                                                                   {0x80, 'W'}}};
  std::string text;
  for (const auto& [bit, letter] : kFlags) {
    if ((flags & bit) != 0) text += letter;
  }
  return text.empty() ? std::string("none") : text;
}

// The ports, with the addresses when the IP header names TCP; false when
// the packet ends before the destination port.
bool printPorts(PacketCursor& p, const IpContext& ip, size_t at) {
  if (!p.has(at + 2, 2)) {
    p.print(cat(ipAddressText(p, ip, true), " > ", ipAddressText(p, ip, false), ":"));
    p.setCut();
    return false;
  }
  const uint16_t sport = p.be16(at), dport = p.be16(at + 2);
  if (ip.headerProto == kProtoTcp) {
    p.print(cat(ipAddressText(p, ip, true), ".", sport, " > ", ipAddressText(p, ip, false), ".",
                dport, ": "));
  } else {
    p.print(cat(sport, " > ", dport, ": "));
  }
  return true;
}

}  // namespace

// RFC 9293 §3.1.
void printTcp(PacketCursor& p, const IpContext& ip, size_t at, uint32_t length) {
  p.setProto("tcp");
  if (!printPorts(p, ip, at)) return;
  if (!p.has(at, 20)) {
    p.setCut();
    return;
  }
  const auto data = p.data();
  const uint32_t headerLength = (data[at + 12] >> 4) * 4u;
  if (headerLength < 20) {
    p.print(cat(" tcp ", length - headerLength, " [bad hdr length ", headerLength,
                " - too short, < 20]"));
    return;
  }
  const uint32_t seq = p.be32(at + 4), ack = p.be32(at + 8);
  const uint8_t flags = data[at + 13];
  const uint16_t window = p.be16(at + 14), urgent = p.be16(at + 18);
  p.print(cat("Flags [", flagText(flags), "]"));
  if (headerLength > length) {
    p.print(cat(" [bad hdr length ", headerLength, " - too long, > ", length, "]"));
    return;
  }
  const uint32_t payload = length - headerLength;
  // print-tcp.c prints the sequence number of a segment with data, SYN, FIN or RST.
  if (payload > 0 || (flags & 0x07) != 0) {
    p.print(cat(", seq ", seq));
    if (payload > 0) p.print(cat(":", static_cast<uint32_t>(seq + payload)));
  }
  if ((flags & 0x10) != 0) p.print(cat(", ack ", ack));
  p.print(cat(", win ", window));
  if ((flags & 0x20) != 0) p.print(cat(", urg ", urgent));
  if (headerLength > 20 &&
      !printOptions(p, at + 20, headerLength - 20, TcpPayload{at + headerLength, payload})) {
    return;
  }
  p.print(cat(", length ", payload));
  if (payload > 0 && !p.has(at, headerLength)) {
    p.print(cat(" [remaining caplen(", p.end() - at, ") < header length(", headerLength, ")]"));
    p.setCut();
  }
}

}  // namespace ddump::summary
