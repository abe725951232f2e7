#include "connection.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstring>

namespace ddump {

Connection::Connection(int fd, ConnectionLimits& limits, std::string peer, size_t requestsLeft)
    : input_(fd), limits_(limits), peer_(std::move(peer)), requestsLeft_(requestsLeft) {}

Connection::~Connection() {
  ::shutdown(input_.fd(), SHUT_RDWR);
  ::close(input_.fd());
  limits_.release(peer_);
}

std::string peerKeyOf(const sockaddr_storage& addr) {
  char text[INET6_ADDRSTRLEN] = {};
  if (addr.ss_family == AF_INET) {
    const auto* sin = reinterpret_cast<const sockaddr_in*>(&addr);
    return inet_ntop(AF_INET, &sin->sin_addr, text, sizeof text) ? text : "";
  }
  if (addr.ss_family != AF_INET6) return "";
  const auto* sin6 = reinterpret_cast<const sockaddr_in6*>(&addr);
  if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
    in_addr v4{};
    std::memcpy(&v4, sin6->sin6_addr.s6_addr + 12, sizeof v4);
    return inet_ntop(AF_INET, &v4, text, sizeof text) ? text : "";
  }
  return inet_ntop(AF_INET6, &sin6->sin6_addr, text, sizeof text) ? text : "";
}

}  // namespace ddump
