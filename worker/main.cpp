// ddump-worker: streams live captures as pcap over chunked HTTP.

#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <memory>
#include <thread>
#include <vector>

#include "capture.h"
#include "capture_registry.h"
#include "connection_limits.h"
#include "descriptor_limit.h"
#include "event_log.h"
#include "history_recorder.h"
#include "listen_address.h"
#include "http_api.h"
#include "listener.h"
#include "tunnel_warning.h"
#include "worker_options.h"

namespace ddump {
namespace {

std::string selfPath() {
  char buf[4096];
  const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "ddump-worker";
}

std::string hostName() {
  char buf[256] = {};
  gethostname(buf, sizeof buf - 1);
  return buf;
}

// Warn at start-up, not at the first capture, when capturing cannot work.
void checkPrivileges(EventLog& log) {
  if (geteuid() == 0) {
    log.warn("running_as_root", {{"message",
                                  std::string("ddump-worker runs as root: it needs only CAP_NET_RAW; "
                                              "run it as an unprivileged user after "
                                              "setcap cap_net_raw=eip ") + selfPath()}});
  }
  CaptureOptions probe;
  probe.snaplen = 64;
  auto capture = Capture::open(probe);
  if (!capture && capture.error().code != ErrorCode::InvalidArgument) {
    log.warn("cannot_capture", {{"error", withPrivilegeHint(capture.error(), selfPath())}});
  }
}

std::vector<std::unique_ptr<Listener>> bindListeners(const WorkerOptions& options,
                                                     std::vector<BoundListener>& bound) {
  std::vector<std::unique_ptr<Listener>> listeners;
  for (const auto& address : options.listen) {
    auto listener = std::make_unique<Listener>();
    // Before bind: httplib sets TCP_NODELAY on the listening socket only, and
    // accepted sockets inherit it. Without it Nagle and the client's delayed
    // ACK held small batches ~40 ms (bench/worker-latency p99 42 ms -> 11 ms).
    listener->set_tcp_nodelay(true);
    const BoundListener b = listener->bind(address, options.socketMode);
    if (address.kind == ListenAddress::Kind::Tcp) bound.push_back(b);
    listeners.push_back(std::move(listener));
  }
  return listeners;
}

void configureServer(Listener& server, WorkerContext& ctx, ConnectionLimits& limits) {
  // Long-lived streams hold a pool thread each: leave room so /healthz,
  // /stats, /metrics and a new capture below the limit are never starved.
  // Only a request whose head is complete takes a pool thread (listener.h).
  const size_t threads = ctx.options.maxCaptures + 8;
  server.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  server.set_keep_alive_max_count(20);
  server.set_keep_alive_timeout(5);
  server.set_read_timeout(10);
  server.set_write_timeout(30);  // a paused reader; the kernel ring drops meanwhile
  server.set_payload_max_length(64 * 1024);
  server.setRequestTimeout(
      std::chrono::milliseconds(static_cast<int64_t>(ctx.options.requestTimeoutSeconds * 1000)));
  installRoutes(server, ctx);
  server.prepare(limits, ctx.log);
}

int waitForSignal() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  int sig = 0;
  sigwait(&set, &sig);
  return sig;
}

void blockSignals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

// Ends every stream with its terminating chunk, then stops accepting.
void shutDown(WorkerContext& ctx, std::vector<std::unique_ptr<Listener>>& listeners) {
  ctx.stopping = true;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  while (ctx.registry.active() > 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));  // bounded poll of a counter
  }
  for (auto& l : listeners) l->stopServing();
}

