#include "http_response_head.h"

#include <algorithm>
#include <cctype>

namespace ddump {
namespace {

constexpr std::string_view kEndOfHead = "\r\n\r\n";

Error headError(const std::string& what) {
  return makeError(ErrorCode::Http, "bad HTTP response: " + what);
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view trim(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  return text;
}

// token = 1*tchar (RFC 9110 §5.6.2)
bool isToken(std::string_view text) {
  static constexpr std::string_view kSpecial = "!#$%&'*+-.^_`|~";
  return !text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || kSpecial.find(c) != std::string_view::npos;
  });
}

// For the error text: the line as printable ASCII, bounded.
std::string quoted(std::string_view line) {
  std::string out = "'";
  for (const char c : line.substr(0, 60)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  return out + (line.size() > 60 ? "...'" : "'");
}

// Every element of a comma-separated list field, over all its field lines
// (RFC 9110 §5.3, §5.6.1), trimmed; empty elements dropped.
std::vector<std::string> listValues(const HttpResponseHead& head, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [key, value] : head.fields) {
    if (!equalsNoCase(key, name)) continue;
    std::string_view rest = value;
    while (!rest.empty()) {
      const size_t comma = rest.find(',');
      const std::string_view item = trim(rest.substr(0, comma));
      if (!item.empty()) out.emplace_back(item);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  return out;
}

}  // namespace

std::string HttpResponseHead::field(std::string_view name) const {
  for (const auto& [key, value] : fields) {
    if (equalsNoCase(key, name)) return value;
  }
  return {};
}

bool HttpResponseHead::has(std::string_view name) const {
  return std::any_of(fields.begin(), fields.end(),
                     [name](const auto& f) { return equalsNoCase(f.first, name); });
}

Result<size_t> HttpHeadParser::feed(std::span<const uint8_t> bytes) {
  size_t used = 0;
  while (!complete_ && used < bytes.size()) {
    // Look for the blank line only where it can newly end: the last 3 bytes
    // already held plus the new ones.
    const size_t searchFrom = buffer_.size() >= 3 ? buffer_.size() - 3 : 0;
    const size_t room = kMaxHeadBytes - buffer_.size();
    const size_t take = std::min(room, bytes.size() - used);
    buffer_.append(reinterpret_cast<const char*>(bytes.data() + used), take);
    // Not an HTTP answer at all (an SSH banner, TLS, a bare-LF head): say so
    // now rather than wait for a blank line that may never come.
    const size_t lineEnd = buffer_.find('\n');
    if (buffer_.compare(0, std::min<size_t>(buffer_.size(), 5), "HTTP/", 0,
                        std::min<size_t>(buffer_.size(), 5)) != 0 ||
        (lineEnd != std::string::npos && (lineEnd == 0 || buffer_[lineEnd - 1] != '\r'))) {
      std::string_view line = std::string_view(buffer_).substr(0, lineEnd);
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      return headError("status line " + quoted(line) + " is not HTTP/1.x");
    }
    const size_t end = buffer_.find(kEndOfHead, searchFrom);
    if (end == std::string::npos) {
      if (buffer_.size() >= kMaxHeadBytes) {
        return headError("header section larger than " + std::to_string(kMaxHeadBytes) + " bytes");
      }
      used += take;
      continue;
    }
    const size_t headSize = end + kEndOfHead.size();
    used += take - (buffer_.size() - headSize);
    if (Status s = parse(std::string_view(buffer_).substr(0, end)); !s) return s.error();
    buffer_.clear();
    // 101 would switch protocols, which we never ask for.
    if (head_.status == 101) return headError("unexpected 101 Switching Protocols");
    complete_ = head_.status >= 200;  // else an interim 1xx: the real head follows
  }
  return used;
}

Status HttpHeadParser::parse(std::string_view text) {
  head_ = {};
  size_t lineEnd = text.find("\r\n");
  if (Status s = parseStatusLine(text.substr(0, lineEnd)); !s) return s;
  while (lineEnd != std::string_view::npos) {
    const size_t start = lineEnd + 2;
    lineEnd = text.find("\r\n", start);
    if (Status s = parseField(text.substr(start, lineEnd - start)); !s) return s;
  }
  return Status::success();
}

// status-line = HTTP-version SP status-code SP [ reason-phrase ]  (RFC 9112 §4)
Status HttpHeadParser::parseStatusLine(std::string_view line) {
  const bool versionOk = line.size() >= 12 && line.substr(0, 7) == "HTTP/1." &&
                         std::isdigit(static_cast<unsigned char>(line[7])) && line[8] == ' ';
  const std::string_view code = versionOk ? line.substr(9, 3) : std::string_view();
  const bool codeOk = code.size() == 3 &&
                      std::all_of(code.begin(), code.end(),
                                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); }) &&
                      (line.size() == 12 || line[12] == ' ');
  if (!codeOk) return headError("status line " + quoted(line) + " is not HTTP/1.x");
  head_.status = std::stoi(std::string(code));
  if (head_.status < 100) return headError("status code " + std::string(code));
  // reason-phrase = 1*( HTAB / SP / VCHAR / obs-text ): no other control
  // byte, and a bare CR is invalid there as anywhere (RFC 9112 §2.2).
  const std::string_view reason = trim(line.size() > 13 ? line.substr(13) : std::string_view());
  if (std::any_of(reason.begin(), reason.end(),
                  [](char c) {
                    const auto byte = static_cast<unsigned char>(c);
                    return (byte < 0x20 && byte != '\t') || byte == 0x7f;
                  })) {
    return headError("control character in the reason phrase of " + quoted(line));
  }
  head_.reason = std::string(reason);
  return Status::success();
}

