#pragma once
// The worker's history: a bounded in-memory ring of captured records, fed by
// one always-on capture and read by any number of capture requests that
// start in the past (GET /capture?since=T).
//
// Pure: no libpcap, no I/O. One writer thread appends; readers on other
// threads copy records out under the ring's lock, so a reader never pins
// ring memory: one that falls behind eviction finds its records gone, is told
// how many it lost, and continues at the oldest record still held.
//
// Layout. The ring is `blockCount` fixed-size blocks, used round-robin like
// the kernel's TPACKET_V3 ring. A record never straddles two blocks: when it
// does not fit in the rest of the current block, the next block is started,
// and when that block still holds records they are evicted together (the
// oldest records go first, a block at a time). Each block keeps the sequence
// number of its first record, its record count, and the largest timestamp
// written so far in the ring up to its end (a running maximum, so it never
// decreases from one block to the next even though one capture on several
// CPUs delivers timestamps slightly out of order). seek() binary-searches
// those maxima; the caller drops the few records before `since` it then
// reads.
//
// A record in the ring and in the bytes read() hands out is encoded in host
// byte order, 8-byte aligned:
//   int64 tsNs | uint32 caplen | uint32 len | caplen bytes | zero pad to 8
// HistoryRecords iterates such bytes.

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <vector>

namespace ddump {

struct HistoryRecord {
  int64_t tsNs = 0;  // ns since the epoch
  uint32_t caplen = 0;
  uint32_t len = 0;               // length on the wire
  std::span<const uint8_t> data;  // caplen bytes
};

// Walks bytes filled by HistoryRing::read(). Trusted input (our own encoding).
class HistoryRecords {
 public:
  explicit HistoryRecords(std::span<const uint8_t> bytes) : bytes_(bytes) {}
  // The next record, or nullopt at the end.
  std::optional<HistoryRecord> next();

 private:
  std::span<const uint8_t> bytes_;
  size_t at_ = 0;
};

struct HistoryStats {
  uint64_t bytes = 0;               // bytes of records held (headers and padding included)
  uint64_t packets = 0;             // records held
  std::optional<int64_t> oldestNs;  // timestamp of the oldest record held
  uint64_t evicted = 0;             // records evicted since the start
  uint64_t appended = 0;            // records appended since the start
};

class HistoryRing {
 public:
  static constexpr size_t kRecordHeaderBytes = 16;
  static constexpr size_t kMinBlocks = 4;

  // The block size for records of up to maxCaplen bytes in a ring of
  // capacityBytes: a power of two, at least 64 KiB, at least one largest
  // record, and large enough that there are at most 4096 blocks.
  static size_t blockSizeFor(size_t capacityBytes, uint32_t maxCaplen);
  // The smallest capacity that holds kMinBlocks blocks for maxCaplen.
  static size_t minimumCapacity(uint32_t maxCaplen);

  // capacityBytes >= minimumCapacity(maxCaplen) (the caller checks; below it
  // the ring still works with kMinBlocks blocks). Memory is reserved, not
  // touched: pages become resident as records fill them.
  HistoryRing(size_t capacityBytes, uint32_t maxCaplen);
  HistoryRing(const HistoryRing&) = delete;
  HistoryRing& operator=(const HistoryRing&) = delete;
  ~HistoryRing();

  // Writer thread only. data longer than maxCaplen is cut to it (caplen
  // shrinks, len stays).
  void append(int64_t tsNs, uint32_t len, std::span<const uint8_t> data);
  // Writer thread only: wakes readers waiting in waitForMore. Called once per
  // batch of appends (one futex wake per batch, not per record).
  void publish();

  // Where a reader stands: the next record it will read.
  struct Cursor {
    uint64_t seq = 0;         // sequence number of the next record (0 = first ever)
    size_t block = 0;         // block holding it
    uint64_t generation = 0;  // that block's generation when the cursor was made
    size_t offset = 0;        // byte offset of the record in the block
  };

  // A cursor at the first record of the oldest block whose running-maximum
  // timestamp is >= sinceNs (records before it are all older than sinceNs);
  // at the end of the ring (the next record to be appended) when none is.
  Cursor seek(int64_t sinceNs) const;
  // A cursor at the next record to be appended (live only).
  Cursor end() const;

  struct ReadResult {
    size_t records = 0;  // records appended to `out`
    uint64_t lost = 0;   // records evicted before this reader reached them
  };
  // Appends records from `cursor` on to `out` (encoded as above) until `out`
  // has grown by maxBytes (at least one record is copied when one is
  // available, whatever its size) or the reader has caught up with the
  // writer, and advances the cursor. When the cursor's records were evicted,
  // counts them as lost and continues at the oldest record held.
  ReadResult read(Cursor& cursor, std::vector<uint8_t>& out, size_t maxBytes) const;
  // True when a record after `cursor` exists (or the cursor's block was
  // evicted), waiting up to `timeout` for one.
  bool waitForMore(const Cursor& cursor, std::chrono::milliseconds timeout) const;

  HistoryStats stats() const;
  size_t capacity() const { return blockSize_ * blockCount_; }
  size_t blockSize() const { return blockSize_; }
  uint32_t maxCaplen() const { return maxCaplen_; }

 private:
  struct Block {
    uint64_t generation = 0;  // bumped every time the block is reused
    uint64_t firstSeq = 0;
    uint64_t records = 0;
    size_t used = 0;           // bytes written
    int64_t minTsNs = 0;       // smallest timestamp in this block
    int64_t runningMaxNs = 0;  // largest timestamp in the ring up to this block's end
    bool inUse = false;
  };

  // All private helpers run with mutex_ held.
  bool hasMoreLocked(const Cursor& cursor) const;
  size_t oldestBlockLocked() const;
  void startNextBlockLocked();
  void evictLocked(Block& block);
  Cursor cursorAtBlockLocked(size_t block) const;
  Cursor endLocked() const;
  // The end offset of the records from `cursor` on in its block that fit in
  // `room` bytes; `records` counts those this read() has taken.
  size_t runEndLocked(const Cursor& cursor, size_t room, size_t& records) const;
  uint8_t* blockData(size_t block) const { return memory_.get() + block * blockSize_; }

  const uint32_t maxCaplen_;
  const size_t blockSize_;
  const size_t blockCount_;
  std::unique_ptr<uint8_t[]> memory_;  // blockCount_ * blockSize_, uninitialised

  mutable std::mutex mutex_;
  mutable std::condition_variable more_;
  mutable size_t waiters_ = 0;  // readers in waitForMore (publish wakes only then)
  std::vector<Block> blocks_;
  size_t current_ = 0;     // block being written
  size_t usedBlocks_ = 0;  // blocks holding records (the oldest is current_ + 1 when full)
  uint64_t nextSeq_ = 0;
  uint64_t bytesHeld_ = 0;
  uint64_t packetsHeld_ = 0;
  uint64_t evicted_ = 0;
  int64_t runningMaxNs_ = INT64_MIN;
};

}  // namespace ddump
