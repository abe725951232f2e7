// What kubectl prints, read by common/k8s_answers and workload_selector:
// the fixtures of tests/data/k8s (a dual-stack cluster as kubectl shows it)
// field by field, and hostile or broken answers with their exact errors.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "k8s_answers.h"
#include "workload_selector.h"

#include "k8s_fixture.h"

using namespace ddump;

namespace {

std::vector<std::string> fixtureLines(const std::string& name) {
  std::istringstream in(test::k8sFixture(name));
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::vector<PodInfo> podsOf(const std::string& text) {
  auto pods = parsePods(text);
  INFO(text.substr(0, 300));
  INFO((pods ? std::string() : pods.error().message));
  REQUIRE(pods.ok());
  return *pods;
}

std::string podsError(const std::string& text) {
  auto pods = parsePods(text);
  INFO(text.substr(0, 300));
  REQUIRE_FALSE(pods.ok());
  CHECK(pods.error().message.find('\n') == std::string::npos);
  return pods.error().message;
}

std::string selectorError(const std::string& text) {
  auto selector = selectorOf(text);
  INFO(text.substr(0, 300));
  REQUIRE_FALSE(selector.ok());
  return selector.error().message;
}

// A pod with `status` and `spec` members given as JSON text.
std::string podWith(const std::string& spec, const std::string& status,
                    const std::string& name = "\"p\"") {
  return R"({"kind": "Pod", "metadata": {"name": )" + name + R"(, "namespace": "shop"}, "spec": )" +
         spec + R"(, "status": )" + status + "}";
}

// A Deployment with this spec.selector.
std::string deploymentWith(const std::string& selector) {
  return R"({"kind": "Deployment", "metadata": {"name": "web", "namespace": "shop"},)"
         R"( "spec": {"selector": )" +
         selector + "}}";
}

}  // namespace

TEST_CASE("kubectl get pods: a dual-stack cluster's pods, field by field", "[unit][k8s_answers]") {
  const auto pods = podsOf(test::k8sFixture("pods_web.json"));
  REQUIRE(pods.size() == 9);
  const PodInfo& web = pods[0];
  CHECK(web.name == "web-7d4b9c8f6-x2k9p");
  CHECK(web.namespaceName == "shop");
  CHECK(web.ips == std::vector<std::string>{"10.244.1.12", "fd00:10:244:1::c"});
  CHECK(web.phase == "Running");
  CHECK(web.nodeName == "node-a");
  CHECK_FALSE(web.hostNetwork);
  CHECK_FALSE(web.terminating);

  CHECK(pods[3].name == "web-7d4b9c8f6-p0v2w");  // unscheduled
  CHECK(pods[3].nodeName.empty());
  CHECK(pods[3].ips.empty());
  CHECK(pods[3].phase == "Pending");
  CHECK(pods[4].nodeName == "node-c");  // scheduled, no address yet
  CHECK(pods[4].ips.empty());
  CHECK(pods[5].terminating);
  CHECK(pods[5].phase == "Running");
  CHECK(pods[7].hostNetwork);
  CHECK(pods[7].ips == std::vector<std::string>{"192.168.10.13"});
  CHECK(pods[8].phase == "Succeeded");

  // One Pod, as `kubectl get pod NAME -o json` prints it.
  const auto one = podsOf(test::k8sFixture("pod_running.json"));
  REQUIRE(one.size() == 1);
  CHECK(one[0].name == web.name);
  CHECK(one[0].ips == web.ips);

  const auto workers = podsOf(test::k8sFixture("pods_workers.json"));
  REQUIRE(workers.size() == 4);
  CHECK(workers[2].name == "ddump-worker-1zz8r");
  CHECK(workers[2].terminating);
  CHECK(workers[1].ips == std::vector<std::string>{"192.168.10.12", "fd00:192:168:10::12"});
  CHECK(podsOf(R"({"apiVersion": "v1", "items": [], "kind": "List"})").empty());
}

TEST_CASE("pod addresses: podIPs first, podIP alone, canonical and once", "[unit][k8s_answers]") {
  // Clusters before 1.16 have no podIPs.
  CHECK(podsOf(podWith("{}", R"({"podIP": "10.0.0.1"})"))[0].ips ==
        std::vector<std::string>{"10.0.0.1"});
  CHECK(podsOf(podWith("{}", R"({"podIP": "10.0.0.1", "podIPs": []})"))[0].ips ==
        std::vector<std::string>{"10.0.0.1"});
  CHECK(podsOf(podWith("{}", R"({"podIP": "10.0.0.1", "podIPs": [{"ip": "FD00:0:0::0:1"},)"
                             R"( {"ip": "fd00::1"}, {"ip": "10.0.0.1"}]})"))[0]
            .ips == std::vector<std::string>{"fd00::1", "10.0.0.1"});
  CHECK(podsOf(podWith(R"({"hostNetwork": false, "nodeName": null})", "null"))[0].ips.empty());
  CHECK(canonicalIp("::ffff:10.1.2.3") == std::optional<std::string>("::ffff:10.1.2.3"));
  CHECK(canonicalIp("2001:DB8::0:1") == std::optional<std::string>("2001:db8::1"));
  for (const char* bad : {"", "10.0.0", "10.0.0.256", "fe80::1%eth0", "10.0.0.0/8", "node-a",
                          " 10.0.0.1", "10.0.0.1 ", "::1::2", "1.2.3.4.5"}) {
    INFO(bad);
    CHECK_FALSE(canonicalIp(bad).has_value());
  }
}

TEST_CASE("kubectl get pods: broken and hostile answers", "[unit][k8s_answers]") {
  CHECK(podsError("") == "kubectl pods: answer is not JSON");
  CHECK(podsError("error: the server doesn't have a resource type \"pods\"") ==
        "kubectl pods: answer is not JSON");
  CHECK(podsError(R"({"items": [)") == "kubectl pods: answer is not JSON");
  CHECK(podsError("[]") == "kubectl pods: answer is not a JSON object");
  CHECK(podsError(R"({"items": {}})") == "kubectl pods: items is not an array");
  CHECK(podsError(R"({"kind": "Node", "metadata": {"name": "a"}})") ==
        "kubectl pods: answer is not a Pod or a list of them");
  CHECK(podsError(R"({"items": [{"kind": "Pod", "metadata": {"name": "a"}}, {"kind": "Node"}]})") ==
        "kubectl pods: items[1] is not a Pod");
  CHECK(podsError(R"({"items": [3]})") == "kubectl pods: items[0] is not a Pod");
  CHECK(podsError(R"({"items": [{"metadata": {}}]})") ==
        "kubectl pods: items[0]: no metadata.name");
  CHECK(podsError(R"({"metadata": {"name": 7}})") ==
        "kubectl pods: the object: metadata.name is not a string");
  CHECK(podsError(R"({"metadata": {"name": "Web_1"}})") ==
        "kubectl pods: the object: metadata.name 'Web_1' has the invalid character 'W' "
        "(lowercase letters, digits, '-' and '.')");
  CHECK(podsError(R"({"metadata": {"name": "a", "namespace": "a.b"}})") ==
        "kubectl pods: the object: metadata.namespace 'a.b' has the invalid character '.' "
        "(lowercase letters, digits and '-')");
  CHECK(podsError(podWith(R"({"hostNetwork": "true"})", "{}")) ==
        "kubectl pods: pod 'p': spec.hostNetwork is not true or false");
  CHECK(podsError(podWith(R"({"nodeName": "node a"})", "{}")) ==
        "kubectl pods: pod 'p': spec.nodeName: name 'node a' has the invalid character byte 0x20 "
        "(lowercase letters, digits, '-' and '.')");
  CHECK(podsError(podWith("{}", R"({"phase": 1})")) ==
        "kubectl pods: pod 'p': status.phase is not a string");
  CHECK(podsError(podWith("{}", R"({"podIPs": {"ip": "10.0.0.1"}})")) ==
        "kubectl pods: pod 'p': status.podIPs is not an array");
  CHECK(podsError(podWith("{}", R"({"podIPs": [{"ip": "10.0.0.1"}, {"address": "x"}]})")) ==
        "kubectl pods: pod 'p': status.podIPs[1].ip is not a string");
  // An address that would change a filter's meaning is refused, not passed on.
  CHECK(podsError(podWith("{}", R"({"podIPs": [{"ip": "10.0.0.1 or not host 1.1.1.1"}]})")) ==
        "kubectl pods: pod 'p': status.podIPs[0].ip '10.0.0.1 or not host 1.1.1.1' is not an IP "
        "address");
  CHECK(podsError(podWith("{}", R"({"podIP": "10.0.0.1)\n"})")) ==
        "kubectl pods: pod 'p': status.podIP '10.0.0.1)?' is not an IP address");
  CHECK(podsError(podWith("{}", "{}", "\"" + std::string(300, 'a') + "\"")) ==
        "kubectl pods: the object: metadata.name '" + std::string(64, 'a') +
            "...' is 300 bytes, longer than 253");
}

