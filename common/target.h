#pragma once
// What the user names on the command line: a worker URL, a bare HOST[:PORT],
// a local pcap file, or "-" for stdin.
//
//   http[s]://[USER[:PASSWORD]@]HOST[:PORT][/PATH][?QUERY]
//
// RFC 3986 syntax: IPv6 literals in brackets (section 3.2.2), percent-encoding
// in userinfo and query decoded (2.1). The query is decoded as
// application/x-www-form-urlencoded ('+' is a space), as the worker's httplib
// server does, and re-encoded by us when the request is built.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "result.h"

namespace ddump {

inline constexpr uint16_t kDefaultPort = 8475;
inline constexpr const char* kDefaultPath = "/capture";

enum class TargetKind { Http, Https, File, Stdin };

using QueryParams = std::vector<std::pair<std::string, std::string>>;

struct Target {
  TargetKind kind = TargetKind::Http;
  std::string text;  // as given, for nothing but the masked display
  std::string user;
  std::string password;
  bool hasUser = false;
  bool hasPassword = false;
  std::string host;  // without brackets
  uint16_t port = kDefaultPort;
  std::string path = kDefaultPath;  // percent-encoded (bytes a request line cannot hold too)
  QueryParams query;                // decoded
  std::string file;                 // File: the path
  // The host's name in outputs (per-target files, pcapng interfaces, text
  // lines) when the URL's host is not it: a dns: address's reverse name, a
  // k8s: target's node. Empty: the URL's host.
  std::string label;

  bool isUrl() const { return kind == TargetKind::Http || kind == TargetKind::Https; }
  bool hasParam(std::string_view key) const;
  // "https://alice:***@[::1]:8475/capture?filter=icmp": safe for messages.
  std::string display() const;
  // "host:port" with IPv6 brackets, for messages; a zone in URL form
  // ("[fe80::1%25eth0]:8475", RFC 6874).
  std::string authority() const;
  // The same for the Host field, without any zone: it has only local
  // significance and a client MUST remove it (RFC 6874 §4).
  std::string hostField() const;
};

// `isExistingFile`: a name without '/' is a file when such a file exists
// (checked by the caller: this function does no I/O), else a bare HOST[:PORT].
Result<Target> parseTarget(std::string_view text, bool isExistingFile = false);

// Parameters applied to every URL target that does not set them itself.
struct CaptureParams {
  std::optional<std::string> filter;
  std::optional<std::string> interface;
  std::optional<std::string> snaplen;
  std::optional<std::string> linktype;
  std::optional<std::string> precision;
  std::optional<std::string> since;  // a window in the worker's history
  std::optional<std::string> until;
  std::optional<std::string> count;
};

// The request target "path?query" for a URL target, defaults merged in.
std::string requestTarget(const Target& target, const CaptureParams& defaults);

Result<std::string> percentDecode(std::string_view text, bool plusIsSpace = false);
// Everything but RFC 3986 unreserved characters is encoded.
std::string percentEncode(std::string_view text);
Result<QueryParams> parseQuery(std::string_view query);
// Replaces the password in a URL-ish text by "***" (for messages we did not build).
std::string maskCredentials(std::string_view text);

}  // namespace ddump
