// pcap_probe: libpcap alone, no HTTP, to split capture latency from the worker's
// stream path (bench-only).
//
//   pcap_probe IFACE FILTER SECONDS MODE [TIMEOUT_MS]
//
// MODE: block     pcap_dispatch on a blocking handle (as tcpdump does)
//       poll      non-blocking handle + poll(10 ms) + pcap_dispatch(-1) (as the worker does)
//       immediate pcap_set_immediate_mode (libpcap falls back to TPACKET_V2)
// Records, per packet, gettimeofday() at delivery minus the kernel timestamp and
// prints at the end: packets=N p50_ms=.. p90_ms=.. p99_ms=.. max_ms=.. mean_ms=..
#include <pcap/pcap.h>
#include <poll.h>
#include <signal.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

std::vector<double> ages;
pcap_t* handle = nullptr;

// A blocking TPACKET_V3 read never returns while no block is retired: the
// alarm ends it (poll returns EINTR, libpcap sees the break).
void onAlarm(int) { pcap_breakloop(handle); }

void onPacket(u_char*, const pcap_pkthdr* h, const u_char*) {
  timeval now{};
  gettimeofday(&now, nullptr);
  ages.push_back(static_cast<double>(now.tv_sec - h->ts.tv_sec) * 1e3 +
                 static_cast<double>(now.tv_usec - h->ts.tv_usec) * 1e-3);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 5) {
    std::fprintf(stderr, "usage: pcap_probe IFACE FILTER SECONDS block|poll|immediate [TIMEOUT_MS]\n");
    return 2;
  }
  const std::string mode = argv[4];
  const int timeoutMs = argc > 5 ? std::atoi(argv[5]) : 10;
  char err[PCAP_ERRBUF_SIZE] = {};
  pcap_t* p = pcap_create(argv[1], err);
  if (p == nullptr) {
    std::fprintf(stderr, "pcap_probe: %s\n", err);
    return 1;
  }
  pcap_set_snaplen(p, 262144);
  pcap_set_timeout(p, timeoutMs);
  if (mode == "immediate") pcap_set_immediate_mode(p, 1);
  if (pcap_activate(p) < 0) {
    std::fprintf(stderr, "pcap_probe: %s\n", pcap_geterr(p));
    return 1;
  }
  bpf_program prog{};
  if (pcap_compile(p, &prog, argv[2], 1, PCAP_NETMASK_UNKNOWN) != 0 || pcap_setfilter(p, &prog) != 0) {
    std::fprintf(stderr, "pcap_probe: %s\n", pcap_geterr(p));
    return 1;
  }
  if (mode == "poll") pcap_setnonblock(p, 1, err);
  std::fprintf(stderr, "pcap_probe listening on %s mode %s\n", argv[1], mode.c_str());
  ages.reserve(1 << 20);
  handle = p;
  struct sigaction sa{};
  sa.sa_handler = onAlarm;
  sigaction(SIGALRM, &sa, nullptr);  // no SA_RESTART
  alarm(static_cast<unsigned>(std::atof(argv[3]) + 0.999));
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(std::atof(argv[3]));
  while (std::chrono::steady_clock::now() < end) {
    if (mode == "poll") {
      pollfd pfd{pcap_get_selectable_fd(p), POLLIN, 0};
      poll(&pfd, 1, 10);
    }
    if (pcap_dispatch(p, -1, onPacket, nullptr) < 0) break;
  }
  std::sort(ages.begin(), ages.end());
  const size_t n = ages.size();
  if (n == 0) {
    std::printf("packets=0 p50_ms=- p90_ms=- p99_ms=- max_ms=- mean_ms=-\n");
    return 0;
  }
  double sum = 0;
  for (double a : ages) sum += a;
  auto pct = [&](double q) { return ages[std::min(n - 1, static_cast<size_t>(q * static_cast<double>(n)))]; };
  std::printf("packets=%zu p50_ms=%.2f p90_ms=%.2f p99_ms=%.2f max_ms=%.2f mean_ms=%.2f\n", n, pct(0.5),
              pct(0.9), pct(0.99), ages.back(), sum / static_cast<double>(n));
  pcap_close(p);
  return 0;
}