// --history: the always-on capture that feeds the ring, from now on.
std::unique_ptr<HistoryRecorder> startHistory(const WorkerOptions& options,
                                              const std::string& exclusions,
                                              CaptureRegistry& registry, EventLog& log) {
  if (options.historyBytes == 0) return nullptr;
  // Its kernel ring counts against --max-buffer-total for the worker's life
  // (the options made room for it and one capture).
  if (!registry.reserveResident(uint64_t{1024} * static_cast<uint64_t>(options.bufferSizeKiB))) {
    throw std::runtime_error("the history's kernel buffer does not fit --max-buffer-total");
  }
  HistorySettings settings;
  settings.bytes = options.historyBytes;
  settings.snaplen = options.historySnaplen;
  settings.bufferSizeKiB = options.bufferSizeKiB;
  settings.filter = combineFilters(options.historyFilter, exclusions);
  auto recorder = HistoryRecorder::start(settings, log);
  if (!recorder) {
    throw std::runtime_error("cannot record history: " +
                             withPrivilegeHint(recorder.error(), selfPath()));
  }
  log.info("history", {{"bytes", options.historyBytes},
                       {"block_bytes", static_cast<uint64_t>((*recorder)->ring().blockSize())},
                       {"snaplen", static_cast<uint64_t>((*recorder)->snaplen())},
                       {"filter", settings.filter}});
  return std::move(*recorder);
}

int run(const WorkerOptions& options) {
  // glibc gives the free top of a malloc arena back to the system once it is
  // larger than M_TRIM_THRESHOLD. 1 MiB is far above what one chunked write
  // frees (httplib builds two ~64 KiB strings per chunk), so streaming never
  // trims and re-faults the same pages (bench/tools/encode_server: the same
  // CPU time and page faults per stream as with 256 MiB), while what a
  // finished capture or connection freed goes back (16 captures ended: RSS
  // 12.9 MB, not 31.5 MB as with 256 MiB). Setting it fixes the mmap
  // threshold too: 4 MiB keeps the 1 MiB batch buffers in the arenas.
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
  mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
  blockSignals();
  if (!options.historyFilter.empty()) {
    if (Status s = checkFilter(options.historyFilter, kLinkTypeLinuxSll2, kMaxSnaplen); !s) {
      throw UsageError("bad --history-filter expression \"" + options.historyFilter +
                       "\": " + s.error().message);
    }
  }
  for (const auto& e : options.excludes) {
    if (Status s = checkFilter("not (" + e + ")", kLinkTypeLinuxSll, kMaxSnaplen); !s) {
      throw UsageError("bad --exclude expression \"" + e + "\": " + s.error().message);
    }
  }
  EventLog log(options.logFormat);
  checkPrivileges(log);
  warnUnexcludedTunnels(options.excludes, log);

  // Before the listeners: their connections give their places back to it.
  const ConnectionCaps caps = connectionCaps(options, log);
  ConnectionLimits connections(caps.total, caps.perPeer);
  std::vector<BoundListener> bound;
  auto listeners = bindListeners(options, bound);
  const std::string exclusions = exclusionFilter(bound, options.excludes);
  CaptureRegistry registry(options.maxCaptures, options.maxBufferTotalBytes);
  WorkerContext ctx{options, registry, log, exclusions, hostName(), selfPath()};
  ctx.connections = &connections;
  auto history = startHistory(options, exclusions, registry, log);
  ctx.history = history.get();

  log.info("connection_limits", {{"max_connections", static_cast<uint64_t>(caps.total)},
                                 {"max_connections_per_peer", static_cast<uint64_t>(caps.perPeer)}});
  std::vector<std::thread> threads;
  for (auto& listener : listeners) {
    configureServer(*listener, ctx, connections);
    log.info("listening", {{"address", listener->description()}, {"exclude", exclusions}});
    threads.emplace_back([&l = *listener] { l.serve(); });
  }
  const int sig = waitForSignal();
  log.info("shutting_down", {{"signal", std::string(strsignal(sig))},
                             {"captures_active", static_cast<uint64_t>(registry.active())}});
  shutDown(ctx, listeners);
  for (auto& t : threads) t.join();
  log.info("exit", {});
  return 0;
}

}  // namespace
}  // namespace ddump

int main(int argc, char** argv) {
  try {
    const auto options = ddump::parseWorkerOptions(argc, argv);
    if (options.showHelp) {
      std::fputs(ddump::workerUsage().c_str(), stdout);
      return 0;
    }
    if (options.showVersion) {
      std::printf("ddump-worker %s (%s)\n", DDUMP_VERSION, ddump::libpcapVersion().c_str());
      return 0;
    }
    return ddump::run(options);
  } catch (const ddump::UsageError& e) {
    std::fprintf(stderr, "ddump-worker: %s\n", e.what());
    return 2;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "ddump-worker: %s\n", e.what());
    return 1;
  }
}
