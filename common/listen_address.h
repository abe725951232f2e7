#pragma once
// The worker's --listen ADDR forms, daemon-style:
//   HOST:PORT       e.g. 127.0.0.1:8475, localhost:8475
//   :PORT           every address, IPv4 and IPv6
//   [V6ADDR]:PORT   e.g. [::1]:8475
//   unix:/path      a unix-domain socket (the reverse proxy's preferred upstream)

#include <cstdint>
#include <string>
#include <vector>

#include "result.h"

namespace ddump {

inline constexpr uint16_t kDefaultPort = 8475;

struct ListenAddress {
  enum class Kind { Tcp, Unix };
  Kind kind = Kind::Tcp;
  std::string host;  // empty: every address (wildcard)
  uint16_t port = kDefaultPort;  // 0: any free port, discovered after bind
  std::string path;  // unix socket path

  bool wildcard() const { return kind == Kind::Tcp && host.empty(); }
  std::string toString() const;
};

Result<ListenAddress> parseListenAddress(const std::string& text);

// Parses a whole decimal number in [min, max]; no sign, no spaces, no suffix.
Result<uint64_t> parseUnsigned(const std::string& text, uint64_t min, uint64_t max,
                               const std::string& what);

// The BPF that keeps a capture from seeing the worker's own HTTP traffic:
// `tcp port P` for a wildcard listener, `host A and tcp port P` for a bound
// one, plus every --exclude expression, so concurrent captures never amplify
// each other.
struct BoundListener {
  std::string address;  // numeric address actually bound; empty for wildcard
  uint16_t port = 0;
};

// A bound IPv4-mapped address (::ffff:a.b.c.d, RFC 4291 2.5.5.2) takes IPv4
// packets on the wire, so it is excluded as a.b.c.d: `host ::ffff:a.b.c.d`
// would test IPv6 headers only and miss every packet of the stream.
std::string exclusionFilter(const std::vector<BoundListener>& listeners,
                            const std::vector<std::string>& excludes);

// `not (exclusions) and (user)`. The exclusions come first because some
// pcap-filter(7) keywords (vlan, mpls, pppoes, geneve) shift the offsets of
// every test compiled after them: after the user's `pppoes or ...`, `tcp port
// P` would read the wrong bytes and the capture would see its own stream.
// The user's text must be balanced (checkFilterText) so that it stays inside
// its parentheses.
std::string combineFilters(const std::string& userFilter, const std::string& exclusions);

}  // namespace ddump
