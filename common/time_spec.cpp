#include "time_spec.h"

#include <algorithm>
#include <array>
#include <utility>

#include "clock.h"

namespace ddump {
namespace {

constexpr int64_t kNsPerSecond = 1'000'000'000;
constexpr int64_t kSecondsPerDay = 86'400;
constexpr int64_t kNsPerDay = kSecondsPerDay * kNsPerSecond;
constexpr int kMinYear = 1970;
constexpr int kMaxYear = 2262;  // int64 ns end in 2262-04-11
constexpr int kMaxFractionDigits = 9;
// 100 Julian years of 365.25 days.
constexpr int64_t kMaxDurationNs = 36'525 * kNsPerDay;
constexpr const char* kUnitList = "ns, us, \xC2\xB5s, ms, s, m, h, d";

// How a text failed to be one form. NotThisForm: it does not even start like
// one, so a caller that accepts several forms answers with its general message.
enum class Failure { None, NotThisForm, Invalid, Unsupported, OutOfRange };

struct Outcome {
  int64_t ns = 0;
  Failure failure = Failure::None;
  std::string reason;
};

Outcome failed(Failure failure, std::string reason = {}) {
  return Outcome{0, failure, std::move(reason)};
}

Error invalid(std::string message) {
  return makeError(ErrorCode::InvalidArgument, std::move(message));
}

// The caller's text in quotes for an error line (logs, JSON bodies): printable
// ASCII only, so no control byte or invalid UTF-8 reaches either, and bounded.
std::string quoted(std::string_view text) {
  std::string out = "\"";
  for (const char c : text.substr(0, kMaxTimeTextBytes)) {
    out += (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') ? c : '?';
  }
  if (text.size() > kMaxTimeTextBytes) out += "...";
  return out + '"';
}

std::string tooLong(std::string_view text) {
  return quoted(text) + " is too long (" + std::to_string(text.size()) + " bytes, at most " +
         std::to_string(kMaxTimeTextBytes) + ")";
}

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}

// ---- calendar (proleptic Gregorian; Howard Hinnant, "chrono-Compatible
// Low-Level Date Algorithms": days_from_civil / civil_from_days) ----

bool isLeapYear(int64_t y) {
  return y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
}

int daysInMonth(int64_t year, int month) {
  static constexpr std::array<int, 12> kDays = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && isLeapYear(year) ? 29 : kDays[static_cast<size_t>(month - 1)];
}

// Days since 1970-01-01. The callers keep |year| small (parsed: 4 digits;
// formatted: int64 ns), so nothing here can overflow.
int64_t daysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;                                    // [0, 399]
  const int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146'097 + doe - 719'468;
}

struct Civil {
  int64_t year;
  int month;
  int day;
};

Civil civilFromDays(int64_t z) {
  z += 719'468;
  const int64_t era = (z >= 0 ? z : z - 146'096) / 146'097;
  const int64_t doe = z - era * 146'097;                                        // [0, 146096]
  const int64_t yoe = (doe - doe / 1460 + doe / 36'524 - doe / 146'096) / 365;  // [0, 399]
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);                  // [0, 365]
  const int64_t mp = (5 * doy + 2) / 153;                                       // [0, 11]
  const int day = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  const int month = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  return {yoe + era * 400 + (month <= 2 ? 1 : 0), month, day};
}

// Floor division and its remainder in [0, divisor) (C++'s / truncates toward
// zero). No overflow: divisor > 1, so the quotient is smaller than `value`.
std::pair<int64_t, int64_t> floorDivide(int64_t value, int64_t divisor) {
  int64_t quotient = value / divisor;
  int64_t remainder = value % divisor;
  if (remainder < 0) {
    remainder += divisor;
    --quotient;
  }
  return {quotient, remainder};
}

// `separator` (unless 0), then `value` (>= 0) as exactly `width` digits.
void appendDigits(std::string& out, char separator, int64_t value, int width) {
  if (separator != 0) out += separator;
  std::string field(static_cast<size_t>(width), '0');
  for (size_t i = field.size(); i > 0 && value > 0; --i, value /= 10) {
    field[i - 1] = static_cast<char>('0' + value % 10);
  }
  out += field;
}

// ---- RFC 3339 section 5.6 ----

struct DateTime {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  int64_t fractionNs = 0;
  int offsetSign = 1, offsetHour = 0, offsetMinute = 0;
};

// Whether `text` starts with `pattern`: 'D' is a digit, 'T' is T, t or a space
// (RFC 3339 5.6 and its NOTE), '+' is either sign, anything else itself.
bool startsLike(std::string_view text, std::string_view pattern) {
  if (text.size() < pattern.size()) return false;
  for (size_t i = 0; i < pattern.size(); ++i) {
    const char c = text[i];
    switch (pattern[i]) {
      case 'D':
        if (!isDigit(c)) return false;
        break;
      case 'T':
        if (c != 'T' && c != 't' && c != ' ') return false;
        break;
      case '+':
        if (c != '+' && c != '-') return false;
        break;
      default:
        if (c != pattern[i]) return false;
    }
  }
  return true;
}

// The value of text[pos, pos + count), digits that startsLike checked (count <= 9).
int number(std::string_view text, size_t pos, size_t count) {
  int value = 0;
  for (const char c : text.substr(pos, count)) value = value * 10 + (c - '0');
  return value;
}

const char* const kShape =
    "expected YYYY-MM-DDTHH:MM:SS[.FRACTION] and Z or an offset such as +01:00";

// The syntax of RFC 3339 5.6 (date-time), no ranges yet.
Outcome readDateTime(std::string_view text, DateTime& t) {
  // A text that does not start with "YYYY-" is something else altogether.
  if (!startsLike(text, "DDDD-")) return failed(Failure::NotThisForm);
  if (!startsLike(text, "DDDD-DD-DDTDD:DD:DD")) return failed(Failure::Invalid, kShape);
  t = DateTime{number(text, 0, 4),  number(text, 5, 2),  number(text, 8, 2),
               number(text, 11, 2), number(text, 14, 2), number(text, 17, 2)};
  size_t pos = 19;
  if (pos < text.size() && text[pos] == '.') {  // time-secfrac = "." 1*DIGIT
    const size_t start = ++pos;
    while (pos < text.size() && isDigit(text[pos])) ++pos;
    const size_t count = pos - start;
    if (count == 0) return failed(Failure::Invalid, kShape);
    if (count > kMaxFractionDigits) {
      return failed(Failure::Unsupported, "more than 9 fraction digits (1 ns is the finest)");
    }
    t.fractionNs = number(text, start, count);
    for (size_t i = count; i < kMaxFractionDigits; ++i) t.fractionNs *= 10;
  }
  const std::string_view zone = text.substr(pos);  // time-offset = "Z" / time-numoffset
  if (zone.empty()) return failed(Failure::Invalid, "missing Z or an offset such as +01:00");
  if (zone == "Z" || zone == "z") return {};
  if (zone.size() != 6 || !startsLike(zone, "+DD:DD")) return failed(Failure::Invalid, kShape);
  t.offsetSign = zone[0] == '-' ? -1 : 1;
  t.offsetHour = number(zone, 1, 2);
  t.offsetMinute = number(zone, 4, 2);
  return {};
}

std::string notWithin(const char* what, int value, const char* range) {
  return std::string(what) + " " + std::to_string(value) + " is not " + range;
}

// The ranges of RFC 3339 5.6/5.7, then ours.
Outcome checkFields(const DateTime& t) {
  if (t.month < 1 || t.month > 12) {
    return failed(Failure::Invalid, notWithin("month", t.month, "01-12"));
  }
  if (t.day < 1 || t.day > daysInMonth(t.year, t.month)) {
    return failed(Failure::Invalid, "day " + std::to_string(t.day) + " is not in " +
                                        std::to_string(t.year) + "-" + (t.month < 10 ? "0" : "") +
                                        std::to_string(t.month));
  }
  if (t.hour > 23) return failed(Failure::Invalid, notWithin("hour", t.hour, "00-23"));
  if (t.minute > 59) return failed(Failure::Invalid, notWithin("minute", t.minute, "00-59"));
  // RFC 3339 5.7 allows 60 for a leap second; POSIX time (and pcap) has none.
  if (t.second == 60) return failed(Failure::Unsupported, "second 60 (a leap second)");
  if (t.second > 60) return failed(Failure::Invalid, notWithin("second", t.second, "00-59"));
  if (t.offsetHour > 23) {
    return failed(Failure::Invalid, notWithin("offset hour", t.offsetHour, "00-23"));
  }
  if (t.offsetMinute > 59) {
    return failed(Failure::Invalid, notWithin("offset minute", t.offsetMinute, "00-59"));
  }
  if (t.year < kMinYear || t.year > kMaxYear) {
    return failed(Failure::OutOfRange, notWithin("year", t.year, "within 1970-2262"));
  }
  return {};
}

Outcome rfc3339Outcome(std::string_view text) {
  DateTime t;
  Outcome out = readDateTime(text, t);
  if (out.failure == Failure::None) out = checkFields(t);
  if (out.failure != Failure::None) return out;
  // Small: |days| < 110'000, so seconds stay below 1e10.
  const int64_t seconds = daysFromCivil(t.year, t.month, t.day) * kSecondsPerDay + t.hour * 3600 +
                          t.minute * 60 + t.second -
                          t.offsetSign * (t.offsetHour * 3600 + t.offsetMinute * 60);
  int64_t ns = 0;
  if (__builtin_mul_overflow(seconds, kNsPerSecond, &ns) ||
      __builtin_add_overflow(ns, t.fractionNs, &ns)) {
    return failed(Failure::OutOfRange, "after 2262-04-11T23:47:16.854775807Z, the last int64 ns");
  }
  return Outcome{ns, Failure::None, {}};
}

std::string rfc3339Message(std::string_view text, const Outcome& out) {
  switch (out.failure) {
    case Failure::Unsupported:
      return quoted(text) + " is not supported: " + out.reason;
    case Failure::OutOfRange:
      return quoted(text) + " is out of range: " + out.reason;
    case Failure::Invalid:
      return quoted(text) + " is not an RFC 3339 time: " + out.reason;
    default:
      return quoted(text) + " is not an RFC 3339 time";
  }
}

// ---- durations (Go's time.ParseDuration) ----

struct Unit {
  std::string_view name;
  int64_t ns;
};

constexpr std::array<Unit, 9> kUnits = {{
    {"ns", 1},
    {"us", 1'000},
    {"\xC2\xB5s", 1'000},  // U+00B5 MICRO SIGN, as Go
    {"\xCE\xBCs", 1'000},  // U+03BC GREEK SMALL LETTER MU, as Go
    {"ms", 1'000'000},
    {"s", kNsPerSecond},
    {"m", 60 * kNsPerSecond},
    {"h", 3600 * kNsPerSecond},
    {"d", kNsPerDay},
}};

// floor(0.DIGITS * unitNs), exactly for any number of digits: from the last
// digit back, carry = floor((digit * unitNs + carry) / 10); carry < unitNs.
int64_t fractionNs(std::string_view digits, int64_t unitNs) {
  int64_t carry = 0;
  for (size_t i = digits.size(); i > 0; --i) {
    carry = ((digits[i - 1] - '0') * unitNs + carry) / 10;
  }
  return carry;
}

std::string longerThanMax() {
  return "longer than 100 years (876600h)";
}

// One number+unit pair at the start of `rest`, consumed. Its value <= the max.
Outcome durationPair(std::string_view& rest) {
  size_t pos = 0;
  int64_t whole = 0;
  while (pos < rest.size() && isDigit(rest[pos])) {
    const int digit = rest[pos++] - '0';
    if (whole > (kMaxDurationNs - digit) / 10) return failed(Failure::OutOfRange, longerThanMax());
    whole = whole * 10 + digit;
  }
  const bool hasWhole = pos > 0;
  std::string_view fraction;
  if (pos < rest.size() && rest[pos] == '.') {
    const size_t start = ++pos;
    while (pos < rest.size() && isDigit(rest[pos])) ++pos;
    fraction = rest.substr(start, pos - start);
  }
  if (!hasWhole && fraction.empty()) {
    return failed(Failure::Invalid, "expected a number at " + quoted(rest));
  }
  // The unit runs to the next digit or '.', as in Go.
  const size_t unitStart = pos;
  while (pos < rest.size() && !isDigit(rest[pos]) && rest[pos] != '.') ++pos;
  const std::string_view name = rest.substr(unitStart, pos - unitStart);
  if (name.empty()) {
    return failed(Failure::Invalid, "a number needs a unit (" + std::string(kUnitList) + ")");
  }
  for (const Unit& unit : kUnits) {
    if (unit.name != name) continue;
    if (whole > kMaxDurationNs / unit.ns) return failed(Failure::OutOfRange, longerThanMax());
    const int64_t ns = whole * unit.ns + fractionNs(fraction, unit.ns);
    if (ns > kMaxDurationNs) return failed(Failure::OutOfRange, longerThanMax());
    rest.remove_prefix(pos);
    return Outcome{ns, Failure::None, {}};
  }
  return failed(Failure::Invalid,
                "unknown unit " + quoted(name) + " (" + std::string(kUnitList) + ")");
}

Outcome durationOutcome(std::string_view text) {
  if (text.empty() || (!isDigit(text.front()) && text.front() != '.')) {
    return failed(Failure::NotThisForm);
  }
  int64_t total = 0;
  while (!text.empty()) {
    const Outcome pair = durationPair(text);
    if (pair.failure != Failure::None) return pair;
    total += pair.ns;  // both <= kMaxDurationNs < INT64_MAX / 2
    if (total > kMaxDurationNs) return failed(Failure::OutOfRange, longerThanMax());
  }
  return Outcome{total, Failure::None, {}};
}

std::string durationMessage(std::string_view text, const Outcome& out) {
  switch (out.failure) {
    case Failure::OutOfRange:
      return quoted(text) + " is " + out.reason;
    case Failure::Invalid:
      return quoted(text) + " is not a duration: " + out.reason;
    default:
      return quoted(text) + " is not a duration such as 30s, 5m or 1h30m";
  }
}

// ---- relative times ----

std::string withPrefix(std::string_view prefix, const std::string& message) {
  return std::string(prefix) + ": " + message;
}

// nowNs + sign * duration for a text "+DURATION" / "-DURATION" (or a bare
// DURATION, meaning ago). NotThisForm when DURATION does not start like one,
// so the caller answers with its general message.
Outcome relativeOutcome(std::string_view duration, int sign, int64_t nowNs) {
  Outcome out = durationOutcome(duration);
  if (out.failure != Failure::None) return out;
  int64_t when = 0;
  const bool overflow = sign < 0 ? __builtin_sub_overflow(nowNs, out.ns, &when)
                                 : __builtin_add_overflow(nowNs, out.ns, &when);
  if (overflow) return failed(Failure::OutOfRange, "out of range of int64 ns");
  return Outcome{when, Failure::None, {}};
}

}  // namespace

Result<int64_t> parseRfc3339(std::string_view text) {
  if (text.size() > kMaxTimeTextBytes) return invalid(tooLong(text));
  const Outcome out = rfc3339Outcome(text);
  if (out.failure != Failure::None) return invalid(rfc3339Message(text, out));
  return out.ns;
}

Result<int64_t> parseDuration(std::string_view text) {
  if (text.size() > kMaxTimeTextBytes) return invalid(tooLong(text));
  const Outcome out = durationOutcome(text);
  if (out.failure != Failure::None) return invalid(durationMessage(text, out));
  return out.ns;
}

Result<int64_t> parseQueryTime(std::string_view text, int64_t nowNs, std::string_view name) {
  if (text.size() > kMaxTimeTextBytes) return invalid(withPrefix(name, tooLong(text)));
  const std::string general = quoted(text) + " is not an RFC 3339 time or a duration such as -5m";
  if (!text.empty() && (text.front() == '-' || text.front() == '+')) {
    const Outcome out = relativeOutcome(text.substr(1), text.front() == '-' ? -1 : 1, nowNs);
    if (out.failure == Failure::None) return out.ns;
    if (out.failure == Failure::NotThisForm) return invalid(withPrefix(name, general));
    return invalid(withPrefix(name, durationMessage(text, out)));
  }
  const Outcome out = rfc3339Outcome(text);
  if (out.failure == Failure::None) return out.ns;
  if (out.failure != Failure::NotThisForm) {
    return invalid(withPrefix(name, rfc3339Message(text, out)));
  }
  if (durationOutcome(text).failure == Failure::None) {
    // A bare duration is the client's shorthand; on the wire the direction is
    // explicit. The text parsed as a duration, so it is digits, '.' and unit names.
    const std::string bare(text);
    return invalid(withPrefix(name, quoted(text) + " needs a sign: -" + bare + " for " + bare +
                                        " ago, +" + bare + " from now on"));
  }
  return invalid(withPrefix(name, general));
}

Result<int64_t> parseWhen(std::string_view text, int64_t nowNs, std::string_view flag) {
  if (text.size() > kMaxTimeTextBytes) return invalid(withPrefix(flag, tooLong(text)));
  const std::string general = quoted(text) + " is not a duration (30s, 5m) or an RFC 3339 time";
  const bool signedText = !text.empty() && (text.front() == '-' || text.front() == '+');
  if (!signedText) {
    const Outcome out = rfc3339Outcome(text);
    if (out.failure == Failure::None) return out.ns;
    if (out.failure != Failure::NotThisForm) {
      return invalid(withPrefix(flag, rfc3339Message(text, out)));
    }
  }
  // docker logs --since: a bare duration is that long ago.
  const int sign = signedText && text.front() == '+' ? 1 : -1;
  const Outcome out = relativeOutcome(signedText ? text.substr(1) : text, sign, nowNs);
  if (out.failure == Failure::None) return out.ns;
  if (out.failure == Failure::NotThisForm) return invalid(withPrefix(flag, general));
  return invalid(withPrefix(flag, durationMessage(text, out)));
}

std::string formatRfc3339(int64_t ns, int fractionDigits) {
  const int digits = fractionDigits < 0 ? 0 : std::min(fractionDigits, kMaxFractionDigits);
  // Floor division: -1 ns is 1969-12-31T23:59:59.999999999Z.
  const auto [seconds, fraction] = floorDivide(ns, kNsPerSecond);
  const auto [days, secondOfDay] = floorDivide(seconds, kSecondsPerDay);
  const Civil date = civilFromDays(days);
  std::string out;
  appendDigits(out, 0, date.year, 4);  // 1677..2262 for any int64
  appendDigits(out, '-', date.month, 2);
  appendDigits(out, '-', date.day, 2);
  appendDigits(out, 'T', secondOfDay / 3600, 2);
  appendDigits(out, ':', secondOfDay / 60 % 60, 2);
  appendDigits(out, ':', secondOfDay % 60, 2);
  if (digits > 0) {
    int64_t scaled = fraction;  // truncated to `digits`
    for (int i = digits; i < kMaxFractionDigits; ++i) scaled /= 10;
    appendDigits(out, '.', scaled, digits);
  }
  return out + 'Z';
}

int64_t wallClockNs() {
  return wallNowNs();
}

}  // namespace ddump