// field-line = field-name ":" OWS field-value OWS  (RFC 9112 §5). No
// whitespace before the colon (§5.1: must be rejected).
Status HttpHeadParser::parseField(std::string_view line) {
  // obs-fold (§5.2): a line starting with SP/HTAB continues the previous
  // field's value, joined by one space.
  if (!line.empty() && (line.front() == ' ' || line.front() == '\t') && !head_.fields.empty()) {
    const std::string_view more = trim(line);
    if (more.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos) {
      return headError("control character in header " + quoted(head_.fields.back().first));
    }
    // Appended in place: no temporary, and nothing for GCC 12's false
    // -Wrestrict on `" " + std::string(...)` (GCC bug 105329) to flag. The
    // joined value stays trimmed (OWS is not part of it, §5): no space
    // before the first part or after an empty one.
    std::string& value = head_.fields.back().second;
    if (!value.empty() && !more.empty()) value += ' ';
    value += more;
    return Status::success();
  }
  const size_t colon = line.find(':');
  const std::string_view name = line.substr(0, colon);
  if (colon == std::string_view::npos || !isToken(name)) {
    return headError("malformed header line " + quoted(line));
  }
  const std::string_view value = trim(line.substr(colon + 1));
  if (std::any_of(value.begin(), value.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; })) {
    return headError("control character in header " + quoted(name));
  }
  head_.fields.emplace_back(std::string(name), std::string(value));
  return Status::success();
}

Result<BodyFraming> bodyFraming(const HttpResponseHead& head, uint64_t& contentLength) {
  if (head.status == 204 || head.status == 304) return BodyFraming::None;
  if (head.has("Transfer-Encoding")) {
    // Only "chunked" is ever sent to us (we ask for no other coding). Any
    // other coding, in any of the fields, cannot be decoded; RFC 9112 §6.3
    // forbids guessing.
    const std::vector<std::string> codings = listValues(head, "Transfer-Encoding");
    if (codings.size() != 1 || !equalsNoCase(codings.front(), "chunked")) {
      std::string all;
      for (const auto& c : codings) all += (all.empty() ? "" : ", ") + c;
      return headError("unsupported Transfer-Encoding " + quoted(all));
    }
    return BodyFraming::Chunked;
  }
  if (!head.has("Content-Length")) return BodyFraming::UntilClose;
  // Several values, in one list or several fields, must all agree (§6.3 item 5).
  std::string value;
  for (const std::string& v : listValues(head, "Content-Length")) {
    if (!value.empty() && v != value) return headError("conflicting Content-Length fields");
    value = v;
  }
  const bool digits = !value.empty() && value.size() <= 18 &&
                      std::all_of(value.begin(), value.end(),
                                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)); });
  if (!digits) return headError("bad Content-Length " + quoted(value));
  contentLength = std::stoull(value);
  return BodyFraming::ContentLength;
}

}  // namespace ddump
