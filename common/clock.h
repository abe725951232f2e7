#pragma once
// The two clocks the programs read, in nanoseconds. Steady time measures
// intervals and deadlines; wall time is what pcap timestamps and the
// workers' X-Ddump-Time are in.

#include <chrono>
#include <cstdint>

namespace ddump {

inline uint64_t steadyNowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

inline int64_t wallNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace ddump
