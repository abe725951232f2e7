#pragma once
// A one-line, human-readable summary of one captured packet, worded as
// `tcpdump -n` (4.99) words it, without the timestamp: the first piece of
// ddump's own dissector.
//
// The bytes are untrusted. Every read is checked against the captured bytes
// (as tcpdump's GET_* macros check against its snapend); a packet cut inside a
// header ends with tcpdump's truncation mark, " [|ip]", " [|tcp]", ...; loops
// are bounded by the packet and nested tunnels by a fixed depth.
//
// Where the summary differs from tcpdump on purpose (tests/data/packet_summary/
// keeps each difference as an .expected file beside tcpdump's .golden output):
//  - It has no memory: TCP sequence numbers and SACK blocks are printed as in
//    the packet, as `tcpdump -S` does (tcpdump makes later segments of a
//    connection relative to its first).
//  - LINUX_SLL2: no interface-name and direction columns (tcpdump looks the
//    interface index up on the host that reads the file).
//  - It stops at the transport layer: no application protocols by port (DNS,
//    NTP, HTTP, ...). What it does not decode (GRE, ESP, AH, SCTP, IGMP, IPv6
//    mobility, MPTCP options, MPLS, PPPoE, LLDP, LLC/802.3 frames, ATM ARP,
//    ...) gets a generic line (" ip-proto-N LEN", the link header) where
//    tcpdump decodes it.
//  - Tunnels are followed 4 deep and IPv6 extension headers 16 long, so the
//    work and the line stay small whatever the packet.
//  - Leading and trailing blanks are trimmed.

#include <cstdint>
#include <span>
#include <string>

namespace ddump {

// One line describing a captured packet as `tcpdump -n`-like text without the
// timestamp, e.g. "IP 10.0.0.1.41234 > 10.0.0.2.5000: UDP, length 60". linkType is
// the pcap LINKTYPE_ value (common/pcap_format.h has constants); data holds caplen
// bytes; len is the original length. Never reads past data; a packet cut inside a
// header ends with " [|ip]" / " [|tcp]" etc. as tcpdump marks truncation.
// Link types: ETHERNET (1, through 802.1Q/802.1ad tags), LINUX_SLL (113),
// LINUX_SLL2 (276), RAW (101, and DLT_RAW's 12 and 14), NULL (0), LOOP (108).
std::string summarizePacket(uint32_t linkType, std::span<const uint8_t> data, uint32_t len);

}  // namespace ddump
