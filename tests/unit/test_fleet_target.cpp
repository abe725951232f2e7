// Fleet targets (common/fleet_target) and the Kubernetes name and selector
// syntax they use (common/k8s_names): every rule, the ambiguous namespace
// cases, the length bounds and the exact one-line errors.
#include <catch2/catch.hpp>

#include <string>

#include "fleet_target.h"
#include "k8s_names.h"

using namespace ddump;

namespace {

FleetTarget parseOk(std::string_view text) {
  auto parsed = parseFleetTarget(text);
  INFO(text);
  INFO((parsed ? std::string() : parsed.error().message));
  REQUIRE(parsed.ok());
  CHECK(parsed->text == text);
  // The canonical spelling parses to the same target.
  auto again = parseFleetTarget(canonicalText(*parsed));
  REQUIRE(again.ok());
  CHECK(again->kind == parsed->kind);
  CHECK(again->dnsName == parsed->dnsName);
  CHECK(again->port == parsed->port);
  CHECK(again->k8sNamespace == parsed->k8sNamespace);
  CHECK(again->workload == parsed->workload);
  CHECK(again->objectName == parsed->objectName);
  CHECK(again->selector == parsed->selector);
  return *parsed;
}

std::string parseError(std::string_view text) {
  auto parsed = parseFleetTarget(text);
  INFO(text);
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code == ErrorCode::InvalidArgument);
  CHECK(parsed.error().message.find('\n') == std::string::npos);
  return parsed.error().message;
}

std::string label(size_t n, char c = 'a') {
  return std::string(n, c);
}

}  // namespace

TEST_CASE("isFleetTarget takes dns: and k8s: in any case, nothing else", "[unit][fleet_target]") {
  for (const char* text : {"dns:web", "DNS:web", "k8s:app=web", "K8S:pod/x", "dns:", "k8s:"}) {
    INFO(text);
    CHECK(isFleetTarget(text));
  }
  for (const char* text : {"", "dns", "k8s", "http://dns:80", "web:8475", "dnsx:web", "k8:a",
                           "./dns:web", "kubernetes:a"}) {
    INFO(text);
    CHECK_FALSE(isFleetTarget(text));
  }
  CHECK(parseError("web:8475") == "bad target 'web:8475': not a dns: or k8s: target");
}

TEST_CASE("dns:NAME[:PORT] gives the name and the port, 8475 by default", "[unit][fleet_target]") {
  FleetTarget t = parseOk("dns:workers.example.com");
  CHECK(t.kind == FleetKind::Dns);
  CHECK(t.dnsName == "workers.example.com");
  CHECK(t.port == 8475);
  CHECK_FALSE(t.portGiven);  // --worker-port may set it
  CHECK(canonicalText(t) == "dns:workers.example.com:8475");

  t = parseOk("dns:ddump-worker.ddump.svc.cluster.local.:8443");
  CHECK(t.dnsName == "ddump-worker.ddump.svc.cluster.local.");
  CHECK(t.port == 8443);
  CHECK(t.portGiven);
  CHECK(parseOk("DNS:Web-1:1").port == 1);
  CHECK(parseOk("dns:Web-1:1").dnsName == "Web-1");
  CHECK(parseOk("dns:w:65535").port == 65535);
  CHECK(parseOk("dns:10.0.0.1").dnsName == "10.0.0.1");
  CHECK(parseOk("dns:localhost").dnsName == "localhost");
}

TEST_CASE("dns: names are bounded: labels 63, names 253 bytes", "[unit][fleet_target]") {
  // 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 bytes, and a final dot beyond them.
  const std::string longest =
      label(63) + "." + label(63, 'b') + "." + label(63, 'c') + "." + label(61, 'd');
  REQUIRE(longest.size() == 253);
  CHECK(parseOk("dns:" + longest).dnsName == longest);
  CHECK(parseOk("dns:" + longest + ".:80").dnsName == longest + ".");
  CHECK(parseError("dns:" + longest + "d") ==
        "bad target 'dns:" + longest.substr(0, 124) + "...': name is 254 bytes, longer than 253");
  CHECK(parseError("dns:" + label(64) + ".example") == "bad target 'dns:" + label(64) +
                                                           ".example': label '" + label(64) +
                                                           "' is 64 bytes, longer than 63");
  CHECK(parseOk("dns:" + label(63) + ".example").dnsName == label(63) + ".example");
}

