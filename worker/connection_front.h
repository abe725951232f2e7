#pragma once
// The front of one listener: a single thread that owns the listening socket
// and every connection that is not being answered, so that a connection
// costs a file descriptor and a few hundred bytes, never a thread, until
// its request head is complete. cpp-httplib 0.11 hands every accepted
// connection to a pool thread that then waits on it; a thousand idle,
// half-open or trickling clients took every thread and starved the health
// probe. Here one epoll(7) loop accepts, applies the connection caps
// (ConnectionLimits) at once, reads each head through its RequestGate under
// one deadline, answers refusals, and passes only a connection with a
// complete, valid head on (Dispatch: a pool thread runs httplib on it,
// replaying the bytes read). After the response a keep-alive connection
// comes back here (giveBack) to wait for its next request.

#include <sys/epoll.h>
#include <sys/socket.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "connection.h"
#include "connection_limits.h"
#include "deadline_queue.h"
#include "event_log.h"
#include "request_gate.h"
#include "unique_fd.h"

namespace ddump {

struct FrontSettings {
  GateSettings gate;
  size_t keepAliveMax = 20;  // requests per connection
  // TCP: count connections per remote address; unix sockets: total only.
  bool perPeer = true;
  // Set on every accepted socket, as httplib's own accept loop sets them:
  // the longest a blocking recv(2) or send(2) of the pool thread may wait.
  std::chrono::milliseconds readTimeout{10000};
  std::chrono::milliseconds writeTimeout{30000};
};

class ConnectionFront {
 public:
  using Dispatch = std::function<void(std::shared_ptr<Connection>)>;

  // Does not own `listenFd`, which it makes non-blocking. Throws
  // std::runtime_error (start-up only) when epoll or eventfd fail.
  ConnectionFront(int listenFd, ConnectionLimits& limits, EventLog& log, FrontSettings settings);
  ConnectionFront(const ConnectionFront&) = delete;
  ConnectionFront& operator=(const ConnectionFront&) = delete;
  ~ConnectionFront();

  // The loop, on the calling thread, until stop(); then every connection
  // waiting for a request is closed.
  void run(const Dispatch& dispatch);
  // After stop(), once no pool thread answers a request any more: sends what
  // is left of every answer (given back before or after stop()), each within
  // the write timeout, and closes everything.
  void finish();
  // From any thread, also before run().
  void stop();
  bool stopping() const { return stopRequested_.load(); }
  // From a pool thread: the front sends what is left of `connection`'s
  // response, then waits for its next request (or closes it, if closing()).
  // After finish() it is closed at once instead.
  void giveBack(std::shared_ptr<Connection> connection);

 private:
  using Clock = std::chrono::steady_clock;
  struct Entry {
    std::shared_ptr<Connection> connection;
    RequestGate gate;
    RequestGate::Next waiting = RequestGate::Next::Read;
    Clock::time_point deadline{};
  };

  void step(const Dispatch& dispatch);  // one epoll_wait and what it says
  void handle(const epoll_event& event, Clock::time_point now, const Dispatch& dispatch);
  void acceptReady(Clock::time_point now, const Dispatch& dispatch);
  void admitAccepted(int fd, const sockaddr_storage& addr, Clock::time_point now,
                     const Dispatch& dispatch);
  void refuseAtOnce(int fd, const std::string& message, Clock::time_point now);
  void pauseAccepting(Clock::time_point now, int err);
  void resumeAccepting(Clock::time_point now);
  void takeBackReturned(Clock::time_point now, const Dispatch& dispatch);
  void add(std::shared_ptr<Connection> connection, Clock::time_point now, const Dispatch& dispatch);
  void apply(uint64_t id, RequestGate::Next next, const Dispatch& dispatch);
  void expire(Clock::time_point now, const Dispatch& dispatch);
  int waitMs(Clock::time_point now);
  bool watch(int op, int fd, uint64_t id, uint32_t events);
  void closeAll();

  const int listenFd_;
  ConnectionLimits& limits_;
  EventLog& log_;
  const FrontSettings settings_;
  UniqueFd epoll_;
  UniqueFd wake_;  // eventfd: stop() and giveBack() wake the loop
  std::atomic<bool> stopRequested_{false};

  // Touched by the loop's thread only.
  std::unordered_map<uint64_t, Entry> entries_;
  DeadlineQueue deadlines_;
  uint64_t nextId_;
  std::optional<Clock::time_point> acceptPausedUntil_;
  Clock::time_point nextAcceptLog_{};
  Clock::time_point nextRefusalLog_{};
  uint64_t refusalsSinceLog_ = 0;

  std::mutex returnMutex_;
  std::vector<std::shared_ptr<Connection>> returned_;  // guarded by returnMutex_
  bool stopped_ = false;                               // guarded by returnMutex_
};

}  // namespace ddump
