#pragma once
// One packet as one line of JSON (NDJSON, https://github.com/ndjson/ndjson-spec:
// UTF-8, one object per line, "\n" after each), for jq, scripts and databases.
// The field names are fixed; only the layers a packet has appear:
//
//   {"ts":"2026-12-01T12:00:01.123456789Z","host":"web1","if":"eth0","dir":"in",
//    "len":98,"caplen":98,
//    "eth":{"src":"02:00:00:00:00:01","dst":"02:00:00:00:00:02","type":2048},
//    "vlan":[100],
//    "ip":{"v":4,"src":"10.0.0.1","dst":"10.0.0.2","proto":17,"ttl":64,"id":4321,"frag":false},
//    "udp":{"sport":53,"dport":41234,"len":68},
//    "tcp":{"sport":..,"dport":..,"flags":"SA","seq":..,"ack":..,"win":..},
//    "icmp":{"type":8,"code":0}, "icmp6":{"type":128,"code":0},
//    "arp":{"op":1,"sha":"..","spa":"..","tha":"..","tpa":".."},
//    "ethertype":34525, "truncated":true}
//
// ts: RFC 3339 in UTC with nanoseconds. if and dir only when known (dir:
// "in" or "out"). ethertype: the protocol of a non-Ethernet link whose
// network layer is not decoded. ip.id: IPv4's identification, or the
// Identification of an IPv6 Fragment header (absent without one). truncated:
// the capture ends inside a header. The raw bytes are never included.

#include <cstdint>
#include <string>
#include <string_view>

#include "packet_fields.h"

namespace ddump {

enum class PacketDirection : uint8_t { Unknown, In, Out };

// The direction of a packet: from the pcapng epb_flags an input gave
// (draft-ietf-opsawg-pcapng 4.3.1, bits 0-1), else from an SLL/SLL2 packet
// type (4: sent by this host; 0-3: received).
PacketDirection packetDirection(const PacketFields& fields, uint32_t epbFlags);

struct PacketMeta {
  uint64_t tsNs = 0;
  std::string_view host;
  std::string_view interface;  // empty: not known
  PacketDirection direction = PacketDirection::Unknown;
  uint32_t len = 0;
  uint32_t caplen = 0;
};

// Appends the packet's line, "\n" included.
void appendPacketJson(std::string& out, const PacketMeta& meta, const PacketFields& fields);

// Pieces, also used by the flow records.
void appendJsonString(std::string& out, std::string_view text);
void appendTimestampJson(std::string& out, uint64_t tsNs);  // quoted RFC 3339, ns, UTC
void appendIpAddress(std::string& out, uint8_t version, const uint8_t* address);

}  // namespace ddump
