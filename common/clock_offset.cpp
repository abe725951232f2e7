#include "clock_offset.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace ddump {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Error badSetting(std::string_view text, const std::string& why) {
  return makeError(ErrorCode::InvalidArgument,
                   "--clock-offset: " + why + " in '" + std::string(text) +
                       "' (expected auto, none or HOST=MS,...)");
}

// One "HOST=MS" item into `setting`.
Status parseManualItem(std::string_view item, std::string_view whole, ClockOffsetSetting& setting) {
  const size_t eq = item.rfind('=');
  if (eq == std::string_view::npos) return badSetting(whole, "no '='");
  std::string_view host = trim(item.substr(0, eq));
  const std::string_view ms = trim(item.substr(eq + 1));
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) return badSetting(whole, "empty host");
  double value = 0;
  const auto [ptr, ec] = std::from_chars(ms.data(), ms.data() + ms.size(), value);
  // A day either way is far beyond any clock we can correct sensibly.
  if (ms.empty() || ec != std::errc() || ptr != ms.data() + ms.size() || !std::isfinite(value) ||
      std::fabs(value) > 86'400'000.0) {
    return badSetting(whole, "bad milliseconds '" + std::string(ms) + "'");
  }
  setting.manualNs[std::string(host)] = std::llround(value * 1e6);
  return Status::success();
}

}  // namespace

Result<ClockEstimate> estimateOffset(const ClockSample& s) {
  if (s.recvNs < s.sendNs) {
    return makeError(ErrorCode::InvalidArgument, "clock sample: response before request");
  }
  const int64_t rtt = s.recvNs - s.sendNs;
  const int64_t midpoint = s.sendNs + rtt / 2;  // no overflow: (t0 + t1) / 2 without the sum
  return ClockEstimate{s.workerNs - midpoint, (rtt + 1) / 2};
}

bool ClockOffsetFilter::add(const ClockSample& sample) {
  const auto estimate = estimateOffset(sample);
  if (!estimate) return false;
  ++samples_;
  if (!best_ || estimate->errorNs < best_->errorNs) best_ = *estimate;
  return true;
}

std::optional<int64_t> parseWorkerTime(std::string_view header) {
  header = trim(header);
  int64_t value = 0;
  const auto [ptr, ec] = std::from_chars(header.data(), header.data() + header.size(), value);
  if (header.empty() || ec != std::errc() || ptr != header.data() + header.size() || value <= 0) {
    return std::nullopt;
  }
  return value;
}

std::optional<int64_t> ClockOffsetSetting::manualFor(const std::string& host) const {
  if (mode != ClockOffsetMode::Manual) return std::nullopt;
  const auto it = manualNs.find(host);
  if (it == manualNs.end()) return std::nullopt;
  return it->second;
}

Result<ClockOffsetSetting> parseClockOffset(std::string_view text) {
  ClockOffsetSetting setting;
  const std::string_view whole = trim(text);
  if (whole == "none") return setting;
  if (whole == "auto") {
    setting.mode = ClockOffsetMode::Auto;
    return setting;
  }
  setting.mode = ClockOffsetMode::Manual;
  std::string_view rest = whole;
  while (true) {
    const size_t comma = rest.find(',');
    if (auto st = parseManualItem(rest.substr(0, comma), whole, setting); !st) return st.error();
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return setting;
}

uint64_t applyOffset(uint64_t tsNs, int64_t offsetNs) {
  if (offsetNs >= 0) {
    const auto off = static_cast<uint64_t>(offsetNs);
    return tsNs > off ? tsNs - off : 0;
  }
  const uint64_t add = 0 - static_cast<uint64_t>(offsetNs);  // |offsetNs|, INT64_MIN included
  const uint64_t max = std::numeric_limits<uint64_t>::max();
  return tsNs > max - add ? max : tsNs + add;
}

std::string formatOffset(const ClockEstimate& estimate) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%+.1f ms +- %.1f ms", static_cast<double>(estimate.offsetNs) / 1e6,
                static_cast<double>(estimate.errorNs) / 1e6);
  return buf;
}

}  // namespace ddump
