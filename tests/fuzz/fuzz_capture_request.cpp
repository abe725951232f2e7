// libFuzzer target: the worker's GET /capture parameters
// (common/capture_request: parseCaptureRequest, the number and interface
// checks it calls, resolveTimeWindow and its RFC 3339 / duration parsers).
// The input is a query string as it follows '?' on the request line,
// decoded as application/x-www-form-urlencoded (common/target parseQuery)
// and ordered by name as httplib's multimap hands it over. Invariants:
//   * an error is one line without control bytes, of at most 512 bytes (a
//     400's JSON body carries it; values are echoed only in part);
//   * a parameter given twice or unknown is refused, naming it;
//   * a request that parses has every value within its documented range
//     (README "HTTP API"), each of its parameters parses alone too, and it
//     re-serialises to parameters that parse to the same request;
//   * a time window that resolves has until after since.

#include <algorithm>
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <string_view>

#include "capture_request.h"
#include "target.h"

namespace {

using ddump::CaptureRequest;
using ddump::QueryParams;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

void checkError(const std::string& message) {
  check(!message.empty() && message.size() <= 512);
  // No control byte (the duration units name µs in UTF-8).
  check(std::all_of(message.begin(), message.end(),
                    [](char c) { return static_cast<unsigned char>(c) >= 0x20 && c != 0x7f; }));
}

bool sameRequest(const CaptureRequest& a, const CaptureRequest& b) {
  const bool sameDuration =
      a.durationSeconds.has_value() == b.durationSeconds.has_value() &&
      (!a.durationSeconds ||
       std::memcmp(&*a.durationSeconds, &*b.durationSeconds, sizeof(double)) == 0);
  return a.filter == b.filter && a.interface == b.interface && a.linkType == b.linkType &&
         a.snaplen == b.snaplen && a.count == b.count && sameDuration &&
         a.precision == b.precision && a.direction == b.direction && a.since == b.since &&
         a.until == b.until;
}

// The request as query parameters: only what differs from the defaults.
QueryParams serialise(const CaptureRequest& r) {
  QueryParams out;
  if (!r.filter.empty()) out.emplace_back("filter", r.filter);
  if (r.interface != "any") out.emplace_back("interface", r.interface);
  if (r.linkType != ddump::LinkTypeChoice::Default)
    out.emplace_back("linktype", toString(r.linkType));
  if (r.snaplen) out.emplace_back("snaplen", std::to_string(*r.snaplen));
  if (r.count) out.emplace_back("count", std::to_string(*r.count));
  if (r.durationSeconds) {
    char text[64];
    const auto end = std::to_chars(text, text + sizeof text, *r.durationSeconds).ptr;
    out.emplace_back("duration", std::string(text, end));
  }
  if (r.precision == ddump::Precision::Nano) out.emplace_back("precision", "nano");
  if (r.direction != ddump::Direction::InOut) out.emplace_back("direction", toString(r.direction));
  if (r.since) out.emplace_back("since", *r.since);
  if (r.until) out.emplace_back("until", *r.until);
  return out;
}

void checkRanges(const CaptureRequest& r) {
  check(r.filter.size() <= ddump::kMaxFilterLength && r.filter.find('\0') == std::string::npos);
  check(!r.interface.empty() && r.interface.size() <= 15);
  check(std::all_of(r.interface.begin(), r.interface.end(),
                    [](char c) { return c > 0x20 && c < 0x7f && c != '/'; }));
  check(!r.snaplen || (*r.snaplen >= 1 && *r.snaplen <= ddump::kMaxSnaplen));
  check(!r.count || *r.count >= 1);
  check(!r.durationSeconds || (*r.durationSeconds > 0 && *r.durationSeconds <= 365.0 * 86400));
  check(!r.since || r.since->size() <= 64);
  check(!r.until || r.until->size() <= 64);
  const uint32_t linkType = ddump::requestedLinkType(r);
  check(linkType == 0 || linkType == ddump::kLinkTypeLinuxSll ||
        linkType == ddump::kLinkTypeLinuxSll2);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string query(reinterpret_cast<const char*>(data), size);
  auto decoded = ddump::parseQuery(query);
  if (!decoded) return 0;
  QueryParams params = std::move(*decoded);
  std::stable_sort(params.begin(), params.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  const auto request = ddump::parseCaptureRequest(params);
  std::set<std::string> names;
  bool repeated = false;
  for (const auto& [name, value] : params) repeated |= !names.insert(name).second;
  if (!request) {
    checkError(request.error().message);
    return 0;
  }
  check(!repeated);
  checkRanges(*request);
  for (const auto& param : params) check(ddump::parseCaptureRequest({param}).ok());
  const auto again = ddump::parseCaptureRequest(serialise(*request));
  check(again.ok() && sameRequest(*again, *request));
  constexpr int64_t kNow = 1'796'157'099'727'492'555;  // a worker's X-Ddump-Time
  const auto window = ddump::resolveTimeWindow(*request, kNow);
  if (!window) {
    checkError(window.error().message);
    check(request->since || request->until);
    return 0;
  }
  check(window->sinceNs.has_value() == request->since.has_value());
  check(window->untilNs.has_value() == request->until.has_value());
  if (window->sinceNs && window->untilNs) check(*window->untilNs > *window->sinceNs);
  return 0;
}
