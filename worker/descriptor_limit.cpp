#include "descriptor_limit.h"

#include <sys/resource.h>

#include <algorithm>
#include <stdexcept>

namespace ddump {
namespace {

constexpr size_t kDefaultMaxConnections = 1024;
constexpr size_t kDefaultPerPeer = 64;
// Per-peer room beyond --max-captures, so that a proxy (one peer for all
// its clients) can hold every capture and still ask /healthz and /stats.
constexpr size_t kPerPeerAboveCaptures = 16;
// The default total never drops below this, however low the limit is: past
// the limit accept(2) fails and the front waits, rather than refuse all.
constexpr size_t kMinimumDefault = 16;

// Descriptors the worker needs besides its connections: standard streams
// and logs, a listening socket, an epoll set and an eventfd per listener,
// a packet socket (and spares for libpcap and interface listings) per
// capture, the history's capture, DNS for --filter-names resolve.
size_t reservedDescriptors(const WorkerOptions& options) {
  return 64 + 4 * size_t{options.maxCaptures} + 3 * options.listen.size();
}

// Raises the soft limit to `wanted` (at most the hard limit); the soft
// limit in force afterwards.
size_t raiseSoftLimit(size_t wanted) {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return kDefaultMaxConnections;
  if (limit.rlim_cur == RLIM_INFINITY) return SIZE_MAX;
  if (limit.rlim_cur >= wanted) return limit.rlim_cur;
  rlimit raised = limit;
  raised.rlim_cur =
      limit.rlim_max == RLIM_INFINITY ? wanted : std::min<rlim_t>(wanted, limit.rlim_max);
  if (setrlimit(RLIMIT_NOFILE, &raised) != 0) return limit.rlim_cur;
  return raised.rlim_cur;
}

}  // namespace

ConnectionCaps connectionCaps(const WorkerOptions& options, EventLog& log) {
  const size_t reserve = reservedDescriptors(options);
  const size_t wanted = options.maxConnections.value_or(kDefaultMaxConnections);
  const size_t nofile = raiseSoftLimit(wanted + reserve);
  const size_t room = nofile > reserve ? nofile - reserve : 0;
  ConnectionCaps caps;
  if (options.maxConnections) {
    if (*options.maxConnections > room) {
      throw std::runtime_error("--max-connections " + std::to_string(*options.maxConnections) +
                               " needs " + std::to_string(wanted + reserve) +
                               " file descriptors, but RLIMIT_NOFILE allows " +
                               std::to_string(nofile) + " (raise it: ulimit -n, LimitNOFILE=)");
    }
    caps.total = *options.maxConnections;
  } else {
    caps.total = std::max(std::min(wanted, room), kMinimumDefault);
    if (caps.total < wanted) {
      log.warn("connection_limit_lowered",
               {{"max_connections", static_cast<uint64_t>(caps.total)},
                {"rlimit_nofile", static_cast<uint64_t>(nofile)},
                {"message", std::string("RLIMIT_NOFILE leaves room for fewer than 1024 "
                                        "connections (raise it: ulimit -n, LimitNOFILE=)")}});
    }
  }
  caps.perPeer = options.maxConnectionsPerPeer.value_or(
      std::max(kDefaultPerPeer, size_t{options.maxCaptures} + kPerPeerAboveCaptures));
  return caps;
}

}  // namespace ddump
