#pragma once
// pcapng timestamps to nanoseconds since the epoch, with integer arithmetic
// only (draft-ietf-opsawg-pcapng 4.2 if_tsresol and if_tsoffset, 4.3
// Timestamp): a block's 64-bit timestamp counts units of 10^-e or 2^-e
// seconds, and if_tsoffset seconds are added to it.
//
// The finest resolutions accepted are 10^-19 and 2^-63 s, as libpcap
// (sf-pcapng.c, process_idb_options) and Wireshark (wiretap/pcapng.c,
// pcapng_read_if_descr_block) accept: the number of units per second must
// fit in 64 bits, and 10^20 or 2^64 does not. Such files could only hold the
// first 1.8 (resp. 2) seconds after 1970 anyway. Resolutions finer than a
// nanosecond are truncated to whole nanoseconds, as libpcap truncates them to
// the precision its caller asked for.

#include <cstdint>

#include "result.h"

namespace ddump {

inline constexpr uint64_t kNsPerSecond = 1'000'000'000;

// The if_tsresol octet: bit 7 clear, a negative power of 10; set, of 2.
struct PcapngTimeResolution {
  uint8_t raw = 6;  // no if_tsresol option: 10^-6 (4.2)
  uint64_t unitsPerSecond = 1'000'000;

  bool binary() const { return (raw & 0x80) != 0; }
  unsigned exponent() const { return raw & 0x7fu; }
};

// The resolution an if_tsresol octet names, or an error when its units per
// second do not fit in 64 bits.
Result<PcapngTimeResolution> pcapngTimeResolution(uint8_t raw);

// Nanoseconds since 1970 of `units` at `resolution`, plus `offsetSeconds`
// (if_tsoffset). Fails when the sum falls before 1970 or past what 64-bit
// nanoseconds hold (the year 2554).
Result<uint64_t> pcapngTimestampNs(uint64_t units, const PcapngTimeResolution& resolution,
                                   int64_t offsetSeconds);

// floor(a * b / 2^shift) for shift < 64, exact, without a 128-bit type; the
// caller guarantees the result fits in 64 bits.
uint64_t mulShiftRight(uint64_t a, uint32_t b, unsigned shift);

}  // namespace ddump
