#pragma once
// The packet summary's UDP layer (RFC 768): ports and length, as `tcpdump -n`
// prints them when it decodes no application protocol by port. Internal to
// common/summary_ip.cpp.

#include <cstddef>
#include <cstdint>

#include "packet_cursor.h"
#include "summary_ip.h"

namespace ddump::summary {

// Prints the datagram at `at`, which came in `ip`; `length` is what the IP
// header says is left for it.
void printUdp(PacketCursor& p, const IpContext& ip, size_t at, uint32_t length);

}  // namespace ddump::summary
