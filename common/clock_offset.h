#pragma once
// Worker clock offsets (`--clock-offset auto|none|HOST=MS,...`).
//
// NTP's on-wire estimate (RFC 5905 section 8, with the server's receive and
// transmit times taken as one instant): the client sends at t0 and receives
// the answer at t1 on its own clock; the answer carries the worker's clock tw
// (X-Ddump-Time, read when the response starts). Then
//   offset = tw - (t0 + t1) / 2      (worker clock minus ours)
//   error  = +-(t1 - t0) / 2          (the worker's instant lies in [t0, t1])
// Of several samples the one with the smallest round trip is the best
// (NTP's clock filter, section 10, picks the minimum delay).
//
// A worker's timestamps are put on our clock by subtracting its offset.
// Pure: the caller supplies every clock reading.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace ddump {

struct ClockSample {
  int64_t sendNs = 0;    // t0, our wall clock when the request left
  int64_t workerNs = 0;  // tw, the worker's wall clock (X-Ddump-Time)
  int64_t recvNs = 0;    // t1, our wall clock when the response headers arrived
};

struct ClockEstimate {
  int64_t offsetNs = 0;  // worker minus ours
  int64_t errorNs = 0;   // half the round trip: the true offset is within +-errorNs
};

// Fails on a sample whose response came before its request.
Result<ClockEstimate> estimateOffset(const ClockSample& sample);

// Keeps the best sample (smallest round trip) of those added.
class ClockOffsetFilter {
 public:
  // False (and ignored) for an impossible sample.
  bool add(const ClockSample& sample);
  std::optional<ClockEstimate> best() const { return best_; }
  int samples() const { return samples_; }

 private:
  std::optional<ClockEstimate> best_;
  int samples_ = 0;
};

// Parses X-Ddump-Time: decimal nanoseconds since the epoch.
std::optional<int64_t> parseWorkerTime(std::string_view header);

enum class ClockOffsetMode { None, Auto, Manual };

struct ClockOffsetSetting {
  ClockOffsetMode mode = ClockOffsetMode::None;
  std::map<std::string, int64_t> manualNs;  // HOST -> offset (worker minus ours)

  // The offset to subtract from HOST's timestamps when it is given by hand.
  std::optional<int64_t> manualFor(const std::string& host) const;
};

// "auto", "none", or "HOST=MS,HOST=MS" (MS may be negative and fractional:
// "db1=-2000,db2=1.5"). A HOST may be an IPv6 literal in brackets.
Result<ClockOffsetSetting> parseClockOffset(std::string_view text);

// Shifts a timestamp onto our clock: tsNs - offsetNs, clamped to [0, 2^64).
uint64_t applyOffset(uint64_t tsNs, int64_t offsetNs);

// "+2000.3 ms +- 0.2 ms", for -v.
std::string formatOffset(const ClockEstimate& estimate);

}  // namespace ddump
