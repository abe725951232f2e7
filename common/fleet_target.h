#pragma once
// Targets that name a fleet instead of one worker: every address of a DNS
// name, or the pods Kubernetes selects.
//
//   dns:NAME[:PORT]          every A and AAAA address of NAME, one stream each
//   k8s:[NAMESPACE/]WHAT     WHAT = pod/NAME | deploy/NAME | sts/NAME | ds/NAME
//                            | svc/NAME | a label selector (app=web,tier!=db)
//
// Only the syntax is checked here (the names are resolved by the client):
// NAME as a host name (RFC 1123 §2.1, RFC 1035 §2.3.4 lengths), Kubernetes
// names and label selectors as the API server validates them (k8s_names.h).
//
// The part of a k8s: target before its first '/' is the namespace only when
// it is a namespace's name (a DNS label: no dots, no '=') and not a kind
// word: "k8s:app.kubernetes.io/name=web" is a selector in the context's
// namespace, "k8s:shop/app=web" the selector app=web in namespace shop,
// "k8s:deploy/web" and "k8s:shop/deploy/web" the Deployment web.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"
#include "target.h"

namespace ddump {

// A command-line word or --targets line is never longer in practice; the
// bound keeps messages and kubectl's argument small.
inline constexpr size_t kMaxFleetTargetBytes = 4096;

enum class FleetKind { Dns, Kubernetes };

enum class WorkloadKind { Pod, Deployment, StatefulSet, DaemonSet, Service, Selector };

struct FleetTarget {
  FleetKind kind = FleetKind::Dns;
  std::string text;  // as given, for messages

  // Dns: the name (as written, a final dot kept) and the workers' port.
  std::string dnsName;
  uint16_t port = kDefaultPort;
  bool portGiven = false;  // NAME:PORT, not the default

  // Kubernetes: nullopt means "no namespace given" (the kubeconfig
  // context's namespace applies).
  std::optional<std::string> k8sNamespace;
  WorkloadKind workload = WorkloadKind::Selector;
  std::string objectName;  // Pod..Service: the object's name
  std::string selector;    // Selector: the label selector, as written
};

// True for texts that start with "dns:" or "k8s:" (any case), which
// parseFleetTarget takes and parseTarget does not.
bool isFleetTarget(std::string_view text);

// Errors: InvalidArgument, one line, "bad target 'TEXT': WHAT IS WRONG".
Result<FleetTarget> parseFleetTarget(std::string_view text);

// The resource kubectl lists for a kind ("pods", "deployments", ...); a
// selector selects pods.
std::string kubectlResource(WorkloadKind kind);

// The target in its canonical spelling ("dns:web.example:8475",
// "k8s:shop/deploy/web", "k8s:app=web"), which parses to the same target.
std::string canonicalText(const FleetTarget& target);

}  // namespace ddump
