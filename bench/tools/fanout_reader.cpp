// fanout_reader: reads a merged pcap on stdin (bench-only) and prints, as one
// JSON object, how late each packet of bench/fanout's paced streams came out.
//
//   ddump ... | fanout_reader WARMUP_SECONDS [DUMP_FILE]
//
// Each packet carries its stream in its source address (10.S.S.S) and its
// sequence number as its last 4 bytes, stamped by the stand-in worker when
// it wrote it. Per packet (stamp T, read at A on the same wall clock):
//   age           A - T: the latency the client adds, the transport included
//   rule wait     allowed - T, where allowed is when the merge's release rule
//                 first let it go: once every other stream still sending had
//                 sent a packet stamped >= T (the latest of those streams'
//                 first stamps >= T; a stream that has ended holds nothing)
//   release delay A - allowed: how long past that moment it came out
// Percentiles cover packets stamped WARMUP seconds after the first and after
// every stream had sent its first packet (until then, a stream that has not
// answered holds the merge for --max-delay, by design). In C++, as a Python
// reader could not keep up with 100k packets a second on two cores.
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <queue>
#include <unordered_map>
#include <vector>

namespace {

struct Packet {
  uint64_t tsNs;
  uint64_t arrivalNs;
  uint32_t stream;
  uint32_t seq;
};

uint64_t wallNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

uint32_t le32(const uint8_t* p) {
  return p[0] | p[1] << 8 | p[2] << 16 | static_cast<uint32_t>(p[3]) << 24;
}
uint32_t be32(const uint8_t* p) {
  return static_cast<uint32_t>(p[0]) << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

std::vector<Packet> readAll() {
  std::vector<Packet> packets;
  std::vector<uint8_t> buf;
  size_t used = 0;
  uint64_t scale = 0;  // ns per fraction unit, 0 until the header is read
  std::vector<uint8_t> chunk(1 << 20);
  while (true) {
    const ssize_t n = ::read(0, chunk.data(), chunk.size());
    const uint64_t now = wallNs();
    if (n <= 0) break;
    buf.erase(buf.begin(), buf.begin() + static_cast<std::ptrdiff_t>(used));
    used = 0;
    buf.insert(buf.end(), chunk.begin(), chunk.begin() + n);
    if (scale == 0) {
      if (buf.size() < 24) continue;
      scale = le32(buf.data()) == 0xa1b23c4d ? 1 : 1000;
      used = 24;
    }
    while (buf.size() - used >= 16) {
      const uint8_t* r = buf.data() + used;
      const uint32_t caplen = le32(r + 8);
      if (buf.size() - used - 16 < caplen) break;
      Packet p{uint64_t{le32(r)} * 1'000'000'000ULL + uint64_t{le32(r + 4)} * scale, now, 0, 0};
      if (caplen >= 48) {  // SLL (16) + IPv4: source address at 16 + 12
        p.stream = static_cast<uint32_t>(r[16 + 29]) << 16 | r[16 + 30] << 8 | r[16 + 31];
        p.seq = be32(r + 16 + caplen - 4);
      }
      packets.push_back(p);
      used += 16 + caplen;
    }
  }
  return packets;
}

double pct(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0.0 / 0.0;
  return static_cast<double>(
             v[std::min(v.size() - 1, static_cast<size_t>(p * static_cast<double>(v.size())))]) /
         1e6;
}

}  // namespace

int main(int argc, char** argv) {
  const auto warmupNs = static_cast<uint64_t>(argc > 1 ? std::atof(argv[1]) * 1e9 : 1e9);
  std::vector<Packet> packets = readAll();
  if (argc > 2) {
    if (FILE* f = std::fopen(argv[2], "w")) {
      for (const Packet& p : packets)
        std::fprintf(f, "%llu %u %llu\n", static_cast<unsigned long long>(p.tsNs), p.stream,
                     static_cast<unsigned long long>(p.arrivalNs));
      std::fclose(f);
    }
  }
  std::unordered_map<uint32_t, std::vector<uint64_t>> byStream;
  std::map<uint32_t, uint64_t> seqs;
  uint64_t first = UINT64_MAX;
  for (const Packet& p : packets) {
    byStream[p.stream].push_back(p.tsNs);
    ++seqs[p.seq];
    first = std::min(first, p.tsNs);
  }
  uint64_t allSending = 0;
  using Head = std::pair<uint64_t, uint32_t>;  // (stamp, stream)
  std::priority_queue<Head, std::vector<Head>, std::greater<>> heads;
  std::unordered_map<uint32_t, size_t> next;
  uint64_t latest = 0;
  for (auto& [stream, stamps] : byStream) {
    std::sort(stamps.begin(), stamps.end());
    allSending = std::max(allSending, stamps.front());
    heads.push({stamps.front(), stream});
    latest = std::max(latest, stamps.front());
  }
  const uint64_t steadyFrom = std::max(first + warmupNs, allSending);
  std::sort(packets.begin(), packets.end(),
            [](const Packet& a, const Packet& b) { return a.tsNs < b.tsNs; });
  std::vector<int64_t> steady, every, waits, delays;
  for (const Packet& p : packets) {
    // Advance every stream whose next stamp is below this one; pointers only
    // move forward, so the latest pointed stamp only grows.
    while (!heads.empty() && heads.top().first < p.tsNs) {
      const uint32_t s = heads.top().second;
      heads.pop();
      const auto& stamps = byStream[s];
      if (++next[s] < stamps.size()) {
        heads.push({stamps[next[s]], s});
        latest = std::max(latest, stamps[next[s]]);
      }
    }
    const uint64_t allowed = std::max(p.tsNs, latest);
    const auto age = static_cast<int64_t>(p.arrivalNs - p.tsNs);
    every.push_back(age);
    if (p.tsNs < steadyFrom) continue;
    steady.push_back(age);
    waits.push_back(static_cast<int64_t>(allowed - p.tsNs));
    delays.push_back(static_cast<int64_t>(p.arrivalNs) - static_cast<int64_t>(allowed));
  }
  for (auto* v : {&steady, &every, &waits, &delays}) std::sort(v->begin(), v->end());
  std::printf("{\"packets\": %zu, \"steady\": %zu, \"all_sending_ms\": %.1f, ", packets.size(),
              steady.size(), packets.empty() ? 0.0 : static_cast<double>(allSending - first) / 1e6);
  std::printf("\"p50\": %.3f, \"p90\": %.3f, \"p99\": %.3f, \"max\": %.3f, ", pct(steady, .5),
              pct(steady, .9), pct(steady, .99),
              steady.empty() ? 0.0 : static_cast<double>(steady.back()) / 1e6);
  std::printf("\"p99_all\": %.3f, \"wait_p99\": %.3f, \"delay_p50\": %.3f, \"delay_p99\": %.3f, ",
              pct(every, .99), pct(waits, .99), pct(delays, .5), pct(delays, .99));
  std::printf("\"delay_max\": %.3f, \"seqs\": {",
              delays.empty() ? 0.0 : static_cast<double>(delays.back()) / 1e6);
  bool comma = false;
  for (const auto& [seq, n] : seqs) {
    std::printf("%s\"%u\": %llu", comma ? ", " : "", seq, static_cast<unsigned long long>(n));
    comma = true;
  }
  std::printf("}}\n");
}