TEST_CASE("dns: refuses what is not a host name or port, naming it", "[unit][fleet_target]") {
  CHECK(parseError("dns:") == "bad target 'dns:': no name after 'dns:'");
  CHECK(parseError("dns::80") == "bad target 'dns::80': no name after 'dns:'");
  CHECK(parseError("dns:web:") == "bad target 'dns:web:': no port after ':'");
  CHECK(parseError("dns:web:0") == "bad target 'dns:web:0': port 0 out of range 1-65535");
  CHECK(parseError("dns:web:65536") ==
        "bad target 'dns:web:65536': port 65536 out of range 1-65535");
  CHECK(parseError("dns:web:123456") ==
        "bad target 'dns:web:123456': port 123456 out of range 1-65535");
  CHECK(parseError("dns:web:http") == "bad target 'dns:web:http': port 'http' is not a number");
  CHECK(parseError("dns:web:-1") == "bad target 'dns:web:-1': port '-1' is not a number");
  CHECK(parseError("dns:a..b") == "bad target 'dns:a..b': name 'a..b' has an empty label");
  CHECK(parseError("dns:.a") == "bad target 'dns:.a': name '.a' has an empty label");
  CHECK(parseError("dns:.") == "bad target 'dns:.': name '.' has an empty label");
  CHECK(parseError("dns:a.-b") == "bad target 'dns:a.-b': label '-b' starts or ends with '-'");
  CHECK(parseError("dns:web-") == "bad target 'dns:web-': label 'web-' starts or ends with '-'");
  CHECK(parseError("dns:we_b") ==
        "bad target 'dns:we_b': name 'we_b' has the invalid character '_' (letters, digits, '-' "
        "and '.')");
  CHECK(parseError("dns:w\x01"
                   "b") ==
        "bad target 'dns:w?b': name 'w?b' has the invalid character '?' (letters, digits, '-' "
        "and '.')");
  CHECK(parseError("dns:web/capture") ==
        "bad target 'dns:web/capture': name 'web/capture' has the invalid character '/' "
        "(letters, digits, '-' and '.')");
  const std::string v6 =
      "dns: takes a DNS name, not an IPv6 address (give the worker's URL, "
      "http://[ADDRESS]:PORT)";
  CHECK(parseError("dns:[::1]:80") == "bad target 'dns:[::1]:80': " + v6);
  CHECK(parseError("dns:fd00::1") == "bad target 'dns:fd00::1': " + v6);
  CHECK(parseError("dns:[web]") == "bad target 'dns:[web]': " + v6);
  CHECK(parseError("dns:" + std::string(5000, 'a')).find("longer than 4096 bytes") !=
        std::string::npos);
}

