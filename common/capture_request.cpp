#include "capture_request.h"

#include <charconv>
#include <cmath>
#include <set>

#include "ascii.h"
#include "listen_address.h"
#include "time_spec.h"

namespace ddump {
namespace {

Error bad(const std::string& message) { return makeError(ErrorCode::InvalidArgument, message); }

Result<double> parseSeconds(const std::string& text, const std::string& what) {
  double value = 0;
  const char* end = text.data() + text.size();
  const auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end || !std::isfinite(value) || value < 0 ||
      text.front() == '-' || text.front() == '+') {
    return bad(what + " must be a non-negative number of seconds, got \"" + printableText(text) +
               "\"");
  }
  if (value > 365.0 * 24 * 3600) {
    return bad(what + " must be at most one year, got " + printableText(text));
  }
  return value;
}

bool validInterfaceName(const std::string& name) {
  // Linux IFNAMSIZ is 16 including the NUL; names never contain '/' or spaces.
  if (name.empty() || name.size() > 15) return false;
  for (char c : name) {
    if (c == '/' || c == ' ' || c < 0x21 || c > 0x7e) return false;
  }
  return true;
}

Status apply(CaptureRequest& r, const std::string& key, const std::string& value) {
  if (key == "filter") {
    if (value.size() > kMaxFilterLength) {
      return bad("filter is " + std::to_string(value.size()) + " bytes, longer than the " +
                 std::to_string(kMaxFilterLength) + "-byte limit");
    }
    if (value.find('\0') != std::string::npos) return bad("filter contains a NUL byte");
    r.filter = value;
  } else if (key == "interface") {
    if (!validInterfaceName(value)) {
      return bad("invalid interface name \"" + printableText(value) + "\"");
    }
    r.interface = value;
  } else if (key == "linktype") {
    if (value == "sll") r.linkType = LinkTypeChoice::Sll;
    else if (value == "sll2") r.linkType = LinkTypeChoice::Sll2;
    else if (value == "native") r.linkType = LinkTypeChoice::Native;
    else return bad("linktype must be sll, sll2 or native, got \"" + printableText(value) + "\"");
  } else if (key == "snaplen") {
    auto v = parseUnsigned(value, 1, kMaxSnaplen, "snaplen");
    if (!v) return v.error();
    r.snaplen = static_cast<uint32_t>(*v);
  } else if (key == "count") {
    auto v = parseUnsigned(value, 1, UINT64_MAX, "count");
    if (!v) return v.error();
    r.count = *v;
  } else if (key == "duration") {
    auto v = parseSeconds(value, "duration");
    if (!v) return v.error();
    // Like count=0, refused: "end at once" and "no limit" are both plausible
    // readings, and the worker must not guess. Omitting it means no limit.
    if (*v == 0) return bad("duration must be more than 0 seconds (omit it for no limit)");
    r.durationSeconds = *v;
  } else if (key == "precision") {
    if (value == "micro") r.precision = Precision::Micro;
    else if (value == "nano") r.precision = Precision::Nano;
    else return bad("precision must be micro or nano, got \"" + printableText(value) + "\"");
  } else if (key == "direction") {
    if (value == "inout") r.direction = Direction::InOut;
    else if (value == "in") r.direction = Direction::In;
    else if (value == "out") r.direction = Direction::Out;
    else return bad("direction must be in, out or inout, got \"" + printableText(value) + "\"");
  } else if (key == "since" || key == "until") {
    if (value.size() > 64) return bad(key + " is longer than 64 bytes");
    (key == "since" ? r.since : r.until) = value;
  } else {
    return bad("unknown parameter \"" + printableText(key) +
               "\" (known: filter, interface, linktype, snaplen, count, duration, precision, "
               "direction, since, until)");
  }
  return Status::success();
}

}  // namespace

Result<CaptureRequest> parseCaptureRequest(const QueryParams& params) {
  CaptureRequest request;
  std::set<std::string> seen;
  for (const auto& [key, value] : params) {
    if (!seen.insert(key).second) {
      return bad("parameter \"" + printableText(key) + "\" given twice");
    }
    if (Status s = apply(request, key, value); !s) return s.error();
  }
  return request;
}

Result<TimeWindow> resolveTimeWindow(const CaptureRequest& request, int64_t nowNs) {
  TimeWindow window;
  if (request.since) {
    auto since = parseQueryTime(*request.since, nowNs, "since");
    if (!since) return since.error();
    window.sinceNs = *since;
  }
  if (request.until) {
    auto until = parseQueryTime(*request.until, nowNs, "until");
    if (!until) return until.error();
    window.untilNs = *until;
  }
  if (window.sinceNs && window.untilNs && *window.untilNs <= *window.sinceNs) {
    return bad("until (" + printableText(*request.until) + ") must be later than since (" +
               printableText(*request.since) + ")");
  }
  return window;
}

uint32_t requestedLinkType(const CaptureRequest& request) {
  switch (request.linkType) {
    case LinkTypeChoice::Sll: return kLinkTypeLinuxSll;
    case LinkTypeChoice::Sll2: return kLinkTypeLinuxSll2;
    case LinkTypeChoice::Native: return 0;
    case LinkTypeChoice::Default: break;
  }
  return request.interface == "any" ? kLinkTypeLinuxSll : 0;
}

const char* toString(LinkTypeChoice choice) {
  switch (choice) {
    case LinkTypeChoice::Default: return "default";
    case LinkTypeChoice::Sll: return "sll";
    case LinkTypeChoice::Sll2: return "sll2";
    case LinkTypeChoice::Native: return "native";
  }
  return "?";
}

const char* toString(Direction choice) {
  switch (choice) {
    case Direction::InOut: return "inout";
    case Direction::In: return "in";
    case Direction::Out: return "out";
  }
  return "?";
}

}  // namespace ddump