TEST_CASE("kubectl answers: size bound, deep nesting, no exception", "[unit][k8s_answers]") {
  // Exactly 64 MiB (an answer and blanks) is read; one byte more is not.
  const std::string pod = R"({"metadata": {"name": "a"}})";
  std::string big = pod + std::string(kMaxKubectlAnswerBytes - pod.size(), ' ');
  CHECK(podsOf(big).size() == 1);
  big += ' ';
  CHECK(podsError(big) == "kubectl pods: answer is 67108865 bytes, more than 64 MiB");
  CHECK(parseNodes(big).error().message ==
        "kubectl nodes: answer is 67108865 bytes, more than 64 MiB");
  CHECK(selectorOf(big).error().message ==
        "kubectl workload: answer is 67108865 bytes, more than 64 MiB");
  CHECK(parsePodEvent(big).error().message ==
        "kubectl watch event: answer is 67108865 bytes, more than 64 MiB");

  // 200,000 levels of nesting in a field nobody reads: parsed without
  // recursion, the pod read.
  const std::string nested = std::string(100000, '[') + std::string(100000, ']');
  const auto pods = podsOf(R"({"metadata": {"name": "a", "labels": {"x": )" + nested +
                           R"(}}, "spec": {"nodeName": "n", "x": )" + nested + "}}");
  CHECK(pods[0].nodeName == "n");
  // Invalid UTF-8 in a string is not JSON (RFC 8259 §8.1).
  CHECK(podsError("{\"metadata\": {\"name\": \"a\xff\"}}") == "kubectl pods: answer is not JSON");
  // A number past a double's range is no JSON to nlohmann; a duplicate key
  // is its last value.
  CHECK(podsError(R"({"metadata": {"name": "a", "generation": 1e999999}})") ==
        "kubectl pods: answer is not JSON");
  CHECK(podsOf(R"({"metadata": {"name": "a", "generation": 18446744073709551616}})").size() == 1);
  CHECK(podsOf(R"({"metadata": {"name": "a", "name": "b"}})")[0].name == "b");
}

