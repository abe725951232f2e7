#pragma once
// The option list of a pcapng block (draft-ietf-opsawg-pcapng 3.5):
//
//   code(2) | length(2) | value, padded to 32 bits | ... | opt_endofopt(0, 0)
//
// in the section's byte order. The walk is bounded by the bytes it is given
// (the rest of one block): an option whose padded value runs past them is an
// error, and a list that ends without opt_endofopt ends there, as 3.5 asks
// readers to accept. Values are views into the block, valid as long as it is.

#include <cstdint>
#include <span>
#include <string_view>

#include "byte_order.h"
#include "result.h"

namespace ddump {

inline constexpr uint16_t kPcapngOptEndOfOpt = 0;
inline constexpr uint16_t kPcapngOptComment = 1;

struct PcapngOption {
  uint16_t code = 0;
  std::span<const uint8_t> value;  // without its padding
};

// The option at the front of `bytes` and the bytes it takes with padding.
struct PcapngOptionStep {
  PcapngOption option;
  size_t size = 0;
};

Result<PcapngOptionStep> readPcapngOption(std::span<const uint8_t> bytes, ByteOrder order);

// Calls onOption(const PcapngOption&) -> Status for every option before
// opt_endofopt or the end of `bytes`; stops at the first error.
template <class OnOption>
Status walkPcapngOptions(std::span<const uint8_t> bytes, ByteOrder order, OnOption&& onOption) {
  while (!bytes.empty()) {
    auto step = readPcapngOption(bytes, order);
    if (!step) return step.error();
    if (step->option.code == kPcapngOptEndOfOpt) break;
    if (Status status = onOption(step->option); !status) return status;
    bytes = bytes.subspan(step->size);
  }
  return Status::success();
}

// A string value up to its first NUL: 3.5 says readers MUST treat a zero
// octet as a terminator. Not checked for UTF-8 (3.6.3: readers MUST NOT
// assume it is valid).
std::string_view pcapngString(std::span<const uint8_t> value);

// Fixed-length values; `name` is the option's name for the error message
// (3.5: readers SHOULD report options with an invalid length).
Result<uint8_t> pcapngU8(const PcapngOption& option, const char* name);
Result<uint32_t> pcapngU32(const PcapngOption& option, ByteOrder order, const char* name);
// One 64-bit integer in the section's byte order (if_tsoffset, epb_dropcount,
// the ISB counters).
Result<uint64_t> pcapngU64(const PcapngOption& option, ByteOrder order, const char* name);
// A timestamp as two 32-bit words, upper first (4.3; isb_starttime/endtime).
Result<uint64_t> pcapngTimestampUnits(const PcapngOption& option, ByteOrder order,
                                      const char* name);

// Two 32-bit words at `p`, upper first, as EPB, PB and ISB store timestamps.
inline uint64_t loadSplit64(const uint8_t* p, ByteOrder order) {
  return (uint64_t{load32(p, order)} << 32) | load32(p + 4, order);
}

inline uint64_t load64(const uint8_t* p, ByteOrder order) {
  return order == ByteOrder::Little ? (uint64_t{load32(p + 4, order)} << 32) | load32(p, order)
                                    : loadSplit64(p, order);
}

}  // namespace ddump
