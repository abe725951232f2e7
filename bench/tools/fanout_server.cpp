// fanout_server: many paced live streams from one thread (bench-only), so a
// fan-in bench of 1000 hosts measures the client, not a thread per stream in
// the stand-in workers.
//
//   fanout_server            binds 127.0.0.1:0, prints the port, serves until killed
//
//   GET /capture?live=1&pps=R&count=N&stream=S
//       a worker's chunked pcap answer (LINUX_SLL, µs): the global header at
//       once, then packet k at start + k/R seconds, stamped with the wall clock
//       when it is written, its UDP payload k and its source address 10.S.S.S
//       (S's low 24 bits), as ddump-fake-worker's live streams; the
//       terminating chunk after N packets (0: never)
//   GET /idle   the global header, then nothing until the client leaves
//
// One epoll loop; streams due are kept in a min-heap by due time. A write the
// socket cannot take whole is kept and finished on EPOLLOUT (a reader that
// falls behind delays its own stream only).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <queue>
#include <string>
#include <unordered_map>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

struct Stream {
  int fd = -1;
  std::string request;  // until the head is complete
  bool answering = false;
  bool idle = false;
  double pps = 100;
  uint64_t count = 0;
  uint32_t tag = 0;
  uint64_t sent = 0;
  uint64_t generation = 0;  // a closed stream's fd may be reused by the next
  Clock::time_point start;
  std::string pending;  // bytes the socket has not taken yet
};

uint64_t wallNs() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1'000'000'000ULL + static_cast<uint64_t>(ts.tv_nsec);
}

void put32(std::string& s, uint32_t v) {  // little-endian, as the host (x86)
  for (int i = 0; i < 4; ++i) s.push_back(static_cast<char>(v >> (8 * i)));
}

std::string chunk(const std::string& body) {
  char size[16];
  std::snprintf(size, sizeof size, "%zx\r\n", body.size());
  return size + body + "\r\n";
}

std::string globalHeader() {
  std::string h;
  put32(h, 0xa1b2c3d4);
  h.push_back(2), h.push_back(0), h.push_back(4), h.push_back(0);  // version 2.4
  put32(h, 0), put32(h, 0), put32(h, 262144), put32(h, 113);       // LINUX_SLL
  return h;
}