TEST_CASE("k8s: kinds and their names, with and without a namespace", "[unit][fleet_target]") {
  FleetTarget t = parseOk("k8s:deploy/web");
  CHECK(t.kind == FleetKind::Kubernetes);
  CHECK_FALSE(t.k8sNamespace.has_value());
  CHECK(t.workload == WorkloadKind::Deployment);
  CHECK(t.objectName == "web");
  CHECK(t.selector.empty());
  CHECK(canonicalText(t) == "k8s:deploy/web");

  t = parseOk("k8s:shop/deploy/web");
  CHECK(t.k8sNamespace == std::optional<std::string>("shop"));
  CHECK(t.workload == WorkloadKind::Deployment);
  CHECK(t.objectName == "web");

  const std::pair<const char*, WorkloadKind> kinds[] = {
      {"pod", WorkloadKind::Pod},
      {"pods", WorkloadKind::Pod},
      {"po", WorkloadKind::Pod},
      {"deployment", WorkloadKind::Deployment},
      {"deployments", WorkloadKind::Deployment},
      {"sts", WorkloadKind::StatefulSet},
      {"statefulset", WorkloadKind::StatefulSet},
      {"statefulsets", WorkloadKind::StatefulSet},
      {"ds", WorkloadKind::DaemonSet},
      {"daemonset", WorkloadKind::DaemonSet},
      {"daemonsets", WorkloadKind::DaemonSet},
      {"svc", WorkloadKind::Service},
      {"service", WorkloadKind::Service},
      {"services", WorkloadKind::Service},
  };
  for (const auto& [word, kind] : kinds) {
    t = parseOk(std::string("k8s:kube-system/") + word + "/coredns-5d78c9869d-x7k2p");
    CHECK(t.k8sNamespace == std::optional<std::string>("kube-system"));
    CHECK(t.workload == kind);
    CHECK(t.objectName == "coredns-5d78c9869d-x7k2p");
  }
  CHECK(canonicalText(parseOk("k8s:a/statefulsets/db-0")) == "k8s:a/sts/db-0");
  CHECK(canonicalText(parseOk("k8s:services/web.v2")) == "k8s:svc/web.v2");
  CHECK(kubectlResource(WorkloadKind::Pod) == "pods");
  CHECK(kubectlResource(WorkloadKind::Deployment) == "deployments");
  CHECK(kubectlResource(WorkloadKind::StatefulSet) == "statefulsets");
  CHECK(kubectlResource(WorkloadKind::DaemonSet) == "daemonsets");
  CHECK(kubectlResource(WorkloadKind::Service) == "services");
  CHECK(kubectlResource(WorkloadKind::Selector) == "pods");
}

TEST_CASE("k8s: the part before '/' is a namespace only when it can be one",
          "[unit][fleet_target]") {
  // A label key's prefix has dots: a selector in the context's namespace.
  FleetTarget t = parseOk("k8s:app.kubernetes.io/name=web");
  CHECK_FALSE(t.k8sNamespace.has_value());
  CHECK(t.workload == WorkloadKind::Selector);
  CHECK(t.selector == "app.kubernetes.io/name=web");

  t = parseOk("k8s:shop/app=checkout");
  CHECK(t.k8sNamespace == std::optional<std::string>("shop"));
  CHECK(t.selector == "app=checkout");

  t = parseOk("k8s:shop/app.kubernetes.io/name=web");
  CHECK(t.k8sNamespace == std::optional<std::string>("shop"));
  CHECK(t.selector == "app.kubernetes.io/name=web");

  // '=' or ',' before the first '/': no namespace, all of it a selector.
  t = parseOk("k8s:tier=web,example.com/team=a");
  CHECK_FALSE(t.k8sNamespace.has_value());
  CHECK(t.selector == "tier=web,example.com/team=a");

  // A kind word is never a namespace.
  t = parseOk("k8s:svc/web");
  CHECK_FALSE(t.k8sNamespace.has_value());
  CHECK(t.workload == WorkloadKind::Service);

  // A namespace and then a word that is no kind: a selector (label exists).
  t = parseOk("k8s:shop/web");
  CHECK(t.k8sNamespace == std::optional<std::string>("shop"));
  CHECK(t.selector == "web");
  // A namespace and a kind word alone: the label by that name exists.
  CHECK(parseOk("k8s:shop/deploy").selector == "deploy");

  // 63 bytes is a namespace; 64 is not, and then the prefix of a label key.
  t = parseOk("k8s:" + label(63) + "/app=web");
  CHECK(t.k8sNamespace == std::optional<std::string>(label(63)));
  t = parseOk("k8s:" + label(64) + "/app=web");
  CHECK_FALSE(t.k8sNamespace.has_value());
  CHECK(t.selector == label(64) + "/app=web");

  // Upper case is no namespace; as a key prefix it is refused.
  CHECK(parseError("k8s:Shop/app=x") ==
        "bad target 'k8s:Shop/app=x': label selector: label key prefix 'Shop' has the invalid "
        "character 'S' (lowercase letters, digits, '-' and '.')");
}

