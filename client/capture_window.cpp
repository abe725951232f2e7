#include "capture_window.h"

#include "time_spec.h"

namespace ddump {

std::vector<WindowPhase> windowPhases(const CaptureWindow& window) {
  if (!window.sinceNs) return livePhases(window);
  const int64_t t0 = window.startNs;
  if (*window.sinceNs >= t0) {
    // Starts now or later: live, asked from the ring so it starts exactly there.
    return {WindowPhase{window.sinceNs, window.untilNs, false}};
  }
  if (window.untilNs && *window.untilNs <= t0) {
    return {WindowPhase{window.sinceNs, window.untilNs, true}};
  }
  return {WindowPhase{window.sinceNs, t0, true}, WindowPhase{t0, window.untilNs, false}};
}

std::vector<WindowPhase> livePhases(const CaptureWindow& window) {
  if (window.untilNs && *window.untilNs <= window.startNs) return {};
  return {WindowPhase{std::nullopt, window.untilNs, false}};
}

std::optional<std::string> workerTime(const std::optional<int64_t>& ns, int64_t offsetNs) {
  if (!ns) return std::nullopt;
  return formatRfc3339(*ns + offsetNs, 9);
}

bool isHistoryOff(int status, const std::string& error) {
  return status == 400 && error.find("history is off on this worker") != std::string::npos;
}

}  // namespace ddump
