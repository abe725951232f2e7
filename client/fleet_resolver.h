#pragma once
// Turns a fleet target (common/fleet_target.h) into worker URLs at start-up:
//
//   dns:NAME[:PORT]   every A and AAAA address of NAME (getaddrinfo, so
//                     /etc/hosts and the system's resolver as for any name),
//                     one http://ADDRESS:PORT/capture each, labelled by the
//                     address's reverse name when it has one
//   k8s:[NS/]WHAT     the user's own kubectl (every kubeconfig, context and
//                     auth plugin works) lists the selected pods, the ddump
//                     worker pods and the nodes; common/capture_plan makes one
//                     target per node hosting selected pods, filtered to
//                     their addresses and the user's filter, labelled by node
//                     (the pods' and a svc/NAME's addresses named for output)
//
// Start-up only: failures throw ConfigError (exit 2) with one line.

#include <atomic>
#include <optional>
#include <string>
#include <vector>

#include "capture_plan.h"
#include "fleet_target.h"
#include "pcapng_names.h"
#include "target.h"

namespace ddump {

struct FleetSettings {
  std::string kubectl = "kubectl";                  // --kubectl
  std::optional<std::string> context;               // --context
  WorkerScheme workerScheme = WorkerScheme::Https;  // --worker-scheme (the DaemonSet's proxy)
  uint16_t workerPort = 8443;                       // --worker-port
  std::string workerSelector = kWorkerSelector;     // --worker-selector [NS/]SELECTOR
  std::string workerNamespace = kWorkerNamespace;
  std::optional<std::string> viaApiServer;  // --via-apiserver URL (e.g. kubectl proxy's)
  std::string userFilter;                   // the capture filter, if any
  // dns: targets: http and port 8475 (as a bare HOST) unless --worker-scheme
  // or --worker-port say otherwise (a NAME:PORT still wins).
  std::optional<WorkerScheme> dnsScheme;
  std::optional<uint16_t> dnsPort;
  double timeoutSec = 30;                   // each kubectl call
  // Set: a kubectl call under way is killed and fails at once (the run ends).
  const std::atomic<bool>* cancel = nullptr;
};

struct ResolvedTarget {
  Target target;
  std::string label;              // host name in outputs: the reverse name, address or node
  std::vector<NameRecord> names;  // k8s: its pods' addresses and names (pcapng's NRB)
  // k8s: svc/NAME: the Service's cluster IPs, named NAME.NAMESPACE.svc (as
  // cluster DNS names it), for pcapng's NRB only: a packet is never the
  // Service's own, so it never decides a packet's pod.
  std::vector<NameRecord> serviceNames;
};

std::vector<ResolvedTarget> resolveFleetTarget(const FleetTarget& fleet,
                                               const FleetSettings& settings);

}  // namespace ddump
