#include "k8s_answers.h"

#include <arpa/inet.h>

#include <algorithm>

#include "k8s_json.h"
#include "k8s_names.h"

namespace ddump {
namespace {

void addUnique(std::vector<std::string>& list, std::string value) {
  if (std::find(list.begin(), list.end(), value) == list.end()) list.push_back(std::move(value));
}

// status.podIPs (every address of a dual-stack pod) or, from clusters
// before it existed (Kubernetes 1.16), status.podIP.
std::optional<std::string> readPodIps(Fields& fields, std::vector<std::string>& ips) {
  const Json* list = fields.typed({"status", "podIPs"}, true);
  std::vector<std::pair<std::string, std::string>> given;  // field, text
  for (size_t i = 0; list != nullptr && i < list->size(); ++i) {
    const std::string field = "status.podIPs[" + std::to_string(i) + "].ip";
    const Json* ip = member((*list)[i], "ip");
    if (ip == nullptr || !ip->is_string()) return field + " is not a string";
    given.emplace_back(field, ip->get<std::string>());
  }
  if (given.empty()) {
    const std::string ip = fields.text({"status", "podIP"});
    if (!ip.empty()) given.emplace_back("status.podIP", ip);
  }
  if (fields.problem()) return fields.problem();
  for (const auto& [field, text] : given) {
    auto canonical = canonicalIp(text);
    if (!canonical) return field + " " + quotedText(text) + " is not an IP address";
    addUnique(ips, std::move(*canonical));
  }
  return std::nullopt;
}

Result<PodInfo> readPod(const Json& object, std::string_view what, const std::string& where) {
  Fields fields(object);
  PodInfo pod;
  if (auto problem = readIdentity(fields, pod.name, pod.namespaceName)) {
    return kubectlError(what, where + ": " + *problem);
  }
  const std::string context = "pod " + quotedText(pod.name) + ": ";
  pod.phase = printableText(fields.text({"status", "phase"}), 32);
  pod.nodeName = fields.text({"spec", "nodeName"});
  pod.hostNetwork = fields.flag({"spec", "hostNetwork"});
  pod.terminating = fields.find({"metadata", "deletionTimestamp"}) != nullptr;
  if (fields.problem()) return kubectlError(what, context + *fields.problem());
  if (auto problem = pod.nodeName.empty() ? std::nullopt : dnsSubdomainProblem(pod.nodeName)) {
    return kubectlError(what, context + "spec.nodeName: " + *problem);
  }
  if (auto problem = readPodIps(fields, pod.ips)) return kubectlError(what, context + *problem);
  return pod;
}

Result<NodeInfo> readNode(const Json& object, const std::string& where) {
  Fields fields(object);
  NodeInfo node;
  std::string ns;
  if (auto problem = readIdentity(fields, node.name, ns)) {
    return kubectlError("nodes", where + ": " + *problem);
  }
  const Json* addresses = fields.typed({"status", "addresses"}, true);
  if (fields.problem()) {
    return kubectlError("nodes", "node " + quotedText(node.name) + ": " + *fields.problem());
  }
  for (size_t i = 0; addresses != nullptr && i < addresses->size(); ++i) {
    Fields entry((*addresses)[i]);
    const std::string type = entry.text({"type"});
    const std::string address = entry.text({"address"});
    if (entry.problem()) continue;  // not an address ddump can use
    auto ip = canonicalIp(address);
    if (type == "InternalIP" && ip) addUnique(node.internalIps, std::move(*ip));
    if (type == "ExternalIP" && ip) addUnique(node.externalIps, std::move(*ip));
    if (type == "Hostname" && node.hostname.empty() && !dnsSubdomainProblem(address)) {
      node.hostname = address;
    }
  }
  return node;
}

// An ERROR event's object is a metav1.Status: its message, and its code
// (410 Gone: the watch's resourceVersion is too old, the list must be read
// again; https://kubernetes.io/docs/reference/using-api/api-concepts/).
Error watchError(const Json& status) {
  Fields fields(status);
  std::string message = printableText(fields.text({"message"}), 200);
  if (message.empty()) message = "no message";
  const Json* code = member(status, "code");
  if (code != nullptr && code->is_number_integer()) {
    message += " (code " + std::to_string(code->get<int64_t>()) + ")";
  }
  return kubectlError("watch", "the API server ended it: " + message);
}

// "items[3]" for an item of a list, else "the object".
std::string whereOf(const std::vector<const Json*>& objects, size_t i, const Json& json) {
  return objects[i] == &json ? "the object" : "items[" + std::to_string(i) + "]";
}

}  // namespace

std::optional<std::string> canonicalIp(std::string_view text) {
  if (text.empty() || text.size() >= INET6_ADDRSTRLEN) return std::nullopt;
  const std::string z(text);  // inet_pton reads a C string
  unsigned char bytes[16];
  char out[INET6_ADDRSTRLEN];
  for (const int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, z.c_str(), bytes) == 1 &&
        inet_ntop(family, bytes, out, sizeof out) != nullptr) {
      return std::string(out);
    }
  }
  return std::nullopt;
}

