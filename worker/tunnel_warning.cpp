#include "tunnel_warning.h"

#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <algorithm>
#include <charconv>
#include <cstring>
#include <span>
#include <string_view>

#include "filter_lexer.h"
#include "unique_fd.h"

namespace ddump {
namespace {

// WireGuard has no fixed port; 51820 is the one its documentation and
// wg-quick examples use. 4789 (VXLAN, RFC 7348) and 6081 (Geneve, RFC 8926)
// are read from the interface itself.
constexpr uint16_t kWireGuardDefaultPort = 51820;

using Bytes = std::span<const uint8_t>;

// Calls f(type, payload) for each netlink attribute in `data`, stopping at
// the first one whose length does not fit (the bytes come from the kernel,
// but are read as carefully as any others).
template <typename F>
void forEachAttribute(Bytes data, F&& f) {
  while (data.size() >= sizeof(nlattr)) {
    nlattr a{};
    std::memcpy(&a, data.data(), sizeof a);
    if (a.nla_len < sizeof a || a.nla_len > data.size()) return;
    f(static_cast<uint16_t>(a.nla_type & NLA_TYPE_MASK),
      data.subspan(NLA_HDRLEN, a.nla_len - NLA_HDRLEN));
    const size_t step = NLA_ALIGN(a.nla_len);
    if (step >= data.size()) return;
    data = data.subspan(step);
  }
}

// A string attribute, up to its terminating NUL.
std::string text(Bytes payload) {
  return std::string(payload.begin(), std::find(payload.begin(), payload.end(), uint8_t{0}));
}

// IFLA_VXLAN_PORT and IFLA_GENEVE_PORT are __be16.
bool readPort(Bytes payload, uint16_t& port) {
  if (payload.size() < 2) return false;
  port = static_cast<uint16_t>((payload[0] << 8) | payload[1]);
  return true;
}

void parseLinkInfo(Bytes linkInfo, TunnelInterface& t) {
  Bytes data;
  forEachAttribute(linkInfo, [&](uint16_t type, Bytes payload) {
    if (type == IFLA_INFO_KIND) {
      t.kind = text(payload);
    } else if (type == IFLA_INFO_DATA) {
      data = payload;
    }
  });
  const uint16_t portAttribute = t.kind == "vxlan"    ? IFLA_VXLAN_PORT
                                 : t.kind == "geneve" ? IFLA_GENEVE_PORT
                                                      : 0;
  if (t.kind == "wireguard") {
    t.port = kWireGuardDefaultPort;
    t.portAssumed = true;
  }
  forEachAttribute(data, [&](uint16_t type, Bytes payload) {
    if (portAttribute != 0 && type == portAttribute) readPort(payload, t.port);
  });
}

// One RTM_NEWLINK message: an ifinfomsg, then attributes.
void parseLink(Bytes message, std::vector<TunnelInterface>& out) {
  const size_t header = NLMSG_ALIGN(sizeof(ifinfomsg));
  if (message.size() < header) return;
  TunnelInterface t;
  forEachAttribute(message.subspan(header), [&](uint16_t type, Bytes payload) {
    if (type == IFLA_IFNAME) {
      t.name = text(payload);
    } else if (type == IFLA_LINKINFO) {
      parseLinkInfo(payload, t);
    }
  });
  if (t.kind == "vxlan" || t.kind == "geneve" || t.kind == "wireguard") out.push_back(t);
}

// Returns false when the dump is over (NLMSG_DONE, an error, or bad bytes).
bool parseMessages(Bytes buffer, std::vector<TunnelInterface>& out) {
  while (buffer.size() >= sizeof(nlmsghdr)) {
    nlmsghdr h{};
    std::memcpy(&h, buffer.data(), sizeof h);
    if (h.nlmsg_len < sizeof h || h.nlmsg_len > buffer.size()) return false;
    if (h.nlmsg_type == NLMSG_DONE || h.nlmsg_type == NLMSG_ERROR) return false;
    if (h.nlmsg_type == RTM_NEWLINK) {
      parseLink(buffer.subspan(NLMSG_HDRLEN, h.nlmsg_len - NLMSG_HDRLEN), out);
    }
    const size_t step = NLMSG_ALIGN(h.nlmsg_len);
    if (step >= buffer.size()) return true;
    buffer = buffer.subspan(step);
  }
  return true;
}

bool sendDumpRequest(int fd) {
  struct {
    nlmsghdr header;
    ifinfomsg link;
  } request{};
  request.header.nlmsg_len = sizeof request;
  request.header.nlmsg_type = RTM_GETLINK;
  request.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  request.header.nlmsg_seq = 1;
  request.link.ifi_family = AF_UNSPEC;
  return send(fd, &request, sizeof request, 0) == static_cast<ssize_t>(sizeof request);
}

bool inRange(std::string_view range, uint16_t port) {
  const size_t dash = range.find('-');
  if (dash == std::string_view::npos) return false;
  unsigned low = 0;
  unsigned high = 0;
  const auto a = std::from_chars(range.data(), range.data() + dash, low);
  const auto b = std::from_chars(range.data() + dash + 1, range.data() + range.size(), high);
  return a.ec == std::errc() && a.ptr == range.data() + dash && b.ec == std::errc() &&
         b.ptr == range.data() + range.size() && low <= port && port <= high;
}

}  // namespace

std::vector<TunnelInterface> listTunnelInterfaces() {
  std::vector<TunnelInterface> out;
  UniqueFd fd(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!fd.valid()) return out;
  const timeval timeout{1, 0};  // start-up must never hang on this
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (!sendDumpRequest(fd.get())) return out;
  std::vector<uint8_t> buffer(64 * 1024);
  for (int reads = 0; reads < 4096; ++reads) {
    const ssize_t n = recv(fd.get(), buffer.data(), buffer.size(), 0);
    if (n <= 0) break;
    if (!parseMessages(Bytes(buffer.data(), static_cast<size_t>(n)), out)) break;
  }
  return out;
}

bool excludesMentionPort(const std::vector<std::string>& excludes, uint16_t port) {
  const std::string decimal = std::to_string(port);
  for (const auto& e : excludes) {
    for (const FilterToken& t : lexFilter(e)) {
      if (t.kind == FilterTokenKind::Number && t.text == decimal) return true;
      if (t.kind == FilterTokenKind::Name && inRange(t.text, port)) return true;
    }
  }
  return false;
}

void warnUnexcludedTunnels(const std::vector<std::string>& excludes, EventLog& log) {
  for (const TunnelInterface& t : listTunnelInterfaces()) {
    if (excludesMentionPort(excludes, t.port)) continue;
    const std::string port = std::to_string(t.port);
    std::string message = "a client reaching this worker through " + t.kind + " interface " +
                          t.name +
                          " would see its own stream in every capture, encapsulated in UDP " +
                          "port " + port + " where the exclusion of the worker's TCP port " +
                          "cannot see it: start the worker with --exclude 'udp port " + port + "'";
    if (t.portAssumed) {
      message +=
          " (" + t.kind + "'s usual port; its real one is not readable without CAP_NET_ADMIN)";
    }
    log.warn("tunnel_not_excluded", {{"interface", t.name},
                                     {"type", t.kind},
                                     {"port", static_cast<uint64_t>(t.port)},
                                     {"message", message}});
  }
}

}  // namespace ddump
