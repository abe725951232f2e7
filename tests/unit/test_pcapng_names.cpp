#include <catch2/catch.hpp>

#include <cstring>

#include "pcapng_blocks.h"
#include "pcapng_names.h"

using namespace ddump;

namespace {

uint32_t u32(const std::vector<uint8_t>& b, size_t at) {
  uint32_t v = 0;
  std::memcpy(&v, b.data() + at, 4);
  return v;
}
uint16_t u16(const std::vector<uint8_t>& b, size_t at) {
  uint16_t v = 0;
  std::memcpy(&v, b.data() + at, 2);
  return v;
}

}  // namespace

TEST_CASE("an NRB names IPv4 and IPv6 addresses, records padded to 32 bits", "[pcapng]") {
  const auto b = encodeNameResolutionBlock({{"10.244.1.9", "web-1"}, {"fd00::9", "web-1"}});
  // 8 header + (4 + 4 + 6 -> 16) + (4 + 16 + 6 -> 28) + 4 end + 4 trailer
  REQUIRE(b.size() == 8 + 16 + 28 + 4 + 4);
  CHECK(u32(b, 0) == kPcapngNrbType);
  CHECK(u32(b, 4) == b.size());
  CHECK(u32(b, b.size() - 4) == b.size());
  // nrb_record_ipv4: type 1, value length 4 + "web-1\0"
  CHECK(u16(b, 8) == 1);
  CHECK(u16(b, 10) == 10);
  CHECK(std::vector<uint8_t>(b.begin() + 12, b.begin() + 16) ==
        std::vector<uint8_t>{10, 244, 1, 9});
  CHECK(std::memcmp(b.data() + 16, "web-1\0\0\0", 8) == 0);
  // nrb_record_ipv6: type 2, value length 16 + 6
  CHECK(u16(b, 24) == 2);
  CHECK(u16(b, 26) == 22);
  CHECK(b[28] == 0xfd);
  CHECK(b[43] == 9);
  CHECK(std::memcmp(b.data() + 44, "web-1\0\0\0", 8) == 0);
  // nrb_record_end
  CHECK(u16(b, 52) == 0);
  CHECK(u16(b, 54) == 0);
}

TEST_CASE("an NRB leaves out what is no address, and is empty without one", "[pcapng]") {
  CHECK(encodeNameResolutionBlock({}).empty());
  CHECK(
      encodeNameResolutionBlock({{"web-1", "x"}, {"10.0.0.1/24", "y"}, {"10.0.0.1", ""}}).empty());
  const auto b = encodeNameResolutionBlock({{"nonsense", "x"}, {"192.0.2.1", "db"}});
  CHECK(b.size() == 8 + 12 + 4 + 4);  // one record: 4 + 4 + "db\0" -> 11, padded to 12
  CHECK(u16(b, 10) == 7);
}

TEST_CASE("an NRB cuts a long name at 255 bytes", "[pcapng]") {
  const auto b = encodeNameResolutionBlock({{"192.0.2.1", std::string(1000, 'a')}});
  CHECK(u16(b, 10) == 4 + 255 + 1);
  CHECK(b.size() % 4 == 0);
  CHECK(u32(b, 4) == b.size());
}
