#include "buffer_budget.h"

#include <charconv>

namespace ddump {
namespace {

constexpr uint64_t kKiB = 1024;
constexpr uint64_t kMiB = 1024 * kKiB;
constexpr uint64_t kGiB = 1024 * kMiB;
constexpr uint64_t kMaxBufferSize = 1024 * kGiB;

}  // namespace

bool BufferBudget::tryReserve(uint64_t bytes) {
  if (bytes > limit_ - inUse_) {
    ++refused_;
    return false;
  }
  inUse_ += bytes;
  return true;
}

void BufferBudget::release(uint64_t bytes) {
  inUse_ -= bytes < inUse_ ? bytes : inUse_;
}

Result<uint64_t> parseBufferSize(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  const auto bad = [&] {
    return makeError(ErrorCode::InvalidArgument,
                     "expected a size such as 256m (KiB, or k/m/g: KiB/MiB/GiB), got \"" +
                         std::string(text) + "\"");
  };
  if (ec != std::errc() || ptr == text.data() || value == 0 || end - ptr > 1) return bad();
  uint64_t unit = kKiB;  // as tcpdump -B: a bare number is KiB
  if (ptr != end) {
    switch (*ptr) {
      case 'k':
      case 'K':
        unit = kKiB;
        break;
      case 'm':
      case 'M':
        unit = kMiB;
        break;
      case 'g':
      case 'G':
        unit = kGiB;
        break;
      default:
        return bad();
    }
  }
  if (value > kMaxBufferSize / unit) {
    return makeError(ErrorCode::InvalidArgument,
                     "size \"" + std::string(text) + "\" is more than 1024g");
  }
  return value * unit;
}

std::string byteSizeText(uint64_t bytes) {
  if (bytes != 0 && bytes % kGiB == 0) return std::to_string(bytes / kGiB) + " GiB";
  if (bytes != 0 && bytes % kMiB == 0) return std::to_string(bytes / kMiB) + " MiB";
  if (bytes != 0 && bytes % kKiB == 0) return std::to_string(bytes / kKiB) + " KiB";
  return std::to_string(bytes) + " bytes";
}

}  // namespace ddump
