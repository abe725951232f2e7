#include "caller_identity.h"

#include <cstddef>

namespace ddump {
namespace {

// The values go into logs and JSON: keep them short and printable whatever a
// misconfigured proxy passes on.
constexpr size_t kMaxFieldBytes = 256;

std::string printableField(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, kMaxFieldBytes)) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte >= 0x20 && byte != 0x7f ? c : '?';
  }
  return out;
}

// "10.0.0.5:41234" -> "10.0.0.5", "[::1]:41234" -> "[::1]".
std::string withoutPort(const std::string& peer) {
  const size_t colon = peer.rfind(':');
  if (colon == std::string::npos || (peer.front() == '[' && peer[colon - 1] != ']')) return peer;
  return peer.substr(0, colon);
}

}  // namespace

std::string CallerIdentity::owner() const {
  if (peer != "unix") return withoutPort(peer);
  if (user.empty() && clientCert.empty()) return peer;
  return "user=" + user + "\ncert=" + clientCert;
}

CallerIdentity identifyCaller(std::string peer, std::string_view user, std::string_view clientCert,
                              std::string_view forwardedFor) {
  CallerIdentity caller;
  caller.peer = std::move(peer);
  if (caller.peer == "unix") {
    caller.user = printableField(user);
    caller.clientCert = printableField(clientCert);
    caller.forwardedFor = printableField(forwardedFor);
  }
  return caller;
}

}  // namespace ddump
