#pragma once
// One line per event on stderr, as text (key=value) or JSON (one object per
// line), so journald, kubectl logs and log shippers all read it.

#include <cstdint>
#include <mutex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "worker_options.h"

namespace ddump {

using LogValue = std::variant<std::string, int64_t, uint64_t, double>;
using LogFields = std::vector<std::pair<std::string, LogValue>>;

class EventLog {
 public:
  explicit EventLog(LogFormat format) : format_(format) {}
  void write(const std::string& level, const std::string& event, const LogFields& fields);
  void info(const std::string& event, const LogFields& fields = {}) { write("info", event, fields); }
  void warn(const std::string& event, const LogFields& fields = {}) { write("warn", event, fields); }
  void error(const std::string& event, const LogFields& fields = {}) { write("error", event, fields); }

 private:
  LogFormat format_;
  std::mutex mutex_;
};

std::string isoTimeNow();

}  // namespace ddump
