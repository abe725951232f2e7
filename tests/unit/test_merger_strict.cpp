#include <catch2/catch.hpp>

#include "merger.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kBase = 1'700'000'000ULL * 1'000'000'000ULL;

PacketBatch batch(uint8_t stream, std::initializer_list<uint64_t> msList) {
  PacketBatch b;
  b.linkType = kLinkTypeEthernet;
  uint8_t seq = 0;
  for (uint64_t ms : msList) {
    const std::vector<uint8_t> data{stream, seq++};
    b.add(kBase + ms * kMs, RecordHeader{0, 0, 2, 2}, data);
  }
  return b;
}

std::vector<int> streamsOf(const RecordBuffer& out) {
  StreamDecoder decoder;
  CollectingSink sink;
  REQUIRE(decoder.feed(out.bytes(), sink).ok());
  std::vector<int> streams;
  for (const auto& p : sink.packets) streams.push_back(p.data[0]);
  return streams;
}

}  // namespace

// A worker's history arrives as fast as it can be sent, another's slower: a
// live packet must not overtake history that is still on its way, however
// long max-delay has passed.
TEST_CASE("a strict (history) stream is never overtaken, then merges live", "[merger][history]") {
  Merger m(MergerOptions{500 * kMs});
  const size_t fast = m.addStream(false);
  const size_t slow = m.addStream(false);
  RecordBuffer out;
  REQUIRE(m.setHeader(fast, ethernetHeader(), 0).ok());
  REQUIRE(m.setHeader(slow, ethernetHeader(), 0).ok());
  REQUIRE(m.push(slow, batch(1, {1}), 0));
  // fast finished its history and is live; slow is still in its history.
  m.setLive(fast, true);
  REQUIRE(m.push(fast, batch(0, {100, 200}), 0));
  CHECK(m.release(10'000 * kMs, out) == 1);  // slow:1 only, 10 s later
  CHECK(m.nextDeadline() == std::nullopt);   // nothing to wait for but slow
  REQUIRE(m.push(slow, batch(1, {150}), 10'000 * kMs));
  CHECK(m.release(10'001 * kMs, out) == 2);  // fast:100, slow:150; fast:200 waits
  // slow's history is complete: from now on it is an idle live stream, and
  // fast:200 (arrived at 0) has waited longer than max-delay for it.
  m.setLive(slow, true);
  CHECK(m.release(10'001 * kMs, out) == 1);
  CHECK(streamsOf(out) == std::vector<int>{1, 0, 1, 0});
  CHECK(m.stats(fast).reordered == 0);
  CHECK(m.stats(slow).reordered == 0);
}

TEST_CASE("switching an empty stream between live and strict keeps its high-water mark",
          "[merger][history]") {
  Merger m(MergerOptions{500 * kMs});
  const size_t a = m.addStream(true);
  const size_t b = m.addStream(true);
  RecordBuffer out;
  REQUIRE(m.setHeader(a, ethernetHeader(), 0).ok());
  REQUIRE(m.setHeader(b, ethernetHeader(), 0).ok());
  REQUIRE(m.push(b, batch(1, {50}), 0));
  CHECK(m.release(0, out) == 0);
  m.setLive(a, false);  // a (empty, nothing shown) becomes strict: b:50 waits for it
  CHECK(m.release(1000 * kMs, out) == 0);
  m.setLive(a, false);  // idempotent
  REQUIRE(m.push(a, batch(0, {60}), 1000 * kMs));
  CHECK(m.release(1000 * kMs, out) == 1);  // b:50; a:60 waits for b (live, max-delay)
  m.setLive(a, true);
  m.close(b);
  CHECK(m.release(1000 * kMs, out) == 1);
  CHECK(streamsOf(out) == std::vector<int>{1, 0});
}
