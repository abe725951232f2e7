#include "fleet_target.h"

#include <cctype>

#include "ascii.h"
#include "k8s_names.h"

namespace ddump {
namespace {

constexpr std::string_view kDnsPrefix = "dns:";
constexpr std::string_view kK8sPrefix = "k8s:";

// One line whatever the text holds: printable ASCII, bounded.
Error badTarget(std::string_view text, const std::string& why) {
  return makeError(ErrorCode::InvalidArgument,
                   "bad target '" + printableText(text, 128) + "': " + why);
}

struct KindWord {
  std::string_view word;
  WorkloadKind kind;
};

// The short names first: canonicalText writes them. kubectl's own aliases
// (`kubectl api-resources`: po, deploy, sts, ds, svc) and the singular and
// plural resource names.
constexpr KindWord kKindWords[] = {
    {"pod", WorkloadKind::Pod},
    {"deploy", WorkloadKind::Deployment},
    {"sts", WorkloadKind::StatefulSet},
    {"ds", WorkloadKind::DaemonSet},
    {"svc", WorkloadKind::Service},
    {"po", WorkloadKind::Pod},
    {"pods", WorkloadKind::Pod},
    {"deployment", WorkloadKind::Deployment},
    {"deployments", WorkloadKind::Deployment},
    {"statefulset", WorkloadKind::StatefulSet},
    {"statefulsets", WorkloadKind::StatefulSet},
    {"daemonset", WorkloadKind::DaemonSet},
    {"daemonsets", WorkloadKind::DaemonSet},
    {"service", WorkloadKind::Service},
    {"services", WorkloadKind::Service},
};

std::optional<WorkloadKind> kindOf(std::string_view word) {
  for (const KindWord& k : kKindWords) {
    if (k.word == word) return k.kind;
  }
  return std::nullopt;
}

std::string_view shortWord(WorkloadKind kind) {
  for (const KindWord& k : kKindWords) {
    if (k.kind == kind) return k.word;
  }
  return "pod";
}

bool isHostNameChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.';
}

// A host name (RFC 1123 §2.1, RFC 952): letters, digits and '-' in labels
// of 1-63 bytes that neither start nor end with '-', joined by dots, at most
// 253 bytes (RFC 1035 §2.3.4) without the optional final dot.
std::optional<std::string> hostNameProblem(std::string_view name) {
  if (name.empty()) return "no name after 'dns:'";
  if (name.find_first_of(":[]") != std::string_view::npos) {
    return "dns: takes a DNS name, not an IPv6 address (give the worker's URL, "
           "http://[ADDRESS]:PORT)";
  }
  std::string_view body = name;
  if (body.back() == '.') body.remove_suffix(1);
  if (body.size() > kMaxDnsNameBytes) {
    return "name is " + std::to_string(body.size()) + " bytes, longer than " +
           std::to_string(kMaxDnsNameBytes);
  }
  for (const char c : name) {
    if (!isHostNameChar(c)) {
      return "name " + quotedText(name) + " has the invalid character '" + printableText({&c, 1}) +
             "' (letters, digits, '-' and '.')";
    }
  }
  while (true) {
    const size_t dot = body.find('.');
    const std::string_view label = body.substr(0, dot);
    if (label.empty()) return "name " + quotedText(name) + " has an empty label";
    if (label.size() > kMaxDnsLabelBytes) {
      return "label " + quotedText(label) + " is " + std::to_string(label.size()) +
             " bytes, longer than " + std::to_string(kMaxDnsLabelBytes);
    }
    if (label.front() == '-' || label.back() == '-') {
      return "label " + quotedText(label) + " starts or ends with '-'";
    }
    if (dot == std::string_view::npos) return std::nullopt;
    body.remove_prefix(dot + 1);
  }
}

Result<uint16_t> parsePort(std::string_view digits, std::string_view text) {
  if (digits.empty()) return badTarget(text, "no port after ':'");
  for (const char c : digits) {
    if (c < '0' || c > '9')
      return badTarget(text, "port " + quotedText(digits) + " is not a number");
  }
  if (digits.size() > 5 || std::stoul(std::string(digits)) > 65535 ||
      std::stoul(std::string(digits)) == 0) {
    return badTarget(text, "port " + printableText(digits) + " out of range 1-65535");
  }
  return static_cast<uint16_t>(std::stoul(std::string(digits)));
}

Result<FleetTarget> parseDns(std::string_view text) {
  std::string_view rest = text.substr(kDnsPrefix.size());
  std::string_view port;
  const size_t colon = rest.find(':');
  // One ':' is the port's; with more the text is an IPv6 address, said below.
  if (colon != std::string_view::npos && rest.find(':', colon + 1) == std::string_view::npos &&
      rest.find('[') == std::string_view::npos) {
    port = rest.substr(colon + 1);
    rest = rest.substr(0, colon);
    if (port.empty()) return badTarget(text, "no port after ':'");
  }
  if (auto problem = hostNameProblem(rest)) return badTarget(text, *problem);
  FleetTarget target;
  target.kind = FleetKind::Dns;
  target.text = std::string(text);
  target.dnsName = std::string(rest);
  if (!port.empty()) {
    auto parsed = parsePort(port, text);
    if (!parsed) return parsed.error();
    target.port = *parsed;
    target.portGiven = true;
  }
  return target;
}

Result<FleetTarget> parseKubernetes(std::string_view text) {
  const std::string_view rest = text.substr(kK8sPrefix.size());
  if (rest.empty()) {
    return badTarget(text,
                     "nothing to select after 'k8s:' (pod/NAME, deploy/NAME, sts/NAME, ds/NAME, "
                     "svc/NAME or a label selector)");
  }
  FleetTarget target;
  target.kind = FleetKind::Kubernetes;
  target.text = std::string(text);
  std::string_view what = rest;
  // The part before the first '/' is a namespace only when it can be one
  // and is no kind word: "app.kubernetes.io/name=web" has a label key's
  // prefix there, "deploy/web" a kind.
  const size_t slash = rest.find('/');
  if (slash != std::string_view::npos) {
    const std::string_view first = rest.substr(0, slash);
    if (!dnsLabelProblem(first) && !kindOf(first)) {
      target.k8sNamespace = std::string(first);
      what = rest.substr(slash + 1);
      if (what.empty()) return badTarget(text, "nothing to select after " + quotedText(rest));
    }
  }
  const size_t kindSlash = what.find('/');
  if (kindSlash != std::string_view::npos) {
    const std::string_view word = what.substr(0, kindSlash);
    if (const auto kind = kindOf(word)) {
      const std::string_view name = what.substr(kindSlash + 1);
      if (name.empty()) return badTarget(text, "no name after " + quotedText(what));
      if (auto problem = dnsSubdomainProblem(name)) return badTarget(text, *problem);
      target.workload = *kind;
      target.objectName = std::string(name);
      return target;
    }
  }
  if (auto problem = selectorProblem(what)) return badTarget(text, *problem);
  target.workload = WorkloadKind::Selector;
  target.selector = std::string(what);
  return target;
}

}  // namespace

