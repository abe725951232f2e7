#pragma once
// The next deadline of each of many connections, earliest first, for one
// event loop: schedule() sets or moves an id's deadline, cancel() drops it,
// popExpired() hands out the ids whose deadline has passed. A min-heap in
// which a moved or cancelled deadline stays where it is and is skipped when
// it reaches the top (each id keeps the generation of its live entry), so
// every operation is O(log n); the heap is rebuilt without the stale entries
// once they outnumber the live ones, so its size stays within twice the
// number of ids plus a constant.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <unordered_map>
#include <vector>

namespace ddump {

class DeadlineQueue {
 public:
  using Clock = std::chrono::steady_clock;

  void schedule(uint64_t id, Clock::time_point at);
  void cancel(uint64_t id);
  // The earliest live deadline, if any.
  std::optional<Clock::time_point> next();
  // Removes and returns the ids whose deadline is at or before `now`,
  // earliest first.
  std::vector<uint64_t> popExpired(Clock::time_point now);

  size_t size() const { return live_.size(); }
  size_t heapSize() const { return heap_.size(); }

 private:
  struct Entry {
    Clock::time_point at;
    uint64_t id;
    uint64_t generation;
  };
  bool stale(const Entry& e) const;
  void dropStaleTop();
  void compactIfNeeded();

  std::vector<Entry> heap_;                      // std::push_heap order: the earliest on top
  std::unordered_map<uint64_t, uint64_t> live_;  // id -> generation of its entry
  uint64_t nextGeneration_ = 0;
};

}  // namespace ddump
