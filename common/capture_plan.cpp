#include "capture_plan.h"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <map>
#include <set>
#include <tuple>

#include "ascii.h"
#include "filter_check.h"
#include "k8s_names.h"

namespace ddump {
namespace {

const char* schemeText(WorkerScheme scheme) {
  return scheme == WorkerScheme::Https ? "https" : "http";
}

// Addresses in numeric order, IPv4 before IPv6 (10.0.0.9 before 10.0.0.10).
struct AddressKey {
  int family = 0;
  std::array<unsigned char, 16> bytes{};
  bool operator<(const AddressKey& other) const {
    return std::tie(family, bytes) < std::tie(other.family, other.bytes);
  }
};

std::optional<AddressKey> addressKey(const std::string& ip) {
  AddressKey key;
  for (const int family : {AF_INET, AF_INET6}) {
    if (inet_pton(family, ip.c_str(), key.bytes.data()) == 1) {
      key.family = family == AF_INET ? 4 : 6;
      return key;
    }
  }
  return std::nullopt;
}

// At most 8 names, so that a note stays a readable line on a large node.
std::string names(const std::vector<std::string>& pods) {
  constexpr size_t kShown = 8;
  std::string out;
  for (size_t i = 0; i < pods.size() && i < kShown; ++i) {
    if (i != 0) out += ", ";
    out += printableText(pods[i]);
  }
  if (pods.size() > kShown) out += " and " + std::to_string(pods.size() - kShown) + " more";
  return out;
}

// The pods to capture, grouped by node; notes for those left out.
class PodSorter {
 public:
  PodSorter(const std::string& target, std::vector<std::string>& notes)
      : target_(target), notes_(notes) {}

  void add(const PodInfo& pod) {
    if (pod.terminating || pod.phase == "Succeeded" || pod.phase == "Failed") {
      ++finished_;
      return;
    }
    const std::string name = printableText(pod.name);
    if (pod.nodeName.empty()) return note("pod " + name + " is not scheduled yet; left out");
    if (pod.hostNetwork) {
      return note("pod " + name + " uses the host network of node " + printableText(pod.nodeName) +
                  ": its addresses would match the node's whole traffic; left out (capture the "
                  "node's worker to see it)");
    }
    std::vector<std::pair<AddressKey, std::string>> addresses;
    for (const std::string& ip : pod.ips) {
      if (auto key = addressKey(ip)) addresses.emplace_back(*key, ip);
    }
    if (addresses.empty()) return note("pod " + name + " has no IP address yet; left out");
    Group& group = groups_[pod.nodeName];
    group.pods.push_back(pod.name);
    for (auto& [key, ip] : addresses) group.addresses.emplace(key, PodAddress{ip, pod.name});
  }

  struct Group {
    std::vector<std::string> pods;
    std::map<AddressKey, PodAddress> addresses;  // the first pod of an address keeps it
  };
  const std::map<std::string, Group>& groups() const { return groups_; }
  size_t finished() const { return finished_; }

 private:
  void note(const std::string& text) { notes_.push_back(target_ + ": " + text); }

