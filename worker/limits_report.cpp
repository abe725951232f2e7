#include "limits_report.h"

namespace ddump {
namespace {

void metric(std::string& out, const char* name, const char* type, const char* help,
            uint64_t value) {
  out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
         name + " " + std::to_string(value) + "\n";
}

}  // namespace

nlohmann::json connectionStatsJson(const ConnectionCounts& counts) {
  return {{"open", counts.open},
          {"max", counts.maxTotal},
          {"max_per_peer", counts.maxPerPeer},
          {"peers", counts.peers},
          {"accepted", counts.admitted},
          {"refused",
           {{"max_connections", counts.refusedTotal},
            {"max_connections_per_peer", counts.refusedPerPeer}}}};
}

std::string connectionMetricsText(const ConnectionCounts& counts) {
  std::string out;
  metric(out, "ddump_connections_open", "gauge", "Client connections open now, on every listener.",
         counts.open);
  metric(out, "ddump_connections_max", "gauge", "Limit on open connections (--max-connections).",
         counts.maxTotal);
  metric(out, "ddump_connections_per_peer_max", "gauge",
         "Limit on open connections from one address (--max-connections-per-peer; 0: none).",
         counts.maxPerPeer);
  metric(out, "ddump_connections_accepted_total", "counter",
         "Connections accepted within the limits.", counts.admitted);
  out +=
      "# HELP ddump_connections_refused_total Connections answered 503 and closed at once, by "
      "the limit they met.\n"
      "# TYPE ddump_connections_refused_total counter\n"
      "ddump_connections_refused_total{reason=\"max_connections\"} " +
      std::to_string(counts.refusedTotal) +
      "\n"
      "ddump_connections_refused_total{reason=\"max_connections_per_peer\"} " +
      std::to_string(counts.refusedPerPeer) + "\n";
  return out;
}

}  // namespace ddump
