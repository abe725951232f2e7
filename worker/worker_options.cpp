#include "worker_options.h"

#include <algorithm>
#include <charconv>

#include "buffer_budget.h"
#include "history_ring.h"
#include "pcap_format.h"
#include "rotation.h"

namespace ddump {
namespace {

// Far above any RLIMIT_NOFILE a host grants; only a bound on the flag.
constexpr uint64_t kMaxConnections = 1'000'000;
// A production host's share for packet rings: 8 captures of the default -B.
constexpr uint64_t kDefaultBufferTotal = 256 * 1024 * 1024;

template <typename T>
T unsignedFlag(const std::string& flag, const std::string& text, uint64_t min, uint64_t max) {
  auto v = parseUnsigned(text, min, max, flag);
  if (!v) throw UsageError(v.error().message);
  return static_cast<T>(*v);
}

unsigned octalMode(const std::string& text) {
  unsigned mode = 0;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), mode, 8);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || mode > 0777) {
    throw UsageError("--socket-mode must be an octal mode such as 0660, got \"" + text + "\"");
  }
  return mode;
}

double seconds(const std::string& flag, const std::string& text) {
  double value = -1;
  const auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size() || value < 0) {
    throw UsageError(flag + " must be a non-negative number of seconds, got \"" + text + "\"");
  }
  return value;
}

void checkHistoryOptions(WorkerOptions& o) {
  if (o.historyBytes == 0) {
    if (o.historySnaplen != 0 || !o.historyFilter.empty()) {
      throw UsageError("--history-snaplen and --history-filter need --history SIZE");
    }
    return;
  }
  if (o.historySnaplen == 0 || o.historySnaplen > o.snaplen) o.historySnaplen = o.snaplen;
  // Each record also carries a 20-byte SLL2 header (history is captured on
  // `any`) within the snaplen, so the ring's largest record is the snaplen.
  const size_t minimum = HistoryRing::minimumCapacity(o.historySnaplen);
  if (o.historyBytes < minimum) {
    throw UsageError("--history " + std::to_string(o.historyBytes) + " bytes is too small for " +
                     std::to_string(o.historySnaplen) + "-byte records: at least " +
                     std::to_string((minimum + 1023) / 1024) +
                     "k, or a smaller --history-snaplen");
  }
  if (o.historyBytes > (uint64_t{1} << 40)) throw UsageError("--history must be at most 1024g");
}

// The kernel rings that must fit for the worker to capture at all: the
// history recorder's (it runs from start-up) and one capture's.
void resolveBufferTotal(WorkerOptions& o, bool given) {
  const uint64_t ring = uint64_t{1024} * static_cast<uint64_t>(o.bufferSizeKiB);
  const uint64_t needed = ring * (o.historyBytes > 0 ? 2 : 1);
  if (!given) {
    o.maxBufferTotalBytes = std::max(kDefaultBufferTotal, needed);
    return;
  }
  if (o.maxBufferTotalBytes >= needed) return;
  const std::string rings = o.historyBytes > 0 ? "the history's kernel buffer and one capture's (2 x -B "
                                               : "one capture's kernel buffer (-B ";
  throw UsageError("--max-buffer-total " + byteSizeText(o.maxBufferTotalBytes) + " is less than " +
                   rings + std::to_string(o.bufferSizeKiB) + " KiB)");
}

}  // namespace

