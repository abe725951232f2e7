#pragma once
// The worker's HTTP API: /capture, /interfaces, /healthz, /stats, /metrics.
// Every refusal is a 4xx/5xx with a JSON body {"error": "..."} sent before any
// pcap byte.

#include <httplib.h>

#include <atomic>
#include <string>

#include "capture_registry.h"
#include "connection_limits.h"
#include "event_log.h"
#include "history_recorder.h"
#include "worker_options.h"

namespace ddump {

struct WorkerContext {
  const WorkerOptions& options;
  CaptureRegistry& registry;
  EventLog& log;
  std::string exclusions;  // BPF for the worker's own traffic and --exclude
  std::string hostname;
  std::string selfPath;  // for the setcap hint
  HistoryRecorder* history = nullptr;  // --history; nullptr when off
  const ConnectionLimits* connections = nullptr;  // every listener's connections
  std::atomic<bool> stopping{false};
};

void installRoutes(httplib::Server& server, WorkerContext& context);

// "permission denied ..." plus the one command that fixes it.
std::string withPrivilegeHint(const Error& error, const std::string& selfPath);

}  // namespace ddump