TEST_CASE("kubectl get nodes: addresses by type, in the API's order", "[unit][k8s_answers]") {
  auto nodes = parseNodes(test::k8sFixture("nodes.json"));
  REQUIRE(nodes.ok());
  REQUIRE(nodes->size() == 4);
  const NodeInfo& a = (*nodes)[0];
  CHECK(a.name == "node-a");
  CHECK(a.internalIps == std::vector<std::string>{"192.168.10.11", "fd00:192:168:10::11"});
  CHECK(a.externalIps == std::vector<std::string>{"203.0.113.11"});
  CHECK(a.hostname == "node-a");
  CHECK((*nodes)[2].internalIps == std::vector<std::string>{"192.168.10.13"});
  CHECK((*nodes)[2].externalIps.empty());

  // Addresses the API does not check: what is no IP address is left out.
  nodes = parseNodes(R"({"kind": "Node", "metadata": {"name": "n1"}, "status": {"addresses": [
      {"type": "InternalIP", "address": "n1.internal"}, {"type": "InternalIP", "address": 7},
      {"type": "InternalDNS", "address": "n1.internal"}, {"type": "Hostname", "address": "N 1"},
      {"type": "ExternalIP", "address": "198.51.100.7"}, "x", null,
      {"type": "InternalIP", "address": "10.0.0.5"}, {"type": "InternalIP", "address": "10.0.0.5"},
      {"type": "Hostname", "address": "n1"}]}})");
  REQUIRE(nodes.ok());
  CHECK((*nodes)[0].internalIps == std::vector<std::string>{"10.0.0.5"});
  CHECK((*nodes)[0].externalIps == std::vector<std::string>{"198.51.100.7"});
  CHECK((*nodes)[0].hostname == "n1");

  CHECK(parseNodes(test::k8sFixture("pods_web.json")).error().message ==
        "kubectl nodes: items[0] is not a Node");
  CHECK(parseNodes(R"({"kind": "Node", "metadata": {"name": "n"}, "status": {"addresses": {}}})")
            .error()
            .message == "kubectl nodes: node 'n': status.addresses is not an array");
}

