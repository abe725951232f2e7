#pragma once
// The worker excludes its own streams by their TCP port. A client that
// reaches it through a UDP tunnel (VXLAN, Geneve, WireGuard) sends that
// stream encapsulated too: on the tunnel's underlay a capture sees UDP
// datagrams whose TCP port is inside the payload, where `tcp port P` does not
// look, so every capture would contain (and amplify) its own stream. The
// worker cannot tell which tunnel a client uses; it warns at start-up about
// every tunnel interface whose UDP port no --exclude mentions.

#include <cstdint>
#include <string>
#include <vector>

#include "event_log.h"

namespace ddump {

struct TunnelInterface {
  std::string name;
  std::string kind;  // "vxlan", "geneve", "wireguard"
  uint16_t port = 0;
  bool portAssumed = false;  // not readable (WireGuard's needs CAP_NET_ADMIN): the default
};

// The host's tunnel interfaces, read with one rtnetlink RTM_GETLINK dump (no
// privilege needed): IFLA_INFO_KIND, and the UDP port from IFLA_VXLAN_PORT or
// IFLA_GENEVE_PORT. Empty when netlink cannot be read.
std::vector<TunnelInterface> listTunnelInterfaces();

// True when some --exclude names `port` as a number (udp port 4789) or in a
// range (portrange 4700-4800).
bool excludesMentionPort(const std::vector<std::string>& excludes, uint16_t port);

// One `tunnel_not_excluded` warning per tunnel interface not excluded.
void warnUnexcludedTunnels(const std::vector<std::string>& excludes, EventLog& log);

}  // namespace ddump
