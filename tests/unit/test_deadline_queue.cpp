// The front's deadlines (common/deadline_queue.h): the earliest first, a
// moved deadline fires once at its new time, a cancelled one never, and the
// heap stays bounded however often deadlines move.
#include <catch2/catch.hpp>

#include <chrono>
#include <vector>

#include "deadline_queue.h"

using namespace ddump;
using Clock = DeadlineQueue::Clock;
using std::chrono::milliseconds;

TEST_CASE("deadlines expire earliest first, each once", "[unit][deadline]") {
  DeadlineQueue q;
  const auto t0 = Clock::now();
  q.schedule(7, t0 + milliseconds(30));
  q.schedule(3, t0 + milliseconds(10));
  q.schedule(5, t0 + milliseconds(20));
  REQUIRE(q.next() == t0 + milliseconds(10));
  CHECK(q.popExpired(t0 + milliseconds(9)).empty());
  CHECK(q.popExpired(t0 + milliseconds(20)) == std::vector<uint64_t>{3, 5});
  CHECK(q.size() == 1);
  CHECK(q.next() == t0 + milliseconds(30));
  CHECK(q.popExpired(t0 + milliseconds(100)) == std::vector<uint64_t>{7});
  CHECK(q.popExpired(t0 + milliseconds(100)).empty());
  CHECK(!q.next());
}

TEST_CASE("a moved deadline fires at its new time only; a cancelled one never",
          "[unit][deadline]") {
  DeadlineQueue q;
  const auto t0 = Clock::now();
  q.schedule(1, t0 + milliseconds(10));
  q.schedule(2, t0 + milliseconds(20));
  q.schedule(1, t0 + milliseconds(50));  // moved later
  q.schedule(2, t0 + milliseconds(5));   // moved earlier
  q.schedule(3, t0 + milliseconds(1));
  q.cancel(3);
  CHECK(q.next() == t0 + milliseconds(5));
  CHECK(q.popExpired(t0 + milliseconds(30)) == std::vector<uint64_t>{2});
  CHECK(q.popExpired(t0 + milliseconds(60)) == std::vector<uint64_t>{1});
  CHECK(q.size() == 0);
  CHECK(!q.next());
}

TEST_CASE("the heap stays bounded while deadlines move", "[unit][deadline]") {
  DeadlineQueue q;
  const auto t0 = Clock::now();
  for (uint64_t id = 0; id < 100; ++id) q.schedule(id, t0 + milliseconds(1000));
  for (int round = 0; round < 1000; ++round) {
    for (uint64_t id = 0; id < 100; ++id) {
      q.schedule(id, t0 + milliseconds(1000 + round));
    }
    REQUIRE(q.heapSize() <= 2 * q.size() + 64);
  }
  for (uint64_t id = 0; id < 50; ++id) q.cancel(id);
  CHECK(q.heapSize() <= 2 * q.size() + 64);
  const auto expired = q.popExpired(t0 + milliseconds(5000));
  CHECK(expired.size() == 50);
  CHECK(q.heapSize() == 0);
}