TEST_CASE("k8s: label selectors as kubectl -l takes them", "[unit][fleet_target]") {
  for (const char* selector :
       {"app=web", "app==web", "tier!=db", "app=web,tier!=db", "env in (a,b)", "env notin (a)",
        "env in(a, b ,c)", "!legacy", "tier", "app=", "x in ()", "x in (a,,b)", "x in (,)", "in",
        "notin in (in,notin)", "a = b , ! c", "app.kubernetes.io/name=web", "k=V.1_x-Y",
        "example.com/a_b.c-d=1"}) {
    const FleetTarget t = parseOk(std::string("k8s:") + selector);
    INFO(selector);
    CHECK(t.workload == WorkloadKind::Selector);
    CHECK(t.selector == selector);
  }
  const std::string key63 = "k" + label(61) + "z";
  CHECK(parseOk("k8s:" + key63 + "=" + key63).selector == key63 + "=" + key63);
  const std::string prefix253 = label(63) + "." + label(63) + "." + label(63) + "." + label(61);
  CHECK(parseOk("k8s:" + prefix253 + "/x").selector == prefix253 + "/x");
}

TEST_CASE("k8s: bad selectors name what is wrong", "[unit][fleet_target]") {
  const std::pair<std::string, std::string> cases[] = {
      {"k8s:",
       "nothing to select after 'k8s:' (pod/NAME, deploy/NAME, sts/NAME, ds/NAME, "
       "svc/NAME or a label selector)"},
      {"k8s:shop/", "nothing to select after 'shop/'"},
      {"k8s: ", "empty label selector"},
      {"k8s:app=web,", "label selector: expected a requirement after ','"},
      {"k8s:,app", "label selector: expected a label key, found ','"},
      {"k8s:app=web,,x", "label selector: expected a label key, found ','"},
      {"k8s:app=we b", "label selector: expected ',' or the end, found 'b'"},
      {"k8s:app>1", "label selector: operator '>' is not supported (=, ==, !=, in, notin, !)"},
      {"k8s:app<1", "label selector: operator '<' is not supported (=, ==, !=, in, notin, !)"},
      {"k8s:app===x", "label selector: expected a value after 'app', found '='"},
      {"k8s:app=(x)", "label selector: expected a value after 'app', found '('"},
      {"k8s:!app=x", "label selector: '!app' takes no operator, found '='"},
      {"k8s:!", "label selector: expected a label key, found the end"},
      {"k8s:env in a", "label selector: expected '(' after 'env' in/notin, found 'a'"},
      {"k8s:env in (a", "label selector: missing ')' after the values of 'env'"},
      {"k8s:env in (a b)",
       "label selector: expected a value, ',' or ')' in the values of 'env', found 'b'"},
      {"k8s:env in (a=b)",
       "label selector: expected a value, ',' or ')' in the values of 'env', found '='"},
      {"k8s:env foo",
       "label selector: expected an operator (=, ==, !=, in, notin) after 'env', "
       "found 'foo'"},
      {"k8s:app=web!", "label selector: expected ',' or the end, found '!'"},
      {"k8s:app=-web",
       "label selector: label value '-web' must start and end with a letter or "
       "digit"},
      {"k8s:app=w@b",
       "label selector: label value 'w@b' has the invalid character '@' (letters, "
       "digits, '-', '_' and '.')"},
      {"k8s:app=" + label(64),
       "label selector: label value '" + label(64) + "' is 64 bytes, longer than 63"},
      {"k8s:" + label(64) + "=x",
       "label selector: label key '" + label(64) + "' is 64 bytes, longer than 63"},
      {"k8s:a.b/" + label(64),
       "label selector: label key name '" + label(64) + "' is 64 bytes, longer than 63"},
      {"k8s:a.b/c/d=x", "label selector: label key 'a.b/c/d' has more than one '/'"},
      {"k8s:/x=y", "label selector: label key '/x' has an empty prefix before '/'"},
      {"k8s:a.b/=y", "label selector: empty label key name"},
      {"k8s:_x=y", "label selector: label key '_x' must start and end with a letter or digit"},
      {"k8s:a_b.c/x=y",
       "label selector: label key prefix 'a_b.c' has the invalid character '_' "
       "(lowercase letters, digits, '-' and '.')"},
      {"k8s:a..b/x=y",
       "label selector: label key prefix 'a..b' must start and end with a letter "
       "or digit, as must each part between dots"},
      {"k8s:b\x7f",
       "label selector: label key 'b\x7f' has the invalid character byte 0x7f "
       "(letters, digits, '-', '_' and '.')"},
      {"k8s:a\tb",
       "label selector: expected an operator (=, ==, !=, in, notin) after 'a', "
       "found 'b'"},
  };
  for (const auto& [text, why] : cases) {
    std::string shown = text;
    for (char& c : shown) {
      if (c < 0x20 || c >= 0x7f) c = '?';
    }
    std::string expected = "bad target '" + shown + "': " + why;
    for (size_t i = 0; i < expected.size(); ++i) {
      if (expected[i] == '\x7f') expected[i] = '?';
    }
    CHECK(parseError(text) == expected);
  }
  const std::string prefix254 = label(63) + "." + label(63) + "." + label(63) + "." + label(62);
  CHECK(parseError("k8s:" + prefix254 + "/x")
            .find("label selector: label key prefix '" + label(63) +
                  "....' is 254 bytes, longer than "
                  "253") != std::string::npos);
}

