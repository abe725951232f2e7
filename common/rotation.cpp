#include "rotation.h"

#include <charconv>
#include <limits>
#include <map>
#include <set>
#include <utility>

namespace ddump {
namespace {

std::tm toTm(int64_t sec, bool utc) {
  const auto t = static_cast<std::time_t>(sec);
  std::tm out{};
  if (utc) {
    gmtime_r(&t, &out);
  } else {
    localtime_r(&t, &out);
  }
  return out;
}

std::string strftimeName(const std::string& pattern, const std::tm& when) {
  // strftime gives 0 both for "too small" and for an empty result: grow a
  // few times, then fall back to the pattern itself.
  for (size_t size = 256; size <= 65536; size *= 4) {
    std::string out(size, '\0');
    const size_t n = std::strftime(out.data(), out.size(), pattern.c_str(), &when);
    if (n > 0 || pattern.empty()) {
      out.resize(n);
      return out;
    }
  }
  return pattern;
}

char safeChar(char c) {
  const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '.' || c == '-' || c == '_';
  return ok ? c : '_';
}

std::string safeName(const std::string& text) {
  std::string out;
  for (char c : text) out.push_back(safeChar(c));
  if (out.empty() || out.front() == '.') out.insert(out.begin(), '_');  // no "..", no hidden files
  return out;
}

}  // namespace

Result<uint64_t> parseFileSize(std::string_view text) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr == text.data() || value == 0) {
    return makeError(ErrorCode::InvalidArgument, "invalid file size " + std::string(text));
  }
  uint64_t unit = 1'000'000;  // tcpdump: no suffix means units of 1,000,000 bytes
  if (ptr != end) {
    if (ptr + 1 != end) {
      return makeError(ErrorCode::InvalidArgument, "invalid file size " + std::string(text));
    }
    switch (*ptr) {
      case 'k': case 'K': unit = 1024; break;
      case 'm': case 'M': unit = 1024 * 1024; break;
      case 'g': case 'G': unit = 1024 * 1024 * 1024; break;
      default:
        return makeError(ErrorCode::InvalidArgument, "invalid file size " + std::string(text));
    }
  }
  if (value > std::numeric_limits<uint64_t>::max() / unit) {
    return makeError(ErrorCode::InvalidArgument, "file size too large " + std::string(text));
  }
  return value * unit;
}

Result<uint64_t> parsePositive(std::string_view text, const char* flag, uint64_t max) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (ec != std::errc() || ptr != end || value == 0 || value > max) {
    return makeError(ErrorCode::InvalidArgument, std::string(flag) + ": expected a number from 1 to " +
                                                     std::to_string(max) + ", got '" +
                                                     std::string(text) + "'");
  }
  return value;
}

int fileNumberDigits(uint32_t fileCount) {
  int digits = 0;
  for (uint32_t x = fileCount > 0 ? fileCount - 1 : 0; x > 0; x /= 10) ++digits;
  return digits;
}

std::string makeFileName(const std::string& pattern, uint32_t count, int digits,
                         const std::tm* when) {
  std::string name = when ? strftimeName(pattern, *when) : pattern;
  if (count == 0 && digits == 0) return name;
  std::string number = std::to_string(count);
  if (static_cast<int>(number.size()) < digits) {
    number.insert(0, static_cast<size_t>(digits) - number.size(), '0');
  }
  return name + number;
}

RotationPlan::RotationPlan(std::string pattern, RotationOptions options)
    : pattern_(std::move(pattern)),
      options_(options),
      digits_(fileNumberDigits(options.fileCount)) {}

std::string RotationPlan::nameFor(uint32_t count, int digits, int64_t openedSec) const {
  if (options_.periodSec == 0) return makeFileName(pattern_, count, digits, nullptr);
  const std::tm when = toTm(openedSec, options_.utc);
  return makeFileName(pattern_, count, digits, &when);
}

const std::string& RotationPlan::start(int64_t nowSec) {
  periodStart_ = nowSec;
  sizeCount_ = 0;
  periodCount_ = 0;
  opened_ = 1;
  // tcpdump numbers the first file only when -C is given.
  current_ = nameFor(0, options_.maxBytes != 0 ? digits_ : 0, nowSec);
  return current_;
}

RotationAction RotationPlan::beforeWrite(uint64_t fileBytes, int64_t nowSec) {
  if (options_.periodSec != 0 &&
      nowSec - periodStart_ >= static_cast<int64_t>(options_.periodSec)) {
    periodStart_ = nowSec;
    ++periodCount_;
    if (options_.maxBytes == 0 && options_.fileCount != 0 && periodCount_ >= options_.fileCount) {
      return RotationAction::Stop;
    }
    sizeCount_ = 0;
    current_ = nameFor(0, options_.maxBytes != 0 ? digits_ : 0, nowSec);
    ++opened_;
    return RotationAction::Rotate;
  }
  if (options_.maxBytes != 0 && fileBytes > options_.maxBytes) {
    ++sizeCount_;
    if (options_.fileCount != 0 && sizeCount_ >= options_.fileCount) sizeCount_ = 0;
    current_ = nameFor(sizeCount_, digits_, periodStart_);
    ++opened_;
    return RotationAction::Rotate;
  }
  return RotationAction::Keep;
}

std::vector<std::string> perTargetFileNames(const std::vector<std::string>& hosts,
                                            const std::vector<uint16_t>& ports,
                                            const std::string& extension) {
  std::map<std::string, int> perHost;
  for (const auto& h : hosts) ++perHost[h];
  std::vector<std::string> names;
  std::set<std::string> taken;
  for (size_t i = 0; i < hosts.size(); ++i) {
    const uint16_t port = i < ports.size() ? ports[i] : 0;
    std::string base = hosts[i];
    if (perHost[hosts[i]] > 1 && port != 0) {
      // Two appends, not `"_" + std::to_string(port)`: GCC 12 warns falsely
      // (-Wrestrict, GCC bug 105329) on that temporary.
      base += '_';
      base += std::to_string(port);
    }
    base = safeName(base);
    std::string name = base + extension;
    for (int n = 2; taken.count(name) != 0; ++n) name = base + "_" + std::to_string(n) + extension;
    taken.insert(name);
    names.push_back(std::move(name));
  }
  return names;
}

}  // namespace ddump
