// libFuzzer target: the client's target parser (common/target): any text,
// as a command-line word or a --targets line. Invariants:
//   * an error is one printable line "bad target 'TEXT': REASON", TEXT
//     masked, and the reason never shows the password (between the ':' and
//     the '@' of the authority, as maskCredentials finds it): a password in
//     the reason is also there when the password is replaced by other bytes;
//   * a URL target re-serialised (scheme, percent-encoded userinfo,
//     authority(), path and query) parses to the same fields, and its
//     display() and hostField() are printable lines;
//   * requestTarget() with defaults holds the target's own parameters, then
//     each default it does not set, and decodes back to exactly those;
//   * a text that names an existing file is a file, verbatim;
//   * percentEncode/percentDecode round-trip and maskCredentials is stable.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "target.h"

namespace {

using ddump::Target;
using ddump::TargetKind;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool printableLine(std::string_view text) {
  return std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

// The password as it is written in `text`, found as maskCredentials finds it.
std::string_view writtenPassword(std::string_view text) {
  const size_t scheme = text.find("://");
  if (scheme == std::string_view::npos) return {};
  const size_t start = scheme + 3;
  const size_t end = text.find_first_of("/?#", start);
  const std::string_view authority = text.substr(start, end - start);
  const size_t at = authority.rfind('@');
  const size_t colon = authority.find(':');
  if (at == std::string_view::npos || colon == std::string_view::npos || colon > at) return {};
  return authority.substr(colon + 1, at - colon - 1);
}

// The reason of an error: what follows "bad target 'TEXT': ", TEXT being the
// text masked and made printable.
std::string reasonOf(const std::string& text, const std::string& message) {
  std::string shown = ddump::maskCredentials(text);
  for (char& c : shown) {
    if (c < 0x20 || c >= 0x7f) c = '?';
  }
  const std::string prefix = "bad target '" + shown + "': ";
  check(message.rfind(prefix, 0) == 0 && message.size() > prefix.size());
  return message.substr(prefix.size());
}

std::string serialise(const Target& t) {
  std::string out = t.kind == TargetKind::Https ? "https://" : "http://";
  if (t.hasUser) {
    out += ddump::percentEncode(t.user);
    if (t.hasPassword) out += ":" + ddump::percentEncode(t.password);
    out += '@';
  }
  return out + t.authority() + ddump::requestTarget(t, {});
}

void checkRoundTrip(const Target& t) {
  const std::string text = serialise(t);
  const auto again = ddump::parseTarget(text);
  check(again.ok());
  check(again->kind == t.kind && again->user == t.user && again->password == t.password &&
        again->hasUser == t.hasUser && again->hasPassword == t.hasPassword &&
        again->host == t.host && again->port == t.port && again->path == t.path &&
        again->query == t.query);
  check(printableLine(t.display()) && printableLine(t.hostField()));
  // The password shows as *** (a path or query may hold anything).
  const std::string shown = t.display();
  const std::string authority = shown.substr(0, shown.size() - ddump::requestTarget(t, {}).size());
  check(authority.find(':' + ddump::percentEncode(t.password) + '@') == std::string::npos ||
        t.password == "***");
}

void checkRequestTarget(const Target& t) {
  ddump::CaptureParams defaults;
  defaults.filter = "tcp port 80 and (host 10.0.0.1 or ip6) &=+%#?";
  defaults.interface = "eth0";
  defaults.since = "-5m";
  const std::string request = ddump::requestTarget(t, defaults);
  check(request.compare(0, t.path.size(), t.path) == 0);
  const std::string_view query = std::string_view(request).substr(t.path.size());
  ddump::QueryParams expected = t.query;
  for (const auto& [key, value] : {std::pair<std::string, std::string>{"filter", *defaults.filter},
                                   {"interface", *defaults.interface},
                                   {"since", *defaults.since}}) {
    if (!t.hasParam(key)) expected.emplace_back(key, value);
  }
  check(query.empty() == expected.empty());
  if (query.empty()) return;
  check(query.front() == '?');
  const auto decoded = ddump::parseQuery(query.substr(1));
  check(decoded.ok() && *decoded == expected);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size copy: ASan sees any read past the text.
  const std::string text(reinterpret_cast<const char*>(data), size);
  const auto parsed = ddump::parseTarget(text);
  if (!parsed) {
    const std::string& message = parsed.error().message;
    check(printableLine(message));
    const std::string why = reasonOf(text, message);
    // A password in the reason must be there for another reason: it is
    // also there when the password is replaced by other bytes.
    const std::string_view password = writtenPassword(text);
    if (password.size() >= 2 && why.find(password) != std::string::npos) {
      std::string other = text;
      other.replace(static_cast<size_t>(password.data() - text.data()), password.size(),
                    std::string(password.size(), '\x01'));
      const auto otherParsed = ddump::parseTarget(other);
      check(!otherParsed &&
            reasonOf(other, otherParsed.error().message).find(password) != std::string::npos);
    }
  } else if (parsed->isUrl()) {
    checkRoundTrip(*parsed);
    checkRequestTarget(*parsed);
  } else if (parsed->kind == TargetKind::File) {
    check(parsed->file == text);
  }
  if (const auto file = ddump::parseTarget(text, true); file && !file->isUrl()) {
    check(file->kind == TargetKind::Stdin ? text == "-" : file->file == text);
  } else if (!text.empty() && text != "-" && text.find("://") == std::string::npos) {
    check(false);  // an existing file's name is always a file
  }
  const auto decoded = ddump::percentDecode(ddump::percentEncode(text));
  check(decoded.ok() && *decoded == text);
  const std::string masked = ddump::maskCredentials(text);
  check(ddump::maskCredentials(masked) == masked);
  return 0;
}
