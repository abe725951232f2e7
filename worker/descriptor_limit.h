#pragma once
// The connection caps and the file descriptors they need. Every open
// connection is a descriptor: past RLIMIT_NOFILE accept(2) fails for every
// client alike, health probes included, so the total cap must stay below
// the limit with room for the rest (captures, listeners, the history).
// Many systems start a process with a soft limit of 1024 and a far higher
// hard limit, which the process may raise its soft limit to (getrlimit(2)),
// so the worker raises it as far as its caps need.

#include <cstddef>

#include "event_log.h"
#include "worker_options.h"

namespace ddump {

struct ConnectionCaps {
  size_t total = 0;
  size_t perPeer = 0;  // 0: none
};

// --max-connections and --max-connections-per-peer with their defaults
// resolved, after raising the soft RLIMIT_NOFILE as far as they need.
// Throws std::runtime_error (start-up only) when an explicit
// --max-connections cannot fit under the hard limit.
ConnectionCaps connectionCaps(const WorkerOptions& options, EventLog& log);

}  // namespace ddump