TEST_CASE("selectorOf: a workload's or service's pods as kubectl -l takes them",
          "[unit][k8s_answers]") {
  const std::pair<const char*, const char*> cases[] = {
      {"deployment_web.json", "app=web,tier in (frontend,edge),!legacy"},
      {"statefulset_db.json", "app.kubernetes.io/instance=db,app.kubernetes.io/name=postgres"},
      {"daemonset_worker.json", "app.kubernetes.io/name=ddump-worker"},
      {"service_web.json", "app=web"},
      {"service_headless.json", "app.kubernetes.io/name=ddump-worker"},
      // kubectl's own output (create --dry-run=client -o json).
      {"kubectl_create_deployment.json", "app=web"},
      {"kubectl_create_service.json", "app=web"},
  };
  for (const auto& [file, expected] : cases) {
    auto selector = selectorOf(test::k8sFixture(file));
    INFO(file);
    INFO((selector ? std::string() : selector.error().message));
    REQUIRE(selector.ok());
    CHECK(*selector == expected);
  }
  CHECK(*selectorOf(deploymentWith(R"({"matchExpressions": [{"key": "a", "operator": "Exists"},
      {"key": "b", "operator": "NotIn", "values": ["x"]}, {"key": "c", "operator": "Exists",
      "values": []}]})")) == "a,b notin (x),c");
  const std::string noSelector = selectorError(test::k8sFixture("service_no_selector.json"));
  CHECK(noSelector ==
        "kubectl workload: Service 'legacy-db' has no selector (its endpoints are kept by hand): "
        "name its pods instead");
}

TEST_CASE("selectorOf: selectors that name no pods or do not parse", "[unit][k8s_answers]") {
  const std::string pre = "kubectl workload: Deployment 'web': spec.selector";
  CHECK(selectorError(deploymentWith("{}")) ==
        "kubectl workload: Deployment 'web' has an empty selector");
  CHECK(selectorError(deploymentWith(R"({"matchLabels": {}, "matchExpressions": []})")) ==
        "kubectl workload: Deployment 'web' has an empty selector");
  CHECK(selectorError(R"({"kind": "Deployment", "metadata": {"name": "web"}, "spec": {}})") ==
        "kubectl workload: Deployment 'web' has an empty selector");
  CHECK(selectorError(deploymentWith(R"({"matchLabels": {"app": "web,evil"}})")) ==
        pre +
            ".matchLabels: label value 'web,evil' has the invalid character ',' (letters, "
            "digits, '-', '_' and '.')");
  CHECK(selectorError(deploymentWith(R"({"matchLabels": {"app in (x),y": "1"}})")) ==
        pre +
            ".matchLabels: label key 'app in (x),y' has the invalid character byte 0x20 (letters, "
            "digits, '-', '_' and '.')");
  CHECK(selectorError(deploymentWith(R"({"matchLabels": {"app": 1}})")) ==
        pre + ".matchLabels.app is not a string");
  CHECK(selectorError(deploymentWith(R"({"matchLabels": []})")) ==
        pre + ".matchLabels is not an object");
  CHECK(selectorError(deploymentWith(R"([])")) ==
        "kubectl workload: Deployment 'web': spec.selector is not an object");
  CHECK(
      selectorError(deploymentWith(R"({"matchExpressions": [{"key": "a", "operator": "In"}]})")) ==
      pre + ".matchExpressions[0]: operator In without values");
  CHECK(selectorError(deploymentWith(
            R"({"matchExpressions": [{"key": "a", "operator": "In", "values": []}]})")) ==
        pre + ".matchExpressions[0]: operator In without values");
  CHECK(selectorError(deploymentWith(
            R"({"matchExpressions": [{"key": "a", "operator": "Exists", "values": ["x"]}]})")) ==
        pre + ".matchExpressions[0]: operator Exists with values");
  CHECK(selectorError(deploymentWith(
            R"({"matchExpressions": [{"key": "a", "operator": "Gt", "values": ["1"]}]})")) ==
        pre + ".matchExpressions[0]: unknown operator 'Gt'");
  CHECK(selectorError(deploymentWith(
            R"({"matchExpressions": [{"key": "a", "operator": "In", "values": ["x", 2]}]})")) ==
        pre + ".matchExpressions[0].values[1] is not a string");
  CHECK(selectorError(
            deploymentWith(R"({"matchExpressions": [{"key": "", "operator": "Exists"}]})")) ==
        pre + ".matchExpressions[0]: empty label key");
  CHECK(selectorError(test::k8sFixture("pod_running.json")) ==
        "kubectl workload: answer is not a Deployment, StatefulSet, DaemonSet, ReplicaSet or "
        "Service");
  CHECK(selectorError(test::k8sFixture("pods_web.json")) ==
        "kubectl workload: answer is not a Deployment, StatefulSet, DaemonSet, ReplicaSet or "
        "Service");
  CHECK(selectorError("nope") == "kubectl workload: answer is not JSON");
}

