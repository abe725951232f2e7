#include <catch2/catch.hpp>

#include <string>
#include <utility>
#include <vector>

#include "progress_table.h"

using namespace ddump;

namespace {

ProgressSnapshot snapshot() {
  ProgressSnapshot s;
  s.targets.push_back({"db1:8475", TargetState::Streaming, 12345, 1'234'567, 120'000, 0});
  s.targets.push_back({"db2:8475", TargetState::Retrying, 0, 0, 0, std::nullopt});
  s.targets.push_back({"a-very-long-host-name-in-some-domain.example.org:8475",
                       TargetState::Failed, 7, 700, 0, 3});
  s.outputPackets = 12352;
  s.outputBytes = 3'400'000;
  s.outputBytesPerSec = 2'100'000;
  s.elapsedSec = 83.7;
  return s;
}

bool contains(const std::string& line, const std::string& part) {
  return line.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("number formatting", "[progress]") {
  CHECK(formatCount(0) == "0");
  CHECK(formatCount(9999) == "9999");
  CHECK(formatCount(12345) == "12.3k");
  CHECK(formatCount(4'560'000) == "4.56M");
  CHECK(formatCount(789'000'000'000ULL) == "789G");
  CHECK(formatBytes(512) == "512 B");
  CHECK(formatBytes(1234) == "1.23 kB");
  CHECK(formatBytes(3'400'000) == "3.40 MB");
  CHECK(formatBytes(-1) == "0 B");
  CHECK(formatRate(120'000) == "120 kB/s");
  CHECK(formatElapsed(83.7) == "00:01:23");
  CHECK(formatElapsed(90061) == "25:01:01");
}

TEST_CASE("the table lists state, counters, rate and drops per target", "[progress]") {
  const auto lines = renderProgressTable(snapshot(), 100);
  REQUIRE(lines.size() == 5);
  CHECK(lines[0].rfind("TARGET", 0) == 0);
  for (const char* h : {"STATE", "PACKETS", "BYTES", "RATE", "DROPS"}) CHECK(contains(lines[0], h));
  CHECK(lines[1].rfind("db1:8475", 0) == 0);
  for (const char* v : {"streaming", "12.3k", "1.23 MB", "120 kB/s"}) CHECK(contains(lines[1], v));
  CHECK(lines[1].back() == '0');  // drops known: 0
  CHECK(contains(lines[2], "retrying"));
  CHECK(lines[2].back() == '-');  // drops unknown
  CHECK(contains(lines[3], "failed"));
  CHECK(contains(lines[3], "a-very-long-host-name-in-some-domain.ex~"));  // cut at 40 columns
  CHECK(lines[4] == "output 3.40 MB  2.10 MB/s  12.4k packets  00:01:23");
  // Columns line up: every row puts STATE at the same column.
  const size_t stateAt = lines[0].find("STATE");
  CHECK(lines[1].find("streaming") == stateAt);
  CHECK(lines[2].find("retrying") == stateAt);
}

TEST_CASE("no line reaches the terminal width", "[progress]") {
  for (size_t width : {0, 1, 20, 40, 60, 80, 132, 300}) {
    INFO(width);
    for (const auto& line : renderProgressTable(snapshot(), width)) {
      CHECK(line.size() <= (width > 1 ? width - 1 : 1));
    }
  }
  // Narrow terminals shrink the name column before cutting the numbers.
  const auto lines = renderProgressTable(snapshot(), 80);
  CHECK(contains(lines[1], "120 kB/s"));
}

TEST_CASE("many targets: at most maxRows rows, then a count", "[progress]") {
  ProgressSnapshot s;
  for (int i = 0; i < 50; ++i) {
    std::string name = "h";  // appended, not "h" + ...: GCC 12's false -Wrestrict (bug 105329)
    name += std::to_string(i);
    s.targets.push_back({std::move(name), TargetState::Streaming, 1, 1, 0, 0});
  }
  const auto lines = renderProgressTable(s, 80, 10);
  REQUIRE(lines.size() == 1 + 10 + 1 + 1);
  CHECK(lines[11] == "... 40 more targets");
}

TEST_CASE("frames replace the previous one in place", "[progress]") {
  CHECK(progressFrame({"a", "b"}, 0) == "\r\x1b[Ja\nb\n");
  CHECK(progressFrame({"c"}, 2) == "\r\x1b[2A\x1b[Jc\n");
  CHECK(clearFrame(3) == "\r\x1b[3A\x1b[J");
}

TEST_CASE("rates are smoothed from growing totals", "[progress]") {
  RateMeter m(1.0);
  CHECK(m.update(0, 10.0) == 0);
  double r = 0;
  for (int i = 1; i <= 40; ++i) r = m.update(static_cast<uint64_t>(i) * 1000, 10.0 + i * 0.25);
  CHECK(r == Approx(4000).epsilon(0.01));  // 1000 per quarter second
  CHECK(m.update(40000, 10.0 + 40 * 0.25) == r);  // no time passed: unchanged
  for (int i = 1; i <= 40; ++i) r = m.update(40000, 20.0 + i * 0.25);
  CHECK(r < 1);  // stalled: decays towards 0
}
