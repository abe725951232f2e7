// The merge path's hooks for the output modes: the stream of every written
// record (for pcapng interfaces and per-target files) and the --clock-offset
// shift.
#include <catch2/catch.hpp>

#include "merger.h"
#include "packet_batch.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

constexpr uint64_t kBase = 1'700'000'000ULL * 1'000'000'000ULL;

PacketBatch batchAt(std::initializer_list<uint64_t> msList) {
  PacketBatch b;
  const std::vector<uint8_t> data{1, 2, 3};
  for (uint64_t ms : msList) b.add(kBase + ms * 1'000'000, RecordHeader{0, 0, 3, 3}, data);
  return b;
}

}  // namespace

TEST_CASE("the merger logs the stream of each record it writes, in output order", "[merger][output]") {
  Merger m;
  std::vector<uint32_t> log;
  m.setStreamLog(&log);
  const size_t a = m.addStream(false);
  const size_t b = m.addStream(false);
  GlobalHeader h;
  REQUIRE(m.setHeader(a, h, 0).ok());
  REQUIRE(m.setHeader(b, h, 0).ok());
  REQUIRE(m.push(a, batchAt({1, 4, 5}), 0));
  REQUIRE(m.push(b, batchAt({2, 3, 6}), 0));
  m.close(a);
  m.close(b);
  RecordBuffer out;
  CHECK(m.release(0, out) == 6);
  CHECK(log == std::vector<uint32_t>{0, 1, 1, 0, 0, 1});
}

TEST_CASE("a collector's clock offset moves every timestamp onto our clock", "[packet_batch][output]") {
  const auto stream = makeStream(ByteOrder::Little, Precision::Micro, 3);
  StreamDecoder plain;
  StreamDecoder shifted;
  BatchCollector p;
  BatchCollector s;
  s.setClockOffset(2'000'000'000LL);  // the worker is 2 s ahead
  REQUIRE(plain.feed(stream, p).ok());
  REQUIRE(shifted.feed(stream, s).ok());
  const PacketBatch pb = p.takeBatch();
  const PacketBatch sb = s.takeBatch();
  REQUIRE(pb.size() == 3);
  REQUIRE(sb.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(pb.entry(i).tsNs - sb.entry(i).tsNs == 2'000'000'000ULL);
}
