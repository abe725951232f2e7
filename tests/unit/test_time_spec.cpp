#include <catch2/catch.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "time_spec.h"

using namespace ddump;

namespace {

// Expected values below come from GNU date, e.g.
// `date -u -d 2026-12-01T12:00:00-05:30 +%s%N` = 1796146200000000000.
constexpr int64_t kS = 1'000'000'000;
constexpr int64_t kNoon = 1'796'126'400'000'000'000;  // 2026-12-01T12:00:00Z
constexpr int64_t kMaxNs = std::numeric_limits<int64_t>::max();
constexpr int64_t kMinNs = std::numeric_limits<int64_t>::min();
constexpr int64_t kHundredYears = 3'155'760'000'000'000'000;  // 36525 days

// Every parser gets a view of an exact-size heap copy (no terminating NUL), so
// ASan reports any read past the view.
template <typename Parse>
Result<int64_t> onExactCopy(std::string_view text, Parse parse) {
  const std::vector<char> copy(text.begin(), text.end());
  return parse(std::string_view(copy.data(), copy.size()));
}

int64_t rfcOk(std::string_view text) {
  INFO(text);
  const auto parsed = onExactCopy(text, [](std::string_view t) { return parseRfc3339(t); });
  REQUIRE(parsed.ok());
  return *parsed;
}

std::string rfcError(std::string_view text) {
  INFO(text);
  const auto parsed = onExactCopy(text, [](std::string_view t) { return parseRfc3339(t); });
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code == ErrorCode::InvalidArgument);
  return parsed.error().message;
}

int64_t durationOk(std::string_view text) {
  INFO(text);
  const auto parsed = onExactCopy(text, [](std::string_view t) { return parseDuration(t); });
  REQUIRE(parsed.ok());
  return *parsed;
}

std::string durationError(std::string_view text) {
  INFO(text);
  const auto parsed = onExactCopy(text, [](std::string_view t) { return parseDuration(t); });
  REQUIRE_FALSE(parsed.ok());
  CHECK(parsed.error().code == ErrorCode::InvalidArgument);
  return parsed.error().message;
}

Result<int64_t> query(std::string_view text, int64_t now = kNoon, std::string_view name = "since") {
  return onExactCopy(text, [&](std::string_view t) { return parseQueryTime(t, now, name); });
}

Result<int64_t> when(std::string_view text, int64_t now = kNoon,
                     std::string_view flag = "--since") {
  return onExactCopy(text, [&](std::string_view t) { return parseWhen(t, now, flag); });
}

std::string errorOf(const Result<int64_t>& result) {
  REQUIRE_FALSE(result.ok());
  CHECK(result.error().code == ErrorCode::InvalidArgument);
  return result.error().message;
}

}  // namespace

TEST_CASE("RFC 3339: Z, offsets and fractions give the exact ns", "[time_spec]") {
  CHECK(rfcOk("2026-12-01T12:00:00Z") == kNoon);
  CHECK(rfcOk("2026-12-01T12:00:00.25Z") == 1'796'126'400'250'000'000);
  CHECK(rfcOk("2026-12-01T12:00:00+01:00") == 1'796'122'800'000'000'000);
  CHECK(rfcOk("2026-12-01T12:00:00-05:30") == 1'796'146'200'000'000'000);
  CHECK(rfcOk("2026-12-01T12:00:00+23:59") == kNoon - (23 * 3600 + 59 * 60) * kS);
  // RFC 3339 4.3: -00:00 is UTC with an unknown local offset, the same instant.
  CHECK(rfcOk("1999-12-31T23:59:59.5-00:00") == 946'684'799'500'000'000);
  CHECK(rfcOk("2000-02-29T23:59:59.999999999Z") == 951'868'799'999'999'999);
  CHECK(rfcOk("2024-02-29T00:00:00Z") == 1'709'164'800'000'000'000);
  CHECK(rfcOk("2100-03-01T00:00:00Z") == 4'107'542'400'000'000'000);
  CHECK(rfcOk("2016-12-31T23:59:59Z") == 1'483'228'799'000'000'000);
  CHECK(rfcOk("1970-01-01T00:00:00Z") == 0);
  CHECK(rfcOk("2262-04-11T23:47:16.854775807Z") == kMaxNs);
  // The year range is the year as written: this is 1969-12-31T23:00:00Z.
  CHECK(rfcOk("1970-01-01T00:00:00+01:00") == -3600 * kS);
}

TEST_CASE("RFC 3339: lowercase t and z, a space for T (5.6 NOTE)", "[time_spec]") {
  CHECK(rfcOk("2026-12-01t12:00:00z") == kNoon);
  CHECK(rfcOk("2026-12-01 12:00:00Z") == kNoon);
  CHECK(rfcOk("2026-12-01 12:00:00.25z") == kNoon + 250'000'000);
  CHECK(rfcOk("2026-12-01t12:00:00+01:00") == kNoon - 3600 * kS);
}

TEST_CASE("RFC 3339: fractions of 1 to 9 digits", "[time_spec]") {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"1", 100'000'000},
      {"12", 120'000'000},
      {"123", 123'000'000},
      {"1234", 123'400'000},
      {"12345", 123'450'000},
      {"123456", 123'456'000},
      {"1234567", 123'456'700},
      {"12345678", 123'456'780},
      {"123456789", 123'456'789},
      {"000000001", 1},
      {"0", 0},
  };
  for (const auto& [digits, ns] : cases) {
    CHECK(rfcOk("2026-12-01T12:00:00." + digits + "Z") == kNoon + ns);
  }
}

