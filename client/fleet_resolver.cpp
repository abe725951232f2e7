#include "fleet_resolver.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <set>

#include "k8s_answers.h"
#include "log.h"
#include "tls.h"
#include "unique_fd.h"

extern char** environ;

namespace ddump {
namespace {

constexpr size_t kMaxAnswerBytes = 64u << 20;  // as k8s_answers reads at most
constexpr size_t kMaxErrorBytes = 16u << 10;

std::string firstLine(const std::string& text) {
  std::string line = text.substr(0, text.find('\n'));
  while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
  return line;
}

struct Child {
  pid_t pid = -1;
  UniqueFd out;
  UniqueFd err;
};

Child spawnKubectl(const std::string& kubectl, const std::vector<std::string>& args) {
  int outPipe[2];
  int errPipe[2];
  if (pipe2(outPipe, O_CLOEXEC) != 0 || pipe2(errPipe, O_CLOEXEC) != 0) {
    throw ConfigError(std::string("cannot run kubectl: ") + std::strerror(errno));
  }
  Child child;
  child.out = UniqueFd(outPipe[0]);
  child.err = UniqueFd(errPipe[0]);
  UniqueFd outWrite(outPipe[1]);
  UniqueFd errWrite(errPipe[1]);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, outWrite.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&actions, errWrite.get(), STDERR_FILENO);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  // The child starts with no signal blocked (ddump blocks SIGINT/SIGTERM
  // for sigwait): kubectl must still die of a Ctrl-C.
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attr, &none);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
  std::vector<char*> argv;
  argv.push_back(const_cast<char*>(kubectl.c_str()));
  for (const std::string& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const int rc = posix_spawnp(&child.pid, kubectl.c_str(), &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  if (rc != 0)
    throw ConfigError("cannot run '" + kubectl + "': " + std::strerror(rc) + " (--kubectl PATH)");
  return child;
}

// Runs kubectl ARGS; its output, or a ConfigError naming what failed (its
// own first line of error, e.g. "error: You must be logged in to the server").
std::string runKubectl(const FleetSettings& settings, std::vector<std::string> args) {
  if (settings.context) {
    args.insert(args.begin(), *settings.context);
    args.insert(args.begin(), "--context");
  }
  Child child = spawnKubectl(settings.kubectl, args);
  std::string out;
  std::string err;
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::duration<double>(settings.timeoutSec);
  bool outOpen = true;
  bool errOpen = true;
  bool timedOut = false;
  bool cancelled = false;
  char buffer[65536];
  while (outOpen || errOpen) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      timedOut = true;
      break;
    }
    if (settings.cancel) {
      if (*settings.cancel) {
        cancelled = true;
        break;
      }
      left = std::min(left, std::chrono::milliseconds(100));  // looks at the flag that often
    }
    pollfd fds[2] = {{outOpen ? child.out.get() : -1, POLLIN, 0},
                     {errOpen ? child.err.get() : -1, POLLIN, 0}};
    if (::poll(fds, 2, static_cast<int>(left.count())) < 0 && errno != EINTR) break;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].revents == 0) continue;
      const ssize_t n = ::read(fds[i].fd, buffer, sizeof buffer);
      std::string& into = i == 0 ? out : err;
      if (n <= 0) {
        (i == 0 ? outOpen : errOpen) = false;
      } else if (into.size() < (i == 0 ? kMaxAnswerBytes + 1 : kMaxErrorBytes)) {
        into.append(buffer, static_cast<size_t>(n));
      }
    }
  }
  if (timedOut || cancelled) ::kill(child.pid, SIGKILL);
  int status = 0;
  while (::waitpid(child.pid, &status, 0) < 0 && errno == EINTR) {
  }
  std::string command = "kubectl";
  for (const std::string& a : args) command += " " + a;
  if (cancelled) throw ConfigError(command + ": stopped");
  if (timedOut) {
    throw ConfigError(command + ": no answer within " +
                      std::to_string(static_cast<int>(settings.timeoutSec)) + " s");
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    const std::string why = firstLine(err);
    throw ConfigError(command + ": " + (why.empty() ? "failed" : why));
  }
  return out;
}

template <typename T>
T orFail(Result<T> result, const std::string& what) {
  if (!result) throw ConfigError(what + ": " + result.error().message);
  return std::move(*result);
}

std::string bracketed(const std::string& address) {
  return address.find(':') != std::string::npos ? "[" + address + "]" : address;
}

Target urlTarget(const std::string& url) {
  auto parsed = parseTarget(url);
  if (!parsed) throw ConfigError(parsed.error().message);
  return *parsed;
}

