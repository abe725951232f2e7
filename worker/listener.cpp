#include "listener.h"

#include <arpa/inet.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "gated_stream.h"

namespace ddump {
namespace {

std::runtime_error bindError(const std::string& what, int err) {
  return std::runtime_error(what + ": " + std::strerror(err));
}

// The numeric address and port a TCP socket is really bound to.
std::pair<std::string, uint16_t> boundAddress(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return {"", 0};
  char text[INET6_ADDRSTRLEN] = {};
  if (ss.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text);
    return {text, ntohs(sin->sin_port)};
  }
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&ss);
  inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text);
  return {text, ntohs(sin6->sin6_port)};
}

sockaddr_un unixAddress(const std::string& path) {
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  return addr;
}

// A socket file left by a dead worker is replaced; a live one or a non-socket
// file is never touched.
void removeStaleSocket(const std::string& path) {
  struct stat st {};
  if (lstat(path.c_str(), &st) != 0) return;
  if (!S_ISSOCK(st.st_mode)) throw std::runtime_error(path + " exists and is not a socket");
  const int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const sockaddr_un addr = unixAddress(path);
  const bool live = connect(probe, reinterpret_cast<const sockaddr*>(&addr), sizeof addr) == 0;
  close(probe);
  if (live) throw std::runtime_error("another process is listening on " + path);
  unlink(path.c_str());
}

int timeoutMs(time_t sec, time_t usec) {
  return static_cast<int>(sec * 1000 + usec / 1000);
}

}  // namespace

BoundListener Listener::bind(const ListenAddress& address, unsigned socketMode) {
  if (address.kind == ListenAddress::Kind::Unix) {
    bindUnix(address.path, socketMode);
    return {};
  }
  return bindTcp(address);
}

BoundListener Listener::bindTcp(const ListenAddress& address) {
  // ":PORT" means every address: "::" with IPV6_V6ONLY off (httplib clears
  // it) takes IPv4 too; a host without IPv6 falls back to 0.0.0.0.
  std::string host = address.host.empty() ? "::" : address.host;
  int port = address.port;
  bool ok = port == 0 ? (port = bind_to_any_port(host)) > 0 : bind_to_port(host, port);
  if (!ok && address.host.empty()) {
    host = "0.0.0.0";
    ok = port == 0 ? (port = bind_to_any_port(host)) > 0 : bind_to_port(host, address.port);
  }
  if (!ok) throw bindError("cannot listen on " + address.toString(), errno);
  // httplib listens with a backlog of 5. The front accepts at once, but a
  // burst of connections (a flood, or many clients at a time) would overflow
  // so short a queue, and the kernel then drops SYNs that are retried only
  // after a second: a health probe among them would time out.
  if (::listen(svr_sock_, SOMAXCONN) != 0) {
    throw bindError("cannot listen on " + address.toString(), errno);
  }
  auto [numeric, boundPort] = boundAddress(svr_sock_);
  ListenAddress shown = address;
  shown.port = boundPort;
  shown.host = address.host.empty() ? "" : numeric;
  description_ = shown.toString();
  return {address.host.empty() ? "" : numeric, boundPort};
}

void Listener::bindUnix(const std::string& path, unsigned mode) {
  removeStaleSocket(path);
  const int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw bindError("cannot create unix socket", errno);
  const sockaddr_un addr = unixAddress(path);
  // Create the file with no access at all, then set the exact mode: no window
  // in which the umask could leave it open to others.
  const mode_t old = umask(0777);
  const int rc = ::bind(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  const int err = errno;
  umask(old);
  if (rc != 0) {
    close(fd);
    throw bindError("cannot bind unix:" + path, err);
  }
  if (chmod(path.c_str(), mode) != 0 || ::listen(fd, SOMAXCONN) != 0) {
    const int e = errno;
    close(fd);
    throw bindError("cannot set up unix:" + path, e);
  }
  svr_sock_ = fd;
  description_ = "unix:" + path;
  isUnix_ = true;
}

void Listener::prepare(ConnectionLimits& limits, EventLog& log) {
  FrontSettings settings;
  settings.gate.requestTimeout = requestTimeout_;
  settings.gate.idleTimeout = std::chrono::seconds(keep_alive_timeout_sec_);
  settings.gate.writeTimeout =
      std::chrono::milliseconds(timeoutMs(write_timeout_sec_, write_timeout_usec_));
  settings.keepAliveMax = keep_alive_max_count_;
  settings.perPeer = !isUnix_;
  settings.readTimeout =
      std::chrono::milliseconds(timeoutMs(read_timeout_sec_, read_timeout_usec_));
  settings.writeTimeout =
      std::chrono::milliseconds(timeoutMs(write_timeout_sec_, write_timeout_usec_));
  front_ = std::make_unique<ConnectionFront>(svr_sock_, limits, log, settings);
}

void Listener::serve() {
  std::unique_ptr<httplib::TaskQueue> pool(new_task_queue());
  front_->run([this, &pool](std::shared_ptr<Connection> connection) {
    pool->enqueue([this, connection] { serveRequest(connection); });
  });
  const socket_t sock = svr_sock_.exchange(INVALID_SOCKET);
  ::shutdown(sock, SHUT_RDWR);
  ::close(sock);
  // The requests being answered end (streams see the worker stopping), then
  // the front sends what their clients have not taken yet.
  pool->shutdown();
  front_->finish();
}

void Listener::stopServing() {
  if (front_) front_->stop();
}

// As httplib's own loop (process_server_socket_core): the last request
// keep-alive allows is answered with "Connection: close", and so is every
// request once the server stops. Bytes read past one request (a pipelined
// next one) stay in the connection's input for the front, and the end of a
// response the client has not taken yet in its output, which the front
// sends (then closes, if this was the last request).
void Listener::serveRequest(const std::shared_ptr<Connection>& connection) {
  const int readMs = timeoutMs(read_timeout_sec_, read_timeout_usec_);
  const int writeMs = timeoutMs(write_timeout_sec_, write_timeout_usec_);
  GatedStream stream(connection->input(), connection->output(), readMs, writeMs);
  const bool last = connection->lastRequest() || front_->stopping();
  bool closed = false;
  bool ok = false;
  try {
    ok = process_request(stream, last, closed, nullptr);
  } catch (...) {
    // httplib catches what a handler throws; anything else (an allocation
    // failing while it parses) ends this connection, not the worker.
    ok = false;
  }
  connection->countRequest();
  if (!ok || closed || last) connection->setClosing();
  if (!connection->closing() || !connection->output().empty()) front_->giveBack(connection);
}

}  // namespace ddump
