#include "target.h"

#include <algorithm>
#include <cctype>

#include "ascii.h"

namespace ddump {
namespace {

// One line whatever the text holds (a --targets line or a word may carry
// control bytes): every byte outside printable ASCII is shown as '?'.
Error badTarget(std::string_view text, const std::string& why) {
  std::string message = "bad target '" + maskCredentials(text) + "': " + why;
  for (char& c : message) {
    if (c < 0x20 || c >= 0x7f) c = '?';
  }
  return makeError(ErrorCode::InvalidArgument, std::move(message));
}

Result<uint16_t> parsePort(std::string_view digits, std::string_view text) {
  if (digits.empty()) return kDefaultPort;  // "host:" means the default, as in RFC 3986 3.2.3
  if (digits.size() > 5 || !std::all_of(digits.begin(), digits.end(), [](char c) {
        return c >= '0' && c <= '9';
      })) {
    return badTarget(text, "port '" + std::string(digits) + "' is not a number");
  }
  const unsigned long port = std::stoul(std::string(digits));
  if (port == 0 || port > 65535) {
    return badTarget(text, "port " + std::string(digits) + " out of range 1-65535");
  }
  return static_cast<uint16_t>(port);
}

bool validHostChar(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' ||
         c == ':' || c == '%';
}

// A host once percent-decoded is still a host name or address: the bytes
// validHostChar allows, and '%' only where an IPv6 literal's zone begins
// (RFC 6874: ZoneID = 1*( unreserved / pct-encoded ), decoded here to
// unreserved). So "a%2Fb" or "h%0d%0a" never reach the resolver, the Host
// field or a message, and what authority() writes parses back to the same.
bool validDecodedHost(std::string_view host) {
  const size_t percent = host.find('%');
  const std::string_view address = host.substr(0, percent);
  if (!std::all_of(address.begin(), address.end(),
                   [](char c) { return c != '%' && validHostChar(c); })) {
    return false;
  }
  if (percent == std::string_view::npos) return true;
  const std::string_view zone = host.substr(percent + 1);
  return address.find(':') != std::string_view::npos && !zone.empty() &&
         std::all_of(zone.begin(), zone.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' ||
                  c == '_' || c == '~';
         });
}

// HOST[:PORT] | [IPV6][:PORT] | bare IPv6 literal without port.
Status parseHostPort(std::string_view hostPort, std::string_view text, Target& target) {
  std::string_view host = hostPort;
  std::string_view port;
  if (!hostPort.empty() && hostPort.front() == '[') {
    const size_t close = hostPort.find(']');
    if (close == std::string_view::npos) return badTarget(text, "missing ']' after IPv6 address");
    host = hostPort.substr(1, close - 1);
    const std::string_view rest = hostPort.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') return badTarget(text, "junk after ']'");
    if (!rest.empty()) port = rest.substr(1);
  } else if (std::count(hostPort.begin(), hostPort.end(), ':') == 1) {
    const size_t colon = hostPort.find(':');
    host = hostPort.substr(0, colon);
    port = hostPort.substr(colon + 1);
  }
  if (host.empty()) return badTarget(text, "no host");
  if (!std::all_of(host.begin(), host.end(), validHostChar)) {
    return badTarget(text, "invalid character in host '" + std::string(host) + "'");
  }
  auto decodedHost = percentDecode(host);  // an IPv6 zone is written %25eth0
  if (!decodedHost) return badTarget(text, decodedHost.error().message);
  if (!validDecodedHost(*decodedHost)) {
    return badTarget(text, "invalid character in host '" + *decodedHost + "'");
  }
  auto parsedPort = parsePort(port, text);
  if (!parsedPort) return parsedPort.error();
  target.host = *decodedHost;
  target.port = *parsedPort;
  return Status::success();
}

Status parseUserinfo(std::string_view userinfo, std::string_view text, Target& target) {
  const size_t colon = userinfo.find(':');
  auto user = percentDecode(userinfo.substr(0, colon));
  if (!user) return badTarget(text, user.error().message);
  target.user = *user;
  target.hasUser = true;
  if (colon != std::string_view::npos) {
    // The decoder's message quotes the bad escape: not for a password.
    auto password = percentDecode(userinfo.substr(colon + 1));
    if (!password) return badTarget(text, "bad percent-encoding in the password");
    target.password = *password;
    target.hasPassword = true;
  }
  return Status::success();
}

// The path as a request line and a message can carry it: spaces, controls
// and non-ASCII bytes percent-encoded (RFC 3986 2.1; they are not path
// characters), everything else as written.
std::string encodeUnsafe(std::string_view path) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : path) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 15];
    } else {
      out += c;
    }
  }
  return out;
}

Result<Target> parseUrl(std::string_view text, size_t schemeLength, TargetKind kind) {
  Target target;
  target.kind = kind;
  target.text = std::string(text);
  std::string_view rest = text.substr(schemeLength);
  rest = rest.substr(0, rest.find('#'));  // a fragment never reaches the server
  const size_t authorityEnd = rest.find_first_of("/?");
  const std::string_view authority = rest.substr(0, authorityEnd);
  rest = authorityEnd == std::string_view::npos ? std::string_view{} : rest.substr(authorityEnd);

  std::string_view hostPort = authority;
  if (const size_t at = authority.rfind('@'); at != std::string_view::npos) {
    if (Status s = parseUserinfo(authority.substr(0, at), text, target); !s) return s.error();
    hostPort = authority.substr(at + 1);
  }
  if (Status s = parseHostPort(hostPort, text, target); !s) return s.error();

  const size_t question = rest.find('?');
  const std::string_view path = rest.substr(0, question);
  if (!path.empty()) target.path = encodeUnsafe(path);
  if (question != std::string_view::npos) {
    auto query = parseQuery(rest.substr(question + 1));
    if (!query) return badTarget(text, query.error().message);
    target.query = std::move(*query);
  }
  return target;
}

