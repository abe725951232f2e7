// Planning the streams of a k8s: target (common/capture_plan): the fixture
// cluster of tests/data/k8s (pods running, pending, unscheduled,
// terminating, finished, on the host network, on a node without a worker),
// the exact filter and URL per node, the notes and the fatal cases.
#include <catch2/catch.hpp>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "capture_plan.h"

#include "k8s_fixture.h"

using namespace ddump;

namespace {

struct Cluster {
  std::vector<PodInfo> web;
  std::vector<PodInfo> workers;
  std::vector<NodeInfo> nodes;
};

Cluster fixtureCluster() {
  auto web = parsePods(test::k8sFixture("pods_web.json"));
  auto workers = parsePods(test::k8sFixture("pods_workers.json"));
  auto nodes = parseNodes(test::k8sFixture("nodes.json"));
  REQUIRE(web.ok());
  REQUIRE(workers.ok());
  REQUIRE(nodes.ok());
  return {*web, *workers, *nodes};
}

PlanSettings settingsFor(const std::string& target, WorkerScheme scheme = WorkerScheme::Https,
                         uint16_t port = 8443) {
  PlanSettings settings;
  settings.target = target;
  settings.scheme = scheme;
  settings.port = port;
  return settings;
}

PodInfo runningPod(const std::string& name, const std::string& node, std::vector<std::string> ips) {
  PodInfo pod;
  pod.name = name;
  pod.namespaceName = "shop";
  pod.nodeName = node;
  pod.phase = "Running";
  pod.ips = std::move(ips);
  return pod;
}

PodInfo workerOn(const std::string& node) {
  PodInfo worker = runningPod("ddump-worker-" + node, node, {});
  worker.namespaceName = "ddump";
  worker.hostNetwork = true;
  return worker;
}

NodeInfo nodeWith(const std::string& name, std::vector<std::string> internal,
                  std::vector<std::string> external = {}) {
  NodeInfo node;
  node.name = name;
  node.internalIps = std::move(internal);
  node.externalIps = std::move(external);
  return node;
}

const std::vector<std::string> kFixtureNotes = {
    "k8s:shop/app=web: pod web-7d4b9c8f6-p0v2w is not scheduled yet; left out",
    "k8s:shop/app=web: pod web-7d4b9c8f6-c3k8s has no IP address yet; left out",
    "k8s:shop/app=web: pod web-hostnet-6f5c-h1h2j uses the host network of node node-c: its "
    "addresses would match the node's whole traffic; left out (capture the node's worker to see "
    "it)",
    "k8s:shop/app=web: node node-d: no ddump worker running; left out pods web-7d4b9c8f6-d4j6l",
};

}  // namespace

TEST_CASE("capture plan: one stream per node of the selected pods, their addresses only",
          "[unit][capture_plan]") {
  const Cluster cluster = fixtureCluster();
  const CapturePlan plan =
      planCapture(cluster.web, cluster.workers, cluster.nodes, settingsFor("k8s:shop/app=web"));
  CHECK_FALSE(plan.fatal.has_value());
  CHECK(plan.notes == kFixtureNotes);
  REQUIRE(plan.captures.size() == 2);

  const NodeCapture& a = plan.captures[0];
  CHECK(a.node == "node-a");
  CHECK(a.workerPod == "ddump-worker-4xk2m");
  CHECK(a.url == "https://192.168.10.11:8443/capture");
  // Numeric order, IPv4 first: .9 before .12.
  CHECK(a.filter ==
        "(host 10.244.1.9 or host 10.244.1.12 or host fd00:10:244:1::9 or host "
        "fd00:10:244:1::c)");
  CHECK(a.pods == std::vector<std::string>{"web-7d4b9c8f6-b8r4t", "web-7d4b9c8f6-x2k9p"});
  REQUIRE(a.addresses.size() == 4);
  CHECK(a.addresses[0].ip == "10.244.1.9");
  CHECK(a.addresses[0].pod == "web-7d4b9c8f6-b8r4t");
  CHECK(a.addresses[1].ip == "10.244.1.12");
  CHECK(a.addresses[1].pod == "web-7d4b9c8f6-x2k9p");
  CHECK(a.addresses[3].ip == "fd00:10:244:1::c");
  CHECK(a.addresses[3].pod == "web-7d4b9c8f6-x2k9p");

  // node-b's terminating pod is left out quietly, and so is the old,
  // terminating worker of a rolling update (named first).
  const NodeCapture& b = plan.captures[1];
  CHECK(b.node == "node-b");
  CHECK(b.workerPod == "ddump-worker-9fj3q");
  CHECK(b.url == "https://192.168.10.12:8443/capture");
  CHECK(b.filter == "(host 10.244.2.7 or host fd00:10:244:2::7)");
  CHECK(b.pods == std::vector<std::string>{"web-7d4b9c8f6-m5n7q"});
}

