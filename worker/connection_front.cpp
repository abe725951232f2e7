#include "connection_front.h"

#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace ddump {
namespace {

constexpr uint64_t kListenId = 0;
constexpr uint64_t kWakeId = 1;
// Connections accepted per readiness of the listening socket before the
// other events get their turn: a connect storm cannot stall the
// connections already open.
constexpr int kAcceptsPerEvent = 64;
// accept(2) fails with EMFILE/ENFILE/ENOBUFS/ENOMEM while the process or
// the system is out of descriptors or memory, and the listening socket
// stays readable: the front stops watching it for this long rather than
// spin, and the pending connections wait in the backlog.
constexpr auto kAcceptPause = std::chrono::milliseconds(100);
// At most one log line per this long for refused connections and for
// accept failures (a flood must not become a flood of log lines); every
// refusal is counted in /metrics.
constexpr auto kLogInterval = std::chrono::seconds(10);
constexpr size_t kEventsPerWait = 256;

std::runtime_error systemError(const std::string& what) {
  return std::runtime_error(what + ": " + std::strerror(errno));
}

uint32_t eventsFor(RequestGate::Next next) {
  return next == RequestGate::Next::Write ? EPOLLOUT : EPOLLIN;
}

void setTimeout(int fd, int option, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<time_t>(timeout.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((timeout.count() % 1000) * 1000);
  setsockopt(fd, SOL_SOCKET, option, &tv, sizeof tv);
}

}  // namespace

ConnectionFront::ConnectionFront(int listenFd, ConnectionLimits& limits, EventLog& log,
                                 FrontSettings settings)
    : listenFd_(listenFd),
      limits_(limits),
      log_(log),
      settings_(settings),
      epoll_(epoll_create1(EPOLL_CLOEXEC)),
      wake_(eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)),
      nextId_(kWakeId + 1) {
  if (!epoll_.valid()) throw systemError("cannot create an epoll instance");
  if (!wake_.valid()) throw systemError("cannot create an eventfd");
  const int flags = fcntl(listenFd_, F_GETFL);
  if (flags < 0 || fcntl(listenFd_, F_SETFL, flags | O_NONBLOCK) != 0) {
    throw systemError("cannot make the listening socket non-blocking");
  }
  if (!watch(EPOLL_CTL_ADD, listenFd_, kListenId, EPOLLIN) ||
      !watch(EPOLL_CTL_ADD, wake_.get(), kWakeId, EPOLLIN)) {
    throw systemError("cannot watch the listening socket");
  }
}

ConnectionFront::~ConnectionFront() {
  closeAll();
}

bool ConnectionFront::watch(int op, int fd, uint64_t id, uint32_t events) {
  epoll_event ev{};
  ev.events = events;
  ev.data.u64 = id;
  return epoll_ctl(epoll_.get(), op, fd, &ev) == 0;
}

void ConnectionFront::stop() {
  stopRequested_ = true;
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = write(wake_.get(), &one, sizeof one);
}

void ConnectionFront::giveBack(std::shared_ptr<Connection> connection) {
  {
    std::lock_guard lock(returnMutex_);
    if (stopped_) return;  // `connection` closes as it goes out of scope
    returned_.push_back(std::move(connection));
  }
  const uint64_t one = 1;
  [[maybe_unused]] const ssize_t n = write(wake_.get(), &one, sizeof one);
}

void ConnectionFront::run(const Dispatch& dispatch) {
  while (!stopRequested_) step(dispatch);
  // Connections waiting for a request are closed; answers still being sent
  // go on in finish().
  for (auto it = entries_.begin(); it != entries_.end();) {
    if (it->second.gate.flushing()) {
      it->second.connection->setClosing();
      ++it;
    } else {
      deadlines_.cancel(it->first);
      it = entries_.erase(it);
    }
  }
}

void ConnectionFront::finish() {
  std::vector<std::shared_ptr<Connection>> returned;
  {
    std::lock_guard lock(returnMutex_);
    stopped_ = true;
    returned.swap(returned_);
  }
  const Dispatch close = [](std::shared_ptr<Connection>) {};
  const auto now = Clock::now();
  for (auto& connection : returned) {
    connection->setClosing();
    add(std::move(connection), now, close);
  }
  // Each one within its write deadline, then closed.
  while (!entries_.empty()) step(close);
  closeAll();
}