void appendParam(std::string& out, std::string_view key, std::string_view value) {
  out += out.empty() ? '?' : '&';
  out += percentEncode(key);
  out += '=';
  out += percentEncode(value);
}

}  // namespace

bool Target::hasParam(std::string_view key) const {
  return std::any_of(query.begin(), query.end(), [&](const auto& kv) { return kv.first == key; });
}

// Appended piece by piece: GCC 12 warns falsely (-Wrestrict, its bug 105329)
// on "[" + std::string + ... chains.
std::string Target::authority() const {
  std::string out;
  const bool v6 = host.find(':') != std::string::npos;
  if (v6) out += '[';
  for (const char c : host) {
    if (c == '%') {
      out += "%25";  // the zone in URL form
    } else {
      out += c;
    }
  }
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

std::string Target::hostField() const {
  const bool v6 = host.find(':') != std::string::npos;
  std::string out;
  if (v6) out += '[';
  out.append(host, 0, v6 ? host.find('%') : std::string::npos);
  if (v6) out += ']';
  out += ':';
  out += std::to_string(port);
  return out;
}

std::string Target::display() const {
  if (kind == TargetKind::Stdin) return "stdin";
  if (kind == TargetKind::File) return file;
  std::string out = kind == TargetKind::Https ? "https://" : "http://";
  if (hasUser) {
    out += percentEncode(user);
    if (hasPassword) out += ":***";
    out += '@';
  }
  out += authority();
  return out + requestTarget(*this, {});
}

Result<Target> parseTarget(std::string_view text, bool isExistingFile) {
  if (text.empty()) return badTarget(text, "empty");
  if (text == "-") {
    Target target;
    target.kind = TargetKind::Stdin;
    target.text = "-";
    return target;
  }
  if (startsWithNoCase(text, "http://")) return parseUrl(text, 7, TargetKind::Http);
  if (startsWithNoCase(text, "https://")) return parseUrl(text, 8, TargetKind::Https);
  if (const size_t scheme = text.find("://"); scheme != std::string_view::npos) {
    return badTarget(text, "unsupported scheme '" + std::string(text.substr(0, scheme)) +
                               "' (use http:// or https://)");
  }
  if (isExistingFile || text.find('/') != std::string_view::npos) {
    Target target;
    target.kind = TargetKind::File;
    target.text = target.file = std::string(text);
    return target;
  }
  Target target;
  target.text = std::string(text);
  if (Status s = parseHostPort(text, text, target); !s) return s.error();
  return target;
}

std::string requestTarget(const Target& target, const CaptureParams& defaults) {
  std::string query;
  for (const auto& [key, value] : target.query) appendParam(query, key, value);
  const std::pair<const char*, const std::optional<std::string>*> extra[] = {
      {"filter", &defaults.filter},     {"interface", &defaults.interface},
      {"snaplen", &defaults.snaplen},   {"linktype", &defaults.linktype},
      {"precision", &defaults.precision}, {"since", &defaults.since},
      {"until", &defaults.until},         {"count", &defaults.count},
  };
  for (const auto& [key, value] : extra) {
    if (value->has_value() && !target.hasParam(key)) appendParam(query, key, **value);
  }
  return target.path + query;
}

Result<std::string> percentDecode(std::string_view text, bool plusIsSpace) {
  std::string out;
  out.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '+' && plusIsSpace) {
      out += ' ';
    } else if (c != '%') {
      out += c;
    } else {
      const bool whole = i + 2 < text.size();
      const int hi = whole ? hexDigitValue(static_cast<unsigned char>(text[i + 1])) : -1;
      const int lo = whole ? hexDigitValue(static_cast<unsigned char>(text[i + 2])) : -1;
      if (hi < 0 || lo < 0) {
        return makeError(ErrorCode::InvalidArgument,
                         "bad percent-encoding at '" + std::string(text.substr(i, 3)) + "'");
      }
      out += static_cast<char>(hi * 16 + lo);
      i += 2;
    }
  }
  return out;
}

std::string percentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

Result<QueryParams> parseQuery(std::string_view query) {
  QueryParams params;
  while (!query.empty()) {
    const size_t amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    if (item.empty()) continue;
    const size_t eq = item.find('=');
    auto key = percentDecode(item.substr(0, eq), true);
    if (!key) return key.error();
    auto value = percentDecode(eq == std::string_view::npos ? "" : item.substr(eq + 1), true);
    if (!value) return value.error();
    params.emplace_back(std::move(*key), std::move(*value));
  }
  return params;
}

std::string maskCredentials(std::string_view text) {
  const size_t scheme = text.find("://");
  if (scheme == std::string_view::npos) return std::string(text);
  const size_t start = scheme + 3;
  const size_t end = text.find_first_of("/?#", start);
  const std::string_view authority = text.substr(start, end - start);
  const size_t at = authority.rfind('@');
  if (at == std::string_view::npos) return std::string(text);
  const size_t colon = authority.find(':');
  if (colon == std::string_view::npos || colon > at) return std::string(text);
  std::string out(text.substr(0, start + colon + 1));
  out += "***";
  out += text.substr(start + at);
  return out;
}

}  // namespace ddump
