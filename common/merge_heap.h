#pragma once
// The merge's binary min-heap of stream heads, keyed by (timestamp, stream).
//
// Hand-rolled rather than std::priority_queue for one operation: replaceTop.
// After the top record is written its stream's next record takes its place
// with one sift-down, instead of a pop and a push (two sifts); in a file
// merge that is every record. The tie-break is explicit and total: on equal
// timestamps the HIGHER stream index comes first, mergecap's order (see
// merger.h), so the output never depends on the heap's internal layout.

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

namespace ddump {

struct HeapKey {
  uint64_t tsNs;
  uint32_t stream;
};

class MergeHeap {
 public:
  bool empty() const { return keys_.empty(); }
  size_t size() const { return keys_.size(); }
  const HeapKey& top() const { return keys_.front(); }

  void push(HeapKey key) {
    keys_.push_back(key);
    siftUp(keys_.size() - 1);
  }
  void pop() {
    const HeapKey last = keys_.back();
    keys_.pop_back();
    if (!keys_.empty()) siftDown(last);
  }
  void replaceTop(HeapKey key) { siftDown(key); }

  // Bitwise rather than short-circuit: which stream is next is random in a
  // merge, so a branch here mispredicts about half the time.
  static bool before(const HeapKey& a, const HeapKey& b) {
    const int earlier = a.tsNs < b.tsNs;
    const int tieWins = (a.tsNs == b.tsNs) & (a.stream > b.stream);
    return (earlier | tieWins) != 0;
  }

 private:
  void siftUp(size_t i) {
    const HeapKey key = keys_[i];
    while (i > 0) {
      const size_t parent = (i - 1) / 2;
      if (!before(key, keys_[parent])) break;
      keys_[i] = keys_[parent];
      i = parent;
    }
    keys_[i] = key;
  }
  // Sinks `key` from the root. It is passed by value, never stored then
  // reloaded: a key written field by field and read back whole stalls the
  // CPU's store forwarding (measured: a third of the merge loop).
  void siftDown(HeapKey key) {
    size_t i = 0;
    const size_t n = keys_.size();
    while (true) {
      size_t child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n) child += before(keys_[child + 1], keys_[child]) ? 1 : 0;
      if (!before(keys_[child], key)) break;
      keys_[i] = keys_[child];
      i = child;
    }
    keys_[i] = key;
  }

  std::vector<HeapKey> keys_;
};

}  // namespace ddump
