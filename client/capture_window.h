#pragma once
// --since and --until: which part of each worker's history and live traffic a
// run asks for, as one absolute window for every host.
//
// A window that starts in the past is asked for in two requests per worker:
// the history, since=S&until=T0 (T0: when the run began), and then the rest,
// since=T0 (with until=U when there is one). Both are served from the same
// ring, so the seam at T0 loses and repeats nothing; and the end of the first
// response tells the client that host's history is complete. Until then its
// stream is merged strictly (never overtaken, like a file): the live packets
// of a host that finished its history wait for a host still sending its own.
// The second request merges as any live stream (--max-delay).

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ddump {

// ns since the epoch, on the client's clock.
struct CaptureWindow {
  std::optional<int64_t> sinceNs;
  std::optional<int64_t> untilNs;
  int64_t startNs = 0;  // T0: when the run began

  bool empty() const { return !sinceNs && !untilNs; }
};

struct WindowPhase {
  std::optional<int64_t> sinceNs;
  std::optional<int64_t> untilNs;
  bool history = false;  // served from the ring and merged strictly
};

// The requests for `window`, in order: one live phase without a window;
// history then live for a window that starts in the past; one history phase
// for a window wholly in the past.
std::vector<WindowPhase> windowPhases(const CaptureWindow& window);

// The phases for a worker that has no history: live from now, still ending
// at until.
std::vector<WindowPhase> livePhases(const CaptureWindow& window);

// A phase's since/until as sent to a worker whose clock reads ours plus
// offsetNs: RFC 3339 with nanoseconds, so every worker covers the same real
// interval.
std::optional<std::string> workerTime(const std::optional<int64_t>& ns, int64_t offsetNs);

// True for the worker's answer to since= when it runs without --history.
bool isHistoryOff(int status, const std::string& error);

}  // namespace ddump
