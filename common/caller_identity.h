#pragma once
// Who asked the worker for a capture. A direct client is its address. Behind
// the proxy every peer is the unix socket, so the proxy names the person:
// deploy/nginx/ddump.conf sets X-Ddump-User (the checked basic-auth user),
// X-Ddump-Client-Cert (the verified certificate's subject) and
// X-Forwarded-For, replacing whatever its client sent. Only the unix socket
// is the proxy's (its group has no other member), so those fields are
// believed there and ignored on TCP, where any client could write them.

#include <string>
#include <string_view>

namespace ddump {

struct CallerIdentity {
  std::string peer;          // "10.0.0.5:41234", "[::1]:41234" or "unix"
  std::string user;          // from the proxy, else empty
  std::string clientCert;    // from the proxy, else empty
  std::string forwardedFor;  // from the proxy, else empty
  // Whose captures this caller may see in full on /stats: the proxy's
  // identity when there is one, else the peer's address without its port (a
  // client reconnects from a new port). Callers behind the proxy without
  // auth all share "unix".
  std::string owner() const;
};

// `peer` as the worker prints it ("unix" for the unix socket); the three
// fields as the request carried them (empty when absent).
CallerIdentity identifyCaller(std::string peer, std::string_view user, std::string_view clientCert,
                              std::string_view forwardedFor);

}  // namespace ddump
