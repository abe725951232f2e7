#include "gated_stream.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>

namespace ddump {
namespace {

// httplib's line reader asks for one byte per call: read ahead as its own
// SocketStream does (4 KiB), not one recv() per byte.
constexpr size_t kReadAhead = 4096;

template <typename F>
ssize_t retryOnEintr(F call) {
  ssize_t n;
  do {
    n = call();
  } while (n < 0 && errno == EINTR);
  return n;
}

// An IP address and port as httplib reports them (getnameinfo(3) with
// NI_NUMERICHOST, so an IPv6 link-local address keeps its zone). Anything
// else (a unix socket's end) leaves both untouched, as httplib does.
void numericAddress(const sockaddr_storage& addr, socklen_t len, std::string& ip, int& port) {
  if (addr.ss_family != AF_INET && addr.ss_family != AF_INET6) return;
  std::array<char, NI_MAXHOST> host{};
  if (getnameinfo(reinterpret_cast<const sockaddr*>(&addr), len, host.data(),
                  static_cast<socklen_t>(host.size()), nullptr, 0, NI_NUMERICHOST) != 0) {
    return;
  }
  port = addr.ss_family == AF_INET ? ntohs(reinterpret_cast<const sockaddr_in*>(&addr)->sin_port)
                                   : ntohs(reinterpret_cast<const sockaddr_in6*>(&addr)->sin6_port);
  ip = host.data();
}

}  // namespace

int pollSocket(int fd, short events, int timeoutMs) {
  pollfd p{fd, events, 0};
  int n;
  do {
    n = poll(&p, 1, timeoutMs);
  } while (n < 0 && errno == EINTR);
  return n;
}

bool peerConnected(int fd) {
  const int ready = pollSocket(fd, POLLIN, 0);
  if (ready == 0) return true;
  if (ready < 0) return errno != EBADF;
  // Readable: either data (still there), or end of file / an error (gone).
  char byte;
  const ssize_t n = recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  return n > 0 || (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR));
}

void ConnectionInput::consume(size_t n) {
  begin_ += std::min(n, bytes_.size() - begin_);
  if (begin_ == bytes_.size()) {
    bytes_.clear();
    begin_ = 0;
  }
}

size_t ConnectionInput::take(char* out, size_t size) {
  const size_t n = std::min(size, bytes_.size() - begin_);
  std::memcpy(out, bytes_.data() + begin_, n);
  consume(n);
  return n;
}

ssize_t ConnectionInput::receive(size_t max, int flags) {
  if (begin_ > 0) {
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(begin_));
    begin_ = 0;
  }
  const size_t before = bytes_.size();
  bytes_.resize(before + max);
  const ssize_t n = retryOnEintr([&] { return recv(fd_, bytes_.data() + before, max, flags); });
  bytes_.resize(before + static_cast<size_t>(std::max<ssize_t>(n, 0)));
  return n;
}

void ConnectionOutput::append(const char* data, size_t size) {
  // What was sent goes first, so the buffer holds at most kOutputBuffer.
  bytes_.erase(0, sent_);
  sent_ = 0;
  bytes_.append(data, size);
}

ConnectionOutput::Flush ConnectionOutput::flush(int fd) {
  while (!empty()) {
    const ssize_t n = retryOnEintr(
        [&] { return send(fd, bytes_.data() + sent_, size(), MSG_NOSIGNAL | MSG_DONTWAIT); });
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK ? Flush::Blocked : Flush::Failed;
    sent_ += static_cast<size_t>(n);
  }
  bytes_.clear();
  bytes_.shrink_to_fit();  // an idle keep-alive connection keeps no buffer
  sent_ = 0;
  return Flush::Done;
}

bool GatedStream::drainOutput() const {
  for (;;) {
    const auto state = output_.flush(input_.fd());
    if (state == ConnectionOutput::Flush::Done) return true;
    if (state == ConnectionOutput::Flush::Failed) return false;
    if (pollSocket(input_.fd(), POLLOUT, writeTimeoutMs_) <= 0) return false;
  }
}

bool GatedStream::is_readable() const {
  return !input_.buffered().empty() || pollSocket(input_.fd(), POLLIN, readTimeoutMs_) > 0;
}

bool GatedStream::is_writable() const {
  if (!output_.empty() && !drainOutput()) return false;
  return pollSocket(input_.fd(), POLLOUT, writeTimeoutMs_) > 0 && peerConnected(input_.fd());
}

ssize_t GatedStream::read(char* ptr, size_t size) {
  if (size == 0) return 0;
  if (!input_.buffered().empty()) return static_cast<ssize_t>(input_.take(ptr, size));
  if (!is_readable()) return -1;
  if (size >= kReadAhead) return retryOnEintr([&] { return recv(input_.fd(), ptr, size, 0); });
  const ssize_t n = input_.receive(kReadAhead, 0);
  if (n <= 0) return n;
  return static_cast<ssize_t>(input_.take(ptr, size));
}

ssize_t GatedStream::write(const char* ptr, size_t size) {
  if (!peerConnected(input_.fd())) return -1;
  if (!output_.empty() && output_.flush(input_.fd()) == ConnectionOutput::Flush::Failed) return -1;
  if (!output_.empty()) {
    // Behind what is buffered: append, or wait for the socket to take it.
    if (output_.fits(size)) {
      output_.append(ptr, size);
      return static_cast<ssize_t>(size);
    }
    if (!drainOutput()) return -1;
  }
  // MSG_NOSIGNAL: a departed client is a failed write, never a SIGPIPE.
  const ssize_t n =
      retryOnEintr([&] { return send(input_.fd(), ptr, size, MSG_NOSIGNAL | MSG_DONTWAIT); });
  if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return -1;
  const size_t sent = static_cast<size_t>(std::max<ssize_t>(n, 0));
  if (sent == size) return n;
  if (output_.fits(size - sent)) {
    output_.append(ptr + sent, size - sent);
    return static_cast<ssize_t>(size);
  }
  if (sent > 0) return n;  // httplib writes the rest in its next call
  // A large write into a full socket: wait for it, as httplib's own stream.
  if (pollSocket(input_.fd(), POLLOUT, writeTimeoutMs_) <= 0) return -1;
  return retryOnEintr([&] { return send(input_.fd(), ptr, size, MSG_NOSIGNAL); });
}

void GatedStream::get_remote_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getpeername(input_.fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
  if (addr.ss_family == AF_UNIX) {
    // As httplib: no address, and the peer's process id as the "port".
    ucred cred{};
    socklen_t credLen = sizeof cred;
    if (getsockopt(input_.fd(), SOL_SOCKET, SO_PEERCRED, &cred, &credLen) == 0) port = cred.pid;
    return;
  }
  numericAddress(addr, len, ip, port);
}

void GatedStream::get_local_ip_and_port(std::string& ip, int& port) const {
  sockaddr_storage addr{};
  socklen_t len = sizeof addr;
  if (getsockname(input_.fd(), reinterpret_cast<sockaddr*>(&addr), &len) != 0) return;
  numericAddress(addr, len, ip, port);
}

}  // namespace ddump