void ConnectionFront::step(const Dispatch& dispatch) {
  std::array<epoll_event, kEventsPerWait> events;
  const int n = epoll_wait(epoll_.get(), events.data(), static_cast<int>(events.size()),
                           waitMs(Clock::now()));
  if (n < 0 && errno != EINTR) {
    // Only with a bad epoll descriptor: nothing would ever be served.
    log_.error("front_failed", {{"error", std::string(std::strerror(errno))}});
    stopRequested_ = true;
    entries_.clear();
    return;
  }
  const auto now = Clock::now();
  for (int i = 0; i < n; ++i) handle(events[static_cast<size_t>(i)], now, dispatch);
  expire(now, dispatch);
  resumeAccepting(now);
}

int ConnectionFront::waitMs(Clock::time_point now) {
  std::optional<Clock::time_point> wake = deadlines_.next();
  if (acceptPausedUntil_ && (!wake || *acceptPausedUntil_ < *wake)) wake = acceptPausedUntil_;
  if (!wake) return -1;
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(*wake - now).count();
  return static_cast<int>(std::clamp<int64_t>(ms, 0, 60'000));
}

void ConnectionFront::handle(const epoll_event& event, Clock::time_point now,
                             const Dispatch& dispatch) {
  const uint64_t id = event.data.u64;
  if (id == kListenId) return acceptReady(now, dispatch);
  if (id == kWakeId) {
    uint64_t count = 0;
    [[maybe_unused]] const ssize_t n = read(wake_.get(), &count, sizeof count);
    return takeBackReturned(now, dispatch);
  }
  const auto it = entries_.find(id);
  if (it == entries_.end()) return;  // closed by an earlier event of this batch
  Entry& e = it->second;
  // An error or hang-up is seen by the next recv or send, which says Close.
  const bool failed = (event.events & (EPOLLERR | EPOLLHUP)) != 0;
  Connection& connection = *e.connection;
  if (e.waiting == RequestGate::Next::Write && (failed || (event.events & EPOLLOUT))) {
    return apply(id, e.gate.writable(connection, now), dispatch);
  }
  if (e.waiting == RequestGate::Next::Read && (failed || (event.events & EPOLLIN))) {
    return apply(id, e.gate.readable(connection, now), dispatch);
  }
}

void ConnectionFront::acceptReady(Clock::time_point now, const Dispatch& dispatch) {
  if (stopRequested_) return;
  for (int i = 0; i < kAcceptsPerEvent; ++i) {
    sockaddr_storage addr{};
    socklen_t len = sizeof addr;
    const int fd = accept4(listenFd_, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_CLOEXEC);
    if (fd >= 0) {
      admitAccepted(fd, addr, now, dispatch);
      continue;
    }
    // accept(2): a connection that was reset in the backlog is ECONNABORTED
    // (or a protocol error, EPROTO): skip it.
    if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) pauseAccepting(now, errno);
    return;
  }
}

void ConnectionFront::admitAccepted(int fd, const sockaddr_storage& addr, Clock::time_point now,
                                    const Dispatch& dispatch) {
  std::string peer = settings_.perPeer ? peerKeyOf(addr) : std::string();
  switch (limits_.admit(peer)) {
    case ConnectionRefusal::None:
      break;
    case ConnectionRefusal::Total:
      return refuseAtOnce(fd,
                          "too many connections: limit is " + std::to_string(limits_.maxTotal()) +
                              " (--max-connections)",
                          now);
    case ConnectionRefusal::PerPeer:
      return refuseAtOnce(fd,
                          "too many connections from " + peer + ": limit is " +
                              std::to_string(limits_.maxPerPeer()) +
                              " (--max-connections-per-peer)",
                          now);
  }
  setTimeout(fd, SO_RCVTIMEO, settings_.readTimeout);
  setTimeout(fd, SO_SNDTIMEO, settings_.writeTimeout);
  add(std::make_shared<Connection>(fd, limits_, std::move(peer), settings_.keepAliveMax), now,
      dispatch);
}

// Refused before anything is read or a thread is spent: one non-blocking
// send of a 503 (RFC 9110 §15.6.4; Retry-After, §10.2.3), whatever the
// client already sent read and dropped so that the close sends FIN after
// the answer rather than a reset that could destroy it, then close.
void ConnectionFront::refuseAtOnce(int fd, const std::string& message, Clock::time_point now) {
  const std::string answer = refusalResponse(503, message, "Retry-After: 1\r\n");
  [[maybe_unused]] const ssize_t sent =
      send(fd, answer.data(), answer.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  std::array<char, 4096> discard;
  [[maybe_unused]] const ssize_t read = recv(fd, discard.data(), discard.size(), MSG_DONTWAIT);
  close(fd);
  ++refusalsSinceLog_;
  if (now < nextRefusalLog_) return;
  const ConnectionCounts counts = limits_.counts();
  log_.warn("connections_refused", {{"refused", refusalsSinceLog_},
                                    {"last", message},
                                    {"open", static_cast<uint64_t>(counts.open)}});
  refusalsSinceLog_ = 0;
  nextRefusalLog_ = now + kLogInterval;
}

void ConnectionFront::pauseAccepting(Clock::time_point now, int err) {
  watch(EPOLL_CTL_MOD, listenFd_, kListenId, 0);
  acceptPausedUntil_ = now + kAcceptPause;
  if (now < nextAcceptLog_) return;
  log_.warn("accept_failed", {{"error", std::string(std::strerror(err))},
                              {"open", static_cast<uint64_t>(limits_.counts().open)}});
  nextAcceptLog_ = now + kLogInterval;
}

void ConnectionFront::resumeAccepting(Clock::time_point now) {
  if (!acceptPausedUntil_ || now < *acceptPausedUntil_) return;
  acceptPausedUntil_.reset();
  watch(EPOLL_CTL_MOD, listenFd_, kListenId, EPOLLIN);
}

void ConnectionFront::takeBackReturned(Clock::time_point now, const Dispatch& dispatch) {
  std::vector<std::shared_ptr<Connection>> returned;
  {
    std::lock_guard lock(returnMutex_);
    returned.swap(returned_);
  }
  for (auto& connection : returned) add(std::move(connection), now, dispatch);
}

void ConnectionFront::add(std::shared_ptr<Connection> connection, Clock::time_point now,
                          const Dispatch& dispatch) {
  RequestGate gate(settings_.gate);
  const RequestGate::Next next = gate.start(*connection, now);
  if (next == RequestGate::Next::Dispatch) return dispatch(std::move(connection));
  if (next == RequestGate::Next::Close) return;
  const uint64_t id = nextId_++;
  // epoll_ctl fails only without memory (or past fs.epoll.max_user_watches):
  // the connection is closed rather than left unwatched.
  if (!watch(EPOLL_CTL_ADD, connection->fd(), id, eventsFor(next))) return;
  Entry& e = entries_.emplace(id, Entry{std::move(connection), gate}).first->second;
  e.waiting = next;
  e.deadline = gate.deadline();
  deadlines_.schedule(id, e.deadline);
}

void ConnectionFront::apply(uint64_t id, RequestGate::Next next, const Dispatch& dispatch) {
  const auto it = entries_.find(id);
  Entry& e = it->second;
  if (next == RequestGate::Next::Dispatch || next == RequestGate::Next::Close) {
    deadlines_.cancel(id);
    // Closing the descriptor would drop it from the epoll set too, but a
    // dispatched one stays open on another thread.
    watch(EPOLL_CTL_DEL, e.connection->fd(), id, 0);
    std::shared_ptr<Connection> connection = std::move(e.connection);
    entries_.erase(it);
    if (next == RequestGate::Next::Dispatch) dispatch(std::move(connection));
    return;
  }
  if (next != e.waiting) watch(EPOLL_CTL_MOD, e.connection->fd(), id, eventsFor(next));
  e.waiting = next;
  if (e.gate.deadline() != e.deadline) {
    e.deadline = e.gate.deadline();
    deadlines_.schedule(id, e.deadline);
  }
}

void ConnectionFront::expire(Clock::time_point now, const Dispatch& dispatch) {
  for (const uint64_t id : deadlines_.popExpired(now)) {
    const auto it = entries_.find(id);
    if (it == entries_.end()) continue;
    Entry& e = it->second;
    // popExpired forgot the deadline: a gate that goes on sets a new one.
    e.deadline = {};
    apply(id, e.gate.expired(*e.connection, now), dispatch);
  }
}

void ConnectionFront::closeAll() {
  {
    std::lock_guard lock(returnMutex_);
    stopped_ = true;
    returned_.clear();
  }
  entries_.clear();
}

}  // namespace ddump