Result<std::vector<PodInfo>> parsePods(std::string_view text) {
  return guarded("pods", [&]() -> Result<std::vector<PodInfo>> {
    Json json;
    std::optional<Error> error;
    if (!parseAnswer(text, "pods", json, error)) return *error;
    std::vector<const Json*> objects;
    if (auto problem = objectsOf(json, "Pod", objects)) return kubectlError("pods", *problem);
    std::vector<PodInfo> pods;
    for (size_t i = 0; i < objects.size(); ++i) {
      auto pod = readPod(*objects[i], "pods", whereOf(objects, i, json));
      if (!pod) return pod.error();
      pods.push_back(std::move(*pod));
    }
    return pods;
  });
}

Result<std::vector<NodeInfo>> parseNodes(std::string_view text) {
  return guarded("nodes", [&]() -> Result<std::vector<NodeInfo>> {
    Json json;
    std::optional<Error> error;
    if (!parseAnswer(text, "nodes", json, error)) return *error;
    std::vector<const Json*> objects;
    if (auto problem = objectsOf(json, "Node", objects)) return kubectlError("nodes", *problem);
    std::vector<NodeInfo> nodes;
    for (size_t i = 0; i < objects.size(); ++i) {
      auto node = readNode(*objects[i], whereOf(objects, i, json));
      if (!node) return node.error();
      nodes.push_back(std::move(*node));
    }
    return nodes;
  });
}

Result<ServiceInfo> parseService(std::string_view text) {
  return guarded("service", [&]() -> Result<ServiceInfo> {
    Json json;
    std::optional<Error> error;
    if (!parseAnswer(text, "service", json, error)) return *error;
    const Json* kind = member(json, "kind");
    if (kind == nullptr || !kind->is_string() || kind->get<std::string>() != "Service") {
      return kubectlError("service", "answer is not a Service");
    }
    Fields fields(json);
    ServiceInfo service;
    if (auto problem = readIdentity(fields, service.name, service.namespaceName)) {
      return kubectlError("service", *problem);
    }
    std::vector<std::string> given;
    if (const Json* list = fields.typed({"spec", "clusterIPs"}, true)) {
      for (const Json& ip : *list) {
        if (!ip.is_string()) return kubectlError("service", "spec.clusterIPs holds a non-string");
        given.push_back(ip.get<std::string>());
      }
    }
    if (given.empty()) given.push_back(fields.text({"spec", "clusterIP"}));
    if (fields.problem()) return kubectlError("service", *fields.problem());
    for (const std::string& ip : given) {
      if (ip.empty() || ip == "None") continue;  // headless: no virtual address
      auto canonical = canonicalIp(ip);
      if (!canonical) {
        return kubectlError("service",
                            "spec.clusterIPs: " + quotedText(ip) + " is not an IP address");
      }
      addUnique(service.clusterIps, std::move(*canonical));
    }
    return service;
  });
}

Result<PodEvent> parsePodEvent(std::string_view line) {
  return guarded("watch event", [&]() -> Result<PodEvent> {
    Json json;
    std::optional<Error> error;
    if (!parseAnswer(line, "watch event", json, error)) return *error;
    Fields fields(json);
    const std::string type = fields.text({"type"});
    const Json* object = fields.typed({"object"}, false);
    if (fields.problem()) return kubectlError("watch event", *fields.problem());
    if (type.empty() || object == nullptr) {
      return kubectlError("watch event", "no type and object (kubectl --output-watch-events)");
    }
    if (type == "ERROR") return watchError(*object);
    if (type == "BOOKMARK") return PodEvent{WatchEventType::Bookmark, {}};
    const std::pair<const char*, WatchEventType> types[] = {{"ADDED", WatchEventType::Added},
                                                            {"MODIFIED", WatchEventType::Modified},
                                                            {"DELETED", WatchEventType::Deleted}};
    for (const auto& [name, value] : types) {
      if (type != name) continue;
      const Json* kind = member(*object, "kind");
      if (kind != nullptr && !(kind->is_string() && kind->get<std::string>() == "Pod")) {
        return kubectlError("watch event", "object is not a Pod");
      }
      auto pod = readPod(*object, "watch event", "object");
      if (!pod) return pod.error();
      return PodEvent{value, std::move(*pod)};
    }
    return kubectlError("watch event", "unknown type " + quotedText(type));
  });
}

}  // namespace ddump