TEST_CASE("RFC 3339: refusals name what was wrong", "[time_spec]") {
  CHECK(rfcError("") == R"("" is not an RFC 3339 time)");
  CHECK(rfcError("yesterday") == R"("yesterday" is not an RFC 3339 time)");
  CHECK(rfcError("30s") == R"("30s" is not an RFC 3339 time)");
  CHECK(rfcError("2026-12-01") ==
        R"("2026-12-01" is not an RFC 3339 time: expected YYYY-MM-DDTHH:MM:SS[.FRACTION] and Z )"
        "or an offset such as +01:00");
  const std::string shape =
      ": expected YYYY-MM-DDTHH:MM:SS[.FRACTION] and Z or an offset such as +01:00";
  for (const std::string bad :
       {"2026-12-01X12:00:00Z", "2026-12-01T12:00Z", "2026-1-01T12:00:00Z", "2026-12-01T12:00:00.Z",
        "2026-12-01T12:00:00ZZ", "2026-12-01T12:00:00+0100", "2026-12-01T12:00:00+01",
        "2026-12-01T12:00:00 Z", "2026-12-01T12:00:00UTC", "2026-12-01T1a:00:00Z",
        "2026-12-01T12:00:00+01:00x", "2026-12-01T12:00:00.5.5Z", "2026-12-01T12:00:00-1:00"}) {
    CHECK(rfcError(bad) == "\"" + bad + "\" is not an RFC 3339 time" + shape);
  }
  CHECK(rfcError("2026-12-01T12:00:00") ==
        R"("2026-12-01T12:00:00" is not an RFC 3339 time: missing Z or an offset such as +01:00)");
  CHECK(
      rfcError("2026-12-01T12:00:00.5") ==
      R"("2026-12-01T12:00:00.5" is not an RFC 3339 time: missing Z or an offset such as +01:00)");
  CHECK(rfcError("2026-13-01T00:00:00Z") ==
        R"("2026-13-01T00:00:00Z" is not an RFC 3339 time: month 13 is not 01-12)");
  CHECK(rfcError("2026-00-01T00:00:00Z") ==
        R"("2026-00-01T00:00:00Z" is not an RFC 3339 time: month 0 is not 01-12)");
  CHECK(rfcError("2026-02-30T00:00:00Z") ==
        R"("2026-02-30T00:00:00Z" is not an RFC 3339 time: day 30 is not in 2026-02)");
  CHECK(rfcError("2026-02-29T00:00:00Z") ==
        R"("2026-02-29T00:00:00Z" is not an RFC 3339 time: day 29 is not in 2026-02)");
  CHECK(rfcError("2100-02-29T00:00:00Z") ==
        R"("2100-02-29T00:00:00Z" is not an RFC 3339 time: day 29 is not in 2100-02)");
  CHECK(rfcError("2026-04-31T00:00:00Z") ==
        R"("2026-04-31T00:00:00Z" is not an RFC 3339 time: day 31 is not in 2026-04)");
  CHECK(rfcError("2026-12-00T00:00:00Z") ==
        R"("2026-12-00T00:00:00Z" is not an RFC 3339 time: day 0 is not in 2026-12)");
  CHECK(rfcError("2026-12-01T24:00:00Z") ==
        R"("2026-12-01T24:00:00Z" is not an RFC 3339 time: hour 24 is not 00-23)");
  CHECK(rfcError("2026-12-01T12:60:00Z") ==
        R"("2026-12-01T12:60:00Z" is not an RFC 3339 time: minute 60 is not 00-59)");
  CHECK(rfcError("2016-12-31T23:59:60Z") ==
        R"("2016-12-31T23:59:60Z" is not supported: second 60 (a leap second))");
  CHECK(rfcError("2026-12-01T12:00:61Z") ==
        R"("2026-12-01T12:00:61Z" is not an RFC 3339 time: second 61 is not 00-59)");
  CHECK(rfcError("2026-12-01T12:00:00+24:00") ==
        R"("2026-12-01T12:00:00+24:00" is not an RFC 3339 time: offset hour 24 is not 00-23)");
  CHECK(rfcError("2026-12-01T12:00:00+01:60") ==
        R"("2026-12-01T12:00:00+01:60" is not an RFC 3339 time: offset minute 60 is not 00-59)");
  CHECK(rfcError("2026-12-01T12:00:00.1234567890Z") ==
        R"("2026-12-01T12:00:00.1234567890Z" is not supported: more than 9 fraction digits )"
        "(1 ns is the finest)");
  CHECK(rfcError("2026-12-01T12:00:00.123456789012345678901234567890Z") ==
        R"("2026-12-01T12:00:00.123456789012345678901234567890Z" is not supported: more than 9 )"
        "fraction digits (1 ns is the finest)");
}

