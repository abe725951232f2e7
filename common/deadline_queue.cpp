#include "deadline_queue.h"

#include <algorithm>

namespace ddump {
namespace {

// std::push_heap keeps the greatest on top: "greater" is the earlier time.
struct Later {
  template <typename E>
  bool operator()(const E& a, const E& b) const {
    return a.at > b.at;
  }
};

// Stale entries tolerated beyond the live ones before the heap is rebuilt.
constexpr size_t kStaleSlack = 64;

}  // namespace

void DeadlineQueue::schedule(uint64_t id, Clock::time_point at) {
  const uint64_t generation = nextGeneration_++;
  live_[id] = generation;
  heap_.push_back({at, id, generation});
  std::push_heap(heap_.begin(), heap_.end(), Later{});
  compactIfNeeded();
}

void DeadlineQueue::cancel(uint64_t id) {
  live_.erase(id);
  compactIfNeeded();
}

bool DeadlineQueue::stale(const Entry& e) const {
  const auto it = live_.find(e.id);
  return it == live_.end() || it->second != e.generation;
}

void DeadlineQueue::dropStaleTop() {
  while (!heap_.empty() && stale(heap_.front())) {
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
  }
}

void DeadlineQueue::compactIfNeeded() {
  if (heap_.size() <= 2 * live_.size() + kStaleSlack) return;
  std::erase_if(heap_, [this](const Entry& e) { return stale(e); });
  std::make_heap(heap_.begin(), heap_.end(), Later{});
}

std::optional<DeadlineQueue::Clock::time_point> DeadlineQueue::next() {
  dropStaleTop();
  if (heap_.empty()) return std::nullopt;
  return heap_.front().at;
}

std::vector<uint64_t> DeadlineQueue::popExpired(Clock::time_point now) {
  std::vector<uint64_t> expired;
  for (dropStaleTop(); !heap_.empty() && heap_.front().at <= now; dropStaleTop()) {
    expired.push_back(heap_.front().id);
    live_.erase(heap_.front().id);
    std::pop_heap(heap_.begin(), heap_.end(), Later{});
    heap_.pop_back();
  }
  return expired;
}

}  // namespace ddump
