#include <catch2/catch.hpp>

#include "capture_request.h"
#include "capture_window.h"

using namespace ddump;

namespace {
constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kT0 = 1'796'000'000 * kS;
}  // namespace

TEST_CASE("a window without since is one live request", "[capture_window]") {
  auto p = windowPhases(CaptureWindow{std::nullopt, std::nullopt, kT0});
  REQUIRE(p.size() == 1);
  CHECK_FALSE(p[0].history);
  CHECK_FALSE(p[0].sinceNs);
  CHECK_FALSE(p[0].untilNs);
  p = windowPhases(CaptureWindow{std::nullopt, kT0 + 5 * kS, kT0});
  REQUIRE(p.size() == 1);
  CHECK(p[0].untilNs == kT0 + 5 * kS);
}

TEST_CASE("a window from the past is history up to the start, then live from it",
          "[capture_window]") {
  auto p = windowPhases(CaptureWindow{kT0 - 60 * kS, std::nullopt, kT0});
  REQUIRE(p.size() == 2);
  CHECK(p[0].history);
  CHECK(p[0].sinceNs == kT0 - 60 * kS);
  CHECK(p[0].untilNs == kT0);  // the seam: history [since, T0) ...
  CHECK_FALSE(p[1].history);
  CHECK(p[1].sinceNs == kT0);  // ... and live [T0, ...) from the same ring
  CHECK_FALSE(p[1].untilNs);
  p = windowPhases(CaptureWindow{kT0 - 60 * kS, kT0 + 10 * kS, kT0});
  REQUIRE(p.size() == 2);
  CHECK(p[1].untilNs == kT0 + 10 * kS);
}

TEST_CASE("a window wholly in the past is one history request", "[capture_window]") {
  const auto p = windowPhases(CaptureWindow{kT0 - 60 * kS, kT0 - 30 * kS, kT0});
  REQUIRE(p.size() == 1);
  CHECK(p[0].history);
  CHECK(p[0].untilNs == kT0 - 30 * kS);
}

TEST_CASE("without history a window is asked live, and a past one not at all", "[capture_window]") {
  auto p = livePhases(CaptureWindow{kT0 - 60 * kS, kT0 + 10 * kS, kT0});
  REQUIRE(p.size() == 1);
  CHECK_FALSE(p[0].sinceNs);
  CHECK(p[0].untilNs == kT0 + 10 * kS);
  CHECK(livePhases(CaptureWindow{kT0 - 60 * kS, kT0 - 1, kT0}).empty());
}

TEST_CASE("window times go to each worker on its own clock", "[capture_window]") {
  CHECK(workerTime(std::nullopt, 5) == std::nullopt);
  CHECK(workerTime(kT0, 0) == "2026-11-30T00:53:20.000000000Z");
  CHECK(workerTime(kT0, 1'500'000'001) == "2026-11-30T00:53:21.500000001Z");
  CHECK(workerTime(kT0, -kS) == "2026-11-30T00:53:19.000000000Z");
}

TEST_CASE("the worker's history-off answer is told from other refusals", "[capture_window]") {
  CHECK(isHistoryOff(400, "history is off on this worker (start it with --history SIZE)"));
  CHECK_FALSE(isHistoryOff(400, "bad filter: syntax error"));
  CHECK_FALSE(isHistoryOff(503, "history is off on this worker"));
}

TEST_CASE("since and until resolve on the worker's clock, until after since", "[capture_request]") {
  CaptureRequest r;
  r.since.emplace("-30s");
  r.until.emplace("+1500ms");
  auto w = resolveTimeWindow(r, kT0);
  REQUIRE(w);
  CHECK(w->sinceNs == kT0 - 30 * kS);
  CHECK(w->untilNs == kT0 + 1'500'000'000);
  r.since.emplace("2026-11-30T00:53:20Z");
  r.until = std::nullopt;
  w = resolveTimeWindow(r, 0);
  REQUIRE(w);
  CHECK(w->sinceNs == kT0);
  r.until.emplace("2026-11-30T00:53:20Z");
  w = resolveTimeWindow(r, 0);
  REQUIRE_FALSE(w);
  CHECK(w.error().message ==
        "until (2026-11-30T00:53:20Z) must be later than since (2026-11-30T00:53:20Z)");
  r.since.emplace("soon");
  w = resolveTimeWindow(r, 0);
  REQUIRE_FALSE(w);
  CHECK(w.error().message.rfind("since: ", 0) == 0);
  r.since = std::nullopt;
  r.until.emplace("x");
  w = resolveTimeWindow(r, 0);
  REQUIRE_FALSE(w);
  CHECK(w.error().message.rfind("until: ", 0) == 0);
}

TEST_CASE("since and until are query parameters, bounded", "[capture_request]") {
  auto r = parseCaptureRequest({{"since", "-5m"}, {"until", "+1m"}});
  REQUIRE(r);
  CHECK(r->since == "-5m");
  CHECK(r->until == "+1m");
  r = parseCaptureRequest({{"since", std::string(65, '1')}});
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "since is longer than 64 bytes");
  r = parseCaptureRequest({{"since", "-5m"}, {"since", "-6m"}});
  REQUIRE_FALSE(r);
  CHECK(r.error().message == "parameter \"since\" given twice");
}
