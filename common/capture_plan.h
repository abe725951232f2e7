#pragma once
// Which workers to ask for which packets, to capture the pods a k8s:
// target selects. A pod's traffic passes its node's interfaces (its veth,
// the node's uplink), so each node that runs selected pods gets one stream
// from the ddump worker on that node (the DaemonSet's pod, on the node's
// network), filtered to the addresses of those pods:
//
//   (host 10.244.1.9 or host 10.244.1.12 or host fd00:10:244:1::9) and (USER)
//
// Pure: the pods, workers and nodes come from k8s_answers, the plan goes to
// the client, which opens the streams and names packets NODE/POD.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "k8s_answers.h"
#include "target.h"

namespace ddump {

// The worker DaemonSet's namespace and its pods' label
// (deploy/kubernetes/daemonset.yaml).
inline constexpr const char* kWorkerNamespace = "ddump";
inline constexpr const char* kWorkerSelector = "app.kubernetes.io/name=ddump-worker";

enum class WorkerScheme { Http, Https };

struct PlanSettings {
  std::string target;  // the k8s: target as given, for messages
  WorkerScheme scheme = WorkerScheme::Http;
  uint16_t port = kDefaultPort;
  std::string userFilter;  // empty: none
  // The API server's base URL ("https://10.0.0.1:6443") when the workers are
  // reached through its pods/proxy subresource instead of on the nodes'
  // addresses.
  std::optional<std::string> apiServer;
};

struct PodAddress {
  std::string ip;
  std::string pod;
};

struct NodeCapture {
  std::string node;
  std::string workerPod;
  std::string url;                    // up to /capture; the filter goes in its query
  std::string filter;                 // the pods' addresses, and the user's filter
  std::vector<std::string> pods;      // the pods captured, by name
  std::vector<PodAddress> addresses;  // in the filter's order, each with its pod
};

struct CapturePlan {
  std::vector<NodeCapture> captures;  // by node name
  std::vector<std::string> notes;     // one line each: what is left out and why
  std::optional<std::string> fatal;   // set when there is nothing to capture
};

// `selected`: the pods the target names; `workers`: the worker DaemonSet's
// pods; `nodes`: the cluster's nodes (for their InternalIP; not needed
// through the API server). Pods that are terminating, Succeeded or Failed
// are left out quietly; a pod not scheduled or without an address yet, one
// on the host network (its node's whole traffic would match: capture the
// node instead) and the pods of a node without a running worker are left
// out with a note. No pods, or none left: fatal.
CapturePlan planCapture(const std::vector<PodInfo>& selected, const std::vector<PodInfo>& workers,
                        const std::vector<NodeInfo>& nodes, const PlanSettings& settings);

// The URL of the worker pod `worker` (namespace `ns`) through the API
// server's pods/proxy subresource: BASE/api/v1/namespaces/NS/pods/
// SCHEME:NAME:PORT/proxy/capture. The scheme is spelled out: without it the
// API server speaks http to the pod (SplitSchemeNamePort in
// k8s.io/apimachinery/pkg/util/net, used by the pod's ResourceLocation).
std::string podProxyUrl(const std::string& apiServer, const std::string& ns,
                        const std::string& worker, WorkerScheme scheme, uint16_t port);

}  // namespace ddump
