#pragma once
// The packet summary's TCP layer (RFC 9293): ports, flags, sequence and
// acknowledgment numbers, window, urgent pointer and the options, as
// `tcpdump -n -S` prints them. Internal to common/summary_ip.cpp.

#include <cstddef>
#include <cstdint>

#include "packet_cursor.h"
#include "summary_ip.h"

namespace ddump::summary {

// Prints the segment at `at`, which came in `ip`; `length` is what the IP
// header says is left for it.
void printTcp(PacketCursor& p, const IpContext& ip, size_t at, uint32_t length);

}  // namespace ddump::summary
