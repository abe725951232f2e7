// pcapng timestamp conversion (common/pcapng_time) and option walking
// (common/pcapng_options), checked against 128-bit reference arithmetic.

#include <catch2/catch.hpp>

#include <random>

#include "pcapng_options.h"
#include "pcapng_time.h"

using namespace ddump;

namespace {

__extension__ typedef unsigned __int128 U128;  // reference arithmetic only

uint64_t referenceNs(uint64_t units, const PcapngTimeResolution& r) {
  const U128 ups = r.unitsPerSecond;
  return static_cast<uint64_t>(U128{units} / ups * kNsPerSecond +
                               U128{units} % ups * kNsPerSecond / ups);
}

PcapngTimeResolution resolution(uint8_t raw) {
  auto r = pcapngTimeResolution(raw);
  REQUIRE(r.ok());
  return *r;
}

}  // namespace

TEST_CASE("if_tsresol: every value up to 10^-19 and 2^-63 is accepted", "[pcapng]") {
  for (unsigned raw = 0; raw < 256; ++raw) {
    INFO("if_tsresol " << raw);
    auto r = pcapngTimeResolution(static_cast<uint8_t>(raw));
    const unsigned e = raw & 0x7f;
    if (raw & 0x80) {
      REQUIRE(r.ok() == (e <= 63));
      if (r) CHECK(r->unitsPerSecond == uint64_t{1} << e);
    } else {
      REQUIRE(r.ok() == (e <= 19));
      U128 pow = 1;
      for (unsigned i = 0; i < e; ++i) pow *= 10;
      if (r) CHECK(r->unitsPerSecond == static_cast<uint64_t>(pow));
    }
  }
  CHECK(pcapngTimeResolution(20).error().message ==
        "if_tsresol 10^-20 s is finer than 10^-19: its units per second do not fit in 64 bits");
  CHECK(pcapngTimeResolution(0x80 | 64).error().message ==
        "if_tsresol 2^-64 s is finer than 2^-63: its units per second do not fit in 64 bits");
}