// SLL header, IPv4/UDP 10.S.S.S -> 10.0.0.2 port 9 -> 9, payload = seq.
std::string record(uint64_t tsNs, uint32_t seq, uint32_t tag) {
  static const uint8_t sll[16] = {0, 0, 0, 1, 0, 6, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0};
  uint8_t ip[28] = {0x45, 0, 0,  32, 0, 0, 0, 0, 64, 17, 0, 0,  10, 0,
                    0,    1, 10, 0,  0, 2, 0, 9, 0,  9,  0, 12, 0,  0};
  ip[13] = static_cast<uint8_t>(tag >> 16), ip[14] = static_cast<uint8_t>(tag >> 8);
  ip[15] = static_cast<uint8_t>(tag);
  std::string r;
  put32(r, static_cast<uint32_t>(tsNs / 1'000'000'000ULL));
  put32(r, static_cast<uint32_t>(tsNs % 1'000'000'000ULL / 1000));
  put32(r, 48), put32(r, 48);
  r.append(reinterpret_cast<const char*>(sll), sizeof sll);
  r.append(reinterpret_cast<const char*>(ip), sizeof ip);
  for (int i = 3; i >= 0; --i) r.push_back(static_cast<char>(seq >> (8 * i)));
  return r;
}

std::string param(const std::string& target, const std::string& key, const std::string& fallback) {
  const size_t q = target.find('?');
  if (q == std::string::npos) return fallback;
  size_t at = q + 1;
  while (at < target.size()) {
    size_t end = target.find('&', at);
    if (end == std::string::npos) end = target.size();
    const std::string pair = target.substr(at, end - at);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) == key) return eq == std::string::npos ? "" : pair.substr(eq + 1);
    at = end + 1;
  }
  return fallback;
}

class Server {
 public:
  explicit Server(int listenFd) : listen_(listenFd), epoll_(epoll_create1(0)) {
    add(listen_, EPOLLIN);
  }
  void run() {
    epoll_event events[256];
    while (true) {
      const int n = epoll_wait(epoll_, events, 256, msUntilDue());
      for (int i = 0; i < n; ++i) {
        const int fd = events[i].data.fd;
        if (fd == listen_) {
          acceptAll();
        } else if (auto it = streams_.find(fd); it != streams_.end()) {
          onEvent(*it->second, events[i].events);
        }
      }
      sendDue();
    }
  }

 private:
  struct Due {
    Clock::time_point at;
    int fd;
    uint64_t generation;
    bool operator>(const Due& o) const { return at > o.at; }
  };

  void add(int fd, uint32_t events) {
    epoll_event e{};
    e.events = events;
    e.data.fd = fd;
    epoll_ctl(epoll_, EPOLL_CTL_ADD, fd, &e);
  }
  void watchOutput(Stream& s, bool on) {
    epoll_event e{};
    e.events = EPOLLIN | (on ? EPOLLOUT : 0u);
    e.data.fd = s.fd;
    epoll_ctl(epoll_, EPOLL_CTL_MOD, s.fd, &e);
  }
  int msUntilDue() const {
    if (due_.empty()) return -1;
    const auto left = due_.top().at - Clock::now();
    if (left <= Clock::duration::zero()) return 0;
    // epoll's millisecond timeout rounds up; a due time is never early.
    return static_cast<int>(std::chrono::ceil<std::chrono::milliseconds>(left).count());
  }
  void acceptAll() {
    while (true) {
      const int fd = accept4(listen_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) return;
      const int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      auto s = std::make_unique<Stream>();
      s->fd = fd;
      s->generation = ++generations_;
      add(fd, EPOLLIN);
      streams_[fd] = std::move(s);
    }
  }
  void close(Stream& s) {
    const int fd = s.fd;
    epoll_ctl(epoll_, EPOLL_CTL_DEL, fd, nullptr);
    ::close(fd);
    streams_.erase(fd);  // its heap entry is skipped by the generation check
  }
  void onEvent(Stream& s, uint32_t events) {
    if (events & EPOLLIN) {
      char buf[4096];
      const ssize_t n = ::read(s.fd, buf, sizeof buf);
      if (n == 0 || (n < 0 && errno != EAGAIN)) return close(s);
      if (n > 0 && !s.answering) {
        s.request.append(buf, static_cast<size_t>(n));
        if (s.request.size() > 16384) return close(s);
        if (s.request.find("\r\n\r\n") != std::string::npos) answer(s);
      }
    }
    if ((events & EPOLLOUT) && streams_.count(s.fd) && !s.pending.empty()) {
      if (!writeOut(s, {})) return;
      if (s.pending.empty()) watchOutput(s, false);
    }
  }
  void answer(Stream& s) {
    const size_t sp = s.request.find(' ');
    const std::string target = s.request.substr(sp + 1, s.request.find(' ', sp + 1) - sp - 1);
    s.answering = true;
    s.idle = target.rfind("/idle", 0) == 0;
    s.pps = std::atof(param(target, "pps", "100").c_str());
    s.count = std::strtoull(param(target, "count", "0").c_str(), nullptr, 10);
    s.tag = static_cast<uint32_t>(std::strtoul(param(target, "stream", "0").c_str(), nullptr, 10));
    if (s.pps <= 0) s.pps = 100;
    const std::string head =
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.tcpdump.pcap\r\n"
        "Transfer-Encoding: chunked\r\nX-Ddump-Host: fanout-server\r\nX-Ddump-Time: " +
        std::to_string(wallNs()) + "\r\nX-Ddump-Linktype: LINUX_SLL\r\n\r\n";
    if (!writeOut(s, head + chunk(globalHeader()))) return;
    s.start = Clock::now();
    if (!s.idle) due_.push({s.start, s.fd, s.generation});
  }
  // false: the stream was closed
  bool writeOut(Stream& s, const std::string& bytes) {
    s.pending += bytes;
    while (!s.pending.empty()) {
      const ssize_t n = ::send(s.fd, s.pending.data(), s.pending.size(), MSG_NOSIGNAL);
      if (n < 0) {
        if (errno == EAGAIN) {
          watchOutput(s, true);
          return true;
        }
        close(s);
        return false;
      }
      s.pending.erase(0, static_cast<size_t>(n));
    }
    return true;
  }
  void sendDue() {
    const auto now = Clock::now();
    while (!due_.empty() && due_.top().at <= now) {
      const Due due = due_.top();
      due_.pop();
      auto it = streams_.find(due.fd);
      if (it == streams_.end() || it->second->generation != due.generation) continue;
      Stream& s = *it->second;
      const auto seq = static_cast<uint32_t>(s.sent++);
      std::string bytes = chunk(record(wallNs(), seq, s.tag));
      // The last packet and the end together: the stream ends as soon as it
      // has nothing more to send, as a worker whose count= is reached.
      const bool last = s.count != 0 && s.sent >= s.count;
      if (last) bytes += "0\r\n\r\n";
      if (!writeOut(s, bytes) || last) continue;  // done: wait for the client to close
      const auto next =
          s.start + std::chrono::duration_cast<Clock::duration>(
                        std::chrono::duration<double>(static_cast<double>(s.sent) / s.pps));
      due_.push({next, s.fd, s.generation});
    }
  }

  int listen_;
  int epoll_;
  uint64_t generations_ = 0;
  std::unordered_map<int, std::unique_ptr<Stream>> streams_;
  std::priority_queue<Due, std::vector<Due>, std::greater<>> due_;
};

}  // namespace

int main() {
  const int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (fd < 0 || bind(fd, reinterpret_cast<sockaddr*>(&addr), len) != 0 ||
      listen(fd, SOMAXCONN) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    std::perror("fanout_server");
    return 1;
  }
  std::printf("%d\n", ntohs(addr.sin_port));
  std::fflush(stdout);
  Server(fd).run();
}
