#include "packet_json.h"

#include <arpa/inet.h>

#include <array>
#include <charconv>

#include "time_spec.h"

namespace ddump {
namespace {

constexpr char kHex[] = "0123456789abcdef";

void appendNumber(std::string& out, uint64_t value) {
  char digits[20];
  const auto end = std::to_chars(digits, digits + sizeof digits, value).ptr;
  out.append(digits, end);
}

// "key": with the comma before it unless it opens the object.
void key(std::string& out, std::string_view name, bool first = false) {
  if (!first) out += ',';
  out += '"';
  out += name;
  out += "\":";
}

void field(std::string& out, std::string_view name, uint64_t value, bool first = false) {
  key(out, name, first);
  appendNumber(out, value);
}

void appendMac(std::string& out, const std::array<uint8_t, 6>& mac) {
  out += '"';
  for (size_t i = 0; i < mac.size(); ++i) {
    if (i > 0) out += ':';
    out += kHex[mac[i] >> 4];
    out += kHex[mac[i] & 0xF];
  }
  out += '"';
}

void ip(std::string& out, const PacketFields& f) {
  key(out, "ip");
  out += '{';
  field(out, "v", f.ipVersion, true);
  key(out, "src");
  appendIpAddress(out, f.ipVersion, f.ipSrc.data());
  key(out, "dst");
  appendIpAddress(out, f.ipVersion, f.ipDst.data());
  field(out, "proto", f.protocol);
  field(out, "ttl", f.ttl);
  if (f.ipVersion == 4 || f.fragment) field(out, "id", f.ipId);
  key(out, "frag");
  out += f.fragment ? "true}" : "false}";
}

void transport(std::string& out, const PacketFields& f) {
  switch (f.transport) {
    case PacketFields::Transport::Tcp: {
      key(out, "tcp");
      out += '{';
      field(out, "sport", f.srcPort, true);
      field(out, "dport", f.dstPort);
      char letters[9];
      key(out, "flags");
      out += '"';
      out += tcpFlagLetters(f.tcpFlags, letters);
      out += '"';
      field(out, "seq", f.tcpSeq);
      field(out, "ack", f.tcpAck);
      field(out, "win", f.tcpWindow);
      out += '}';
      break;
    }
    case PacketFields::Transport::Udp:
      key(out, "udp");
      out += '{';
      field(out, "sport", f.srcPort, true);
      field(out, "dport", f.dstPort);
      field(out, "len", f.udpLength);
      out += '}';
      break;
    case PacketFields::Transport::Icmp:
    case PacketFields::Transport::Icmp6:
      key(out, f.transport == PacketFields::Transport::Icmp ? "icmp" : "icmp6");
      out += '{';
      field(out, "type", f.icmpType, true);
      field(out, "code", f.icmpCode);
      out += '}';
      break;
    case PacketFields::Transport::None:
      break;
  }
}

void arp(std::string& out, const PacketFields& f) {
  key(out, "arp");
  out += '{';
  field(out, "op", f.arpOp, true);
  key(out, "sha");
  appendMac(out, f.arpSha);
  key(out, "spa");
  appendIpAddress(out, 4, f.arpSpa.data());
  key(out, "tha");
  appendMac(out, f.arpTha);
  key(out, "tpa");
  appendIpAddress(out, 4, f.arpTpa.data());
  out += '}';
}

}  // namespace

PacketDirection packetDirection(const PacketFields& fields, uint32_t epbFlags) {
  switch (epbFlags & 0x3) {
    case 1:
      return PacketDirection::In;
    case 2:
      return PacketDirection::Out;
    default:
      break;
  }
  if (!fields.hasPacketType) return PacketDirection::Unknown;
  return fields.packetType == 4 ? PacketDirection::Out : PacketDirection::In;
}

void appendJsonString(std::string& out, std::string_view text) {
  out += '"';
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      out += "\\u00";
      out += kHex[u >> 4];
      out += kHex[u & 0xF];
    } else {
      out += c;  // bytes >= 0x80 pass as they are (names are UTF-8)
    }
  }
  out += '"';
}

void appendTimestampJson(std::string& out, uint64_t tsNs) {
  // The date and time of day change once a second: formatted once per second.
  thread_local uint64_t cachedSecond = ~uint64_t{0};
  thread_local std::string cachedText;
  const uint64_t second = tsNs / 1'000'000'000;
  if (second != cachedSecond) {
    cachedText = formatRfc3339(static_cast<int64_t>(second * 1'000'000'000), 0);
    cachedText.pop_back();  // the Z
    cachedSecond = second;
  }
  out += '"';
  out += cachedText;
  char fraction[11] = {'.', '0', '0', '0', '0', '0', '0', '0', '0', '0', 'Z'};
  uint64_t ns = tsNs % 1'000'000'000;
  for (int i = 9; i >= 1; --i, ns /= 10) fraction[i] = static_cast<char>('0' + ns % 10);
  out.append(fraction, sizeof fraction);
  out += '"';
}

void appendIpAddress(std::string& out, uint8_t version, const uint8_t* address) {
  out += '"';
  if (version == 4) {
    for (int i = 0; i < 4; ++i) {
      if (i > 0) out += '.';
      appendNumber(out, address[i]);
    }
  } else {
    char text[INET6_ADDRSTRLEN];
    // RFC 5952's text form (zeros compressed, lower case), as inet_ntop writes it.
    if (inet_ntop(AF_INET6, address, text, sizeof text) != nullptr) out += text;
  }
  out += '"';
}

void appendPacketJson(std::string& out, const PacketMeta& meta, const PacketFields& f) {
  out += "{\"ts\":";
  appendTimestampJson(out, meta.tsNs);
  key(out, "host");
  appendJsonString(out, meta.host);
  if (!meta.interface.empty()) {
    key(out, "if");
    appendJsonString(out, meta.interface);
  }
  if (meta.direction != PacketDirection::Unknown) {
    key(out, "dir");
    out += meta.direction == PacketDirection::In ? "\"in\"" : "\"out\"";
  }
  field(out, "len", meta.len);
  field(out, "caplen", meta.caplen);
  if (f.link == PacketFields::Link::Ethernet) {
    key(out, "eth");
    out += "{\"src\":";
    appendMac(out, f.ethSrc);
    key(out, "dst");
    appendMac(out, f.ethDst);
    field(out, "type", f.etherType);
    out += '}';
  }
  if (f.vlanCount > 0) {
    key(out, "vlan");
    out += '[';
    for (uint8_t i = 0; i < f.vlanCount; ++i) {
      if (i > 0) out += ',';
      appendNumber(out, f.vlans[i]);
    }
    out += ']';
  }
  switch (f.net) {
    case PacketFields::Net::Ipv4:
    case PacketFields::Net::Ipv6:
      ip(out, f);
      transport(out, f);
      break;
    case PacketFields::Net::Arp:
      arp(out, f);
      break;
    case PacketFields::Net::None:
      if (f.link != PacketFields::Link::Ethernet && f.etherType != 0)
        field(out, "ethertype", f.etherType);
      break;
  }
  if (f.truncated) out += ",\"truncated\":true";
  out += "}\n";
}

}  // namespace ddump
