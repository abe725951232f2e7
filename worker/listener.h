#pragma once
// An httplib::Server bound to one --listen address. cpp-httplib 0.11.4 has no
// AF_UNIX support, but svr_sock_ is protected, so this subclass binds a unix
// socket itself. It also accepts and serves every connection itself rather
// than through listen_after_bind(): httplib's accept loop gives each
// connection a pool thread at once, where an idle or trickling client holds
// it. Here a ConnectionFront (connection_front.h) holds every connection
// until its request head is complete and valid (request_gate.h), and only
// then does a pool thread run httplib's process_request() on it, which is
// protected and parses one request from any httplib::Stream.

#include <httplib.h>

#include <chrono>
#include <memory>
#include <string>

#include "connection.h"
#include "connection_front.h"
#include "connection_limits.h"
#include "event_log.h"
#include "listen_address.h"

namespace ddump {

class Listener : public httplib::Server {
 public:
  // Binds at start-up; throws std::runtime_error naming the address on failure.
  BoundListener bind(const ListenAddress& address, unsigned socketMode);
  const std::string& description() const { return description_; }
  bool isUnix() const { return isUnix_; }
  // The time a whole request head may take from its first byte
  // (--request-timeout); past it the client gets 408.
  void setRequestTimeout(std::chrono::milliseconds timeout) { requestTimeout_ = timeout; }

  // After bind() and the server's settings (keep-alive, timeouts, the task
  // queue), before serve(): sets up the front, which counts this listener's
  // connections in `limits` (shared by every listener). Throws at start-up.
  void prepare(ConnectionLimits& limits, EventLog& log);
  // Accepts and serves on the calling thread until stopServing(); then
  // closes the listening socket and waits for the requests being answered.
  void serve();
  // From any thread: stop accepting and close every idle connection.
  void stopServing();

 private:
  BoundListener bindTcp(const ListenAddress& address);
  void bindUnix(const std::string& path, unsigned mode);
  // On a pool thread: one request on a connection whose head passed the
  // gate, then back to the front if keep-alive goes on.
  void serveRequest(const std::shared_ptr<Connection>& connection);

  std::string description_;
  bool isUnix_ = false;
  std::chrono::milliseconds requestTimeout_{10000};
  std::unique_ptr<ConnectionFront> front_;
};

}  // namespace ddump
