#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>

#include "clock_offset.h"

using namespace ddump;

namespace {
constexpr int64_t kMs = 1'000'000;
constexpr int64_t kBase = 1'700'000'000LL * 1'000'000'000LL;
}  // namespace

TEST_CASE("NTP-style offset: worker time minus the request's midpoint, +- half the RTT",
          "[clock_offset]") {
  // Request at 0, answer at 10 ms; worker 2 s ahead read its clock at 4 ms.
  auto e = estimateOffset({kBase, kBase + 4 * kMs + 2000 * kMs, kBase + 10 * kMs});
  REQUIRE(e.ok());
  CHECK(e->offsetNs == 2000 * kMs - 1 * kMs);  // midpoint 5 ms: 1 ms of error, inside +-5
  CHECK(e->errorNs == 5 * kMs);
  e = estimateOffset({kBase, kBase - 300 * kMs, kBase});
  CHECK(e->offsetNs == -300 * kMs);
  CHECK(e->errorNs == 0);
  CHECK_FALSE(estimateOffset({kBase, kBase, kBase - 1}).ok());
}

TEST_CASE("the sample with the smallest round trip wins", "[clock_offset]") {
  ClockOffsetFilter f;
  CHECK_FALSE(f.best().has_value());
  CHECK(f.add({kBase, kBase + 2050 * kMs, kBase + 100 * kMs}));  // rtt 100: offset 2000
  CHECK(f.add({kBase, kBase + 2001 * kMs, kBase + 2 * kMs}));    // rtt 2: offset 2000
  CHECK(f.add({kBase, kBase + 2400 * kMs, kBase + 50 * kMs}));   // rtt 50: offset 2375
  CHECK_FALSE(f.add({kBase, kBase, kBase - kMs}));
  CHECK(f.samples() == 3);
  REQUIRE(f.best().has_value());
  CHECK(f.best()->offsetNs == 2000 * kMs);
  CHECK(f.best()->errorNs == 1 * kMs);
}

TEST_CASE("X-Ddump-Time parsing", "[clock_offset]") {
  CHECK(parseWorkerTime("1700000000123456789") == 1'700'000'000'123'456'789LL);
  CHECK(parseWorkerTime(" 42 ") == 42);
  CHECK_FALSE(parseWorkerTime("").has_value());
  CHECK_FALSE(parseWorkerTime("12x").has_value());
  CHECK_FALSE(parseWorkerTime("-5").has_value());
  CHECK_FALSE(parseWorkerTime("99999999999999999999999").has_value());
}

TEST_CASE("clock offset: --clock-offset auto|none|HOST=MS,...", "[clock_offset]") {
  CHECK(parseClockOffset("none")->mode == ClockOffsetMode::None);
  CHECK(parseClockOffset("auto")->mode == ClockOffsetMode::Auto);
  const auto m = parseClockOffset("db1=-2000, db2=1.5,[::1]=3");
  REQUIRE(m.ok());
  CHECK(m->mode == ClockOffsetMode::Manual);
  CHECK(m->manualFor("db1") == -2000 * kMs);
  CHECK(m->manualFor("db2") == 1'500'000);
  CHECK(m->manualFor("::1") == 3 * kMs);
  CHECK_FALSE(m->manualFor("db3").has_value());
  CHECK_FALSE(parseClockOffset("auto")->manualFor("db1").has_value());
  for (const char* bad : {"", "db1", "db1=", "=5", "db1=5ms", "db1=5,", "db1=nan", "db1=1e12"}) {
    INFO(bad);
    const auto r = parseClockOffset(bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().message.find("--clock-offset") == 0);
  }
}

TEST_CASE("offsets move timestamps onto our clock without wrapping", "[clock_offset]") {
  const auto base = static_cast<uint64_t>(kBase);
  CHECK(applyOffset(base, 2000 * kMs) == base - 2'000'000'000ULL);
  CHECK(applyOffset(base, -2000 * kMs) == base + 2'000'000'000ULL);
  CHECK(applyOffset(5, 10) == 0);
  CHECK(applyOffset(std::numeric_limits<uint64_t>::max() - 1, -10) ==
        std::numeric_limits<uint64_t>::max());
  CHECK(applyOffset(1, std::numeric_limits<int64_t>::min()) > 1);
  CHECK(formatOffset({2'000'300'000, 200'000}) == "+2000.3 ms +- 0.2 ms");
  CHECK(formatOffset({-5'000'000, 0}) == "-5.0 ms +- 0.0 ms");
}
