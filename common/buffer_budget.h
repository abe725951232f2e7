#pragma once
// The kernel memory the worker's captures may hold at once. Every live
// capture asks the kernel for its own packet ring (-B, TPACKET_V3 blocks
// that stay allocated for the capture's life, as packet(7) describes), and
// so does the --history recorder: without a cap, --max-captures rings of
// -B each are the worker's to hand out to whoever connects. A BufferBudget
// counts what is held against --max-buffer-total; a capture that does not
// fit is refused before its ring is allocated.
//
// Not thread-safe: its owner (the capture registry) calls it under its lock.

#include <cstdint>
#include <string>
#include <string_view>

#include "result.h"

namespace ddump {

class BufferBudget {
 public:
  explicit BufferBudget(uint64_t limit) : limit_(limit) {}

  // Holds `bytes` if they fit under the limit; a refusal is counted.
  bool tryReserve(uint64_t bytes);
  // Gives back bytes tryReserve() held (never below zero).
  void release(uint64_t bytes);

  uint64_t limit() const { return limit_; }
  uint64_t inUse() const { return inUse_; }
  uint64_t refused() const { return refused_; }

 private:
  uint64_t limit_;
  uint64_t inUse_ = 0;
  uint64_t refused_ = 0;
};

// A size as -B and --max-buffer-total take it: a positive number of KiB, or
// a number with k, m or g (KiB, MiB, GiB). At most 1 TiB.
Result<uint64_t> parseBufferSize(std::string_view text);

// "32 MiB", "1536 KiB", "100 bytes": exact, in the largest unit that is.
std::string byteSizeText(uint64_t bytes);

}  // namespace ddump
