#pragma once
// What /stats and /metrics show of the connection caps: how many are open,
// the caps, and how many were refused at each (so a flood shows as a
// counter going up, not as a worker that stops answering).

#include <nlohmann/json.hpp>
#include <string>

#include "connection_limits.h"

namespace ddump {

// {"open", "max", "max_per_peer", "peers", "accepted", "refused": {...}}
nlohmann::json connectionStatsJson(const ConnectionCounts& counts);
// Prometheus text exposition format 0.0.4: ddump_connections_open,
// ddump_connections_max, ddump_connections_per_peer_max,
// ddump_connections_accepted_total and ddump_connections_refused_total
// with reason="max_connections" / "max_connections_per_peer".
std::string connectionMetricsText(const ConnectionCounts& counts);

}  // namespace ddump