TEST_CASE("mulShiftRight is floor(a * b / 2^shift) without a 128-bit type", "[pcapng]") {
  std::mt19937_64 random(7);
  for (int i = 0; i < 20000; ++i) {
    const unsigned shift = 32 + static_cast<unsigned>(random() % 32);
    const uint64_t a = random();
    const auto b = static_cast<uint32_t>(random());
    INFO(a << " * " << b << " >> " << shift);
    REQUIRE(mulShiftRight(a, b, shift) == static_cast<uint64_t>((U128{a} * b) >> shift));
  }
  // Below 32 bits of shift the product must fit: a < 2^shift, b = 10^9.
  for (unsigned shift = 0; shift < 32; ++shift) {
    for (uint64_t a :
         {uint64_t{0}, uint64_t{1}, (uint64_t{1} << shift) - 1, uint64_t{1} << shift}) {
      CHECK(mulShiftRight(a, 1'000'000'000, shift) ==
            static_cast<uint64_t>((U128{a} * 1'000'000'000) >> shift));
    }
  }
}

TEST_CASE("pcapng timestamps convert exactly at every resolution", "[pcapng]") {
  std::mt19937_64 random(11);
  for (unsigned raw = 0; raw < 256; ++raw) {
    auto r = pcapngTimeResolution(static_cast<uint8_t>(raw));
    if (!r) continue;
    for (int i = 0; i < 200; ++i) {
      // Units that land before 2554 at this resolution, and their fractions' edges.
      uint64_t units = random();
      const U128 limit = U128{18'000'000'000} * r->unitsPerSecond;
      if (units >= limit) units = static_cast<uint64_t>(units % limit);
      if (i == 0) units = r->unitsPerSecond - 1;
      if (i == 1) units = r->unitsPerSecond;
      INFO("if_tsresol " << raw << " units " << units);
      auto ns = pcapngTimestampNs(units, *r, 0);
      REQUIRE(ns.ok());
      REQUIRE(*ns == referenceNs(units, *r));
    }
  }
  // The fixtures' 2^-20 timestamps: 1 unit is 953.67 ns, rounded down.
  CHECK(*pcapngTimestampNs((uint64_t{1700000002} << 20) + 1, resolution(0x94), 0) ==
        1700000002'000000953u);
  CHECK(*pcapngTimestampNs((uint64_t{1700000002} << 20) + (1 << 20) - 1, resolution(0x94), 0) ==
        1700000002'999999046u);
  // Finer than a nanosecond: picoseconds are truncated.
  CHECK(*pcapngTimestampNs(17000000'123456789'012u, resolution(12), 0) == 17000000'123456789u);
  // Coarser: whole seconds and milliseconds.
  CHECK(*pcapngTimestampNs(1700000000, resolution(0), 0) == 1700000000'000000000u);
  CHECK(*pcapngTimestampNs(1700000000'123u, resolution(3), 0) == 1700000000'123000000u);
}

TEST_CASE("if_tsoffset is added in seconds, checked for overflow", "[pcapng]") {
  const auto micro = resolution(6);
  CHECK(*pcapngTimestampNs(123456, micro, 1700000000) == 1700000000'123456000u);
  CHECK(*pcapngTimestampNs(1700000000'000001u, micro, -1700000000) == 1000u);
  CHECK(pcapngTimestampNs(5'000000, micro, -10).error().message ==
        "timestamp 5 s + if_tsoffset -10 s is before 1970");
  CHECK(pcapngTimestampNs(0, micro, INT64_MIN).error().message ==
        "timestamp 0 s + if_tsoffset -9223372036854775808 s is before 1970");
  CHECK(pcapngTimestampNs(UINT64_MAX, resolution(0), INT64_MAX).error().message ==
        "timestamp 18446744073709551615 s + if_tsoffset 9223372036854775807 s overflows 64 bits");
  CHECK(pcapngTimestampNs(18446744074, resolution(0), 0).error().message ==
        "timestamp 18446744074 s + if_tsoffset 0 s is past what 64-bit nanoseconds since 1970 "
        "hold (the year 2554)");
  // The last representable nanosecond, and one past it.
  CHECK(*pcapngTimestampNs(18446744073'709551u, micro, 0) == 18446744073'709551000u);
  CHECK(*pcapngTimestampNs(18446744073'709551615u, resolution(9), 0) == UINT64_MAX);
  CHECK(*pcapngTimestampNs(18446744072'709551615u, resolution(9), 1) == UINT64_MAX);
  CHECK_FALSE(pcapngTimestampNs(18446744072'709551616u, resolution(9), 1).ok());
}

TEST_CASE("pcapng options are walked within their bytes", "[pcapng]") {
  // comment "ab", code 0x8001 (local) of 5 bytes, then opt_endofopt and junk.
  const std::vector<uint8_t> le{1, 0, 2, 0, 'a', 'b', 0, 0, 1, 0x80, 5,    0,    1,    2,
                                3, 4, 5, 0, 0,   0,   0, 0, 0, 0,    0xff, 0xff, 0xff, 0xff};
  std::vector<std::pair<uint16_t, size_t>> seen;
  Status status = walkPcapngOptions(le, ByteOrder::Little, [&](const PcapngOption& o) {
    seen.emplace_back(o.code, o.value.size());
    return Status::success();
  });
  REQUIRE(status.ok());
  CHECK(seen == std::vector<std::pair<uint16_t, size_t>>{{1, 2}, {0x8001, 5}});

  SECTION("no opt_endofopt: the list ends with the bytes (3.5)") {
    seen.clear();
    CHECK(walkPcapngOptions(std::span(le).first(20), ByteOrder::Little, [&](const PcapngOption& o) {
            seen.emplace_back(o.code, o.value.size());
            return Status::success();
          }).ok());
    CHECK(seen.size() == 2);
  }
  SECTION("a value running past the bytes") {
    auto e = walkPcapngOptions(std::span(le).first(16), ByteOrder::Little,
                               [](const PcapngOption&) { return Status::success(); });
    CHECK(e.error().message == "option 32769 (length 5) runs past the block (4 bytes left)");
  }
  SECTION("a header cut short") {
    auto e = walkPcapngOptions(std::span(le).first(10), ByteOrder::Little,
                               [](const PcapngOption&) { return Status::success(); });
    CHECK(e.error().message == "option header runs past the block (2 bytes left)");
  }
  SECTION("opt_endofopt with a length") {
    const std::vector<uint8_t> bad{0, 0, 4, 0, 1, 2, 3, 4};
    auto e = walkPcapngOptions(bad, ByteOrder::Little,
                               [](const PcapngOption&) { return Status::success(); });
    CHECK(e.error().message == "opt_endofopt has length 4, not 0");
  }
  SECTION("the callback's error stops the walk") {
    int calls = 0;
    auto e = walkPcapngOptions(le, ByteOrder::Little, [&](const PcapngOption&) {
      ++calls;
      return Status(makeError(ErrorCode::DecoderFailed, "stop"));
    });
    CHECK(calls == 1);
    CHECK(e.error().message == "stop");
  }
}

TEST_CASE("pcapng option values: strings stop at NUL, fixed lengths are checked", "[pcapng]") {
  const std::vector<uint8_t> text{'e', 't', 'h', 0, 'x'};
  CHECK(pcapngString(text) == "eth");
  CHECK(pcapngString(std::span(text).first(3)) == "eth");
  CHECK(pcapngString({}).empty());
  const std::vector<uint8_t> eight{1, 2, 3, 4, 5, 6, 7, 8};
  const PcapngOption option{14, eight};
  CHECK(*pcapngU64(option, ByteOrder::Little, "if_tsoffset") == 0x0807060504030201u);
  CHECK(*pcapngU64(option, ByteOrder::Big, "if_tsoffset") == 0x0102030405060708u);
  CHECK(*pcapngTimestampUnits(option, ByteOrder::Little, "isb_starttime") == 0x0403020108070605u);
  CHECK(*pcapngTimestampUnits(option, ByteOrder::Big, "isb_starttime") == 0x0102030405060708u);
  CHECK(pcapngU32(option, ByteOrder::Little, "epb_flags").error().message ==
        "epb_flags option has length 8, not 4");
  CHECK(pcapngU8(option, "if_tsresol").error().message == "if_tsresol option has length 8, not 1");
  const PcapngOption three{2, std::span(eight).first(3)};
  CHECK(pcapngU64(three, ByteOrder::Big, "epb_dropcount").error().message ==
        "epb_dropcount option has length 3, not 8");
}
