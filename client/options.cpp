#include "options.h"

#include <getopt.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <filesystem>
#include <utility>

#include "filter_expression.h"
#include "time_spec.h"

namespace ddump {
namespace {

enum LongOnly {
  kLinktype = 1000,
  kNano,
  kTargets,
  kUser,
  kCa,
  kCert,
  kKey,
  kDuration,
  kMaxDelay,
  kRetry,
  kConnectTimeout,
  kVersion,
  kClockOffset,
  kAllowInsecureAuth,
  kSince,
  kUntil,
  kTrigger,
  kBefore,
  kAfter,
  kUtc,
  kFlowInterval,
  kMaxFlows,
  kKubectl,
  kContext,
  kWorkerScheme,
  kWorkerPort,
  kWorkerSelector,
  kViaApiServer,
  kRefresh,
};

uint64_t parseUnsigned(const char* text, const char* flag) {
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = std::strtoull(text, &end, 10);
  if (errno != 0 || end == text || *end != '\0' || text[0] == '-') {
    throw UsageError(std::string(flag) + ": '" + text + "' is not a non-negative integer");
  }
  return value;
}

double parseSeconds(const char* text, const char* flag) {
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(text, &end);
  if (errno != 0 || end == text || *end != '\0' || !(value >= 0) || value > 1e9) {
    throw UsageError(std::string(flag) + ": '" + text + "' is not a number of seconds");
  }
  return value;
}

std::string parseLinktype(const char* text) {
  const std::string value = text;
  if (value != "sll" && value != "sll2") {
    throw UsageError("--linktype: '" + value + "' is not sll or sll2");
  }
  return value;
}

template <typename T>
T orUsage(Result<T> result, const char* flag) {
  if (!result) {
    const std::string& why = result.error().message;
    throw UsageError(why.rfind(flag, 0) == 0 ? why : std::string(flag) + ": " + why);
  }
  return std::move(*result);
}

// -T: what stdout gets, and -F and -w as given; a terminal gets text
// unless told otherwise (binary pcap there is noise).
void resolveOutputType(Options& o, bool stdoutIsTerminal) {
  OutputConfig& out = o.output;
  if (o.type) {
    const std::string& t = *o.type;
    if (t == "pcap") return;  // binary, as -F says
    if (t != "text" && t != "ndjson" && t != "flows") {
      throw UsageError("-T: '" + t + "' is not pcap, text, ndjson or flows");
    }
    if (o.formatGiven) throw UsageError("-T " + t + " writes lines, not -F " + (out.format == OutputFormat::Pcapng ? "pcapng" : "pcap"));
    out.format = t == "text" ? OutputFormat::Text : t == "ndjson" ? OutputFormat::Ndjson : OutputFormat::Flows;
  } else if (!o.pathGiven && !o.formatGiven && stdoutIsTerminal) {
    out.format = OutputFormat::Text;
  }
  if (isCaptureFormat(out.format)) return;
  if (out.perTarget) throw UsageError("-w DIR/ writes capture files: not with -T text, ndjson or flows");
  if (out.rotation.enabled() || !out.postRotate.empty()) {
    throw UsageError("-C, -G, -W and -z rotate capture files: not with -T text, ndjson or flows");
  }
}

OutputFormat parseFormat(const char* text) {
  const std::string value = text;
  if (value == "pcap") return OutputFormat::Pcap;
  if (value == "pcapng") return OutputFormat::Pcapng;
  throw UsageError("-F: '" + value + "' is not pcap or pcapng");
}

// -w DIR/ (a trailing slash, or an existing directory) and the rotation
// flags' dependencies, as tcpdump checks them.
void checkOutput(OutputConfig& out) {
  std::error_code ec;
  if (!out.path.empty() && (out.path.back() == '/' || std::filesystem::is_directory(out.path, ec))) {
    out.perTarget = true;
    if (out.path.back() != '/') out.path += '/';
  }
  const bool rotating = out.rotation.enabled();
  if (out.path.empty()) throw UsageError("-w: empty file name");
  if ((rotating || !out.postRotate.empty()) && out.path == "-") {
    throw UsageError("-C, -G and -z need -w FILE (not stdout)");
  }
  if (out.rotation.fileCount != 0 && !rotating) throw UsageError("-W needs -C or -G");
  if (out.perTarget && out.rotation.periodSec != 0 && out.path.find('%') != std::string::npos) {
    throw UsageError("-G with -w DIR/: strftime patterns apply to file names only");
  }
}

void checkWindow(const Options& o) {
  if (o.sinceNs && o.untilNs && *o.untilNs <= *o.sinceNs) {
    throw UsageError("--until must be later than --since");
  }
  if (o.trigger && (o.sinceNs || o.untilNs)) {
    throw UsageError("--trigger sets the window itself (--before and --after); drop --since/--until");
  }
  if (!o.trigger && (o.beforeNs || o.afterNs)) throw UsageError("--before and --after need --trigger");
}

void applyOption(int opt, const char* arg, Options& o) {
  switch (opt) {
    case 'f': o.capture.filter = arg; break;
    case 'i': o.capture.interface = arg; break;
    case 's': o.capture.snaplen = std::to_string(parseUnsigned(arg, "-s")); break;
    case 'c': o.count = parseUnsigned(arg, "-c"); break;
    case 'k': o.insecure = true; break;
    case 'q': o.quiet = true; break;
    case 'v': o.verbose = true; break;
    case 'h': o.help = true; break;
    case kLinktype: o.capture.linktype = parseLinktype(arg); break;
    case kNano:
      o.nano = true;
      o.output.summary.style.nano = true;
      o.capture.precision = "nano";
      break;
    case kTargets: o.targetsFile = arg; break;
    case kKubectl: o.kubectl = arg; break;
    case kContext: o.context = arg; break;
    case kWorkerScheme:
      if (std::string(arg) != "http" && std::string(arg) != "https") {
        throw UsageError(std::string("--worker-scheme: '") + arg + "' is neither http nor https");
      }
      o.workerScheme = arg;
      break;
    case kWorkerPort: {
      const uint64_t port = parseUnsigned(arg, "--worker-port");
      if (port == 0 || port > 65535) {
        throw UsageError(std::string("--worker-port: '") + arg + "' is not a port (1-65535)");
      }
      o.workerPort = static_cast<uint16_t>(port);
      break;
    }
    case kWorkerSelector: o.workerSelector = arg; break;
    case kViaApiServer: o.viaApiServer = arg; break;
    case kRefresh:
      o.refreshSec = parseSeconds(arg, "--refresh");
      // Each refresh runs kubectl (or asks DNS) for every fleet target.
      if (o.refreshSec > 0 && o.refreshSec < 1) {
        throw UsageError(std::string("--refresh: '") + arg + "' is under a second (0 turns it off)");
      }
      break;
    case kUser: o.user = arg; break;
    case kCa: o.caFile = arg; break;
    case kCert: o.certFile = arg; break;
    case kKey: o.keyFile = arg; break;
    case kDuration: o.durationSec = parseSeconds(arg, "--duration"); break;
    case kMaxDelay:
      o.maxDelayMs = parseUnsigned(arg, "--max-delay");
      // Bounded so that arrival + delay (in ns) can never wrap around.
      if (o.maxDelayMs > 3'600'000) {
        throw UsageError(std::string("--max-delay: '") + arg + "' is more than 3600000 ms (one hour)");
      }
      break;
    case kRetry: o.retry = static_cast<int>(std::min<uint64_t>(parseUnsigned(arg, "--retry"), 1000)); break;
    case kConnectTimeout:
      o.connectTimeoutSec = parseSeconds(arg, "--connect-timeout");
      if (o.connectTimeoutSec <= 0) throw UsageError("--connect-timeout must be > 0");
      break;
    case kVersion: o.version = true; break;
    case 'F':
      o.output.format = parseFormat(arg);
      o.formatGiven = true;
      break;
    case 'T': o.type = arg; break;
    case 'w':
      o.output.path = arg;
      o.pathGiven = true;
      break;
    case kUtc: o.output.summary.style.utc = true; break;
    case kFlowInterval: {
      const double sec = parseSeconds(arg, "--flow-interval");
      if (sec < 0.001 || sec > 86400) throw UsageError("--flow-interval must be between 0.001 and 86400 seconds");
      o.output.summary.flowIntervalNs = static_cast<uint64_t>(sec * 1e9);
      break;
    }
    case kMaxFlows:
      o.output.summary.maxFlows = static_cast<size_t>(orUsage(parsePositive(arg, "--max-flows", 100'000'000), "--max-flows"));
      break;
    case 'C': o.output.rotation.maxBytes = orUsage(parseFileSize(arg), "-C"); break;
    case 'G': o.output.rotation.periodSec = orUsage(parsePositive(arg, "-G", 1u << 30), "-G"); break;
    case 'W':
      o.output.rotation.fileCount =
          static_cast<uint32_t>(orUsage(parsePositive(arg, "-W", 1'000'000), "-W"));
      break;
    case 'z': o.output.postRotate = arg; break;
    case kAllowInsecureAuth: o.allowInsecureAuth = true; break;
    case kClockOffset: o.clockOffset = orUsage(parseClockOffset(arg), "--clock-offset"); break;
    case kSince: o.sinceNs = orUsage(parseWhen(arg, o.startNs, "--since"), "--since"); break;
    case kUntil: o.untilNs = orUsage(parseWhen(arg, o.startNs, "--until"), "--until"); break;
    case kTrigger:
      if (std::string(arg).empty()) throw UsageError("--trigger: empty filter expression");
      o.trigger = arg;
      break;
    case kBefore: o.beforeNs = orUsage(parseDuration(arg), "--before"); break;
    case kAfter: o.afterNs = orUsage(parseDuration(arg), "--after"); break;
    default: throw UsageError("unknown option (see ddump --help)");
  }
}

// The positionals: targets, then the filter expression (filter_expression.h).
void applyPositionals(const std::vector<std::string>& words,
                      std::optional<size_t> firstAfterDashDash, Options& o) {
  PositionalWords split = splitPositionals(words, firstAfterDashDash);
  for (const std::string& word : split.targets) {
    // A word with a space can be a file; if it is none, it was no host
    // either, and most likely a filter ddump did not recognise: say how one
    // is told, rather than "invalid character in host".
    std::error_code ec;
    if (word.find_first_of(" \t") != std::string::npos && word.find('/') == std::string::npos &&
        !std::filesystem::exists(word, ec)) {
      throw UsageError("'" + maskCredentials(word) +
                       "' is neither a target (no such file) nor a filter expression (one "
                       "starts with a pcap-filter(7) keyword such as host, port or tcp, or "
                       "with '(' or '!')");
    }
  }
  if (split.targets.empty() && split.expression && !o.targetsFile) {
    throw UsageError("no targets before the filter expression '" + *split.expression + "' (" +
                     (firstAfterDashDash == 0u
                          ? "targets go before \"--\")"
                          : "a host named like a filter keyword is written HOST:PORT or "
                            "http://HOST)"));
  }
  auto filter = chooseFilter(o.capture.filter, split.expression);
  if (!filter) throw UsageError(filter.error().message);
  o.capture.filter = std::move(*filter);
  o.targetTexts = std::move(split.targets);
}

}  // namespace

Options parseOptions(int argc, char** argv) {
  static const option kLong[] = {
      {"filter", required_argument, nullptr, 'f'},
      {"interface", required_argument, nullptr, 'i'},
      {"snaplen", required_argument, nullptr, 's'},
      {"count", required_argument, nullptr, 'c'},
      {"insecure", no_argument, nullptr, 'k'},
      {"quiet", no_argument, nullptr, 'q'},
      {"verbose", no_argument, nullptr, 'v'},
      {"help", no_argument, nullptr, 'h'},
      {"linktype", required_argument, nullptr, kLinktype},
      {"nano", no_argument, nullptr, kNano},
      {"targets", required_argument, nullptr, kTargets},
      {"user", required_argument, nullptr, kUser},
      {"ca", required_argument, nullptr, kCa},
      {"cert", required_argument, nullptr, kCert},
      {"key", required_argument, nullptr, kKey},
      {"duration", required_argument, nullptr, kDuration},
      {"max-delay", required_argument, nullptr, kMaxDelay},
      {"retry", required_argument, nullptr, kRetry},
      {"connect-timeout", required_argument, nullptr, kConnectTimeout},
      {"version", no_argument, nullptr, kVersion},
      {"clock-offset", required_argument, nullptr, kClockOffset},
      {"allow-insecure-auth", no_argument, nullptr, kAllowInsecureAuth},
      {"since", required_argument, nullptr, kSince},
      {"until", required_argument, nullptr, kUntil},
      {"trigger", required_argument, nullptr, kTrigger},
      {"before", required_argument, nullptr, kBefore},
      {"after", required_argument, nullptr, kAfter},
      {"utc", no_argument, nullptr, kUtc},
      {"flow-interval", required_argument, nullptr, kFlowInterval},
      {"max-flows", required_argument, nullptr, kMaxFlows},
      {"kubectl", required_argument, nullptr, kKubectl},
      {"context", required_argument, nullptr, kContext},
      {"worker-scheme", required_argument, nullptr, kWorkerScheme},
      {"worker-port", required_argument, nullptr, kWorkerPort},
      {"worker-selector", required_argument, nullptr, kWorkerSelector},
      {"via-apiserver", required_argument, nullptr, kViaApiServer},
      {"refresh", required_argument, nullptr, kRefresh},
      {nullptr, 0, nullptr, 0},
  };
  Options o;
  o.startNs = wallClockNs();
  // Words after "--" are the filter expression. GNU getopt permutes options
  // before positionals (so "ddump h1 h2 -c 5" works) and moves "--" too, so
  // remember how many words followed it.
  int afterDashDash = -1;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") {
      afterDashDash = argc - i - 1;
      break;
    }
  }
  opterr = 0;
  optind = 1;
  int opt = 0;
  while ((opt = getopt_long(argc, argv, ":f:i:s:c:kqvhF:T:w:C:G:W:z:", kLong, nullptr)) != -1) {
    if (opt == '?' || opt == ':') {
      const std::string bad =
          optopt > 0 && optopt < 256 ? std::string("-") + static_cast<char>(optopt) : argv[optind - 1];
      throw UsageError((opt == ':' ? "missing value for " : "unknown option ") + bad +
                       " (see ddump --help)");
    }
    applyOption(opt, optarg, o);
  }
  const std::vector<std::string> words(argv + optind, argv + argc);
  std::optional<size_t> firstAfterDashDash;
  if (afterDashDash >= 0) firstAfterDashDash = words.size() - static_cast<size_t>(afterDashDash);
  applyPositionals(words, firstAfterDashDash, o);
  if (o.certFile.empty() != o.keyFile.empty()) throw UsageError("--cert and --key go together");
  checkOutput(o.output);
  resolveOutputType(o, ::isatty(STDOUT_FILENO) == 1);
  checkWindow(o);
  return o;
}