TEST_CASE("parseService: a service's name and cluster addresses", "[unit][k8s_answers]") {
  auto web = parseService(test::k8sFixture("service_web.json"));
  REQUIRE(web.ok());
  CHECK(web->name == "web");
  CHECK(web->namespaceName == "shop");
  CHECK(web->clusterIps == std::vector<std::string>{"10.96.120.14", "fd00:10:96::7a2e"});
  auto headless = parseService(test::k8sFixture("service_headless.json"));
  REQUIRE(headless.ok());
  CHECK(headless->clusterIps.empty());
  auto legacy = parseService(test::k8sFixture("service_no_selector.json"));
  REQUIRE(legacy.ok());
  CHECK(legacy->clusterIps == std::vector<std::string>{"10.96.44.3"});
  auto created = parseService(test::k8sFixture("kubectl_create_service.json"));
  REQUIRE(created.ok());
  CHECK(created->name == "web");
  CHECK(created->namespaceName.empty());
  CHECK(created->clusterIps.empty());
  auto old = parseService(R"({"kind": "Service", "metadata": {"name": "s"},
      "spec": {"clusterIP": "10.96.0.10"}})");
  REQUIRE(old.ok());
  CHECK(old->clusterIps == std::vector<std::string>{"10.96.0.10"});

  CHECK(parseService(test::k8sFixture("deployment_web.json")).error().message ==
        "kubectl service: answer is not a Service");
  CHECK(parseService(R"({"kind": "Service", "metadata": {"name": "s"},
      "spec": {"clusterIPs": ["10.96.0.10", "x"]}})")
            .error()
            .message == "kubectl service: spec.clusterIPs: 'x' is not an IP address");
  CHECK(parseService(R"({"kind": "Service", "metadata": {"name": "s"},
      "spec": {"clusterIPs": [1]}})")
            .error()
            .message == "kubectl service: spec.clusterIPs holds a non-string");
}

TEST_CASE("parsePodEvent: kubectl --watch --output-watch-events lines", "[unit][k8s_answers]") {
  const auto lines = fixtureLines("watch_pods.ndjson");
  REQUIRE(lines.size() == 5);
  auto added = parsePodEvent(lines[0]);
  REQUIRE(added.ok());
  CHECK(added->type == WatchEventType::Added);
  CHECK(added->pod.name == "web-7d4b9c8f6-x2k9p");
  CHECK(added->pod.ips == std::vector<std::string>{"10.244.1.12", "fd00:10:244:1::c"});
  auto modified = parsePodEvent(lines[1] + "\n");
  REQUIRE(modified.ok());
  CHECK(modified->type == WatchEventType::Modified);
  CHECK(modified->pod.nodeName == "node-b");
  auto deleted = parsePodEvent(lines[2]);
  REQUIRE(deleted.ok());
  CHECK(deleted->type == WatchEventType::Deleted);
  CHECK(deleted->pod.terminating);
  auto bookmark = parsePodEvent(lines[3]);
  REQUIRE(bookmark.ok());
  CHECK(bookmark->type == WatchEventType::Bookmark);
  CHECK(bookmark->pod.name.empty());
  CHECK(parsePodEvent(lines[4]).error().message ==
        "kubectl watch: the API server ended it: too old resource version: 40000 (48100) (code "
        "410)");

  CHECK(parsePodEvent(R"({"type": "ERROR", "object": {}})").error().message ==
        "kubectl watch: the API server ended it: no message");
  // kubectl without --output-watch-events prints the bare object.
  CHECK(parsePodEvent(test::k8sFixture("pod_running.json")).error().message ==
        "kubectl watch event: no type and object (kubectl --output-watch-events)");
  CHECK(parsePodEvent(lines[0] + lines[1]).error().message ==
        "kubectl watch event: answer is not JSON");
  CHECK(parsePodEvent(R"({"type": "RENAMED", "object": {}})").error().message ==
        "kubectl watch event: unknown type 'RENAMED'");
  CHECK(parsePodEvent(R"({"type": 1, "object": {}})").error().message ==
        "kubectl watch event: type is not a string");
  CHECK(parsePodEvent(R"({"type": "ADDED", "object": []})").error().message ==
        "kubectl watch event: object is not an object");
  CHECK(parsePodEvent(R"({"type": "ADDED", "object": {"kind": "Node"}})").error().message ==
        "kubectl watch event: object is not a Pod");
  CHECK(parsePodEvent(R"({"type": "ADDED", "object": {"metadata": {}}})").error().message ==
        "kubectl watch event: object: no metadata.name");
}
