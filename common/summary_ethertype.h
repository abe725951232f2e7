#pragma once
// The packet summary's payloads of a link layer that names them by an Ethernet
// type (IEEE 802.3 Ethernet, Linux cooked headers): tcpdump's names for the
// types, and the printers of the ones it decodes (IPv4, IPv6, ARP and RARP).
// Internal to common/packet_summary.cpp.

#include <cstddef>
#include <cstdint>

#include "packet_cursor.h"

namespace ddump::summary {

// IEEE 802.3: a value up to 1500 is the frame's length, not a type.
inline constexpr uint16_t kMaxEthernetLength = 1500;
inline constexpr uint16_t kEtherTypeIpv4 = 0x0800;
inline constexpr uint16_t kEtherTypeVlan = 0x8100;  // IEEE 802.1Q

// tcpdump's name for an Ethernet type (ethertype_values); nullptr when it has none.
const char* etherTypeName(uint16_t type);

// Prints the payload of Ethernet type `type` at `at`, of which the link layer
// says `length` bytes are left; false (nothing printed) for a type it does
// not decode.
bool printEtherType(PacketCursor& p, uint16_t type, size_t at, uint32_t length);

}  // namespace ddump::summary
