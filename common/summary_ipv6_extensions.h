#pragma once
// The packet summary's IPv6 extension headers (RFC 8200 §4), printed as
// tcpdump names them without -v. Each printer takes the header at `at` and
// returns how many bytes it takes, or -1 when the chain ends there (a cut
// packet, a bad header, or a fragment past the first). Internal to
// common/summary_ip.cpp, which follows the chain.

#include <cstddef>
#include <cstdint>

#include "packet_cursor.h"

namespace ddump::summary {

// RFC 8200 §4.3. A jumbo payload option (RFC 2675) sets `jumbo` and
// `payloadLen` when the fixed header's payload length is 0.
int printHopByHop(PacketCursor& p, size_t at, bool& jumbo, uint32_t& payloadLen);
// RFC 8200 §4.6.
int printDestinationOptions(PacketCursor& p, size_t at);
// RFC 8200 §4.5; `ipAt` is the fixed header's offset.
int printFragment6(PacketCursor& p, size_t at, size_t ipAt);
// RFC 8200 §4.4; the caller has checked that its first byte is there.
int printRouting6(PacketCursor& p, size_t at);

}  // namespace ddump::summary
