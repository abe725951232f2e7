#include "progress_table.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace ddump {
namespace {

constexpr size_t kStateWidth = 10;
constexpr size_t kPacketsWidth = 8;
constexpr size_t kBytesWidth = 9;
constexpr size_t kRateWidth = 11;
constexpr size_t kDropsWidth = 7;
constexpr size_t kGap = 2;
constexpr size_t kFixedWidth =
    kStateWidth + kPacketsWidth + kBytesWidth + kRateWidth + kDropsWidth + 5 * kGap;
constexpr size_t kMinNameWidth = 6;
constexpr size_t kMaxNameWidth = 40;

std::string padRight(std::string s, size_t width) {
  if (s.size() > width) {
    s.resize(width);
    if (width > 0) s.back() = '~';  // visibly cut
  }
  s.append(width - s.size(), ' ');
  return s;
}

std::string padLeft(const std::string& s, size_t width) {
  if (s.size() >= width) return s;
  return std::string(width - s.size(), ' ') + s;
}

std::string gap() { return std::string(kGap, ' '); }

std::string row(const std::string& name, size_t nameWidth, const std::string& state,
                const std::string& packets, const std::string& bytes, const std::string& rate,
                const std::string& drops) {
  return padRight(name, nameWidth) + gap() + padRight(state, kStateWidth) + gap() +
         padLeft(packets, kPacketsWidth) + gap() + padLeft(bytes, kBytesWidth) + gap() +
         padLeft(rate, kRateWidth) + gap() + padLeft(drops, kDropsWidth);
}

std::string fit(std::string line, size_t width) {
  const size_t limit = width > 1 ? width - 1 : 1;
  while (!line.empty() && line.back() == ' ') line.pop_back();
  if (line.size() > limit) line.resize(limit);
  return line;
}

std::string scaled(double value, const char* const* units, size_t count, double step,
                   bool integerBase) {
  size_t unit = 0;
  while (value >= step && unit + 1 < count) {
    value /= step;
    ++unit;
  }
  char buf[32];
  if (unit == 0 && integerBase) {
    std::snprintf(buf, sizeof buf, "%.0f%s", value, units[0]);
  } else {
    std::snprintf(buf, sizeof buf, value < 10 ? "%.2f%s" : value < 100 ? "%.1f%s" : "%.0f%s",
                  value, units[unit]);
  }
  return buf;
}

}  // namespace

const char* toString(TargetState state) {
  switch (state) {
    case TargetState::Connecting: return "connecting";
    case TargetState::Streaming: return "streaming";
    case TargetState::Retrying: return "retrying";
    case TargetState::Failed: return "failed";
    case TargetState::Done: return "done";
  }
  return "?";
}

std::string formatCount(uint64_t n) {
  if (n < 10000) return std::to_string(n);
  static const char* const units[] = {"", "k", "M", "G", "T"};
  return scaled(static_cast<double>(n), units, 5, 1000, true);
}

std::string formatBytes(double bytes) {
  static const char* const units[] = {" B", " kB", " MB", " GB", " TB"};
  return scaled(std::max(0.0, bytes), units, 5, 1000, true);
}

std::string formatRate(double bytesPerSec) { return formatBytes(bytesPerSec) + "/s"; }

std::string formatElapsed(double seconds) {
  const auto total = static_cast<long long>(std::max(0.0, seconds));
  char buf[32];
  std::snprintf(buf, sizeof buf, "%02lld:%02lld:%02lld", total / 3600, total / 60 % 60, total % 60);
  return buf;
}

std::vector<std::string> renderProgressTable(const ProgressSnapshot& s, size_t width,
                                             size_t maxRows) {
  size_t longest = kMinNameWidth;
  for (const auto& t : s.targets) longest = std::max(longest, t.name.size());
  const size_t room = width > kFixedWidth + kMinNameWidth + 1 ? width - kFixedWidth - 1 : kMinNameWidth;
  const size_t nameWidth = std::clamp(longest, kMinNameWidth, std::min(room, kMaxNameWidth));

  std::vector<std::string> lines;
  lines.push_back(fit(row("TARGET", nameWidth, "STATE", "PACKETS", "BYTES", "RATE", "DROPS"), width));
  const size_t shown = std::min(s.targets.size(), std::max<size_t>(maxRows, 1));
  for (size_t i = 0; i < shown; ++i) {
    const TargetProgress& t = s.targets[i];
    lines.push_back(fit(row(t.name, nameWidth, toString(t.state), formatCount(t.packets),
                            formatBytes(static_cast<double>(t.bytes)), formatRate(t.bytesPerSec),
                            t.drops ? formatCount(*t.drops) : "-"),
                        width));
  }
  if (shown < s.targets.size()) {
    lines.push_back(fit("... " + std::to_string(s.targets.size() - shown) + " more targets", width));
  }
  lines.push_back(fit("output " + formatBytes(static_cast<double>(s.outputBytes)) + "  " +
                          formatRate(s.outputBytesPerSec) + "  " + formatCount(s.outputPackets) +
                          " packets  " + formatElapsed(s.elapsedSec),
                      width));
  return lines;
}

std::string clearFrame(size_t previousLines) {
  std::string out = "\r";
  if (previousLines > 0) out += "\x1b[" + std::to_string(previousLines) + "A";
  out += "\x1b[J";
  return out;
}

std::string progressFrame(const std::vector<std::string>& lines, size_t previousLines) {
  std::string out = clearFrame(previousLines);
  for (const auto& line : lines) out += line + "\n";
  return out;
}

double RateMeter::update(uint64_t total, double nowSec) {
  if (!started_) {
    started_ = true;
    lastTotal_ = total;
    lastSec_ = nowSec;
    return rate_;
  }
  const double dt = nowSec - lastSec_;
  if (dt <= 0) return rate_;
  const double instant = static_cast<double>(total >= lastTotal_ ? total - lastTotal_ : 0) / dt;
  const double alpha = 1.0 - std::exp(-dt / window_);
  rate_ += alpha * (instant - rate_);
  lastTotal_ = total;
  lastSec_ = nowSec;
  return rate_;
}

}  // namespace ddump
