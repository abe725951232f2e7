#pragma once
// ddump-worker's command line. Parsing happens once at start-up, so bad flags
// throw UsageError, caught in main (exit 2).

#include <stdexcept>
#include <string>
#include <vector>

#include "listen_address.h"

namespace ddump {

struct UsageError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

enum class LogFormat { Text, Json };

struct WorkerOptions {
  std::vector<ListenAddress> listen;
  unsigned socketMode = 0660;
  unsigned maxCaptures = 16;
  double maxDurationSeconds = 0;  // 0: no cap
  uint32_t snaplen = 262144;
  int bufferSizeKiB = 0;
  std::vector<std::string> excludes;
  LogFormat logFormat = LogFormat::Text;
  bool showHelp = false;
  bool showVersion = false;
};

WorkerOptions parseWorkerOptions(int argc, char** argv);
std::string workerUsage();

}  // namespace ddump
