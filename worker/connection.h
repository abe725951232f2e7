#pragma once
// One accepted client connection of the worker: its socket, the bytes read
// from it and not used yet, the bytes of a response not sent yet, how many
// more requests keep-alive allows, and its place in the connection limits. It is owned by one
// thread at a time: the listener's front while it waits for a request head, a pool thread while
// httplib answers that request. Destroying it closes the socket and gives its place in the limits
// back, on every path.

#include <sys/socket.h>

#include <cstddef>
#include <string>

#include "connection_limits.h"
#include "gated_stream.h"

namespace ddump {

class Connection {
 public:
  // Owns `fd`, which `limits` admitted for `peer`.
  Connection(int fd, ConnectionLimits& limits, std::string peer, size_t requestsLeft);
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;
  ~Connection();

  int fd() const { return input_.fd(); }
  ConnectionInput& input() { return input_; }
  ConnectionOutput& output() { return output_; }
  // No more requests: once output() is sent, the connection is closed.
  bool closing() const { return closing_; }
  void setClosing() { closing_ = true; }
  const std::string& peer() const { return peer_; }
  // The request being answered is the last one keep-alive allows (RFC 9112
  // §9.3 lets a server close after any response; it says so with
  // "Connection: close").
  bool lastRequest() const { return requestsLeft_ <= 1; }
  void countRequest() {
    if (requestsLeft_ > 0) --requestsLeft_;
  }

 private:
  ConnectionInput input_;
  ConnectionOutput output_;
  ConnectionLimits& limits_;
  std::string peer_;
  size_t requestsLeft_;
  bool closing_ = false;
};

// The key the per-peer cap counts a connection under: the numeric remote IP
// address of a TCP connection (an IPv4-mapped IPv6 address as the IPv4
// address it is, so one client counts once on a dual-stack listener), ""
// for anything else (a unix socket's peer, which the socket file's mode
// admits, and which is normally the proxy speaking for all its clients).
std::string peerKeyOf(const sockaddr_storage& addr);

}  // namespace ddump
