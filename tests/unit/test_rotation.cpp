#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "rotation.h"

using namespace ddump;

namespace {

// Names opened while writing `sizes` (each the file size before a write).
std::vector<std::string> namesFor(RotationPlan& plan, int writes, uint64_t bytesPerWrite) {
  std::vector<std::string> names{plan.start(0)};
  uint64_t size = 0;
  for (int i = 0; i < writes; ++i) {
    if (plan.beforeWrite(size, 0) == RotationAction::Rotate) {
      names.push_back(plan.currentName());
      size = 0;
    }
    size += bytesPerWrite;
  }
  return names;
}

}  // namespace

TEST_CASE("rotation: -C sizes as tcpdump reads them", "[rotation]") {
  CHECK(*parseFileSize("1") == 1'000'000u);
  CHECK(*parseFileSize("25") == 25'000'000u);
  CHECK(*parseFileSize("10k") == 10'240u);
  CHECK(*parseFileSize("10K") == 10'240u);
  CHECK(*parseFileSize("2m") == 2u * 1024 * 1024);
  CHECK(*parseFileSize("1G") == 1024u * 1024 * 1024);
  for (const char* bad : {"", "0", "k", "10x", "10kb", "-1", " 1", "99999999999999999999"}) {
    INFO(bad);
    CHECK_FALSE(parseFileSize(bad).ok());
  }
  CHECK(*parsePositive("30", "-G", 1000) == 30u);
  CHECK_FALSE(parsePositive("0", "-W", 1000).ok());
  CHECK_FALSE(parsePositive("1001", "-W", 1000).ok());
  CHECK_FALSE(parsePositive("3s", "-G", 1000).ok());
}

TEST_CASE("tcpdump's file numbering: digits of N-1, zero-padded", "[rotation]") {
  CHECK(fileNumberDigits(0) == 0);
  CHECK(fileNumberDigits(1) == 0);
  CHECK(fileNumberDigits(2) == 1);
  CHECK(fileNumberDigits(10) == 1);
  CHECK(fileNumberDigits(11) == 2);
  CHECK(fileNumberDigits(100) == 2);
  CHECK(fileNumberDigits(101) == 3);
  CHECK(makeFileName("f", 0, 0, nullptr) == "f");
  CHECK(makeFileName("f", 3, 0, nullptr) == "f3");
  CHECK(makeFileName("f", 0, 2, nullptr) == "f00");
  CHECK(makeFileName("f", 12, 2, nullptr) == "f12");
  std::tm when{};
  when.tm_year = 124;
  when.tm_mon = 2;
  when.tm_mday = 5;
  when.tm_hour = 7;
  when.tm_min = 8;
  when.tm_sec = 9;
  CHECK(makeFileName("cap-%Y%m%d-%H%M%S.pcap", 1, 0, &when) == "cap-20240305-070809.pcap1");
}

TEST_CASE("rotation: -C alone: f, f1, f2, ... after the file passed the size", "[rotation]") {
  RotationPlan plan("f", {100, 0, 0, true});
  // 40-byte writes: a file takes writes while its size is <= 100, so 3 writes
  // (0, 40, 80) and the 4th sees 120 > 100 and rotates.
  const auto names = namesFor(plan, 9, 40);
  CHECK(names == std::vector<std::string>{"f", "f1", "f2"});
  CHECK(plan.filesOpened() == 3);
}

TEST_CASE("rotation: -C with -W N: a ring f0..f(N-1)", "[rotation]") {
  RotationPlan plan("out.pcap", {10, 0, 3, true});
  const auto names = namesFor(plan, 8, 11);  // every write after the first rotates
  CHECK(names == std::vector<std::string>{"out.pcap0", "out.pcap1", "out.pcap2", "out.pcap0",
                                          "out.pcap1", "out.pcap2", "out.pcap0", "out.pcap1"});
  RotationPlan wide("f", {10, 0, 11, true});
  CHECK(wide.start(0) == "f00");
}

TEST_CASE("rotation: -G: strftime names, a new file per period; -W ends the capture", "[rotation]") {
  RotationPlan plan("cap-%H%M%S", {0, 10, 0, true});
  CHECK(plan.start(3600) == "cap-010000");
  CHECK(plan.beforeWrite(1'000'000, 3605) == RotationAction::Keep);
  CHECK(plan.beforeWrite(1'000'000, 3610) == RotationAction::Rotate);
  CHECK(plan.currentName() == "cap-010010");
  CHECK(plan.beforeWrite(0, 3619) == RotationAction::Keep);
  CHECK(plan.beforeWrite(0, 3625) == RotationAction::Rotate);
  CHECK(plan.currentName() == "cap-010025");

  RotationPlan limited("g", {0, 1, 2, true});
  CHECK(limited.start(0) == "g");
  CHECK(limited.beforeWrite(0, 1) == RotationAction::Rotate);
  CHECK(limited.currentName() == "g");
  CHECK(limited.beforeWrite(0, 2) == RotationAction::Stop);
}

TEST_CASE("rotation: -G with -C: the size count restarts each period", "[rotation]") {
  RotationPlan plan("t%S-", {10, 60, 0, true});
  CHECK(plan.start(0) == "t00-");
  CHECK(plan.beforeWrite(11, 1) == RotationAction::Rotate);
  CHECK(plan.currentName() == "t00-1");
  CHECK(plan.beforeWrite(11, 2) == RotationAction::Rotate);
  CHECK(plan.currentName() == "t00-2");
  CHECK(plan.beforeWrite(0, 61) == RotationAction::Rotate);
  CHECK(plan.currentName() == "t01-");
  CHECK(plan.beforeWrite(11, 62) == RotationAction::Rotate);
  CHECK(plan.currentName() == "t01-1");
}

TEST_CASE("rotation: -w DIR/: per-target names, HOST_PORT when a host is shared", "[rotation]") {
  CHECK(perTargetFileNames({"a", "b"}, {8475, 8475}, ".pcap") ==
        std::vector<std::string>{"a.pcap", "b.pcap"});
  CHECK(perTargetFileNames({"a", "a", "b"}, {8475, 9000, 8475}, ".pcapng") ==
        std::vector<std::string>{"a_8475.pcapng", "a_9000.pcapng", "b.pcapng"});
  CHECK(perTargetFileNames({"::1", "../etc/x", ""}, {8475, 0, 0}, ".pcap") ==
        std::vector<std::string>{"__1.pcap", "_.._etc_x.pcap", "_.pcap"});
  // Same host and port twice (two paths), or names that collide once made safe.
  CHECK(perTargetFileNames({"h", "h", "a:b", "a_b"}, {1, 1, 0, 0}, ".pcap") ==
        std::vector<std::string>{"h_1.pcap", "h_1_2.pcap", "a_b.pcap", "a_b_2.pcap"});
}
