#pragma once
// The parameters of GET /capture, validated before any capture starts. Every
// query parameter is untrusted: unknown names, repeated names, bad numbers and
// over-long filters are refused with a message naming what was wrong.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "pcap_format.h"
#include "result.h"

namespace ddump {

inline constexpr size_t kMaxFilterLength = 4096;

enum class LinkTypeChoice { Default, Sll, Sll2, Native };
// Like tcpdump -Q.
enum class Direction { InOut, In, Out };

struct CaptureRequest {
  std::string filter;
  std::string interface = "any";
  LinkTypeChoice linkType = LinkTypeChoice::Default;
  std::optional<uint32_t> snaplen;
  std::optional<uint64_t> count;
  std::optional<double> durationSeconds;
  Precision precision = Precision::Micro;
  Direction direction = Direction::InOut;
  // since/until as sent (an RFC 3339 time or -DURATION / +DURATION from the
  // worker's now); resolveTimeWindow turns them into times.
  std::optional<std::string> since;
  std::optional<std::string> until;
};

// The window of a request with since/until, in ns since the epoch.
struct TimeWindow {
  std::optional<int64_t> sinceNs;
  std::optional<int64_t> untilNs;
};

// Resolves since/until against the worker's clock. Errors name the parameter;
// until <= since is refused naming until.
Result<TimeWindow> resolveTimeWindow(const CaptureRequest& request, int64_t nowNs);

using QueryParams = std::vector<std::pair<std::string, std::string>>;

Result<CaptureRequest> parseCaptureRequest(const QueryParams& params);

// The link type to ask libpcap for: SLL on `any` unless told otherwise, the
// interface's own (0 here) on a named interface.
uint32_t requestedLinkType(const CaptureRequest& request);

const char* toString(LinkTypeChoice choice);
const char* toString(Direction choice);

}  // namespace ddump
