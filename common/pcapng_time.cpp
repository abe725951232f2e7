#include "pcapng_time.h"

#include <limits>
#include <string>

namespace ddump {
namespace {

constexpr unsigned kMaxDecimalExponent = 19;  // 10^19 < 2^64 < 10^20
constexpr unsigned kMaxBinaryExponent = 63;   // 2^63 < 2^64

constexpr uint64_t pow10(unsigned e) {
  uint64_t v = 1;
  for (unsigned i = 0; i < e; ++i) v *= 10;
  return v;
}

// The fraction of a second `rem` (< unitsPerSecond) in whole nanoseconds,
// rounded down as libpcap and Wireshark round.
uint64_t fractionNs(uint64_t rem, const PcapngTimeResolution& resolution) {
  const unsigned e = resolution.exponent();
  // rem < 2^e, so rem * 10^9 / 2^e < 10^9: the result fits.
  if (resolution.binary()) return mulShiftRight(rem, static_cast<uint32_t>(kNsPerSecond), e);
  if (e <= 9) return rem * pow10(9 - e);  // < 10^e * 10^(9-e)
  return rem / pow10(e - 9);
}

std::string secondsText(uint64_t seconds, int64_t offset) {
  return "timestamp " + std::to_string(seconds) + " s + if_tsoffset " + std::to_string(offset) +
         " s";
}

}  // namespace

uint64_t mulShiftRight(uint64_t a, uint32_t b, unsigned shift) {
  // a * b = hi * 2^32 + lo, with hi and lo products of 32-bit halves.
  const uint64_t lo = (a & 0xffffffffu) * b;
  const uint64_t hi = (a >> 32) * b;
  // hi < 2^64 - 2^33 and lo >> 32 < 2^32: no overflow.
  const uint64_t mid = hi + (lo >> 32);  // a * b = mid * 2^32 + (lo & 0xffffffff)
  if (shift >= 32) return mid >> (shift - 32);
  return (mid << (32 - shift)) | ((lo & 0xffffffffu) >> shift);
}

Result<PcapngTimeResolution> pcapngTimeResolution(uint8_t raw) {
  PcapngTimeResolution resolution{raw, 0};
  const unsigned e = resolution.exponent();
  if (resolution.binary()) {
    if (e > kMaxBinaryExponent) {
      return makeError(ErrorCode::DecoderFailed,
                       "if_tsresol 2^-" + std::to_string(e) +
                           " s is finer than 2^-63: its units per second do not fit in 64 bits");
    }
    resolution.unitsPerSecond = uint64_t{1} << e;
  } else {
    if (e > kMaxDecimalExponent) {
      return makeError(ErrorCode::DecoderFailed,
                       "if_tsresol 10^-" + std::to_string(e) +
                           " s is finer than 10^-19: its units per second do not fit in 64 bits");
    }
    resolution.unitsPerSecond = pow10(e);
  }
  return resolution;
}

Result<uint64_t> pcapngTimestampNs(uint64_t units, const PcapngTimeResolution& resolution,
                                   int64_t offsetSeconds) {
  // Microseconds (no if_tsresol) and nanoseconds, nearly every file, divide
  // by a constant: a multiply instead of a 64-bit division per packet.
  uint64_t seconds = 0;
  uint64_t frac = 0;
  if (resolution.raw == 6 && resolution.unitsPerSecond == 1'000'000) {
    seconds = units / 1'000'000;
    frac = units % 1'000'000 * 1000;
  } else if (resolution.raw == 9 && resolution.unitsPerSecond == kNsPerSecond) {
    seconds = units / kNsPerSecond;
    frac = units % kNsPerSecond;
  } else {
    seconds = units / resolution.unitsPerSecond;
    frac = fractionNs(units % resolution.unitsPerSecond, resolution);
  }
  constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
  uint64_t total = 0;
  if (offsetSeconds >= 0) {
    const auto forward = static_cast<uint64_t>(offsetSeconds);
    total = seconds + forward;
    if (total < seconds) {
      return makeError(ErrorCode::DecoderFailed,
                       secondsText(seconds, offsetSeconds) + " overflows 64 bits");
    }
  } else {
    // |offset| without negating INT64_MIN as a signed value.
    const uint64_t back = uint64_t{0} - static_cast<uint64_t>(offsetSeconds);
    if (seconds < back) {
      return makeError(ErrorCode::DecoderFailed,
                       secondsText(seconds, offsetSeconds) + " is before 1970");
    }
    total = seconds - back;
  }
  if (total > (kMax - frac) / kNsPerSecond) {
    return makeError(ErrorCode::DecoderFailed,
                     secondsText(seconds, offsetSeconds) +
                         " is past what 64-bit nanoseconds since 1970 hold (the year 2554)");
  }
  return total * kNsPerSecond + frac;
}

}  // namespace ddump