TEST_CASE("k8s: object names are DNS subdomains of at most 253 bytes", "[unit][fleet_target]") {
  const std::string name253 = label(100) + "." + label(100) + "." + label(51);
  CHECK(parseOk("k8s:pod/" + name253).objectName == name253);
  CHECK(parseError("k8s:pod/" + name253 + "x") ==
        "bad target 'k8s:pod/" + (name253 + "x").substr(0, 120) + "...': name '" + label(64) +
            "...' is 254 bytes, longer than 253");
  CHECK(parseError("k8s:deploy/") == "bad target 'k8s:deploy/': no name after 'deploy/'");
  CHECK(parseError("k8s:shop/sts/") == "bad target 'k8s:shop/sts/': no name after 'sts/'");
  CHECK(parseError("k8s:pod/Web") ==
        "bad target 'k8s:pod/Web': name 'Web' has the invalid character 'W' (lowercase letters, "
        "digits, '-' and '.')");
  CHECK(parseError("k8s:pod/web-") ==
        "bad target 'k8s:pod/web-': name 'web-' must start and end with a letter or digit, as "
        "must each part between dots");
  CHECK(parseError("k8s:pod/a/b") ==
        "bad target 'k8s:pod/a/b': name 'a/b' has the invalid character '/' (lowercase letters, "
        "digits, '-' and '.')");
  CHECK(parseError("k8s:shop/pod/web=1") ==
        "bad target 'k8s:shop/pod/web=1': name 'web=1' has the invalid character '=' (lowercase "
        "letters, digits, '-' and '.')");
}

TEST_CASE("k8s_names: namespaces, keys and values alone", "[unit][fleet_target]") {
  CHECK_FALSE(dnsLabelProblem("kube-system"));
  CHECK_FALSE(dnsLabelProblem(label(63)));
  CHECK(dnsLabelProblem(label(64)) ==
        std::optional<std::string>("namespace '" + label(64) + "' is 64 bytes, longer than 63"));
  CHECK(dnsLabelProblem("a.b") ==
        std::optional<std::string>("namespace 'a.b' has the invalid character '.' (lowercase "
                                   "letters, digits and '-')"));
  CHECK(dnsLabelProblem("") == std::optional<std::string>("empty namespace"));
  CHECK_FALSE(labelValueProblem(""));
  CHECK_FALSE(labelKeyProblem("kubernetes.io/hostname"));
  CHECK(labelKeyProblem("") == std::optional<std::string>("empty label key"));
  CHECK_FALSE(selectorProblem("a in (b),c notin (d),!e,f"));
  CHECK(selectorProblem(std::string(4097, 'a')) ==
        std::optional<std::string>("label selector is 4097 bytes, longer than 4096"));
}
