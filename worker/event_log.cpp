#include "event_log.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

namespace ddump {
namespace {

std::string textValue(const LogValue& v) {
  if (const auto* s = std::get_if<std::string>(&v)) {
    // Quoted and escaped, invalid UTF-8 replaced: safe for hostile text.
    return nlohmann::json(*s).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  if (const auto* d = std::get_if<double>(&v)) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.3f", *d);
    return buf;
  }
  return std::visit([](const auto& x) -> std::string {
    if constexpr (std::is_same_v<std::decay_t<decltype(x)>, std::string>) return x;
    else return std::to_string(x);
  }, v);
}

}  // namespace

std::string isoTimeNow() {
  const auto now = std::chrono::system_clock::now();
  const std::time_t t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()) % 1000;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(ms.count()));
  return buf;
}

void EventLog::write(const std::string& level, const std::string& event, const LogFields& fields) {
  std::string line;
  if (format_ == LogFormat::Json) {
    nlohmann::json j;
    j["time"] = isoTimeNow();
    j["level"] = level;
    j["event"] = event;
    for (const auto& [key, value] : fields) {
      std::visit([&, k = key](const auto& x) { j[k] = x; }, value);
    }
    line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  } else {
    line = isoTimeNow() + " ddump-worker " + level + " " + event;
    for (const auto& [key, value] : fields) line += " " + key + "=" + textValue(value);
  }
  line += "\n";
  std::lock_guard lock(mutex_);
  std::fwrite(line.data(), 1, line.size(), stderr);
  std::fflush(stderr);
}

}  // namespace ddump
