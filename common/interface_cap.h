#pragma once
// How many pcapng interfaces one stream may claim (`-F pcapng`).
//
// An SLL2 record carries the capturing interface's index (a 32-bit number the
// worker writes), and the output gives each (stream, index) its own
// Interface Description Block. A worker is not trusted to name a sane number
// of them: one sending every packet with a new index would make the client
// keep an IDB, its names and bookkeeping for each (about 300 bytes: 119 MB
// for 400,000 indexes). So each stream gets its first kMaxInterfacesPerStream
// distinct indexes as interfaces of their own, and every later index shares
// one "other" interface of that stream. The packets are all kept; only which
// interface they name is lost, and the summary says how much.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ddump {

// Far above what one host really captures on (a Kubernetes node runs at
// most 110 pods by default, one veth each), and small enough that a worker
// claiming millions of interfaces costs about 300 KB per stream and file.
inline constexpr size_t kMaxInterfacesPerStream = 1024;

// Distinct indexes beyond the cap are counted exactly up to this many (a
// table of at most 512 KiB per stream); past it the summary says "over".
inline constexpr size_t kMaxCountedExtraIndexes = 65536;

// A set of 32-bit interface indexes of bounded size: open addressing with
// linear probing, at most half full. The hash is keyed with a seed, so a
// sender who picks the indexes cannot make them collide (which would turn
// every insertion into a walk over the whole table).
class InterfaceIndexSet {
 public:
  InterfaceIndexSet(size_t maxSize, uint32_t seed);

  bool contains(uint32_t index) const;
  // false when the index was there already, or the set is full.
  bool insert(uint32_t index);
  size_t size() const { return size_; }
  bool full() const { return size_ >= maxSize_; }

 private:
  size_t slotOf(uint32_t index) const;
  void grow();

  size_t maxSize_;
  uint32_t seed_;
  size_t size_ = 0;
  bool hasZero_ = false;  // 0 marks an empty slot, so index 0 is kept here
  std::vector<uint32_t> slots_;
};

// One stream's interfaces in the pcapng output.
class InterfaceCap {
 public:
  explicit InterfaceCap(size_t limit = kMaxInterfacesPerStream,
                        size_t countLimit = kMaxCountedExtraIndexes, uint32_t seed = randomSeed());

  // For each packet whose index has no interface yet in the file being
  // written: true, the index has (or now gets) an interface of its own;
  // false, the packet goes to the stream's "other" interface (counted).
  bool admit(uint32_t index);

  size_t limit() const { return limit_; }
  uint64_t otherPackets() const { return otherPackets_; }
  // Distinct indexes that went to "other", exact while !extraIndexesOver().
  size_t extraIndexes() const { return extra_.size(); }
  bool extraIndexesOver() const { return extraOver_; }

  static uint32_t randomSeed();

 private:
  size_t limit_;
  InterfaceIndexSet admitted_;
  InterfaceIndexSet extra_;
  bool extraOver_ = false;
  uint64_t otherPackets_ = 0;
};

// The summary's words for a stream whose packets went to its "other"
// interface `otherName` ("HOST:other"); empty when none did.
std::string interfaceCapSummary(const InterfaceCap& cap, const std::string& otherName);

}  // namespace ddump
