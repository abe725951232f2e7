#include <catch2/catch.hpp>

#include <chrono>
#include <cstdint>
#include <string>

#include "interface_cap.h"

using namespace ddump;

TEST_CASE("interface index set: insert, contains, index 0, bounded size", "[interface_cap]") {
  InterfaceIndexSet set(4, 12345);
  CHECK_FALSE(set.contains(0));
  CHECK(set.insert(7));
  CHECK_FALSE(set.insert(7));  // already there
  CHECK(set.insert(0));        // 0 is the empty marker of a slot: kept apart
  CHECK_FALSE(set.insert(0));
  CHECK(set.insert(0xffffffffU));
  CHECK(set.size() == 3);
  CHECK_FALSE(set.full());
  CHECK(set.insert(9));
  CHECK(set.full());
  CHECK_FALSE(set.insert(10));  // full: refused, not added
  CHECK(set.size() == 4);
  for (uint32_t index : {7u, 0u, 0xffffffffU, 9u}) CHECK(set.contains(index));
  CHECK_FALSE(set.contains(10));
  CHECK_FALSE(set.contains(8));
}

TEST_CASE("interface index set keeps every index through its growth", "[interface_cap]") {
  for (uint32_t seed : {0u, 1u, 0xdeadbeefU}) {
    InterfaceIndexSet set(70000, seed);
    for (uint32_t i = 0; i < 70000; ++i) REQUIRE(set.insert(i * 4096u + 3));
    CHECK(set.full());
    for (uint32_t i = 0; i < 70000; ++i) REQUIRE(set.contains(i * 4096u + 3));
    CHECK_FALSE(set.contains(4));
    CHECK_FALSE(set.insert(4));
  }
}

TEST_CASE("interface cap: the first LIMIT distinct indexes have interfaces, later ones share other",
          "[interface_cap]") {
  InterfaceCap cap(3, 100, 42);
  CHECK(cap.limit() == 3);
  CHECK(cap.admit(5));
  CHECK(cap.admit(5));  // the same index again: still its own
  CHECK(cap.admit(0));
  CHECK(cap.admit(2));
  CHECK(cap.otherPackets() == 0);
  CHECK(interfaceCapSummary(cap, "h:other").empty());

  CHECK_FALSE(cap.admit(9));
  CHECK_FALSE(cap.admit(9));
  CHECK_FALSE(cap.admit(11));
  CHECK(cap.admit(2));  // admitted before the cap was reached: stays its own
  CHECK(cap.admit(0));
  CHECK(cap.otherPackets() == 3);
  CHECK(cap.extraIndexes() == 2);  // 9 twice counts once
  CHECK_FALSE(cap.extraIndexesOver());
  CHECK(interfaceCapSummary(cap, "db1:other") ==
        "more than 3 interfaces (the pcapng limit per target): 3 packets of 2 further interface "
        "indexes went to interface db1:other");
}

TEST_CASE("interface cap: extra indexes counted up to their limit, then 'over'",
          "[interface_cap]") {
  InterfaceCap cap(2, 4, 7);
  CHECK(cap.admit(1));
  CHECK(cap.admit(2));
  for (uint32_t i = 100; i < 110; ++i) CHECK_FALSE(cap.admit(i));
  CHECK_FALSE(cap.admit(100));  // counted before the limit: not a new one
  CHECK(cap.otherPackets() == 11);
  CHECK(cap.extraIndexes() == 4);
  CHECK(cap.extraIndexesOver());
  CHECK(interfaceCapSummary(cap, "h:other") ==
        "more than 2 interfaces (the pcapng limit per target): 11 packets of over 4 further "
        "interface indexes went to interface h:other");
}

TEST_CASE("interface cap: the default limits, and a million indexes in bounded time",
          "[interface_cap]") {
  InterfaceCap cap;
  CHECK(cap.limit() == kMaxInterfacesPerStream);
  const auto start = std::chrono::steady_clock::now();
  uint64_t own = 0;
  // Indexes a sender might pick to collide in an unkeyed table: multiples
  // of large powers of two.
  for (uint32_t i = 0; i < 1'000'000; ++i) own += cap.admit(i << 12) ? 1 : 0;
  const auto elapsed = std::chrono::steady_clock::now() - start;
  CHECK(own == kMaxInterfacesPerStream);
  CHECK(cap.otherPackets() == 1'000'000 - kMaxInterfacesPerStream);
  CHECK(cap.extraIndexes() == kMaxCountedExtraIndexes);
  CHECK(cap.extraIndexesOver());
  // Linear probing in a half-full keyed table: ~100 ms even with sanitizers;
  // colliding keys would take minutes.
  CHECK(elapsed < std::chrono::seconds(10));
}