std::string usageText() {
  return R"(Usage: ddump [OPTIONS] TARGET... [--] [FILTER EXPRESSION]

Streams live captures from ddump workers (and pcap files) and writes ONE
time-ordered pcap to stdout:  ddump host1 host2 icmp | tcpdump -nr -

Targets:
  http[s]://[USER[:PASSWORD]@]HOST[:PORT][/PATH][?QUERY]
                     a worker; port defaults to 8475, path to /capture;
                     QUERY sets worker parameters (filter=, interface=, ...)
  HOST[:PORT]        same as http://HOST:PORT/capture ([::1]:PORT for IPv6)
  FILE, -            a pcap file, or stdin: ddump a.pcap b.pcap is a streaming mergecap
  dns:NAME[:PORT]    every A and AAAA address of NAME, one stream each, labelled
                     by the address's reverse name (or the address); http and port
                     8475 unless --worker-scheme or --worker-port say otherwise
  k8s:[NAMESPACE/]WHAT
                     the pods Kubernetes selects, WHAT being pod/NAME, deploy/NAME,
                     sts/NAME, ds/NAME, svc/NAME or a label selector (app=web,tier!=db):
                     one stream per node hosting them, from the ddump worker on that
                     node, filtered to the pods' addresses (and the filter given);
                     without NAMESPACE/, the kubeconfig context's namespace;
                     -F pcapng: an interface per pod (NODE/POD), pods named in an NRB
  Both are resolved again every --refresh SEC (default 30, 0: never): an
  address or node that appears gets a stream, one that is gone ends quietly,
  and a node whose selected pods changed gets a stream with the new filter
  (the old one ends once it streams: nothing is lost between them, and a
  packet of that moment may be there twice).

Filter expression (pcap-filter(7)), after the targets, as with tcpdump: quoted
whole ('tcp port 80'), split (tcp port 80) or both ('tcp port' 80). It begins
at the first word whose first token is a filter keyword (host, net, port,
portrange, src, dst, gateway, proto, ether, ip, ip6, arp, tcp, udp, icmp, icmp6,
sctp, vlan, mpls, not, less, greater, len, ...; also as in tcp[13]&2!=0) or that
starts with '(' or '!', or else after "--"; every word from there on is part of
it, joined with spaces. A filter that starts otherwise (with a number, as in
64 <= len, or a rare keyword such as ra, ta, tr, l1, l2, lat, radio) goes after
"--".

Capture (sent to every URL target that does not set it in its query):
  -f, --filter EXPR       the filter as one argument, instead of the expression
  -i, --interface NAME    capture interface on the worker (default: any)
  -s, --snaplen N         bytes to capture per packet
      --linktype sll|sll2 link-layer header type the worker writes (default sll)
      --nano              nanosecond timestamps (also forces a nanosecond output)

Targets from a file:
      --targets FILE      one target per line; '#' comments and blank lines ignored

dns: and k8s: targets (k8s: resolved with your own kubectl, so every
kubeconfig, context and auth plugin works):
      --refresh SEC       resolve them again every SEC (default 30; 0: never)
      --kubectl PATH      the kubectl to run (default: kubectl on PATH)
      --context NAME      its kubeconfig context (default: the current one)
      --worker-selector [NS/]SELECTOR
                          the ddump worker pods (default
                          ddump/app.kubernetes.io/name=ddump-worker)
      --worker-scheme http|https, --worker-port N
                          how a worker is reached on its node's InternalIP (default
                          https and 8443: the shipped DaemonSet's proxy); given,
                          they apply to dns: targets too
      --via-apiserver URL reach each worker through the API server's pods/proxy at URL
                          (e.g. kubectl proxy's http://127.0.0.1:8001) when the nodes
                          cannot be reached: RBAC is the gate, and every packet crosses
                          the API server (its CPU and bandwidth; fine for a few pods)

Authentication and TLS:
      --user USER[:PASS]  HTTP basic auth for targets without userinfo; the password
                          may come from the environment DDUMP_PASSWORD instead
                          (a password in a URL is visible in ps: a warning says so).
                          Credentials go to https targets only: an http target with
                          a user (from its URL or --user) is refused, exit 2, because
                          basic auth sends the password in clear
      --allow-insecure-auth
                          send basic auth over plain http anyway (e.g. to a worker on
                          loopback or behind an ssh tunnel)
      --ca FILE           PEM CA file that is the ONLY trust root for https servers
                          (default: system store, honouring SSL_CERT_FILE/SSL_CERT_DIR)
      --cert FILE         PEM client certificate chain for mutual TLS (with --key)
      --key FILE          PEM private key of --cert
  -k, --insecure          do not verify https servers (warns)

Output:
  -w FILE                 write to FILE instead of stdout ("-": stdout), flushed per batch
  -w DIR/                 one unmerged file per target in DIR: HOST.pcap (HOST_PORT.pcap
                          when two targets share a host)
  -F pcap|pcapng          output format (default pcap). pcapng names each packet's host
                          and interface (IDB "HOST:IFNAME"; workers are asked for SLL2)
                          and marks its direction; a target has at most 1024 interfaces,
                          later ones share "HOST:other" (the summary counts them). A pcapng
                          input keeps its own interfaces, comments, NRBs and statistics
  -T pcap|text|ndjson|flows
                          what stdout (or -w FILE) gets: pcap (binary, as -F says;
                          the default unless stdout is a terminal), text (one line per
                          packet as tcpdump -n prints it, after the time, host and
                          interface; the default on a terminal: "-w -" or -T pcap force
                          binary there), ndjson (one JSON object per packet: ts, host,
                          if, dir, len, caplen, eth, vlan, ip, tcp/udp/icmp/icmp6, arp,
                          truncated), flows (one JSON object per 5-tuple and host every
                          --flow-interval: start, end, proto, src, sport, dst, dport,
                          packets, bytes, tcp_flags)
      --utc               text: times in UTC instead of local time (--nano: 9 digits)
      --flow-interval SEC flows: the counting interval (default 10)
      --max-flows N       flows: at most N tracked; beyond, the least recently seen
                          is written early (counted in the summary; default 1000000)
  -C SIZE                 rotate when the file exceeds SIZE x 1,000,000 bytes (k/m/g:
                          KiB/MiB/GiB); files FILE, FILE1, FILE2... as tcpdump
  -G SEC                  rotate every SEC seconds; FILE may hold strftime(3) patterns
  -W N                    with -C: a ring of N files FILE0..FILE(N-1); with -G: stop after N
  -z CMD                  run "CMD FILE" on each closed file (e.g. -z gzip)
      --clock-offset auto|none|HOST=MS,...
                          correct worker clocks: auto estimates each worker's offset from
                          its X-Ddump-Time header and the round trip (NTP-style) and
                          shifts its timestamps; HOST=MS gives it by hand (worker clock
                          minus ours, in ms); none (default) leaves timestamps alone.
                          -v reports the estimates.
  A progress table is drawn on stderr when it is a terminal (not with -q).

History (workers started with --history SIZE keep their recent past):
      --since WHEN        start in the past: a duration ago (30s, 5m, 1h30m, as
                          docker logs --since) or an RFC 3339 time
                          (2026-12-01T12:00:00Z). Every worker is asked for the
                          same absolute window (shifted by its clock offset with
                          --clock-offset); the output is in time order from the
                          oldest packet of any host, through history into live.
                          A worker without history is asked live, with one line
      --until WHEN        end there: as --since, or +DURATION from now (+1m)
      --trigger EXPR      wait until EXPR (pcap-filter(7)) matches on any worker
                          (only its first match crosses the network), print it,
                          then capture every worker's [match - before,
                          match + after] with the filter expression and exit.
                          Useful without history too: the window then starts
                          at the match
      --before DURATION   history before the trigger (default 30s)
      --after DURATION    time after the trigger (default 10s)

Control:
  -c, --count N           stop after writing N packets
      --duration SEC      stop after SEC seconds
      --max-delay MS      longest a packet waits for idle streams (default 500)
      --retry N           reconnect a failed target up to N times in a row with backoff
                          (default 0); a connection that delivered packets starts the
                          count again
      --connect-timeout SEC  limit for connect and TLS handshake; the response
                          headers and the capture's pcap header must follow
                          within twice that (default 10)
  -q, --quiet             print only errors on stderr (no summary)
  -v, --verbose           show connection details: address, TLS version and
                          cipher, effective filter, worker host and clock offset
  -h, --help              this text
      --version           print the version

Exit status: 0 all targets fine, 1 some target failed, 2 usage or configuration
error (also when every target refused the request with a 4xx, e.g. a bad filter).
Ctrl-C/SIGTERM, -c and --duration stop cleanly with a valid pcap; if stdout is
closed (| head) ddump exits quietly at once.
)";
}

}  // namespace ddump
