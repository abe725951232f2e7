#pragma once
// Points in time as people write them: the worker's `GET /capture?since=T&until=T`
// and the client's `--since WHEN` / `--until WHEN`. The texts come from the
// network at the worker, so every parser is bounded (at most kMaxTimeTextBytes,
// never reads past the view), checks every arithmetic step for overflow, and
// answers with one-line errors that quote the text as printable ASCII.
// Calendar math is done here (days from civil, proleptic Gregorian, UTC): no
// timegm, no TZ, no locale.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "result.h"

namespace ddump {

inline constexpr size_t kMaxTimeTextBytes = 64;

// ns since the Unix epoch.
// RFC 3339 section 5.6 date-time: 2026-12-01T12:00:00Z, 2026-12-01T12:00:00.25Z,
// fractions of 1..9 digits, "t"/"z" lowercase allowed, offsets +01:00 / -05:30,
// and (RFC 3339 5.6 NOTE) a space instead of T. Leap second :60 refused. Years
// 1970..2262 only (int64 ns). Anything else: error "... is not an RFC 3339 time".
// The year range applies to the year as written; the instant itself must fit
// int64 ns (so 1970-01-01T00:30:00+01:00 is -1800 s, and 2262-04-12T00:00:00Z
// is refused as out of range). -00:00 (RFC 3339 4.3) is the same instant as Z.
Result<int64_t> parseRfc3339(std::string_view text);

// Durations as Go's time.ParseDuration / docker --since write them: one or more
// number+unit pairs "1h30m", "1.5s", "1500ms", "250us", "250µs", "10ns", "5m", "2h",
// "30s"; units ns us µs ms s m h; also "d" for days. Bare numbers without unit refused.
// At most 100 years. Returns ns (>= 0).
// As in Go: units are case-sensitive, ".5s" and "5.s" are accepted, µ may be
// U+00B5 or U+03BC, and a fraction truncates toward zero to whole ns. No sign:
// the callers below read it. 100 years = 36525 days (876600h).
Result<int64_t> parseDuration(std::string_view text);

// The worker's since/until query values: RFC 3339, or "-DURATION" meaning
// nowNs - DURATION, or "+DURATION" meaning nowNs + DURATION. `name` is the
// parameter name and every error message starts with it, e.g.
// `since: "yesterday" is not an RFC 3339 time or a duration such as -5m`.
Result<int64_t> parseQueryTime(std::string_view text, int64_t nowNs, std::string_view name);

// The client's --since/--until WHEN: as docker logs --since: a bare duration
// means that long ago ("30s" = nowNs - 30s), "-30s" means the same, "+30s"
// means from now on, or an RFC 3339 time. Errors start with the flag, e.g.
// `--since: "x" is not a duration (30s, 5m) or an RFC 3339 time`.
Result<int64_t> parseWhen(std::string_view text, int64_t nowNs, std::string_view flag);

// RFC 3339 in UTC with a Z and exactly `fractionDigits` (0..9) fraction digits,
// e.g. formatRfc3339(ns, 6) == "2026-12-01T12:00:01.123456Z". Negative ns are
// formatted correctly too (floor division). The fraction is truncated, not
// rounded (so the text never names a later time than `ns`); fractionDigits
// outside 0..9 is clamped.
std::string formatRfc3339(int64_t ns, int fractionDigits);

// Current wall clock in ns since the epoch.
int64_t wallClockNs();

}  // namespace ddump
