// udp_blast: a paced UDP sender for the capture benchmarks (bench-only).
//
//   udp_blast DST_IP PORT RATE_PPS FRAME_BYTES SECONDS
//
// RATE_PPS 0 sends as fast as the machine allows. FRAME_BYTES is the Ethernet
// frame size (14 + 20 + 8 + payload), so 64 means a 22-byte UDP payload.
// Sends with sendmmsg in batches of up to 64, paced against CLOCK_MONOTONIC so
// the average rate is exact even when one batch is late. Prints on stdout:
//   sent=N seconds=S rate_pps=R
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

namespace {

constexpr int kBatch = 64;
constexpr int kHeaders = 14 + 20 + 8;

double now() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

void sleepUntil(double t) {
  timespec ts{};
  ts.tv_sec = static_cast<time_t>(t);
  ts.tv_nsec = static_cast<long>((t - static_cast<double>(ts.tv_sec)) * 1e9);
  clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, nullptr);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 6) {
    std::fprintf(stderr, "usage: udp_blast DST_IP PORT RATE_PPS FRAME_BYTES SECONDS\n");
    return 2;
  }
  sockaddr_in dst{};
  dst.sin_family = AF_INET;
  dst.sin_port = htons(static_cast<uint16_t>(std::atoi(argv[2])));
  if (inet_pton(AF_INET, argv[1], &dst.sin_addr) != 1) {
    std::fprintf(stderr, "udp_blast: bad address %s\n", argv[1]);
    return 2;
  }
  const double rate = std::atof(argv[3]);
  const int frame = std::max(std::atoi(argv[4]), kHeaders + 1);
  const double seconds = std::atof(argv[5]);
  const size_t payload = static_cast<size_t>(frame - kHeaders);

  const int fd = socket(AF_INET, SOCK_DGRAM, 0);
  if (fd < 0 || connect(fd, reinterpret_cast<sockaddr*>(&dst), sizeof dst) != 0) {
    std::perror("udp_blast: socket/connect");
    return 1;
  }
  int sndbuf = 4 << 20;
  setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);

  std::vector<char> data(payload, 'x');
  iovec iov[kBatch];
  mmsghdr msgs[kBatch];
  std::memset(msgs, 0, sizeof msgs);
  for (int i = 0; i < kBatch; ++i) {
    iov[i] = {data.data(), payload};
    msgs[i].msg_hdr.msg_iov = &iov[i];
    msgs[i].msg_hdr.msg_iovlen = 1;
  }

  uint64_t sent = 0;
  uint64_t errors = 0;
  const double start = now();
  const double end = start + seconds;
  for (double t = start; t < end; t = now()) {
    int want = kBatch;
    if (rate > 0) {
      const auto due = static_cast<uint64_t>((t - start) * rate);
      if (due <= sent) {
        sleepUntil(start + static_cast<double>(sent + 1) / rate);
        continue;
      }
      want = static_cast<int>(std::min<uint64_t>(due - sent, kBatch));
    }
    const int n = sendmmsg(fd, msgs, static_cast<unsigned>(want), 0);
    if (n > 0) {
      sent += static_cast<uint64_t>(n);
    } else if (errno == ENOBUFS || errno == EAGAIN) {
      ++errors;  // the qdisc/device pushed back: retry, the pacing catches up
    } else {
      std::perror("udp_blast: sendmmsg");
      return 1;
    }
  }
  const double took = now() - start;
  std::printf("sent=%llu seconds=%.3f rate_pps=%.0f send_errors=%llu\n",
              static_cast<unsigned long long>(sent), took, static_cast<double>(sent) / took,
              static_cast<unsigned long long>(errors));
  return 0;
}