std::vector<ResolvedTarget> resolveDns(const FleetTarget& fleet, const FleetSettings& settings) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;  // one entry per address, not one per socket type
  addrinfo* found = nullptr;
  std::string name = fleet.dnsName;
  if (const int rc = ::getaddrinfo(name.c_str(), nullptr, &hints, &found); rc != 0) {
    throw ConfigError(fleet.text + ": cannot resolve " + name + ": " + gai_strerror(rc));
  }
  std::set<std::string> addresses;
  std::vector<std::pair<std::string, std::string>> named;  // (address, reverse name)
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    char host[NI_MAXHOST];
    if (::getnameinfo(a->ai_addr, a->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST) !=
        0)
      continue;
    if (!addresses.insert(host).second) continue;
    char reverse[NI_MAXHOST];
    std::string label = host;
    if (::getnameinfo(a->ai_addr, a->ai_addrlen, reverse, sizeof reverse, nullptr, 0,
                      NI_NAMEREQD) == 0) {
      label = reverse;
      if (!label.empty() && label.back() == '.') label.pop_back();
    }
    named.emplace_back(host, label);
  }
  ::freeaddrinfo(found);
  if (named.empty()) throw ConfigError(fleet.text + ": " + name + " has no addresses");
  std::sort(named.begin(), named.end());
  const uint16_t port = fleet.portGiven ? fleet.port : settings.dnsPort.value_or(fleet.port);
  const char* scheme = settings.dnsScheme == WorkerScheme::Https ? "https://" : "http://";
  std::vector<ResolvedTarget> out;
  for (const auto& [address, label] : named) {
    const std::string url = scheme + bracketed(address) + ":" + std::to_string(port) + kDefaultPath;
    out.push_back({urlTarget(url), label, {}, {}});
  }
  return out;
}

std::vector<std::string> inNamespace(const FleetTarget& fleet, std::vector<std::string> args) {
  if (fleet.k8sNamespace) {
    args.push_back("-n");
    args.push_back(*fleet.k8sNamespace);
  }
  return args;
}

// The selected pods; for svc/NAME also the Service's names (serviceNames).
std::vector<PodInfo> selectedPods(const FleetTarget& fleet, const FleetSettings& settings,
                                  std::vector<NameRecord>& serviceNames) {
  std::string selector = fleet.selector;
  if (fleet.workload == WorkloadKind::Pod) {
    const std::string text =
        runKubectl(settings, inNamespace(fleet, {"get", "pod", fleet.objectName, "-o", "json"}));
    return orFail(parsePods(text), fleet.text);
  }
  if (fleet.workload != WorkloadKind::Selector) {
    const std::string text =
        runKubectl(settings, inNamespace(fleet, {"get", kubectlResource(fleet.workload),
                                                 fleet.objectName, "-o", "json"}));
    selector = orFail(selectorOf(text), fleet.text);
    if (fleet.workload == WorkloadKind::Service) {
      const ServiceInfo service = orFail(parseService(text), fleet.text);
      for (const std::string& ip : service.clusterIps) {
        serviceNames.push_back({ip, service.name + "." + service.namespaceName + ".svc"});
      }
    }
  }
  const std::string text =
      runKubectl(settings, inNamespace(fleet, {"get", "pods", "-l", selector, "-o", "json"}));
  return orFail(parsePods(text), fleet.text);
}

std::vector<ResolvedTarget> resolveKubernetes(const FleetTarget& fleet,
                                              const FleetSettings& settings) {
  std::vector<NameRecord> serviceNames;
  const std::vector<PodInfo> pods = selectedPods(fleet, settings, serviceNames);
  const std::vector<PodInfo> workers =
      orFail(parsePods(runKubectl(settings, {"get", "pods", "-n", settings.workerNamespace, "-l",
                                             settings.workerSelector, "-o", "json"})),
             "the ddump workers");
  std::vector<NodeInfo> nodes;
  if (!settings.viaApiServer) {
    nodes = orFail(parseNodes(runKubectl(settings, {"get", "nodes", "-o", "json"})), "the nodes");
  }
  PlanSettings plan{fleet.text, settings.workerScheme, settings.workerPort, settings.userFilter,
                    settings.viaApiServer};
  const CapturePlan capturePlan = planCapture(pods, workers, nodes, plan);
  for (const std::string& note : capturePlan.notes) log::info(note);
  if (capturePlan.fatal) throw ConfigError(*capturePlan.fatal);
  std::vector<ResolvedTarget> out;
  for (const NodeCapture& capture : capturePlan.captures) {
    Target target = urlTarget(capture.url);
    target.query.emplace_back("filter", capture.filter);
    std::string pods;
    for (const std::string& pod : capture.pods) pods += (pods.empty() ? "" : ", ") + pod;
    log::detail(fleet.text + ": node " + capture.node + " (" + capture.workerPod + "): " + pods);
    std::vector<NameRecord> names;
    for (const PodAddress& a : capture.addresses) names.push_back({a.ip, a.pod});
    out.push_back({std::move(target), capture.node, std::move(names), serviceNames});
  }
  return out;
}

}  // namespace

std::vector<ResolvedTarget> resolveFleetTarget(const FleetTarget& fleet,
                                               const FleetSettings& settings) {
  return fleet.kind == FleetKind::Dns ? resolveDns(fleet, settings)
                                      : resolveKubernetes(fleet, settings);
}

}  // namespace ddump
