// The moment the merge releases a record, on an injected clock: at a fan-in
// of hundreds of live streams, a record goes out in the same release() call
// that learns the last stream it waited for has moved past it (a batch, or
// its end), never on a later timer; only a stream that shows nothing holds it,
// and then for --max-delay exactly. A stream that connected late (its SYN
// retried a second later) held every other record for --max-delay this way.
#include <catch2/catch.hpp>

#include "merger.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kBase = 1'700'000'000ULL * 1'000'000'000ULL;
constexpr uint64_t kMaxDelay = 500 * kMs;

// One record per stamp (µs after kBase), its payload the stream's number.
PacketBatch batch(size_t stream, std::initializer_list<uint64_t> usList) {
  PacketBatch b;
  b.linkType = kLinkTypeEthernet;
  for (uint64_t us : usList) {
    const std::vector<uint8_t> data{static_cast<uint8_t>(stream >> 8),
                                    static_cast<uint8_t>(stream)};
    b.add(kBase + us * 1000, RecordHeader{0, 0, 2, 2}, data);
  }
  return b;
}

// The fleet: `streams` live streams with headers at `now`, stream s having
// sent records stamped 10 ms + s µs and 30 ms, except the last, which has
// sent nothing yet.
Merger fleet(size_t streams, uint64_t now, RecordBuffer& out) {
  Merger m(MergerOptions{kMaxDelay});
  for (size_t s = 0; s < streams; ++s) {
    m.addStream(true);
    REQUIRE(m.setHeader(s, ethernetHeader(), now).ok());
  }
  for (size_t s = 0; s + 1 < streams; ++s) REQUIRE(m.push(s, batch(s, {10'000 + s, 30'000}), now));
  m.release(now, out);  // the global header: every stream has answered
  return m;
}

size_t records(const RecordBuffer& out) {
  StreamDecoder decoder;
  CollectingSink sink;
  REQUIRE(decoder.feed(out.bytes(), sink).ok());
  return sink.packets.size();
}

}  // namespace

