#pragma once
// ddump-worker's command line. Parsing happens once at start-up, so bad flags
// throw UsageError, caught in main (exit 2).

#include <cstddef>
#include <optional>
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
  // Kernel ring per capture. libpcap's 2 MiB default is 8 TPACKET_V3 blocks of
  // 256 KiB: ~7 ms of 1400-byte frames at 200k pps. 32 MiB rides out a busy
  // scheduler (measured: 6.3 % loss -> 0 % in bench/worker-capture).
  int bufferSizeKiB = 32 * 1024;
  // --max-buffer-total: the kernel rings of every capture and the history
  // together, in bytes; resolved by parseWorkerOptions (default 256 MiB,
  // raised to fit the history's ring and one capture's).
  uint64_t maxBufferTotalBytes = 0;
  std::vector<std::string> excludes;
  // --filter-names resolve: host and network names in filters are looked up
  // (DNS) while compiling; by default such a filter is refused.
  bool resolveFilterNames = false;
  LogFormat logFormat = LogFormat::Text;
  // --stats-all: /stats shows every caller every capture (filter, peer, user);
  // by default a caller sees its own in full and the others' only counted.
  bool statsAll = false;
  // The whole request head must arrive within this time of its first byte.
  double requestTimeoutSeconds = 10;
  // --max-connections: open connections over every listener (unset: 1024,
  // fewer if RLIMIT_NOFILE cannot make room; see descriptor_limit.h).
  std::optional<size_t> maxConnections;
  // --max-connections-per-peer: open connections from one remote address
  // (unset: 64, or --max-captures + 16 if more; 0: no cap).
  std::optional<size_t> maxConnectionsPerPeer;
  // --history SIZE: bytes of the in-memory ring of recent records (0: off);
  // --history-snaplen (0: --snaplen) and --history-filter bound what it keeps.
  uint64_t historyBytes = 0;
  uint32_t historySnaplen = 0;
  std::string historyFilter;
  bool showHelp = false;
  bool showVersion = false;
};

WorkerOptions parseWorkerOptions(int argc, char** argv);
std::string workerUsage();

}  // namespace ddump
