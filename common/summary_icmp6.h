#pragma once
// The packet summary's ICMPv6 layer (RFC 4443, with RFC 4861 neighbor
// discovery and RFC 2710/3810 multicast listener discovery): the message type
// and what `tcpdump -n` prints of it without -v. Internal to
// common/summary_ip.cpp; ICMP for IPv4 is common/summary_icmp.h.

#include <cstddef>
#include <cstdint>

#include "packet_cursor.h"

namespace ddump::summary {

// Prints the message at `at`; `length` is what the IPv6 header (and its
// extension headers) leave for it.
void printIcmp6(PacketCursor& p, size_t at, uint32_t length);

}  // namespace ddump::summary
