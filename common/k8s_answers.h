#pragma once
// What `kubectl get ... -o json` prints, read into the few fields ddump
// uses to find the pods of a k8s: target and the workers beside them. The
// shapes are the Kubernetes API's (https://kubernetes.io/docs/reference/
// kubernetes-api/: Pod, Node, Deployment/StatefulSet/DaemonSet/ReplicaSet
// with a LabelSelector, Service; a single object or a List of "items").
//
// The text is untrusted (kubectl prints what the API server, or whatever
// answers in its place, sent): at most 64 MiB of it is read, parsed without
// exceptions escaping (nlohmann::json's errors become Result errors), every
// field is type-checked before it is read, and every name and address that
// comes out is checked: names as the API server checks them (k8s_names.h),
// addresses as IP addresses in canonical form (inet_ntop's), so they can go
// into a filter, a URL or a message as they are. Errors are one line.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"
#include "workload_selector.h"

namespace ddump {

inline constexpr size_t kMaxKubectlAnswerBytes = size_t{64} << 20;

struct PodInfo {
  std::string name;
  std::string namespaceName;     // "" when the object does not say
  std::vector<std::string> ips;  // status.podIPs[].ip, else status.podIP; no duplicates
  std::string phase;             // status.phase: Pending, Running, Succeeded, Failed, Unknown
  std::string nodeName;          // spec.nodeName: "" until the pod is scheduled
  bool hostNetwork = false;      // spec.hostNetwork: the node's own addresses
  bool terminating = false;      // metadata.deletionTimestamp is set
};

struct NodeInfo {
  std::string name;
  // status.addresses by type, in the API's order. The API does not check
  // that they are addresses: entries of these types that are not IP
  // addresses are left out.
  std::vector<std::string> internalIps;
  std::vector<std::string> externalIps;
  std::string hostname;  // the first of type Hostname, when a DNS subdomain
};

struct ServiceInfo {
  std::string name;
  std::string namespaceName;
  std::vector<std::string> clusterIps;  // spec.clusterIPs, else spec.clusterIP; none when headless
};

// metav1.WatchEvent types (k8s.io/apimachinery/pkg/watch). An ERROR event
// is an error of parsePodEvent, carrying the Status's message.
enum class WatchEventType { Added, Modified, Deleted, Bookmark };

struct PodEvent {
  WatchEventType type = WatchEventType::Added;
  PodInfo pod;  // empty for a Bookmark
};

// A PodList, a List of pods or one Pod. An item that is no Pod, a name that
// is no DNS subdomain or an address that is no IP address is an error.
Result<std::vector<PodInfo>> parsePods(std::string_view text);

// A NodeList, a List of nodes or one Node.
Result<std::vector<NodeInfo>> parseNodes(std::string_view text);

// selectorOf (a workload's or a service's pods as a label selector):
// workload_selector.h.

// One Service.
Result<ServiceInfo> parseService(std::string_view text);

// One line of `kubectl get pods --watch --output-watch-events -o json`:
// kubectl prints each metav1.WatchEvent with json.Marshal and a newline
// (k8s.io/cli-runtime/pkg/printers/json.go), {"type":"ADDED","object":{...}}.
Result<PodEvent> parsePodEvent(std::string_view line);

// The canonical text of an IPv4 or IPv6 address (inet_pton(3) then
// inet_ntop(3)), or nullopt for anything else (names, zones, prefixes).
std::optional<std::string> canonicalIp(std::string_view text);

}  // namespace ddump
