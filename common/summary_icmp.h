#pragma once
// The packet summary's ICMP layer (RFC 792): the message type and what
// `tcpdump -n` prints of it without -v. Internal to common/summary_ip.cpp;
// ICMPv6 is common/summary_icmp6.h.

#include <cstddef>
#include <cstdint>

#include "packet_cursor.h"

namespace ddump::summary {

// Prints the message at `at`; `length` is what the IPv4 header says is left
// for it.
void printIcmp(PacketCursor& p, size_t at, uint32_t length);

}  // namespace ddump::summary
