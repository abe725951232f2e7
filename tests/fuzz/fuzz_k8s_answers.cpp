// libFuzzer target: the client's readers of what kubectl prints
// (common/k8s_answers, workload_selector), the fleet targets of its command
// line (common/fleet_target) and the capture plan made from what they read
// (common/capture_plan). The whole input is read as every kind of answer,
// and each of its lines as a watch event and as a target. Invariants:
//   * nothing throws, and no error comes from an exception caught inside
//     (the readers check every type before they read it);
//   * every error and note is one printable line of at most 1024 bytes;
//   * what is read is plain: pod, node and namespace names pass the API
//     server's checks, addresses are canonical, unique per pod, and a
//     selector from selectorOf parses as a selector;
//   * a fleet target in its canonical spelling parses to the same target;
//   * a plan made from the pods read (as selected pods and as workers)
//     gives per node a filter with balanced parentheses and at most the
//     worker's 32 primitives, an http(s) URL, and the addresses of pods
//     on that node.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "capture_plan.h"
#include "filter_check.h"
#include "fleet_target.h"
#include "k8s_answers.h"
#include "k8s_names.h"
#include "workload_selector.h"

namespace {

using namespace ddump;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void checkLine(std::string_view text) {
  check(!text.empty() && text.size() <= 1024);
  check(std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; }));
}

// "kubectl WHAT: answer could not be read: ..." is an exception caught by
// the readers' last guard: a field read without its type checked.
template <typename T>
void checkError(const Result<T>& result) {
  if (result) return;
  const std::string& message = result.error().message;
  checkLine(message);
  const size_t colon = message.find(": ");
  check(message.rfind("kubectl ", 0) != 0 || colon == std::string::npos ||
        message.compare(colon + 2, 24, "answer could not be read") != 0);
}

void checkPod(const PodInfo& pod) {
  check(!dnsSubdomainProblem(pod.name));
  check(pod.namespaceName.empty() || !dnsLabelProblem(pod.namespaceName));
  check(pod.nodeName.empty() || !dnsSubdomainProblem(pod.nodeName));
  for (size_t i = 0; i < pod.ips.size(); ++i) {
    check(canonicalIp(pod.ips[i]) == pod.ips[i]);
    check(std::count(pod.ips.begin(), pod.ips.end(), pod.ips[i]) == 1);
  }
}

void checkPlan(const std::vector<PodInfo>& pods, const std::vector<NodeInfo>& nodes,
               const PlanSettings& settings) {
  const CapturePlan plan = planCapture(pods, pods, nodes, settings);
  for (const std::string& note : plan.notes) checkLine(note);
  if (plan.fatal) checkLine(*plan.fatal);
  check(plan.fatal.has_value() == plan.captures.empty());
  for (const NodeCapture& capture : plan.captures) {
    const FilterScan scan = scanFilter(capture.filter);
    check(!scan.strayClose && scan.unclosed == 0 && !scan.badByte);
    check(scan.primitives <= kMaxFilterPrimitives);
    check(capture.url.rfind("http", 0) == 0);
    check(!capture.pods.empty() && !capture.addresses.empty());
    for (const PodAddress& address : capture.addresses) {
      check(canonicalIp(address.ip) == address.ip);
      const auto owner = std::find_if(pods.begin(), pods.end(), [&](const PodInfo& pod) {
        return pod.name == address.pod && pod.nodeName == capture.node;
      });
      check(owner != pods.end());
    }
  }
}

void checkFleetTarget(std::string_view text) {
  const auto target = parseFleetTarget(text);
  checkError(target);
  if (!target) return;
  const auto again = parseFleetTarget(canonicalText(*target));
  check(again.ok());
  check(again->kind == target->kind && again->dnsName == target->dnsName &&
        again->port == target->port && again->k8sNamespace == target->k8sNamespace &&
        again->workload == target->workload && again->objectName == target->objectName &&
        again->selector == target->selector);
  if (target->workload == WorkloadKind::Selector && target->kind == FleetKind::Kubernetes) {
    check(!selectorProblem(target->selector));
  }
}

void run(std::string_view input) {
  const auto pods = parsePods(input);
  checkError(pods);
  const auto nodes = parseNodes(input);
  checkError(nodes);
  const auto selector = selectorOf(input);
  checkError(selector);
  if (selector) check(!selectorProblem(*selector));
  const auto service = parseService(input);
  checkError(service);
  if (service) {
    for (const std::string& ip : service->clusterIps) check(canonicalIp(ip) == ip);
  }
  if (pods) {
    for (const PodInfo& pod : *pods) checkPod(pod);
    PlanSettings settings;
    settings.target = "k8s:fuzz";
    settings.userFilter = "tcp port 80";
    checkPlan(*pods, nodes ? *nodes : std::vector<NodeInfo>{}, settings);
    settings.apiServer = "https://10.0.0.1:6443";
    settings.userFilter.clear();
    checkPlan(*pods, {}, settings);
  }
  checkFleetTarget(input);
  for (size_t start = 0; start < input.size();) {
    const size_t end = std::min(input.find('\n', start), input.size());
    const std::string_view line = input.substr(start, end - start);
    // Only the lines that can be what they are read as: an event is a
    // JSON object, a target starts dns: or k8s: (the whole input was read
    // as both already), so a 30 KB pretty-printed answer costs 2 reads, not
    // 2000.
    if (!line.empty() && line.front() == '{') {
      const auto event = parsePodEvent(line);
      checkError(event);
      if (event && event->type != WatchEventType::Bookmark) checkPod(event->pod);
    }
    if (isFleetTarget(line)) checkFleetTarget(line);
    start = end + 1;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size copy: ASan sees any read past the input.
  const std::string input(reinterpret_cast<const char*>(data), size);
  try {
    run(input);
  } catch (const std::exception&) {
    __builtin_trap();  // the readers promise not to throw
  }
  return 0;
}