WorkerOptions parseWorkerOptions(int argc, char** argv) {
  WorkerOptions o;
  bool bufferTotalGiven = false;
  std::vector<std::string> args(argv + 1, argv + argc);
  for (size_t i = 0; i < args.size(); ++i) {
    std::string flag = args[i];
    std::string value;
    bool inlineValue = false;
    if (const size_t eq = flag.find('='); flag.rfind("--", 0) == 0 && eq != std::string::npos) {
      value = flag.substr(eq + 1);
      flag = flag.substr(0, eq);
      inlineValue = true;
    }
    auto next = [&]() -> std::string {
      if (inlineValue) return value;
      if (i + 1 >= args.size()) throw UsageError(flag + " needs a value");
      return args[++i];
    };
    if (flag == "-h" || flag == "--help") {
      o.showHelp = true;
    } else if (flag == "--version") {
      o.showVersion = true;
    } else if (flag == "--listen" || flag == "-l") {
      auto address = parseListenAddress(next());
      if (!address) throw UsageError(address.error().message);
      o.listen.push_back(*address);
    } else if (flag == "--socket-mode") {
      o.socketMode = octalMode(next());
    } else if (flag == "--max-captures") {
      o.maxCaptures = unsignedFlag<unsigned>(flag, next(), 1, 4096);
    } else if (flag == "--max-duration") {
      o.maxDurationSeconds = seconds(flag, next());
    } else if (flag == "--snaplen" || flag == "-s") {
      o.snaplen = unsignedFlag<uint32_t>(flag, next(), 1, kMaxSnaplen);
    } else if (flag == "--buffer-size" || flag == "-B") {
      o.bufferSizeKiB = unsignedFlag<int>(flag, next(), 1, 4 * 1024 * 1024);
    } else if (flag == "--max-buffer-total") {
      auto size = parseBufferSize(next());
      if (!size) throw UsageError("--max-buffer-total: " + size.error().message);
      o.maxBufferTotalBytes = *size;
      bufferTotalGiven = true;
    } else if (flag == "--exclude") {
      o.excludes.push_back(next());
    } else if (flag == "--filter-names") {
      const std::string v = next();
      if (v == "refuse") o.resolveFilterNames = false;
      else if (v == "resolve") o.resolveFilterNames = true;
      else throw UsageError("--filter-names must be refuse or resolve, got \"" + v + "\"");
    } else if (flag == "--request-timeout") {
      o.requestTimeoutSeconds = seconds(flag, next());
      if (o.requestTimeoutSeconds < 0.001 || o.requestTimeoutSeconds > 3600) {
        throw UsageError("--request-timeout must be between 0.001 and 3600 seconds");
      }
    } else if (flag == "--max-connections") {
      o.maxConnections = unsignedFlag<size_t>(flag, next(), 1, kMaxConnections);
    } else if (flag == "--max-connections-per-peer") {
      o.maxConnectionsPerPeer = unsignedFlag<size_t>(flag, next(), 0, kMaxConnections);
    } else if (flag == "--history") {
      auto size = parseFileSize(next());
      if (!size) throw UsageError("--history: " + size.error().message);
      o.historyBytes = *size;
    } else if (flag == "--history-snaplen") {
      o.historySnaplen = unsignedFlag<uint32_t>(flag, next(), 1, kMaxSnaplen);
    } else if (flag == "--history-filter") {
      o.historyFilter = next();
    } else if (flag == "--stats-all") {
      o.statsAll = true;
    } else if (flag == "--log-format") {
      const std::string f = next();
      if (f == "text") o.logFormat = LogFormat::Text;
      else if (f == "json") o.logFormat = LogFormat::Json;
      else throw UsageError("--log-format must be text or json, got \"" + f + "\"");
    } else {
      throw UsageError("unknown option \"" + args[i] + "\" (see --help)");
    }
  }
  if (o.listen.empty()) o.listen.push_back(*parseListenAddress(":8475"));
  checkHistoryOptions(o);
  resolveBufferTotal(o, bufferTotalGiven);
  return o;
}

