#include "listen_address.h"

#include <arpa/inet.h>

#include <charconv>

#include "ascii.h"

namespace ddump {
namespace {

Error badAddress(const std::string& text, const std::string& why) {
  return makeError(ErrorCode::InvalidArgument, "bad listen address \"" + text + "\": " + why);
}

// ::ffff:a.b.c.d (in any IPv6 spelling) as a.b.c.d; anything else unchanged.
std::string unmapped(const std::string& address) {
  in6_addr v6{};
  if (inet_pton(AF_INET6, address.c_str(), &v6) != 1 || !IN6_IS_ADDR_V4MAPPED(&v6)) return address;
  char text[INET_ADDRSTRLEN] = {};
  if (inet_ntop(AF_INET, &v6.s6_addr[12], text, sizeof text) == nullptr) return address;
  return text;
}

}  // namespace

std::string ListenAddress::toString() const {
  if (kind == Kind::Unix) return "unix:" + path;
  const std::string shown = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  return shown + ":" + std::to_string(port);
}

Result<uint64_t> parseUnsigned(const std::string& text, uint64_t min, uint64_t max,
                               const std::string& what) {
  uint64_t value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec == std::errc::invalid_argument || ptr != end) {
    return makeError(ErrorCode::InvalidArgument,
                     what + " must be a non-negative integer, got \"" + printableText(text) +
                         "\"");
  }
  if (ec == std::errc::result_out_of_range || value < min || value > max) {
    return makeError(ErrorCode::InvalidArgument, what + " must be between " + std::to_string(min) +
                                                     " and " + std::to_string(max) + ", got " +
                                                     printableText(text));
  }
  return value;
}

Result<ListenAddress> parseListenAddress(const std::string& text) {
  ListenAddress out;
  if (text.rfind("unix:", 0) == 0) {
    out.kind = ListenAddress::Kind::Unix;
    out.path = text.substr(5);
    if (out.path.empty()) return badAddress(text, "empty socket path");
    if (out.path.size() > 107) return badAddress(text, "socket path longer than 107 bytes");
    return out;
  }
  const size_t colon = text.rfind(':');
  if (colon == std::string::npos) return badAddress(text, "expected HOST:PORT, :PORT or unix:/path");
  std::string host = text.substr(0, colon);
  if (!host.empty() && host.front() == '[') {
    if (host.back() != ']' || host.size() < 3) return badAddress(text, "unbalanced [ ] around IPv6 address");
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string::npos) {
    return badAddress(text, "put an IPv6 address in brackets, e.g. [::1]:8475");
  }
  auto port = parseUnsigned(text.substr(colon + 1), 0, 65535, "port");
  if (!port) return badAddress(text, port.error().message);
  out.host = host == "*" ? "" : host;
  out.port = static_cast<uint16_t>(*port);
  return out;
}

std::string exclusionFilter(const std::vector<BoundListener>& listeners,
                            const std::vector<std::string>& excludes) {
  std::string out;
  auto add = [&out](const std::string& term) {
    if (!out.empty()) out += " or ";
    out += "(" + term + ")";
  };
  for (const auto& l : listeners) {
    const std::string port = "tcp port " + std::to_string(l.port);
    add(l.address.empty() ? port : "host " + unmapped(l.address) + " and " + port);
  }
  for (const auto& e : excludes) add(e);
  return out;
}

std::string combineFilters(const std::string& userFilter, const std::string& exclusions) {
  if (exclusions.empty()) return userFilter;
  if (userFilter.empty()) return "not (" + exclusions + ")";
  return "not (" + exclusions + ") and (" + userFilter + ")";
}

}  // namespace ddump