TEST_CASE(
    "a stream that has sent nothing holds the fleet until its first record, then not a moment "
    "longer",
    "[merger]") {
  for (size_t streams : {200u, 1000u}) {
    CAPTURE(streams);
    const uint64_t t0 = 5'000 * kMs;
    RecordBuffer out;
    Merger m = fleet(streams, t0, out);
    const size_t last = streams - 1;
    // Held: the last stream may still send something older.
    CHECK(m.release(t0 + 1 * kMs, out) == 0);
    CHECK(m.release(t0 + kMaxDelay - 1, out) == 0);
    REQUIRE(m.nextDeadline() == t0 + kMaxDelay);
    // Its first record, stamped after every other stream's first: in the
    // same call, every record up to it goes (each stream's first, and its
    // own), and nothing stamped later than a stream's high-water mark.
    const uint64_t at = t0 + 3 * kMs;
    REQUIRE(m.push(last, batch(last, {15'000}), at));
    CHECK(m.release(at, out) == streams);
    CHECK(records(out) == streams);
    // The others' second records wait for the last stream to pass 30 ms.
    CHECK(m.release(at, out) == 0);
    REQUIRE(m.push(last, batch(last, {35'000}), at + 10 * kMs));
    CHECK(m.release(at + 10 * kMs, out) == streams - 1);
    CHECK(records(out) == 2 * streams - 1);
  }
}

TEST_CASE("a stream's end releases what waited for it in the same call", "[merger]") {
  const size_t streams = 1000;
  const uint64_t t0 = 7'000 * kMs;
  RecordBuffer out;
  Merger m = fleet(streams, t0, out);
  m.close(streams - 1);
  // Every record: nothing else can come before them.
  CHECK(m.release(t0 + 1 * kMs, out) == 2 * (streams - 1));
  CHECK(m.stats(0).reordered == 0);
}

TEST_CASE("a stream that never sends holds the fleet for --max-delay exactly", "[merger]") {
  const size_t streams = 200;
  const uint64_t t0 = 9'000 * kMs;
  RecordBuffer out;
  Merger m = fleet(streams, t0, out);
  CHECK(m.release(t0 + kMaxDelay - 1, out) == 0);
  // At the deadline every record that has waited that long goes.
  CHECK(m.release(t0 + kMaxDelay, out) == 2 * (streams - 1));
  CHECK(!m.nextDeadline().has_value());
}

// The rule, restated without heaps or sets: the oldest queued record (ties:
// the later stream) may go when every other stream with nothing queued has
// shown a stamp at least as late; repeat. How many go now.
size_t ruleAllows(std::vector<std::vector<uint64_t>>& queued, std::vector<uint64_t>& highWater) {
  size_t released = 0;
  for (;;) {
    size_t top = queued.size();
    for (size_t s = 0; s < queued.size(); ++s) {
      if (!queued[s].empty() && (top == queued.size() || queued[s].front() <= queued[top].front()))
        top = s;
    }
    if (top == queued.size()) return released;
    const uint64_t ts = queued[top].front();
    for (size_t s = 0; s < queued.size(); ++s) {
      if (s != top && queued[s].empty() && highWater[s] < ts) return released;
    }
    queued[top].erase(queued[top].begin());
    ++released;
  }
}

TEST_CASE("at 1000 streams every record goes in the call that first allows it", "[merger]") {
  const size_t streams = 1000;
  const uint64_t t0 = 11'000 * kMs;
  Merger m(MergerOptions{kMaxDelay});
  RecordBuffer out;
  std::vector<std::vector<uint64_t>> queued(streams);
  std::vector<uint64_t> highWater(streams, 0);
  for (size_t s = 0; s < streams; ++s) {
    m.addStream(true);
    REQUIRE(m.setHeader(s, ethernetHeader(), t0).ok());
  }
  // Rounds of 10 ms: each stream sends one record stamped within its round
  // (jittered), the streams' batches arriving in a shuffled order, as 1000
  // hosts at 100 packets a second would. After every arrival, release() at
  // that same instant writes exactly what the rule allows.
  uint64_t seed = 12345;
  auto next = [&seed] { return seed = seed * 6364136223846793005ULL + 1442695040888963407ULL; };
  size_t written = 0;
  for (uint64_t round = 1; round <= 20; ++round) {
    std::vector<size_t> order(streams);
    for (size_t s = 0; s < streams; ++s) order[s] = s;
    for (size_t i = streams - 1; i > 0; --i) std::swap(order[i], order[next() % (i + 1)]);
    const uint64_t now = t0 + round * 10 * kMs;  // long before any --max-delay
    for (size_t s : order) {
      const uint64_t us = round * 10'000 + next() % 9'000;
      REQUIRE(m.push(s, batch(s, {us}), now));
      queued[s].push_back(kBase + us * 1000);
      highWater[s] = kBase + us * 1000;
      const size_t expected = ruleAllows(queued, highWater);
      const size_t got = m.release(now, out);
      REQUIRE(got == expected);
      written += got;
    }
  }
  CHECK(written > 15 * streams);
  CHECK(records(out) == written);
  CHECK(m.stats(0).reordered == 0);
}

TEST_CASE("a stream that joins a running merge holds back nothing stamped before it joined",
          "[merger]") {
  const uint64_t t0 = 5'000 * kMs;
  RecordBuffer out;
  Merger m(MergerOptions{kMaxDelay});
  m.addStream(true);
  REQUIRE(m.setHeader(0, ethernetHeader(), t0).ok());
  REQUIRE(m.push(0, batch(0, {10'000, 20'000, 40'000}), t0));
  CHECK(m.release(t0, out) == 3);  // alone: everything it has shown
  REQUIRE(m.push(0, batch(0, {50'000, 60'000}), t0 + 1 * kMs));
  // It joins having shown 55 ms (its capture starts then): 50 ms goes at
  // once, 60 ms waits for it.
  const size_t joined = m.addStream(true, kBase + 55'000'000);
  REQUIRE(m.setHeader(joined, ethernetHeader(), t0 + 1 * kMs).ok());
  CHECK(m.release(t0 + 1 * kMs, out) == 1);
  CHECK(m.nextDeadline() == t0 + 1 * kMs + kMaxDelay);
  REQUIRE(m.push(joined, batch(joined, {70'000}), t0 + 2 * kMs));
  CHECK(m.release(t0 + 2 * kMs, out) == 1);  // 60 ms; 70 ms waits for stream 0
  CHECK(records(out) == 5);
  // Joined without a mark (as at start), the same record would wait.
  Merger held(MergerOptions{kMaxDelay});
  held.addStream(true);
  REQUIRE(held.setHeader(0, ethernetHeader(), t0).ok());
  REQUIRE(held.push(0, batch(0, {50'000}), t0));
  held.addStream(true);
  REQUIRE(held.setHeader(1, ethernetHeader(), t0).ok());
  CHECK(held.release(t0, out) == 0);
}