TEST_CASE("capture plan: the user's filter joins each node's", "[unit][capture_plan]") {
  const Cluster cluster = fixtureCluster();
  PlanSettings settings = settingsFor("k8s:shop/app=web");
  settings.userFilter = "tcp port 80 or (udp and port 53)";
  const CapturePlan plan = planCapture(cluster.web, cluster.workers, cluster.nodes, settings);
  REQUIRE(plan.captures.size() == 2);
  CHECK(plan.captures[1].filter ==
        "(host 10.244.2.7 or host fd00:10:244:2::7) and (tcp port 80 or (udp and port 53))");
  settings.userFilter = " \t";
  CHECK(planCapture(cluster.web, cluster.workers, cluster.nodes, settings).captures[1].filter ==
        "(host 10.244.2.7 or host fd00:10:244:2::7)");

  // Parentheses that do not balance could widen the pods' part: refused.
  for (const std::string bad : {"tcp) or (udp", "tcp)", "(tcp", ") or ("}) {
    settings.userFilter = bad;
    const CapturePlan refused = planCapture(cluster.web, cluster.workers, cluster.nodes, settings);
    INFO(bad);
    CHECK(refused.captures.empty());
    CHECK(refused.fatal == std::optional<std::string>("k8s:shop/app=web: the filter '" + bad +
                                                      "' has unbalanced parentheses"));
  }
}

TEST_CASE("capture plan: workers through the API server's pods/proxy", "[unit][capture_plan]") {
  const Cluster cluster = fixtureCluster();
  PlanSettings settings = settingsFor("k8s:shop/deploy/web");
  settings.apiServer = "https://10.0.0.1:6443/";
  // The nodes' addresses are not needed.
  const CapturePlan plan = planCapture(cluster.web, cluster.workers, {}, settings);
  REQUIRE(plan.captures.size() == 2);
  CHECK(plan.captures[0].url ==
        "https://10.0.0.1:6443/api/v1/namespaces/ddump/pods/https:ddump-worker-4xk2m:8443/proxy/"
        "capture");
  CHECK(plan.captures[1].url ==
        "https://10.0.0.1:6443/api/v1/namespaces/ddump/pods/https:ddump-worker-9fj3q:8443/proxy/"
        "capture");
  CHECK(podProxyUrl("https://k8s.example:443/base", "ops", "w-1", WorkerScheme::Http, 8475) ==
        "https://k8s.example:443/base/api/v1/namespaces/ops/pods/http:w-1:8475/proxy/capture");
}

TEST_CASE("capture plan: node addresses, IPv6 in brackets", "[unit][capture_plan]") {
  const std::vector<PodInfo> pods = {runningPod("a", "n6", {"fd00::a"}),
                                     runningPod("b", "ne", {"10.0.1.2"}),
                                     runningPod("c", "nx", {"10.0.2.2"})};
  const std::vector<PodInfo> workers = {workerOn("n6"), workerOn("ne"), workerOn("nx")};
  const std::vector<NodeInfo> nodes = {nodeWith("n6", {"fd00::6", "10.0.0.6"}),
                                       nodeWith("ne", {}, {"198.51.100.4"})};
  const CapturePlan plan =
      planCapture(pods, workers, nodes, settingsFor("k8s:x", WorkerScheme::Http, 8475));
  REQUIRE(plan.captures.size() == 2);
  CHECK(plan.captures[0].url == "http://[fd00::6]:8475/capture");
  CHECK(plan.captures[0].filter == "(host fd00::a)");
  CHECK(plan.captures[1].url == "http://198.51.100.4:8475/capture");
  CHECK(plan.notes == std::vector<std::string>{
                          "k8s:x: node nx: no InternalIP or ExternalIP address; left out pods c"});
}

TEST_CASE("capture plan: nothing to capture is fatal", "[unit][capture_plan]") {
  const Cluster cluster = fixtureCluster();
  CapturePlan plan = planCapture({}, cluster.workers, cluster.nodes, settingsFor("k8s:shop/app=x"));
  CHECK(plan.fatal == std::optional<std::string>("k8s:shop/app=x: no pods match"));
  CHECK(plan.captures.empty());
  CHECK(plan.notes.empty());

  // Every pod finished or terminating.
  std::vector<PodInfo> done = {cluster.web[5], cluster.web[8]};
  plan = planCapture(done, cluster.workers, cluster.nodes, settingsFor("k8s:shop/app=web"));
  CHECK(plan.fatal == std::optional<std::string>(
                          "k8s:shop/app=web: no pods match that are not finished or terminating "
                          "(2 are)"));
  CHECK(plan.notes.empty());

  // Every pod left out for a reason: the notes say which.
  plan = planCapture(cluster.web, {}, cluster.nodes, settingsFor("k8s:shop/app=web"));
  CHECK(plan.fatal == std::optional<std::string>(
                          "k8s:shop/app=web: none of the 9 matching pods can be captured"));
  REQUIRE(plan.notes.size() == 6);
  CHECK(plan.notes[3] ==
        "k8s:shop/app=web: node node-a: no ddump worker running; left out pods "
        "web-7d4b9c8f6-b8r4t, web-7d4b9c8f6-x2k9p");
  CHECK(plan.notes[4] ==
        "k8s:shop/app=web: node node-b: no ddump worker running; left out pods "
        "web-7d4b9c8f6-m5n7q");

  // A worker that is not running yet is no worker.
  std::vector<PodInfo> pending = {workerOn("n1")};
  pending[0].phase = "Pending";
  plan = planCapture({runningPod("a", "n1", {"10.0.0.1"})}, pending, {nodeWith("n1", {"10.1.1.1"})},
                     settingsFor("k8s:a"));
  CHECK(plan.fatal ==
        std::optional<std::string>("k8s:a: none of the 1 matching pods can be captured"));
  CHECK(plan.notes ==
        std::vector<std::string>{"k8s:a: node n1: no ddump worker running; left out pods a"});
}

