#include "history_ring.h"

#include <algorithm>
#include <bit>
#include <cstring>

namespace ddump {
namespace {

constexpr size_t kMinBlockBytes = 64 * 1024;
// At most this many blocks: blocks_ stays a few hundred KiB and seek()'s
// binary search a dozen steps, whatever the capacity.
constexpr size_t kMaxBlocks = 4096;

// A record's bytes in the ring: header, data, zero padding to 8, so that the
// next header is 8-byte aligned.
constexpr size_t recordBytes(size_t caplen) {
  return (HistoryRing::kRecordHeaderBytes + caplen + 7) & ~size_t{7};
}

// Header fields go through memcpy: records are 8-byte aligned within the
// block, but the block memory and the caller's vector make no promise to a
// typed load, and memcpy is what the optimiser turns into a plain load anyway.
void writeHeader(uint8_t* at, int64_t tsNs, uint32_t caplen, uint32_t len) {
  std::memcpy(at, &tsNs, sizeof tsNs);
  std::memcpy(at + 8, &caplen, sizeof caplen);
  std::memcpy(at + 12, &len, sizeof len);
}

uint32_t caplenAt(const uint8_t* at) {
  uint32_t caplen = 0;
  std::memcpy(&caplen, at + 8, sizeof caplen);
  return caplen;
}

}  // namespace

std::optional<HistoryRecord> HistoryRecords::next() {
  // Our own encoding, but still never read past the bytes we were given.
  if (bytes_.size() - at_ < HistoryRing::kRecordHeaderBytes) return std::nullopt;
  const uint8_t* at = bytes_.data() + at_;
  HistoryRecord record;
  std::memcpy(&record.tsNs, at, sizeof record.tsNs);
  record.caplen = caplenAt(at);
  std::memcpy(&record.len, at + 12, sizeof record.len);
  const size_t rest = bytes_.size() - at_ - HistoryRing::kRecordHeaderBytes;
  if (record.caplen > rest) return std::nullopt;
  record.data = bytes_.subspan(at_ + HistoryRing::kRecordHeaderBytes, record.caplen);
  at_ += std::min(recordBytes(record.caplen), bytes_.size() - at_);
  return record;
}

size_t HistoryRing::blockSizeFor(size_t capacityBytes, uint32_t maxCaplen) {
  const size_t forRecord = std::bit_ceil(recordBytes(maxCaplen));
  // With capacity = 4096 q + r (r < 4096) and a block size b >= q and
  // b >= 64 KiB > r, capacity / b < 4096 + 1: at most kMaxBlocks blocks.
  const size_t forCount = std::bit_ceil(capacityBytes / kMaxBlocks);
  return std::max({kMinBlockBytes, forRecord, forCount});
}

size_t HistoryRing::minimumCapacity(uint32_t maxCaplen) {
  // With capacity 0 the block size depends on maxCaplen alone; kMinBlocks of
  // those are far fewer than kMaxBlocks, so the block size stays the same.
  return kMinBlocks * blockSizeFor(0, maxCaplen);
}

HistoryRing::HistoryRing(size_t capacityBytes, uint32_t maxCaplen)
    : maxCaplen_(maxCaplen),
      blockSize_(blockSizeFor(capacityBytes, maxCaplen)),
      blockCount_(std::max(kMinBlocks, capacityBytes / blockSize_)),
      // new T[n] without parentheses default-initialises: no byte is written,
      // so the kernel maps pages only as records fill them.
      memory_(new uint8_t[blockSize_ * blockCount_]),
      blocks_(blockCount_) {}

HistoryRing::~HistoryRing() = default;

void HistoryRing::append(int64_t tsNs, uint32_t len, std::span<const uint8_t> data) {
  const uint32_t caplen = static_cast<uint32_t>(std::min<size_t>(data.size(), maxCaplen_));
  const size_t bytes = recordBytes(caplen);
  std::lock_guard lock(mutex_);
  if (usedBlocks_ == 0 || blocks_[current_].used + bytes > blockSize_) startNextBlockLocked();
  Block& block = blocks_[current_];
  uint8_t* at = blockData(current_) + block.used;
  writeHeader(at, tsNs, caplen, len);
  if (caplen > 0) std::memcpy(at + kRecordHeaderBytes, data.data(), caplen);
  std::memset(at + kRecordHeaderBytes + caplen, 0, bytes - kRecordHeaderBytes - caplen);
  block.used += bytes;
  block.minTsNs = block.records == 0 ? tsNs : std::min(block.minTsNs, tsNs);
  ++block.records;
  runningMaxNs_ = std::max(runningMaxNs_, tsNs);
  block.runningMaxNs = runningMaxNs_;
  ++nextSeq_;
  bytesHeld_ += bytes;
  ++packetsHeld_;
}

void HistoryRing::publish() {
  {
    std::lock_guard lock(mutex_);
    // waiters_ changes under the lock only, and a reader counts itself before
    // wait() releases the lock: a reader that found nothing new is either
    // counted here or has not yet looked (and then sees the records).
    if (waiters_ == 0) return;
  }
  more_.notify_all();
}

HistoryRing::Cursor HistoryRing::seek(int64_t sinceNs) const {
  std::lock_guard lock(mutex_);
  if (usedBlocks_ == 0) return endLocked();
  // The running maxima never decrease in age order, so the blocks whose
  // maximum is below sinceNs are a prefix: every record in them is older.
  const size_t oldest = oldestBlockLocked();
  size_t lo = 0;
  size_t hi = usedBlocks_;
  while (lo < hi) {
    const size_t mid = lo + (hi - lo) / 2;
    if (blocks_[(oldest + mid) % blockCount_].runningMaxNs < sinceNs) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo == usedBlocks_) return endLocked();
  return cursorAtBlockLocked((oldest + lo) % blockCount_);
}

HistoryRing::Cursor HistoryRing::end() const {
  std::lock_guard lock(mutex_);
  return endLocked();
}

HistoryRing::ReadResult HistoryRing::read(Cursor& cursor, std::vector<uint8_t>& out,
                                          size_t maxBytes) const {
  std::lock_guard lock(mutex_);
  ReadResult result;
  size_t copied = 0;
  while (cursor.seq < nextSeq_) {
    const Block& block = blocks_[cursor.block];
    if (!block.inUse || block.generation != cursor.generation) {
      // Evicted (and maybe reused) since the cursor was made: everything
      // before the oldest block is gone too.
      const Cursor oldest = cursorAtBlockLocked(oldestBlockLocked());
      if (oldest.seq > cursor.seq) result.lost += oldest.seq - cursor.seq;
      cursor = oldest;
      continue;
    }
    if (cursor.offset >= block.used) {
      // Records remain but not here: the writer has moved on to the next
      // block in ring order, which began with cursor.seq.
      cursor = cursorAtBlockLocked((cursor.block + 1) % blockCount_);
      continue;
    }
    const size_t before = result.records;
    const size_t room = maxBytes > copied ? maxBytes - copied : 0;
    const size_t end = runEndLocked(cursor, room, result.records);
    if (end == cursor.offset) break;  // out has grown by maxBytes
    const uint8_t* data = blockData(cursor.block);
    out.insert(out.end(), data + cursor.offset, data + end);
    copied += end - cursor.offset;
    cursor.offset = end;
    cursor.seq += result.records - before;
    if (end < block.used) break;  // the next record does not fit in maxBytes
  }
  return result;
}

bool HistoryRing::waitForMore(const Cursor& cursor, std::chrono::milliseconds timeout) const {
  std::unique_lock lock(mutex_);
  if (hasMoreLocked(cursor)) return true;
  ++waiters_;
  const bool more = more_.wait_for(lock, timeout, [&] { return hasMoreLocked(cursor); });
  --waiters_;
  return more;
}

HistoryStats HistoryRing::stats() const {
  std::lock_guard lock(mutex_);
  HistoryStats stats;
  stats.bytes = bytesHeld_;
  stats.packets = packetsHeld_;
  if (usedBlocks_ > 0) stats.oldestNs = blocks_[oldestBlockLocked()].minTsNs;
  stats.evicted = evicted_;
  stats.appended = nextSeq_;
  return stats;
}

bool HistoryRing::hasMoreLocked(const Cursor& cursor) const {
  // Eviction happens only when records are appended after the cursor was
  // made, so an evicted cursor is behind nextSeq_ as well.
  return cursor.seq < nextSeq_;
}

size_t HistoryRing::oldestBlockLocked() const {
  if (usedBlocks_ == 0) return current_;
  return (current_ + blockCount_ + 1 - usedBlocks_) % blockCount_;
}

void HistoryRing::startNextBlockLocked() {
  if (usedBlocks_ > 0) current_ = (current_ + 1) % blockCount_;
  Block& block = blocks_[current_];
  if (block.inUse) evictLocked(block);
  ++block.generation;
  block.firstSeq = nextSeq_;
  block.records = 0;
  block.used = 0;
  block.minTsNs = 0;
  block.runningMaxNs = runningMaxNs_;
  block.inUse = true;
  ++usedBlocks_;
}

void HistoryRing::evictLocked(Block& block) {
  bytesHeld_ -= block.used;
  packetsHeld_ -= block.records;
  evicted_ += block.records;
  block.inUse = false;
  --usedBlocks_;
}

HistoryRing::Cursor HistoryRing::cursorAtBlockLocked(size_t block) const {
  const Block& b = blocks_[block];
  return Cursor{b.firstSeq, block, b.generation, 0};
}

HistoryRing::Cursor HistoryRing::endLocked() const {
  // Before the first append the cursor names block 0 at generation 0, which
  // no started block has: read() then finds it "evicted" with nothing lost
  // and starts at the oldest block, which holds record 0.
  const Block& b = blocks_[current_];
  return Cursor{nextSeq_, current_, b.generation, b.used};
}

size_t HistoryRing::runEndLocked(const Cursor& cursor, size_t room, size_t& records) const {
  // The whole records from the cursor on that fit in room bytes, except that
  // the first record of a read() is taken whatever its size.
  const Block& block = blocks_[cursor.block];
  const uint8_t* data = blockData(cursor.block);
  size_t end = cursor.offset;
  while (end < block.used) {
    const size_t bytes = recordBytes(caplenAt(data + end));
    if (end - cursor.offset + bytes > room && records > 0) break;
    end += bytes;
    ++records;
  }
  return end;
}

}  // namespace ddump
