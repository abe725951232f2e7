#include <catch2/catch.hpp>

#include <array>
#include <vector>

#include "history_selection.h"
#include "sll.h"

using namespace ddump;

namespace {

// An SLL2 record: ifindex, packet type, then an IPv4-ish payload.
std::vector<uint8_t> sll2Record(uint32_t ifindex, uint8_t packetType, size_t payload) {
  Sll2Header h;
  h.protocol = 0x0800;
  h.interfaceIndex = ifindex;
  h.arphrdType = 1;
  h.packetType = packetType;
  h.addressLength = 6;
  h.address = {2, 0, 0, 0, 0, 1, 0, 0};
  const auto bytes = encodeSll2(h);
  std::vector<uint8_t> out(bytes.begin(), bytes.end());
  for (size_t i = 0; i < payload; ++i) out.push_back(static_cast<uint8_t>(i));
  return out;
}

HistoryRecord record(const std::vector<uint8_t>& bytes, int64_t tsNs = 1'700'000'000'123'456'789) {
  return HistoryRecord{tsNs, static_cast<uint32_t>(bytes.size()),
                       static_cast<uint32_t>(bytes.size() + 100), bytes};
}

}  // namespace

TEST_CASE("history records become SLL by default, keeping the payload whole", "[history_selection]") {
  const auto bytes = sll2Record(3, 0, 40);
  std::vector<uint8_t> out;
  HistorySelection s;
  const auto h = selectHistoryRecord(s, record(bytes), out);
  REQUIRE(h);
  CHECK(h->caplen == 16 + 40);
  CHECK(h->len == bytes.size() + 100 - 4);
  CHECK(h->tsSec == 1'700'000'000u);
  CHECK(h->tsFrac == 123'456u);  // µs, truncated
  const auto sll = parseSll(out);
  REQUIRE(sll);
  CHECK(sll->packetType == 0);
  CHECK(sll->protocol == 0x0800);
  CHECK(sll->addressLength == 6);
  CHECK(std::vector<uint8_t>(out.begin() + 16, out.end()) ==
        std::vector<uint8_t>(bytes.begin() + 20, bytes.end()));
}

TEST_CASE("history records as SLL2 with nanoseconds are the ring's bytes", "[history_selection]") {
  const auto bytes = sll2Record(3, 4, 10);
  std::vector<uint8_t> out;
  HistorySelection s;
  s.linkType = kLinkTypeLinuxSll2;
  s.precision = Precision::Nano;
  const auto h = selectHistoryRecord(s, record(bytes), out);
  REQUIRE(h);
  CHECK(out == bytes);
  CHECK(h->len == bytes.size() + 100);
  CHECK(h->tsFrac == 123'456'789u);
}

TEST_CASE("history selection by interface and direction, as pcap_setdirection", "[history_selection]") {
  std::vector<uint8_t> out;
  const auto in3 = sll2Record(3, 0, 8), out3 = sll2Record(3, 4, 8), bcast5 = sll2Record(5, 1, 8);
  HistorySelection s;
  s.interfaceIndex = 3;
  CHECK(selectHistoryRecord(s, record(in3), out));
  CHECK(selectHistoryRecord(s, record(out3), out));
  CHECK_FALSE(selectHistoryRecord(s, record(bcast5), out));
  s.interfaceIndex = 0;
  s.direction = Direction::In;
  CHECK(selectHistoryRecord(s, record(in3), out));
  CHECK_FALSE(selectHistoryRecord(s, record(out3), out));
  CHECK(selectHistoryRecord(s, record(bcast5), out));  // broadcast is "in"
  s.direction = Direction::Out;
  CHECK_FALSE(selectHistoryRecord(s, record(in3), out));
  CHECK(selectHistoryRecord(s, record(out3), out));
}

TEST_CASE("a history record too short for its SLL2 header is not selected", "[history_selection]") {
  std::vector<uint8_t> out;
  const auto bytes = sll2Record(3, 0, 0);
  for (size_t n = 0; n < bytes.size(); ++n) {
    const std::vector<uint8_t> cut(bytes.begin(), bytes.begin() + static_cast<long>(n));
    CHECK_FALSE(selectHistoryRecord(HistorySelection{}, record(cut), out));
  }
  CHECK(selectHistoryRecord(HistorySelection{}, record(bytes), out));
}

TEST_CASE("record times clamp to what pcap can hold", "[history_selection]") {
  RecordHeader h;
  setRecordTime(h, -5, Precision::Micro);
  CHECK((h.tsSec == 0 && h.tsFrac == 0));
  setRecordTime(h, 1'500'000'999, Precision::Nano);
  CHECK((h.tsSec == 1 && h.tsFrac == 500'000'999));
  setRecordTime(h, INT64_MAX, Precision::Micro);
  CHECK(h.tsSec == UINT32_MAX);
}