TEST_CASE("capture plan: a node's filter stays within the worker's 32 primitives",
          "[unit][capture_plan]") {
  // 16 dual-stack pods: 32 hosts, 31 "or", 32 primitives: accepted.
  std::vector<PodInfo> pods;
  for (int i = 1; i <= 17; ++i) {
    const std::string n = std::to_string(i);
    pods.push_back(runningPod("p" + (i < 10 ? "0" + n : n), "n1", {"10.0.0." + n, "fd00::" + n}));
  }
  const std::vector<PodInfo> workers = {workerOn("n1")};
  const std::vector<NodeInfo> nodes = {nodeWith("n1", {"10.1.1.1"})};
  PlanSettings settings = settingsFor("k8s:a");
  std::vector<PodInfo> sixteen(pods.begin(), pods.begin() + 16);
  CapturePlan plan = planCapture(sixteen, workers, nodes, settings);
  REQUIRE(plan.captures.size() == 1);
  CHECK(plan.captures[0].addresses.size() == 32);
  CHECK(std::count(plan.captures[0].filter.begin(), plan.captures[0].filter.end(), 'h') == 32);

  // One more primitive, from the user's filter or a 17th pod: left out, said.
  settings.userFilter = "tcp";
  plan = planCapture(sixteen, workers, nodes, settings);
  CHECK(plan.captures.empty());
  REQUIRE(plan.notes.size() == 1);
  CHECK(plan.notes[0] ==
        "k8s:a: node n1: the filter for its 16 pods (32 addresses) has 33 primitives, more than "
        "the 32 a worker compiles; left out pods p01, p02, p03, p04, p05, p06, p07, p08 and 8 "
        "more");
  CHECK(plan.fatal ==
        std::optional<std::string>("k8s:a: none of the 16 matching pods can be captured"));
  settings.userFilter.clear();
  plan = planCapture(pods, workers, nodes, settings);
  CHECK(plan.captures.empty());
  REQUIRE(plan.notes.size() == 1);
  CHECK(plan.notes[0].find("its 17 pods (34 addresses) has 34 primitives") != std::string::npos);
}

TEST_CASE("capture plan: the same plan whatever the input order", "[unit][capture_plan]") {
  Cluster cluster = fixtureCluster();
  const CapturePlan first =
      planCapture(cluster.web, cluster.workers, cluster.nodes, settingsFor("k8s:shop/app=web"));
  std::reverse(cluster.web.begin(), cluster.web.end());
  std::reverse(cluster.workers.begin(), cluster.workers.end());
  std::reverse(cluster.nodes.begin(), cluster.nodes.end());
  // A pod listed twice counts once.
  cluster.web.push_back(cluster.web.front());
  const CapturePlan second =
      planCapture(cluster.web, cluster.workers, cluster.nodes, settingsFor("k8s:shop/app=web"));
  CHECK(second.notes == first.notes);
  REQUIRE(second.captures.size() == first.captures.size());
  for (size_t i = 0; i < first.captures.size(); ++i) {
    CHECK(second.captures[i].node == first.captures[i].node);
    CHECK(second.captures[i].workerPod == first.captures[i].workerPod);
    CHECK(second.captures[i].url == first.captures[i].url);
    CHECK(second.captures[i].filter == first.captures[i].filter);
    CHECK(second.captures[i].pods == first.captures[i].pods);
  }

  // Two pods sharing an address (a stale entry): listed once, for the first.
  const CapturePlan shared = planCapture(
      {runningPod("b", "n1", {"10.0.0.1"}), runningPod("a", "n1", {"10.0.0.1", "10.0.0.2"})},
      {workerOn("n1")}, {nodeWith("n1", {"10.1.1.1"})}, settingsFor("k8s:x"));
  REQUIRE(shared.captures.size() == 1);
  CHECK(shared.captures[0].filter == "(host 10.0.0.1 or host 10.0.0.2)");
  CHECK(shared.captures[0].addresses[0].pod == "a");
  CHECK(shared.captures[0].pods == std::vector<std::string>{"a", "b"});
}