std::string workerUsage() {
  return R"(Usage: ddump-worker [OPTION]...
Stream live packet captures as pcap over chunked HTTP: GET /capture?filter=BPF.
Needs only CAP_NET_RAW (setcap cap_net_raw=eip ddump-worker); never run it as root.

Options:
  -l, --listen ADDR      listen on ADDR; repeatable. HOST:PORT, :PORT (every IPv4
                         and IPv6 address), [V6ADDR]:PORT or unix:/path/to/sock.
                         PORT 0 picks a free port (printed on stderr). Default :8475
      --socket-mode MODE permissions of unix sockets, octal (default 0660)
      --max-captures N   concurrent capture streams (default 16); more get 503
      --max-duration SEC end every stream after SEC seconds (default 0: never)
  -s, --snaplen N        default and largest snapshot length (default 262144)
  -B, --buffer-size KiB  kernel capture buffer per stream, as tcpdump -B
                         (default 32768: a busy host drops less)
      --max-buffer-total SIZE
                         the kernel capture buffers of all streams and the
                         history together (KiB, or k/m/g: KiB/MiB/GiB;
                         default 256m, or more to fit the history's and one
                         stream's). A stream whose -B buffer would pass it
                         gets 503 with Retry-After
      --exclude EXPR     BPF every capture excludes (repeatable), e.g. the public
                         port of a fronting proxy: --exclude 'tcp port 8443'.
                         The worker's own listeners are always excluded.
      --filter-names MODE
                         refuse (default): a filter naming a host or network
                         (host db1, net corp) gets 400, use addresses;
                         resolve: look names up while compiling (DNS: the
                         caller picks the query and learns from the answer,
                         and a slow resolver stalls new captures). Service
                         and protocol names (port http, proto tcp) are read
                         from /etc/services and /etc/protocols either way
      --request-timeout SEC
                         a request head (request line and header fields)
                         must arrive whole within SEC seconds of its first
                         byte, else 408 (default 10)
      --max-connections N
                         open connections over every listener (default
                         1024, fewer if RLIMIT_NOFILE cannot be raised to
                         fit them). Beyond it a new connection is answered
                         503 at once and closed, before anything is read
      --max-connections-per-peer N
                         open connections from one remote IP address
                         (default 64, or --max-captures + 16 if more; 0: no
                         cap), so that one client cannot take them all.
                         A proxy in front is one peer for all its clients;
                         unix socket peers count in the total only.
                         Refusals: ddump_connections_refused_total in
                         /metrics. A connection costs no thread until its
                         request head is complete; idle ones are closed
                         after 5 s, unfinished heads after --request-timeout
      --history SIZE     keep the most recent SIZE bytes of packets in memory
                         (k/m/g: KiB/MiB/GiB; a bare number is millions of
                         bytes, as tcpdump -C), so a capture can start in the
                         past: GET /capture?since=-30s. One always-on capture
                         on every interface feeds it; the oldest records go
                         first. It holds payloads: see --history-snaplen.
                         Default 0: off
      --history-snaplen N
                         bytes kept of each packet in the history, cooked
                         header included (default: --snaplen); 128 keeps
                         headers, not payloads
      --history-filter EXPR
                         BPF the history keeps, e.g. 'not port 443'. The
                         worker's own traffic is excluded as from every capture
      --stats-all        /stats shows every caller's captures in full; by
                         default a caller sees its own (same address, or the
                         same user and certificate behind the proxy) and only
                         a count of the others
      --log-format FMT   text (default) or json, one line per event on stderr
      --version          print version and exit
  -h, --help             print this help and exit

HTTP API:
  GET /capture     parameters: filter (BPF), interface (default any),
                   linktype (sll|sll2|native; default sll on any, native
                   otherwise), snaplen, count, duration (seconds),
                   precision (micro|nano), direction (in|out|inout),
                   since and until (RFC 3339 time, or -DURATION / +DURATION
                   from now: since=-5m). since starts in the history
                   (--history) and continues live from the same capture:
                   none missed, none twice; its link type is sll (or
                   sll2) on every interface. until ends the stream.
                   200 application/vnd.tcpdump.pcap, chunked; errors 4xx JSON.
  GET /interfaces  interfaces as JSON, like tcpdump -D
  GET /healthz     "ok"
  GET /stats       JSON: uptime, the caller's active captures, a count of
                   others, connections and kernel buffers against their
                   limits, the history ring
  GET /metrics     Prometheus text exposition

Signals: SIGTERM/SIGINT end every stream cleanly and exit 0.
)";
}

}  // namespace ddump