  const std::string& target_;
  std::vector<std::string>& notes_;
  std::map<std::string, Group> groups_;
  size_t finished_ = 0;
};

// The running, not terminating worker on `node` (the first by name: a
// rolling update briefly has two), or nullptr.
const PodInfo* workerOn(const std::string& node, const std::vector<const PodInfo*>& workers) {
  for (const PodInfo* worker : workers) {
    if (worker->nodeName == node && !worker->terminating && worker->phase == "Running") {
      return worker;
    }
  }
  return nullptr;
}

// The node's address a worker listens on: its first InternalIP (the
// kubelet lists the primary family first), else its first ExternalIP.
std::optional<std::string> nodeAddress(const std::string& node,
                                       const std::vector<NodeInfo>& nodes) {
  for (const NodeInfo& info : nodes) {
    if (info.name != node) continue;
    if (!info.internalIps.empty()) return info.internalIps.front();
    if (!info.externalIps.empty()) return info.externalIps.front();
  }
  return std::nullopt;
}

std::string directUrl(const std::string& ip, WorkerScheme scheme, uint16_t port) {
  const bool v6 = ip.find(':') != std::string::npos;
  std::string url = schemeText(scheme);
  url += "://";
  url += v6 ? "[" + ip + "]" : ip;
  return url + ":" + std::to_string(port) + kDefaultPath;
}

// "(host A or host B)", and " and (USER)" when the user gave a filter.
std::string filterFor(const PodSorter::Group& group, const std::string& userFilter) {
  std::string hosts;
  for (const auto& [key, address] : group.addresses) {
    hosts += (hosts.empty() ? "host " : " or host ") + address.ip;
  }
  std::string filter = "(" + hosts + ")";
  if (!userFilter.empty()) filter += " and (" + userFilter + ")";
  return filter;
}

bool isBlank(const std::string& text) {
  return std::all_of(text.begin(), text.end(),
                     [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; });
}

// Adds the capture of one node, or a note saying why it is left out.
void planNode(const std::string& node, const PodSorter::Group& group,
              const std::vector<const PodInfo*>& workers, const std::vector<NodeInfo>& nodes,
              const PlanSettings& settings, CapturePlan& plan) {
  const std::string lead = settings.target + ": node " + printableText(node) + ": ";
  const std::string left = "; left out pods " + names(group.pods);
  const PodInfo* worker = workerOn(node, workers);
  if (worker == nullptr) return plan.notes.push_back(lead + "no ddump worker running" + left);
  NodeCapture capture;
  capture.node = node;
  capture.workerPod = worker->name;
  if (settings.apiServer) {
    const std::string ns = worker->namespaceName.empty() ? kWorkerNamespace : worker->namespaceName;
    capture.url =
        podProxyUrl(*settings.apiServer, ns, worker->name, settings.scheme, settings.port);
  } else {
    const auto address = nodeAddress(node, nodes);
    if (!address) return plan.notes.push_back(lead + "no InternalIP or ExternalIP address" + left);
    capture.url = directUrl(*address, settings.scheme, settings.port);
  }
  capture.filter = filterFor(group, isBlank(settings.userFilter) ? "" : settings.userFilter);
  // The worker refuses a filter of more primitives than it compiles quickly
  // (filter_check.h): better said here, once, than by every worker.
  const size_t primitives = scanFilter(capture.filter).primitives;
  if (primitives > kMaxFilterPrimitives) {
    return plan.notes.push_back(lead + "the filter for its " + std::to_string(group.pods.size()) +
                                " pods (" + std::to_string(group.addresses.size()) +
                                " addresses) has " + std::to_string(primitives) +
                                " primitives, more than the " +
                                std::to_string(kMaxFilterPrimitives) + " a worker compiles" + left);
  }
  capture.pods = group.pods;
  for (const auto& [key, address] : group.addresses) capture.addresses.push_back(address);
  plan.captures.push_back(std::move(capture));
}

// A user filter whose parentheses do not balance could close the pods'
// part and widen it ("tcp) or (udp"): refused, as the worker refuses one.
std::optional<std::string> userFilterProblem(const std::string& filter) {
  const FilterScan scan = scanFilter(filter);
  if (scan.strayClose || scan.unclosed != 0) {
    return "the filter '" + printableText(filter) + "' has unbalanced parentheses";
  }
  return std::nullopt;
}

}  // namespace

std::string podProxyUrl(const std::string& apiServer, const std::string& ns,
                        const std::string& worker, WorkerScheme scheme, uint16_t port) {
  std::string base = apiServer;
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/api/v1/namespaces/" + ns + "/pods/" + schemeText(scheme) + ":" + worker + ":" +
         std::to_string(port) + "/proxy" + kDefaultPath;
}

CapturePlan planCapture(const std::vector<PodInfo>& selected, const std::vector<PodInfo>& workers,
                        const std::vector<NodeInfo>& nodes, const PlanSettings& settings) {
  CapturePlan plan;
  const std::string target = printableText(settings.target, 128);
  if (auto problem = userFilterProblem(settings.userFilter)) {
    plan.fatal = target + ": " + *problem;
    return plan;
  }
  if (selected.empty()) {
    plan.fatal = target + ": no pods match";
    return plan;
  }
  // By node, then name; a pod listed twice (by name) counts once, as first listed.
  std::vector<const PodInfo*> pods;
  std::set<std::string> seen;
  for (const PodInfo& pod : selected) {
    if (seen.insert(pod.name).second) pods.push_back(&pod);
  }
  const auto byNodeAndName = [](const PodInfo* a, const PodInfo* b) {
    return std::tie(a->nodeName, a->name) < std::tie(b->nodeName, b->name);
  };
  std::stable_sort(pods.begin(), pods.end(), byNodeAndName);
  // Workers with names fit for a URL path, by name.
  std::vector<const PodInfo*> usable;
  for (const PodInfo& worker : workers) {
    if (!dnsSubdomainProblem(worker.name) &&
        (worker.namespaceName.empty() || !dnsLabelProblem(worker.namespaceName))) {
      usable.push_back(&worker);
    }
  }
  std::stable_sort(usable.begin(), usable.end(), byNodeAndName);

  PodSorter sorter(target, plan.notes);
  for (const PodInfo* pod : pods) sorter.add(*pod);
  PlanSettings named = settings;
  named.target = target;
  for (const auto& [node, group] : sorter.groups())
    planNode(node, group, usable, nodes, named, plan);
  if (plan.captures.empty()) {
    plan.fatal = sorter.finished() == pods.size()
                     ? target + ": no pods match that are not finished or terminating (" +
                           std::to_string(pods.size()) + " are)"
                     : target + ": none of the " + std::to_string(pods.size()) +
                           " matching pods can be captured";
  }
  return plan;
}

}  // namespace ddump