TEST_CASE("RFC 3339: years 1970..2262, and nothing past int64 ns", "[time_spec]") {
  CHECK(rfcError("1969-12-31T23:59:59Z") ==
        R"("1969-12-31T23:59:59Z" is out of range: year 1969 is not within 1970-2262)");
  CHECK(rfcError("2263-01-01T00:00:00Z") ==
        R"("2263-01-01T00:00:00Z" is out of range: year 2263 is not within 1970-2262)");
  CHECK(rfcError("0000-01-01T00:00:00Z") ==
        R"("0000-01-01T00:00:00Z" is out of range: year 0 is not within 1970-2262)");
  CHECK(rfcError("9999-12-31T23:59:59.999999999-23:59") ==
        R"("9999-12-31T23:59:59.999999999-23:59" is out of range: year 9999 is not within )"
        "1970-2262");
  const std::string past =
      " is out of range: after 2262-04-11T23:47:16.854775807Z, the last int64 ns";
  // One ns past the last, through the fraction, the seconds and the offset.
  CHECK(rfcError("2262-04-11T23:47:16.854775808Z") == R"("2262-04-11T23:47:16.854775808Z")" + past);
  CHECK(rfcError("2262-04-11T23:47:17Z") == R"("2262-04-11T23:47:17Z")" + past);
  CHECK(rfcError("2262-12-31T23:59:59Z") == R"("2262-12-31T23:59:59Z")" + past);
  CHECK(rfcError("2262-04-11T23:00:00-00:48") == R"("2262-04-11T23:00:00-00:48")" + past);
  CHECK(rfcOk("2262-04-11T23:00:00-00:47") == kMaxNs - 16'854'775'807);
}

TEST_CASE("every text is bounded and quoted printable", "[time_spec]") {
  const std::string longest(64, '9');
  CHECK(rfcError(longest) == "\"" + longest + "\" is not an RFC 3339 time");
  const std::string tooLong = "2026-12-01T12:00:00Z" + std::string(45, ' ');
  CHECK(rfcError(tooLong) == "\"2026-12-01T12:00:00Z" + std::string(44, ' ') +
                                 "...\" is too long (65 bytes, at most 64)");
  CHECK(durationError(std::string(1000, '1') + "s") ==
        "\"" + std::string(64, '1') + "...\" is too long (1001 bytes, at most 64)");
  CHECK(errorOf(query(std::string(65, 'a'))) ==
        "since: \"" + std::string(64, 'a') + "...\" is too long (65 bytes, at most 64)");
  CHECK(errorOf(when(std::string(65, 'a'))) ==
        "--since: \"" + std::string(64, 'a') + "...\" is too long (65 bytes, at most 64)");
  // Control bytes, quotes, backslashes and non-ASCII never reach a log or JSON body.
  CHECK(rfcError(std::string("\x01\"\\\xff\n", 5)) == R"("?????" is not an RFC 3339 time)");
  CHECK(rfcError(std::string("2026\0-12-01T12:00:00Z", 21)) ==
        R"("2026?-12-01T12:00:00Z" is not an RFC 3339 time)");
  CHECK(errorOf(query("\xce\xbc")) ==
        R"(since: "??" is not an RFC 3339 time or a duration such as -5m)");
}

TEST_CASE("a view ends where it ends, not at a NUL", "[time_spec]") {
  const std::string full = "2026-12-01T12:00:00.5Z30s";
  CHECK(*parseRfc3339(std::string_view(full).substr(0, 22)) == kNoon + 500'000'000);
  CHECK(
      parseRfc3339(std::string_view(full).substr(0, 21)).error().message ==
      R"("2026-12-01T12:00:00.5" is not an RFC 3339 time: missing Z or an offset such as +01:00)");
  CHECK(*parseDuration(std::string_view(full).substr(22)) == 30 * kS);
  CHECK(parseDuration(std::string_view(full).substr(22, 2)).error().message ==
        R"("30" is not a duration: a number needs a unit (ns, us, µs, ms, s, m, h, d))");
}

TEST_CASE("durations: every unit, fractions, combinations", "[time_spec]") {
  CHECK(durationOk("10ns") == 10);
  CHECK(durationOk("250us") == 250'000);
  CHECK(durationOk("250µs") == 250'000);         // U+00B5 MICRO SIGN
  CHECK(durationOk("250\xce\xbcs") == 250'000);  // U+03BC GREEK SMALL LETTER MU
  CHECK(durationOk("1500ms") == 1'500'000'000);
  CHECK(durationOk("30s") == 30 * kS);
  CHECK(durationOk("5m") == 300 * kS);
  CHECK(durationOk("2h") == 7200 * kS);
  CHECK(durationOk("1d") == 86'400 * kS);
  CHECK(durationOk("1.5s") == 1'500'000'000);
  CHECK(durationOk("1.5d") == 129'600 * kS);
  CHECK(durationOk("2.5µs") == 2500);
  CHECK(durationOk(".5s") == 500'000'000);  // as Go
  CHECK(durationOk("5.s") == 5 * kS);       // as Go
  CHECK(durationOk("0s") == 0);
  CHECK(durationOk("0.9ns") == 0);  // truncated toward zero
  CHECK(durationOk("0.333333333333h") == 1'199'999'999'998);
  CHECK(durationOk("0.000000000001d") == 86);  // 86.4 ns
  CHECK(durationOk("0.00000000001157407407407407d") == 999);
  CHECK(durationOk("1h30m") == 5400 * kS);
  CHECK(durationOk("1h30m15s") == 5415 * kS);
  CHECK(durationOk("1d2h3m4s5ms6us7ns") == (86'400 + 7200 + 180 + 4) * kS + 5'000'000 + 6'000 + 7);
  CHECK(durationOk("30s30s") == 60 * kS);  // Go adds repeated units too
  CHECK(durationOk("000000000000000000000000000001s") == kS);
}

TEST_CASE("durations: refusals and the 100-year bound", "[time_spec]") {
  const std::string units = " (ns, us, µs, ms, s, m, h, d)";
  CHECK(durationError("") == R"("" is not a duration such as 30s, 5m or 1h30m)");
  CHECK(durationError("x") == R"("x" is not a duration such as 30s, 5m or 1h30m)");
  CHECK(durationError("-5m") == R"("-5m" is not a duration such as 30s, 5m or 1h30m)");
  CHECK(durationError("+5m") == R"("+5m" is not a duration such as 30s, 5m or 1h30m)");
  CHECK(durationError("30") == R"("30" is not a duration: a number needs a unit)" + units);
  CHECK(durationError("0") == R"("0" is not a duration: a number needs a unit)" + units);
  CHECK(durationError("1h30") == R"("1h30" is not a duration: a number needs a unit)" + units);
  CHECK(durationError("5x") == R"("5x" is not a duration: unknown unit "x")" + units);
  CHECK(durationError("5S") == R"("5S" is not a duration: unknown unit "S")" + units);
  CHECK(durationError("5 s") == R"("5 s" is not a duration: unknown unit " s")" + units);
  CHECK(durationError("5mx") == R"("5mx" is not a duration: unknown unit "mx")" + units);
  CHECK(durationError("5\xc2s") == R"("5?s" is not a duration: unknown unit "?s")" + units);
  CHECK(durationError(".s") == R"(".s" is not a duration: expected a number at ".s")");
  CHECK(durationError("1h.") == R"("1h." is not a duration: expected a number at ".")");
  CHECK(durationError("1.5.5s") == R"("1.5.5s" is not a duration: a number needs a unit)" + units);

  CHECK(durationOk("36525d") == kHundredYears);
  CHECK(durationOk("876600h") == kHundredYears);
  CHECK(durationOk("876599h59m59.999999999s") == kHundredYears - 1);
  const std::string longer = " is longer than 100 years (876600h)";
  CHECK(durationError("36525d1ns") == R"("36525d1ns")" + longer);
  CHECK(durationOk("36525.00000000000001d") == kHundredYears);  // + 0.864 ns, truncated
  CHECK(durationError("36525.0000000000001d") == R"("36525.0000000000001d")" + longer);
  CHECK(durationError("876601h") == R"("876601h")" + longer);
  CHECK(durationError("99999999999h") == R"("99999999999h")" + longer);
  CHECK(durationError("3155760000000000001ns") == R"("3155760000000000001ns")" + longer);
  CHECK(durationError("99999999999999999999999999ns") ==
        R"("99999999999999999999999999ns")" + longer);
  CHECK(durationError("9223372036854775807s") == R"("9223372036854775807s")" + longer);
  CHECK(durationError("36525d36525d") == R"("36525d36525d")" + longer);
}

TEST_CASE("query since/until: RFC 3339 or a signed duration from now", "[time_spec]") {
  CHECK(*query("2026-12-01T12:00:00Z", 0) == kNoon);
  CHECK(*query("2026-12-01 12:00:00.25+01:00", 0) == kNoon - 3600 * kS + 250'000'000);
  CHECK(*query("-5m") == kNoon - 300 * kS);
  CHECK(*query("+1h30m") == kNoon + 5400 * kS);
  CHECK(*query("-0s") == kNoon);
  CHECK(*query("-36525d") == kNoon - kHundredYears);

  CHECK(errorOf(query("yesterday")) ==
        R"(since: "yesterday" is not an RFC 3339 time or a duration such as -5m)");
  CHECK(errorOf(query("", kNoon, "until")) ==
        R"(until: "" is not an RFC 3339 time or a duration such as -5m)");
  CHECK(errorOf(query("-")) == R"(since: "-" is not an RFC 3339 time or a duration such as -5m)");
  CHECK(errorOf(query("--5m")) ==
        R"(since: "--5m" is not an RFC 3339 time or a duration such as -5m)");
  CHECK(errorOf(query("5m")) == R"(since: "5m" needs a sign: -5m for 5m ago, +5m from now on)");
  CHECK(errorOf(query("30")) == R"(since: "30" is not an RFC 3339 time or a duration such as -5m)");
  CHECK(errorOf(query("-30")) ==
        R"(since: "-30" is not a duration: a number needs a unit (ns, us, µs, ms, s, m, h, d))");
  CHECK(errorOf(query("-5x")) ==
        R"(since: "-5x" is not a duration: unknown unit "x" (ns, us, µs, ms, s, m, h, d))");
  CHECK(errorOf(query("-99999999999h")) ==
        R"(since: "-99999999999h" is longer than 100 years (876600h))");
  CHECK(errorOf(query("2026-02-30T00:00:00Z")) ==
        R"(since: "2026-02-30T00:00:00Z" is not an RFC 3339 time: day 30 is not in 2026-02)");
  CHECK(errorOf(query("1969-12-31T23:59:59Z")) ==
        R"(since: "1969-12-31T23:59:59Z" is out of range: year 1969 is not within 1970-2262)");
  // now +/- a duration past int64: refused, not wrapped.
  CHECK(errorOf(query("+1ns", kMaxNs, "until")) == R"(until: "+1ns" is out of range of int64 ns)");
  CHECK(*query("+1ns", kMaxNs - 1, "until") == kMaxNs);
  CHECK(errorOf(query("-1ns", kMinNs)) == R"(since: "-1ns" is out of range of int64 ns)");
  CHECK(*query("-1ns", kMinNs + 1) == kMinNs);
}

TEST_CASE("client WHEN (--since/--until): as docker logs --since", "[time_spec]") {
  CHECK(*when("30s") == kNoon - 30 * kS);
  CHECK(*when("-30s") == kNoon - 30 * kS);
  CHECK(*when("+30s") == kNoon + 30 * kS);
  CHECK(*when("1h30m") == kNoon - 5400 * kS);
  CHECK(*when("1.5d") == kNoon - 129'600 * kS);
  CHECK(*when(".5s") == kNoon - 500'000'000);
  CHECK(*when("2026-12-01T12:00:00-05:30", 0) == 1'796'146'200'000'000'000);
  CHECK(*when("2026-12-01t12:00:00z", 0) == kNoon);

  CHECK(errorOf(when("x")) == R"(--since: "x" is not a duration (30s, 5m) or an RFC 3339 time)");
  CHECK(errorOf(when("", kNoon, "--until")) ==
        R"(--until: "" is not a duration (30s, 5m) or an RFC 3339 time)");
  CHECK(errorOf(when("+")) == R"(--since: "+" is not a duration (30s, 5m) or an RFC 3339 time)");
  CHECK(errorOf(when("now")) ==
        R"(--since: "now" is not a duration (30s, 5m) or an RFC 3339 time)");
  CHECK(errorOf(when("30")) ==
        R"(--since: "30" is not a duration: a number needs a unit (ns, us, µs, ms, s, m, h, d))");
  CHECK(
      errorOf(when("1700000000")) ==
      R"(--since: "1700000000" is not a duration: a number needs a unit (ns, us, µs, ms, s, m, h, d))");
  CHECK(errorOf(when("5x")) ==
        R"(--since: "5x" is not a duration: unknown unit "x" (ns, us, µs, ms, s, m, h, d))");
  CHECK(errorOf(when("+99999999999h")) ==
        R"(--since: "+99999999999h" is longer than 100 years (876600h))");
  CHECK(errorOf(when("2026-12-01")) ==
        R"(--since: "2026-12-01" is not an RFC 3339 time: expected YYYY-MM-DDTHH:MM:SS[.FRACTION] )"
        "and Z or an offset such as +01:00");
  CHECK(errorOf(when("2026-12-01T24:00:00Z")) ==
        R"(--since: "2026-12-01T24:00:00Z" is not an RFC 3339 time: hour 24 is not 00-23)");
  CHECK(errorOf(when("2263-01-01T00:00:00Z")) ==
        R"(--since: "2263-01-01T00:00:00Z" is out of range: year 2263 is not within 1970-2262)");
  CHECK(errorOf(when("30s", kMinNs + 29 * kS)) == R"(--since: "30s" is out of range of int64 ns)");
}

TEST_CASE("formatRfc3339: UTC, Z, exactly N fraction digits, truncated", "[time_spec]") {
  const int64_t t = kNoon + kS + 123'456'789;
  CHECK(formatRfc3339(t, 0) == "2026-12-01T12:00:01Z");
  CHECK(formatRfc3339(t, 1) == "2026-12-01T12:00:01.1Z");
  CHECK(formatRfc3339(t, 3) == "2026-12-01T12:00:01.123Z");
  CHECK(formatRfc3339(t, 6) == "2026-12-01T12:00:01.123456Z");
  CHECK(formatRfc3339(t, 9) == "2026-12-01T12:00:01.123456789Z");
  CHECK(formatRfc3339(kNoon + 999'999'999, 3) == "2026-12-01T12:00:00.999Z");
  CHECK(formatRfc3339(kNoon + 5, 9) == "2026-12-01T12:00:00.000000005Z");
  CHECK(formatRfc3339(0, 0) == "1970-01-01T00:00:00Z");
  CHECK(formatRfc3339(0, 9) == "1970-01-01T00:00:00.000000000Z");
  CHECK(formatRfc3339(951'868'799'999'999'999, 9) == "2000-02-29T23:59:59.999999999Z");
  CHECK(formatRfc3339(kMaxNs, 9) == "2262-04-11T23:47:16.854775807Z");
  CHECK(formatRfc3339(t, -1) == "2026-12-01T12:00:01Z");
  CHECK(formatRfc3339(t, 10) == "2026-12-01T12:00:01.123456789Z");
}

TEST_CASE("formatRfc3339: negative ns by floor division", "[time_spec]") {
  CHECK(formatRfc3339(-1, 9) == "1969-12-31T23:59:59.999999999Z");
  CHECK(formatRfc3339(-1, 3) == "1969-12-31T23:59:59.999Z");
  CHECK(formatRfc3339(-1, 0) == "1969-12-31T23:59:59Z");
  CHECK(formatRfc3339(-kS, 0) == "1969-12-31T23:59:59Z");
  CHECK(formatRfc3339(-kS - 1, 9) == "1969-12-31T23:59:58.999999999Z");
  CHECK(formatRfc3339(-86'400 * kS, 6) == "1969-12-31T00:00:00.000000Z");
  // `date -u -d @-1234567890.123456789 +%FT%T.%N`
  CHECK(formatRfc3339(-1'234'567'890'123'456'789, 9) == "1930-11-18T00:28:29.876543211Z");
  CHECK(formatRfc3339(kMinNs, 9) == "1677-09-21T00:12:43.145224192Z");
  CHECK(formatRfc3339(kMinNs, 0) == "1677-09-21T00:12:43Z");
}

TEST_CASE("formatRfc3339 and parseRfc3339 round trip", "[time_spec]") {
  // Every day from 1970 to the end: calendar math both ways agrees.
  int64_t checked = 0;
  for (int64_t day = 0; day <= 106'751; ++day) {
    const int64_t ns = (day * 86'400 + 43'200) * kS;  // noon: the last day ends early
    const auto back = parseRfc3339(formatRfc3339(ns, 0));
    if (!back.ok() || *back != ns) {
      FAIL("day " << day << ": " << formatRfc3339(ns, 0));
    }
    ++checked;
  }
  CHECK(checked == 106'752);
  CHECK(formatRfc3339(int64_t{106'751} * 86'400 * kS, 0) == "2262-04-11T00:00:00Z");

  // Random instants: 9 digits round-trip exactly, fewer truncate.
  std::mt19937_64 random(20261201);
  std::uniform_int_distribution<int64_t> any(0, kMaxNs);
  for (int i = 0; i < 20'000; ++i) {
    const int64_t ns = any(random);
    INFO(ns);
    REQUIRE(*parseRfc3339(formatRfc3339(ns, 9)) == ns);
    REQUIRE(*parseRfc3339(formatRfc3339(ns, 6)) == ns - ns % 1000);
    REQUIRE(*parseRfc3339(formatRfc3339(ns, 3)) == ns - ns % 1'000'000);
    REQUIRE(*parseRfc3339(formatRfc3339(ns, 0)) == ns - ns % kS);
  }
  // Negative instants format to years before 1970, which parseRfc3339 refuses.
  CHECK(parseRfc3339(formatRfc3339(-1, 9)).error().message ==
        R"("1969-12-31T23:59:59.999999999Z" is out of range: year 1969 is not within 1970-2262)");
}

TEST_CASE("random texts never crash, hang or read past the view", "[time_spec]") {
  // Alphabet of every character that matters to the parsers, plus junk.
  static constexpr char kAlphabet[] = "0123456789-+:.TtZz nsumhd\xc2\xb5\xce\xbcx\x00\xff";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);
  std::mt19937_64 random(7);
  std::uniform_int_distribution<size_t> pick(0, alphabet.size() - 1);
  std::uniform_int_distribution<size_t> length(0, 70);
  int accepted = 0;
  for (int i = 0; i < 50'000; ++i) {
    std::string text(length(random), ' ');
    for (char& c : text) c = alphabet[pick(random)];
    const std::vector<char> copy(text.begin(), text.end());
    const std::string_view view(copy.data(), copy.size());
    const auto a = parseRfc3339(view);
    const auto b = parseDuration(view);
    const auto c = parseQueryTime(view, kNoon, "since");
    const auto d = parseWhen(view, kMinNs, "--since");
    for (const auto* r : {&a, &b, &c, &d}) {
      if (r->ok()) {
        ++accepted;
      } else {
        REQUIRE(r->error().message.size() < 300);
      }
    }
    if (b.ok()) REQUIRE((*b >= 0 && *b <= kHundredYears));
  }
  CHECK(accepted > 0);
}

TEST_CASE("wallClockNs is now", "[time_spec]") {
  const int64_t now = wallClockNs();
  CHECK(now > *parseRfc3339("2024-01-01T00:00:00Z"));
  CHECK(now < *parseRfc3339("2200-01-01T00:00:00Z"));
}