bool isFleetTarget(std::string_view text) {
  return startsWithNoCase(text, kDnsPrefix) || startsWithNoCase(text, kK8sPrefix);
}

Result<FleetTarget> parseFleetTarget(std::string_view text) {
  if (text.size() > kMaxFleetTargetBytes) {
    return badTarget(text, "longer than " + std::to_string(kMaxFleetTargetBytes) + " bytes");
  }
  if (startsWithNoCase(text, kDnsPrefix)) return parseDns(text);
  if (startsWithNoCase(text, kK8sPrefix)) return parseKubernetes(text);
  return badTarget(text, "not a dns: or k8s: target");
}

std::string kubectlResource(WorkloadKind kind) {
  switch (kind) {
    case WorkloadKind::Deployment:
      return "deployments";
    case WorkloadKind::StatefulSet:
      return "statefulsets";
    case WorkloadKind::DaemonSet:
      return "daemonsets";
    case WorkloadKind::Service:
      return "services";
    case WorkloadKind::Pod:
    case WorkloadKind::Selector:
      break;
  }
  return "pods";
}

std::string canonicalText(const FleetTarget& target) {
  if (target.kind == FleetKind::Dns) {
    return std::string(kDnsPrefix) + target.dnsName + ":" + std::to_string(target.port);
  }
  std::string out(kK8sPrefix);
  if (target.k8sNamespace) out += *target.k8sNamespace + "/";
  if (target.workload == WorkloadKind::Selector) return out + target.selector;
  out += shortWord(target.workload);
  return out + "/" + target.objectName;
}

}  // namespace ddump
