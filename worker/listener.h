#pragma once
// An httplib::Server bound to one --listen address. cpp-httplib 0.11.4 has no
// AF_UNIX support, but svr_sock_ is protected and listen_after_bind() public,
// so this subclass binds a unix socket itself. It also serves every accepted
// connection itself, so that each request head passes the gate
// (request_gate.h) before httplib parses it.

#include <httplib.h>

#include <chrono>
#include <string>

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

 private:
  BoundListener bindTcp(const ListenAddress& address);
  void bindUnix(const std::string& path, unsigned mode);
  // httplib runs this on a pool thread for every accepted connection. It is
  // a private virtual of httplib::Server that a subclass may override (but
  // not call); process_request(), which parses and answers one request from
  // any httplib::Stream, is protected.
  bool process_and_close_socket(socket_t sock) override;

  std::string description_;
  bool isUnix_ = false;
  std::chrono::milliseconds requestTimeout_{10000};
};

}  // namespace ddump
