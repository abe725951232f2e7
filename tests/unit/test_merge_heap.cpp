// The merge heap (merge_heap.h): a total order with mergecap's tie-break,
// checked against a sort, and replaceTop equal to pop + push.
#include <catch2/catch.hpp>

#include <algorithm>
#include <random>
#include <vector>

#include "merge_heap.h"

using namespace ddump;

namespace {

std::vector<HeapKey> drain(MergeHeap& heap) {
  std::vector<HeapKey> out;
  while (!heap.empty()) {
    out.push_back(heap.top());
    heap.pop();
  }
  return out;
}

}  // namespace

TEST_CASE("equal timestamps come out highest stream first (mergecap's order)", "[merger][heap]") {
  MergeHeap heap;
  for (uint32_t stream : {1u, 3u, 0u, 2u}) heap.push({100, stream});
  heap.push({99, 0});
  const auto out = drain(heap);
  REQUIRE(out.size() == 5);
  CHECK(out[0].stream == 0);
  CHECK(out[0].tsNs == 99);
  CHECK(out[1].stream == 3);
  CHECK(out[2].stream == 2);
  CHECK(out[3].stream == 1);
  CHECK(out[4].stream == 0);
}

TEST_CASE("the heap orders like a sort by (timestamp, -stream)", "[merger][heap]") {
  std::mt19937 rng(7);
  std::uniform_int_distribution<uint64_t> ts(0, 20);  // many ties on purpose
  for (int round = 0; round < 50; ++round) {
    MergeHeap heap;
    std::vector<HeapKey> keys;
    for (uint32_t s = 0; s < 1 + static_cast<uint32_t>(round % 9); ++s) keys.push_back({ts(rng), s});
    for (const auto& k : keys) heap.push(k);
    std::sort(keys.begin(), keys.end(), MergeHeap::before);
    const auto out = drain(heap);
    REQUIRE(out.size() == keys.size());
    for (size_t i = 0; i < keys.size(); ++i) {
      CHECK(out[i].tsNs == keys[i].tsNs);
      CHECK(out[i].stream == keys[i].stream);
    }
  }
}

TEST_CASE("replaceTop gives the same order as pop then push", "[merger][heap]") {
  std::mt19937 rng(11);
  std::uniform_int_distribution<uint64_t> step(0, 3);
  MergeHeap a;
  MergeHeap b;
  std::vector<uint64_t> next(6, 0);
  for (uint32_t s = 0; s < next.size(); ++s) {
    a.push({0, s});
    b.push({0, s});
  }
  for (int i = 0; i < 2000; ++i) {
    REQUIRE(a.top().tsNs == b.top().tsNs);
    REQUIRE(a.top().stream == b.top().stream);
    const uint32_t s = a.top().stream;
    next[s] += step(rng);
    a.replaceTop({next[s], s});
    b.pop();
    b.push({next[s], s});
  }
}
