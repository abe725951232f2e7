#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <unistd.h>

#include "history_ring.h"

using namespace ddump;

namespace {

using Clock = std::chrono::steady_clock;

// A ring of kMinBlocks 64 KiB blocks; records of kFixedPayload bytes take 64
// bytes each, so exactly kPerBlock fill a block.
constexpr uint32_t kCaplen = 256;
constexpr size_t kFixedPayload = 48;
constexpr size_t kFixedRecord = 64;
constexpr uint64_t kPerBlock = 64 * 1024 / kFixedRecord;
constexpr uint64_t kFixedRingRecords = HistoryRing::kMinBlocks * kPerBlock;

size_t recordBytes(size_t caplen) {
  return (16 + caplen + 7) / 8 * 8;
}

// Every record carries its sequence number in `len` and bytes derived from it,
// so a reader can tell which record it got and whether it came out whole.
std::vector<uint8_t> payloadFor(uint64_t seq, size_t size) {
  std::vector<uint8_t> data(size);
  for (size_t i = 0; i < size; ++i) data[i] = static_cast<uint8_t>(seq * 131 + i * 7 + 1);
  return data;
}

void appendSeq(HistoryRing& ring, uint64_t seq, int64_t tsNs, size_t size = kFixedPayload) {
  const auto data = payloadFor(seq, size);
  ring.append(tsNs, static_cast<uint32_t>(seq), data);
}

struct Seen {
  uint64_t seq = 0;
  int64_t tsNs = 0;
};

// Walks read() output byte by byte as the header documents it: host-order
// header, caplen bytes, zero padding to 8, nothing after the last record.
// Returns what was wrong, or "".
std::string checkEncoding(const std::vector<uint8_t>& bytes, size_t records) {
  size_t at = 0;
  size_t count = 0;
  while (at < bytes.size()) {
    if (bytes.size() - at < 16) return "a header cut short at " + std::to_string(at);
    uint32_t caplen = 0;
    uint32_t len = 0;
    std::memcpy(&caplen, bytes.data() + at + 8, 4);
    std::memcpy(&len, bytes.data() + at + 12, 4);
    const size_t size = recordBytes(caplen);
    if (bytes.size() - at < size) return "a record cut short at " + std::to_string(at);
    if (payloadFor(len, caplen) !=
        std::vector<uint8_t>(bytes.data() + at + 16, bytes.data() + at + 16 + caplen)) {
      return "the data of record " + std::to_string(len);
    }
    for (size_t i = at + 16 + caplen; i < at + size; ++i) {
      if (bytes[i] != 0) return "non-zero padding in record " + std::to_string(len);
    }
    at += size;
    ++count;
  }
  if (count != records)
    return std::to_string(count) + " records, read() said " + std::to_string(records);
  return "";
}

struct Drained {
  std::vector<Seen> records;
  uint64_t lost = 0;
  size_t reads = 0;
};

// Reads from `cursor` until caught up with the writer.
Drained drain(const HistoryRing& ring, HistoryRing::Cursor& cursor, size_t maxBytes = 1 << 20) {
  Drained drained;
  std::vector<uint8_t> out;
  for (;;) {
    out.clear();
    const auto read = ring.read(cursor, out, maxBytes);
    if (read.records == 0) {
      REQUIRE(out.empty());
      drained.lost += read.lost;
      return drained;
    }
    ++drained.reads;
    drained.lost += read.lost;
    REQUIRE(checkEncoding(out, read.records) == "");
    HistoryRecords walk(out);
    while (auto record = walk.next()) drained.records.push_back({record->len, record->tsNs});
  }
}

std::vector<uint64_t> seqsOf(const Drained& drained) {
  std::vector<uint64_t> seqs;
  for (const auto& seen : drained.records) seqs.push_back(seen.seq);
  return seqs;
}

std::vector<uint64_t> range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> seqs;
  for (uint64_t s = from; s < to; ++s) seqs.push_back(s);
  return seqs;
}

// Records evicted from the fixed ring after `appended` fixed-size records:
// whole blocks, once more than kMinBlocks have been started.
uint64_t fixedEvicted(uint64_t appended) {
  const uint64_t started = (appended + kPerBlock - 1) / kPerBlock;
  return started > HistoryRing::kMinBlocks ? (started - HistoryRing::kMinBlocks) * kPerBlock : 0;
}

size_t residentBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0;
  size_t resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

}  // namespace

TEST_CASE("history ring: block size and minimum capacity", "[history_ring]") {
  constexpr size_t KiB = 1024;
  constexpr size_t MiB = 1024 * KiB;
  CHECK(HistoryRing::blockSizeFor(0, 0) == 64 * KiB);
  CHECK(HistoryRing::blockSizeFor(0, 1500) == 64 * KiB);
  CHECK(HistoryRing::blockSizeFor(0, 65520) == 64 * KiB);   // 16 + 65520 = 64 KiB
  CHECK(HistoryRing::blockSizeFor(0, 65521) == 128 * KiB);  // one byte more
  CHECK(HistoryRing::blockSizeFor(0, 65536) == 128 * KiB);
  CHECK(HistoryRing::blockSizeFor(0, 262144) == 512 * KiB);  // tcpdump's default snaplen
  CHECK(HistoryRing::blockSizeFor(64 * MiB, 1500) == 64 * KiB);
  CHECK(HistoryRing::blockSizeFor(256 * MiB, 262144) == 512 * KiB);
  CHECK(HistoryRing::blockSizeFor(1024 * MiB, 1500) == 256 * KiB);         // 4096 blocks
  CHECK(HistoryRing::blockSizeFor(1024 * MiB + 4095, 1500) == 256 * KiB);  // still 4096
  CHECK(HistoryRing::blockSizeFor(1024 * MiB + 4096, 1500) == 512 * KiB);  // 4097 would not do
  CHECK(HistoryRing::blockSizeFor(size_t{4} << 30, 0) == 1024 * KiB);
  // The smallest power of two that leaves at most 4096 blocks, over many capacities.
  for (size_t capacity = 1; capacity < (size_t{8} << 30); capacity = capacity * 3 + 4095) {
    const size_t block = HistoryRing::blockSizeFor(capacity, 1500);
    if (capacity / block > 4096 || (block > 64 * KiB && capacity / (block / 2) <= 4096)) {
      FAIL_CHECK("capacity " << capacity << ": block " << block);
    }
  }
  CHECK(HistoryRing::minimumCapacity(0) == 256 * KiB);
  CHECK(HistoryRing::minimumCapacity(1500) == 256 * KiB);
  CHECK(HistoryRing::minimumCapacity(65536) == 512 * KiB);
  CHECK(HistoryRing::minimumCapacity(262144) == 2 * MiB);

  const HistoryRing sixteen(MiB, 1500);
  CHECK(sixteen.blockSize() == 64 * KiB);
  CHECK(sixteen.capacity() == MiB);
  CHECK(sixteen.maxCaplen() == 1500u);
  // Whole blocks only: a capacity between two block counts rounds down.
  CHECK(HistoryRing(MiB + 60 * KiB, 1500).capacity() == MiB);
  // Below the minimum the ring still has kMinBlocks blocks.
  CHECK(HistoryRing(1000, 1500).capacity() == 256 * KiB);
  CHECK(HistoryRing(16 * MiB, 262144).capacity() == 16 * MiB);
}

TEST_CASE("history ring: records come out as appended, host order, padded to 8", "[history_ring]") {
  HistoryRing ring(HistoryRing::minimumCapacity(kCaplen), kCaplen);
  auto cursor = ring.seek(INT64_MIN);
  const std::vector<size_t> sizes = {0, 1, 7, 8, 9, 13, 256};
  size_t bytes = 0;
  for (size_t i = 0; i < sizes.size(); ++i) {
    appendSeq(ring, i, -5 + static_cast<int64_t>(i), sizes[i]);
    bytes += recordBytes(sizes[i]);
  }
  std::vector<uint8_t> out = {0xEE};  // read() appends after what is there
  const auto read = ring.read(cursor, out, 1 << 20);
  CHECK(read.records == sizes.size());
  CHECK(read.lost == 0u);
  REQUIRE(out.size() == 1 + bytes);
  CHECK(out[0] == 0xEE);
  out.erase(out.begin());
  CHECK(checkEncoding(out, sizes.size()) == "");

  // The first record byte by byte: int64 ts | u32 caplen | u32 len, host order.
  int64_t ts = 0;
  std::memcpy(&ts, out.data(), 8);
  CHECK(ts == -5);
  uint32_t caplen = 1;
  std::memcpy(&caplen, out.data() + 8, 4);
  CHECK(caplen == 0u);

  HistoryRecords walk(out);
  for (size_t i = 0; i < sizes.size(); ++i) {
    const auto record = walk.next();
    REQUIRE(record);
    CHECK(record->tsNs == -5 + static_cast<int64_t>(i));
    CHECK(record->caplen == sizes[i]);
    CHECK(record->len == i);
    CHECK(record->data.size() == sizes[i]);
    CHECK(std::vector<uint8_t>(record->data.begin(), record->data.end()) ==
          payloadFor(i, sizes[i]));
  }
  CHECK_FALSE(walk.next());

  const auto stats = ring.stats();
  CHECK(stats.bytes == bytes);
  CHECK(stats.packets == sizes.size());
  CHECK(stats.appended == sizes.size());
  CHECK(stats.evicted == 0u);
  CHECK(stats.oldestNs == -5);

  // Caught up: nothing more, the cursor stays where it is.
  out.clear();
  const auto before = cursor;
  CHECK(ring.read(cursor, out, 1 << 20).records == 0u);
  CHECK(out.empty());
  CHECK(cursor.seq == before.seq);
  CHECK(cursor.offset == before.offset);

  // The writer goes on in the same block; the reader continues where it stood.
  appendSeq(ring, 7, 100);
  appendSeq(ring, 8, 101);
  const auto more = drain(ring, cursor);
  CHECK(seqsOf(more) == range(7, 9));
  CHECK(cursor.block == before.block);
  CHECK(cursor.offset == before.offset + 2 * kFixedRecord);
}

TEST_CASE("history ring: read() stops at maxBytes on whole records", "[history_ring]") {
  HistoryRing ring(HistoryRing::minimumCapacity(kCaplen), kCaplen);
  for (uint64_t s = 0; s < 10; ++s) appendSeq(ring, s, static_cast<int64_t>(s));
  auto cursor = ring.seek(INT64_MIN);
  std::vector<uint8_t> out;
  CHECK(ring.read(cursor, out, 2 * kFixedRecord).records == 2u);
  CHECK(out.size() == 2 * kFixedRecord);
  out.clear();
  CHECK(ring.read(cursor, out, 3 * kFixedRecord - 1).records == 2u);  // a third does not fit
  CHECK(out.size() == 2 * kFixedRecord);
  out.clear();
  CHECK(ring.read(cursor, out, 0).records == 1u);  // at least one, whatever maxBytes
  CHECK(cursor.seq == 5u);
  const auto rest = drain(ring, cursor, 1);
  CHECK(seqsOf(rest) == range(5, 10));
  CHECK(rest.reads == 5u);
}

TEST_CASE("history ring: data longer than maxCaplen is cut, len stays", "[history_ring]") {
  HistoryRing ring(HistoryRing::minimumCapacity(100), 100);
  const auto data = payloadFor(3, 300);
  ring.append(42, 1514, data);
  ring.append(43, 9000, std::span<const uint8_t>(data).first(100));  // exactly maxCaplen: kept
  auto cursor = ring.seek(INT64_MIN);
  std::vector<uint8_t> out;
  CHECK(ring.read(cursor, out, 1 << 20).records == 2u);
  CHECK(out.size() == 2 * recordBytes(100));
  HistoryRecords walk(out);
  const auto cut = walk.next();
  REQUIRE(cut);
  CHECK(cut->tsNs == 42);
  CHECK(cut->caplen == 100u);
  CHECK(cut->len == 1514u);
  CHECK(std::vector<uint8_t>(cut->data.begin(), cut->data.end()) == payloadFor(3, 100));
  const auto whole = walk.next();
  REQUIRE(whole);
  CHECK(whole->caplen == 100u);
  CHECK(whole->len == 9000u);
  CHECK(ring.stats().bytes == 2 * recordBytes(100));

  // maxCaplen 0 keeps headers only.
  HistoryRing headers(HistoryRing::minimumCapacity(0), 0);
  headers.append(1, 60, data);
  auto start = headers.seek(INT64_MIN);
  out.clear();
  CHECK(headers.read(start, out, 1 << 20).records == 1u);
  CHECK(out.size() == 16u);
}

TEST_CASE("history ring: a record as large as a block", "[history_ring]") {
  // 16 + 65520 bytes fill a 64 KiB block exactly.
  HistoryRing ring(HistoryRing::minimumCapacity(65520), 65520);
  REQUIRE(ring.blockSize() == 65536u);
  appendSeq(ring, 0, 1, 8);
  appendSeq(ring, 1, 2, 65520);  // does not fit behind record 0: starts block 1, fills it
  appendSeq(ring, 2, 3, 8);      // block 2
  auto cursor = ring.seek(INT64_MIN);
  std::vector<uint8_t> out;
  CHECK(ring.read(cursor, out, 1).records == 1u);
  CHECK(out.size() == 24u);
  out.clear();
  CHECK(ring.read(cursor, out, 1).records == 1u);  // larger than maxBytes, still whole
  CHECK(out.size() == 65536u);
  CHECK(checkEncoding(out, 1) == "");
  CHECK(cursor.seq == 2u);
  const auto rest = drain(ring, cursor);
  CHECK(seqsOf(rest) == range(2, 3));
  CHECK(ring.stats().bytes == 24u + 65536u + 24u);

  // A payload of exactly 64 KiB needs 128 KiB blocks, one record each.
  HistoryRing big(HistoryRing::minimumCapacity(65536), 65536);
  REQUIRE(big.blockSize() == 131072u);
  for (uint64_t s = 0; s < 5; ++s) appendSeq(big, s, static_cast<int64_t>(s), 65536);
  const auto stats = big.stats();
  CHECK(stats.evicted == 1u);
  CHECK(stats.packets == 4u);
  CHECK(stats.bytes == 4u * (16 + 65536));
  CHECK(stats.oldestNs == 1);
  auto oldest = big.seek(INT64_MIN);
  CHECK(seqsOf(drain(big, oldest)) == range(1, 5));
}

TEST_CASE("history ring: eviction takes the oldest block first, counters exact", "[history_ring]") {
  HistoryRing ring(HistoryRing::minimumCapacity(kCaplen), kCaplen);
  REQUIRE(ring.capacity() == kFixedRingRecords * kFixedRecord);
  const uint64_t total = 2 * kFixedRingRecords + 5;
  for (uint64_t n = 1; n <= total; ++n) {
    appendSeq(ring, n - 1, static_cast<int64_t>(n - 1) * 1000);
    const auto stats = ring.stats();
    const uint64_t evicted = fixedEvicted(n);
    if (stats.evicted != evicted || stats.packets != n - evicted ||
        stats.bytes != (n - evicted) * kFixedRecord || stats.appended != n ||
        stats.oldestNs != static_cast<int64_t>(evicted) * 1000 || stats.bytes > ring.capacity()) {
      FAIL_CHECK("after " << n << " appends: evicted " << stats.evicted << " (" << evicted
                          << "), packets " << stats.packets << ", bytes " << stats.bytes
                          << ", oldest " << stats.oldestNs.value_or(-1));
      break;
    }
  }
  // Just past a block boundary: the whole oldest block went at once.
  const auto stats = ring.stats();
  CHECK(stats.evicted == 5 * kPerBlock);
  CHECK(stats.packets == 3 * kPerBlock + 5);
  auto cursor = ring.seek(INT64_MIN);
  CHECK(cursor.seq == 5 * kPerBlock);
  CHECK(seqsOf(drain(ring, cursor)) == range(5 * kPerBlock, total));

  // Records of every size, and padding written over old bytes when blocks
  // are reused (checkEncoding insists on zero padding).
  HistoryRing mixed(HistoryRing::minimumCapacity(kCaplen), kCaplen);
  uint64_t lastEvicted = 0;
  for (uint64_t s = 0; s < 20000; ++s) {
    const size_t size = (s * 37) % (kCaplen + 1);
    appendSeq(mixed, s, static_cast<int64_t>(s), size);
    const auto now = mixed.stats();
    if (now.bytes > mixed.capacity() || now.evicted + now.packets != s + 1 ||
        now.evicted < lastEvicted) {
      FAIL_CHECK("after record " << s << ": bytes " << now.bytes << ", evicted " << now.evicted
                                 << ", packets " << now.packets);
      break;
    }
    lastEvicted = now.evicted;
  }
  const auto end = mixed.stats();
  CHECK(end.evicted > 0u);
  auto all = mixed.seek(INT64_MIN);
  const auto held = drain(mixed, all);
  CHECK(seqsOf(held) == range(end.evicted, 20000));
  CHECK(held.lost == 0u);
  uint64_t heldBytes = 0;
  for (const auto& seen : held.records) heldBytes += recordBytes((seen.seq * 37) % (kCaplen + 1));
  CHECK(heldBytes == end.bytes);
  CHECK(end.bytes > mixed.capacity() - 2 * mixed.blockSize());  // whole blocks gone, no more
}

TEST_CASE("history ring: a reader at the edge of eviction", "[history_ring]") {
  HistoryRing ring(HistoryRing::minimumCapacity(kCaplen), kCaplen);
  uint64_t appended = 0;
  auto appendN = [&](uint64_t n) {
    for (uint64_t i = 0; i < n; ++i, ++appended) {
      appendSeq(ring, appended, static_cast<int64_t>(appended));
    }
  };
  appendN(kPerBlock);
  // Block 0 is full and block 1 not started: this cursor stands at its end.
  auto atBlockEnd = ring.end();
  REQUIRE(atBlockEnd.block == 0u);
  REQUIRE(atBlockEnd.offset == 64u * 1024);
  appendN(kFixedRingRecords - kPerBlock);  // the ring is exactly full: nothing evicted yet
  REQUIRE(ring.stats().evicted == 0u);

  std::vector<uint8_t> out;
  auto inOldest = ring.seek(INT64_MIN);  // reads 10 records of block 0
  CHECK(ring.read(inOldest, out, 10 * kFixedRecord).records == 10u);
  auto inSecond = ring.seek(static_cast<int64_t>(kPerBlock + 500));
  REQUIRE(inSecond.seq == kPerBlock);
  out.clear();
  CHECK(ring.read(inSecond, out, 476 * kFixedRecord).records == 476u);
  REQUIRE(inSecond.seq == kPerBlock + 476);
  auto atEnd = ring.end();

  appendN(1);  // starts block 0 again: its 1024 records go
  CHECK(ring.stats().evicted == kPerBlock);

  // 10 read, 1014 lost, and on from the oldest record held.
  const auto first = drain(ring, inOldest);
  CHECK(first.lost == kPerBlock - 10);
  CHECK(seqsOf(first) == range(kPerBlock, appended));
  CHECK(10 + first.lost + first.records.size() == appended);  // read + lost = everything
  // At the end of the evicted block: nothing of it was left to lose.
  const auto second = drain(ring, atBlockEnd);
  CHECK(second.lost == 0u);
  CHECK(seqsOf(second) == range(kPerBlock, appended));
  // The cursor made at the end reads the one new record.
  const auto fresh = drain(ring, atEnd);
  CHECK(fresh.lost == 0u);
  CHECK(seqsOf(fresh) == range(kFixedRingRecords, appended));

  // Two more blocks go, and block 1 (where inSecond stands) is written again.
  appendN(2 * kPerBlock);
  const auto stats = ring.stats();
  REQUIRE(stats.evicted == 3 * kPerBlock);
  const auto third = drain(ring, inSecond);
  CHECK(third.lost == 3 * kPerBlock - (kPerBlock + 476));
  CHECK(seqsOf(third) == range(3 * kPerBlock, appended));
  // What the reader got and what it was told it lost add up to everything.
  CHECK(476 + third.lost + third.records.size() == appended - kPerBlock);

  // A cursor from end() whose block was reused twice over: everything up to
  // the oldest record held is lost, exactly.
  auto lapped = ring.end();
  const uint64_t from = lapped.seq;
  appendN(3 * kFixedRingRecords + 17);
  const auto last = drain(ring, lapped);
  const uint64_t oldest = ring.stats().evicted;
  CHECK(last.lost == oldest - from);
  CHECK(seqsOf(last) == range(oldest, appended));

  // An evicted cursor has "more": waitForMore does not wait for it.
  auto stale = ring.seek(INT64_MIN);
  appendN(kFixedRingRecords);
  const auto started = Clock::now();
  CHECK(ring.waitForMore(stale, std::chrono::seconds(10)));
  CHECK(Clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("history ring: seek finds the block by time", "[history_ring]") {
  HistoryRing ring(HistoryRing::minimumCapacity(kCaplen), kCaplen);

  // Empty: seek is end(), and a reader there gets the first record.
  auto early = ring.seek(0);
  CHECK(early.seq == 0u);
  std::vector<uint8_t> out;
  CHECK(ring.read(early, out, 1 << 20).records == 0u);
  CHECK_FALSE(ring.stats().oldestNs);

  for (uint64_t s = 0; s < kFixedRingRecords; ++s)
    appendSeq(ring, s, static_cast<int64_t>(s) * 1000);
  CHECK(seqsOf(drain(ring, early)) == range(0, kFixedRingRecords));

  auto fromSeek = [&](int64_t since) {
    auto cursor = ring.seek(since);
    std::vector<uint64_t> kept;
    for (const auto& seen : drain(ring, cursor).records) {
      if (seen.tsNs >= since) kept.push_back(seen.seq);
    }
    return kept;
  };
  CHECK(ring.seek(INT64_MIN).seq == 0u);
  CHECK(ring.seek(0).seq == 0u);
  CHECK(ring.seek(0).offset == 0u);
  CHECK(ring.seek(1'023'000).seq == 0u);         // the last record of block 0
  CHECK(ring.seek(1'023'001).seq == kPerBlock);  // just after it: block 1
  CHECK(ring.seek(1'500'000).seq == kPerBlock);
  CHECK(ring.seek(1'500'000).offset == 0u);
  CHECK(fromSeek(1'500'000) == range(1500, kFixedRingRecords));
  CHECK(fromSeek(1'500'500) == range(1501, kFixedRingRecords));  // between two records
  CHECK(ring.seek(3'500'000).seq == 3 * kPerBlock);
  const int64_t last = static_cast<int64_t>(kFixedRingRecords - 1) * 1000;
  CHECK(fromSeek(last) == range(kFixedRingRecords - 1, kFixedRingRecords));

  // After everything: the end, where the next record appended is read.
  auto after = ring.seek(last + 1);
  CHECK(after.seq == kFixedRingRecords);
  out.clear();
  CHECK(ring.read(after, out, 1 << 20).records == 0u);
  appendSeq(ring, kFixedRingRecords, last + 1000);  // evicts block 0
  CHECK(seqsOf(drain(ring, after)) == range(kFixedRingRecords, kFixedRingRecords + 1));

  // Older than everything held: the oldest block.
  CHECK(ring.seek(INT64_MIN).seq == kPerBlock);
  CHECK(ring.seek(0).seq == kPerBlock);
  CHECK(fromSeek(0) == range(kPerBlock, kFixedRingRecords + 1));
}

namespace {

// Appends `total` records stamped tsOf(seq), then checks that for many
// `since` values (around every sinceStep-th record, and `extra`), reading from
// seek(since) and dropping what is older gives exactly the records held with
// ts >= since.
template <typename TsOf>
void checkSeeksOutOfOrder(HistoryRing& ring, uint64_t total, TsOf tsOf, size_t minPayload,
                          size_t payloadRange, uint64_t sinceStep, std::vector<int64_t> sinces) {
  for (uint64_t s = 0; s < total; ++s) {
    appendSeq(ring, s, tsOf(s), minPayload + (s * 13) % payloadRange);
  }
  const uint64_t oldest = ring.stats().evicted;
  REQUIRE(oldest > 20u);

  sinces.insert(sinces.end(), {INT64_MIN, 0, INT64_MAX});
  const size_t spread = sinces.size();  // the ones after it spread over the ring
  for (uint64_t s = oldest - 20; s < total + 20; s += sinceStep) {
    sinces.push_back(1'000'000'000 + static_cast<int64_t>(s) * 1000);
    sinces.push_back(tsOf(s));
    sinces.push_back(tsOf(s) + 1);
  }
  size_t seeksPastOldest = 0;
  for (size_t i = 0; i < sinces.size(); ++i) {
    const int64_t since = sinces[i];
    std::vector<uint64_t> expected;
    for (uint64_t s = oldest; s < total; ++s) {
      if (tsOf(s) >= since) expected.push_back(s);
    }
    auto cursor = ring.seek(since);
    if (cursor.offset != 0 && cursor.seq != total) FAIL_CHECK("seek(" << since << ") mid-block");
    if (i >= spread && cursor.seq > oldest) ++seeksPastOldest;
    std::vector<uint64_t> kept;
    for (const auto& seen : drain(ring, cursor).records) {
      if (seen.tsNs >= since) kept.push_back(seen.seq);
    }
    if (kept != expected) {
      FAIL_CHECK("since " << since << ": " << kept.size() << " records, expected "
                          << expected.size());
    }
  }
  // The search does skip blocks: a seek into the ring mostly starts past the
  // oldest block (only the first few blocks' times lead there).
  CHECK(seeksPastOldest > (sinces.size() - spread) / 3);
}

// seq * 1 us, wandering up to `spread` ns either way.
int64_t jittered(uint64_t seq, int64_t spread) {
  const auto width = static_cast<uint64_t>(2 * spread + 1);
  return 1'000'000'000 + static_cast<int64_t>(seq) * 1000 +
         static_cast<int64_t>((seq * 2654435761u) % width) - spread;
}

}  // namespace

TEST_CASE("history ring: seek with timestamps slightly out of order", "[history_ring]") {
  SECTION("5 us either way, about 1000 records a block") {
    HistoryRing ring(HistoryRing::minimumCapacity(kCaplen), kCaplen);
    checkSeeksOutOfOrder(ring, 40'000, [](uint64_t seq) { return jittered(seq, 5'000); }, 16, 64,
                         97, {});
  }
  SECTION("a few records stamped 400 us ahead, about 65 records a block") {
    // The blocks after one with such a record are all older than it: their
    // own latest timestamps go down, and only the running maximum keeps the
    // binary search sound.
    constexpr uint64_t kTotal = 5'000;
    const auto tsOf = [](uint64_t seq) {
      return jittered(seq, 20'000) + (seq % 397 == 0 ? 400'000 : 0);
    };
    std::vector<int64_t> sinces;
    for (uint64_t ahead = 0; ahead < kTotal; ahead += 397) {
      for (const int64_t before : {0, 1, 50'000, 150'000, 250'000, 350'000}) {
        sinces.push_back(tsOf(ahead) - before);
      }
    }
    HistoryRing ring(1 << 20, 1500);
    checkSeeksOutOfOrder(ring, kTotal, tsOf, 900, 100, 13, sinces);
  }
}

namespace {

struct ReaderLog {
  uint64_t next = 0;     // the seq the reader expects next
  uint64_t records = 0;  // records read
  uint64_t lost = 0;
  uint64_t lostReports = 0;
  std::string error;  // the first thing that was wrong
};

// Reads until every one of `total` records is read or reported lost. Catch2's
// assertions are not thread-safe: this records, the test thread checks.
// `pauseUntil` > 0: after the first read, wait until the writer has appended
// that many, so that a small ring must evict under the reader.
ReaderLog readConcurrently(const HistoryRing& ring, HistoryRing::Cursor cursor, uint64_t total,
                           size_t maxBytes, uint64_t pauseUntil) {
  ReaderLog log;
  std::vector<uint8_t> out;
  const auto deadline = Clock::now() + std::chrono::seconds(120);
  while (log.next < total && log.error.empty()) {
    if (Clock::now() > deadline) {
      log.error = "timed out at seq " + std::to_string(log.next);
      break;
    }
    out.clear();
    const auto read = ring.read(cursor, out, maxBytes);
    log.lost += read.lost;
    log.next += read.lost;
    if (read.lost > 0) ++log.lostReports;
    if (const auto bad = checkEncoding(out, read.records); !bad.empty()) log.error = bad;
    HistoryRecords walk(out);
    while (auto record = walk.next()) {
      if (record->len != log.next || record->tsNs != static_cast<int64_t>(log.next)) {
        log.error =
            "read " + std::to_string(record->len) + ", expected " + std::to_string(log.next);
        break;
      }
      ++log.next;
      ++log.records;
    }
    if (pauseUntil > 0 && log.records > 0) {
      while (ring.stats().appended < pauseUntil && Clock::now() < deadline) {
        std::this_thread::yield();
      }
      pauseUntil = 0;
    }
    if (read.records == 0) ring.waitForMore(cursor, std::chrono::milliseconds(100));
  }
  return log;
}

void writeConcurrently(HistoryRing& ring, uint64_t total) {
  for (uint64_t s = 0; s < total; ++s) {
    appendSeq(ring, s, static_cast<int64_t>(s), s % 97);
    if (s % 32 == 31) ring.publish();  // once per batch, as the capture loop does
  }
  ring.publish();
}

}  // namespace

TEST_CASE("history ring: a reader on another thread sees every record once, in order",
          "[history_ring]") {
  constexpr uint64_t kTotal = 200'000;
  // 200k records of at most 16 + 96 + 8 bytes fit in 32 MiB: nothing is evicted.
  HistoryRing ring(32 << 20, kCaplen);
  ReaderLog log;
  const auto start = ring.seek(INT64_MIN);  // empty: the end, before record 0
  std::thread reader([&] { log = readConcurrently(ring, start, kTotal, 64 * 1024, 0); });
  writeConcurrently(ring, kTotal);
  reader.join();
  CHECK(log.error == "");
  CHECK(log.records == kTotal);
  CHECK(log.lost == 0u);
  CHECK(ring.stats().evicted == 0u);
}

TEST_CASE("history ring: a reader behind a small ring counts exactly what it lost",
          "[history_ring]") {
  constexpr uint64_t kTotal = 200'000;
  HistoryRing ring(HistoryRing::minimumCapacity(kCaplen), kCaplen);
  ReaderLog log;
  // Small reads, and one pause until the writer is well past a ring's worth.
  const auto start = ring.seek(INT64_MIN);
  std::thread reader([&] { log = readConcurrently(ring, start, kTotal, 4096, 50'000); });
  writeConcurrently(ring, kTotal);
  reader.join();
  CHECK(log.error == "");
  CHECK(log.next == kTotal);
  CHECK(log.records + log.lost == kTotal);
  CHECK(log.lost > 0u);
  CHECK(log.lostReports > 0u);
  const auto stats = ring.stats();
  CHECK(stats.appended == kTotal);
  CHECK(stats.evicted + stats.packets == kTotal);
  CHECK(log.lost <= stats.evicted);
}

TEST_CASE("history ring: waitForMore times out, and publish wakes it", "[history_ring]") {
  HistoryRing ring(HistoryRing::minimumCapacity(kCaplen), kCaplen);
  const auto cursor = ring.end();

  auto started = Clock::now();
  CHECK_FALSE(ring.waitForMore(cursor, std::chrono::milliseconds(50)));
  CHECK(Clock::now() - started >= std::chrono::milliseconds(50));

  // publish() with nothing appended wakes the waiter, which finds nothing.
  std::atomic<bool> waited{false};
  std::thread publisher([&] {
    while (!waited.load()) ring.publish();
  });
  CHECK_FALSE(ring.waitForMore(cursor, std::chrono::milliseconds(100)));
  waited = true;
  publisher.join();

  // A waiter with a long timeout returns as soon as the writer publishes.
  std::atomic<bool> waiting{false};
  bool more = false;
  Clock::duration took{};
  std::thread waiter([&] {
    waiting = true;
    const auto t0 = Clock::now();
    more = ring.waitForMore(cursor, std::chrono::seconds(20));
    took = Clock::now() - t0;
  });
  while (!waiting.load()) std::this_thread::yield();
  // Give the waiter time to block, so that the wake-up is what ends its wait
  // (the result is right either way; only the path taken differs).
  const auto settle = Clock::now() + std::chrono::milliseconds(50);
  while (Clock::now() < settle) std::this_thread::yield();
  appendSeq(ring, 0, 1);
  ring.publish();
  waiter.join();
  CHECK(more);
  CHECK(took < std::chrono::seconds(10));

  // Appended but not yet published: a new waiter sees it at once.
  appendSeq(ring, 1, 2);
  auto mid = ring.seek(INT64_MIN);
  std::vector<uint8_t> out;
  CHECK(ring.read(mid, out, kFixedRecord).records == 1u);
  started = Clock::now();
  CHECK(ring.waitForMore(mid, std::chrono::seconds(10)));
  CHECK(Clock::now() - started < std::chrono::seconds(5));
}

TEST_CASE("history ring: memory is touched only as records fill it", "[history_ring]") {
  constexpr size_t kCapacity = 64 << 20;
  const size_t before = residentBytes();
  HistoryRing ring(kCapacity, 1500);
  // Construction reserves the blocks without writing them.
  CHECK(residentBytes() < before + 8 * (1 << 20));
  const auto data = payloadFor(1, 1500);
  for (int i = 0; i < 1000; ++i) ring.append(i, 1500, data);  // about 1.5 MiB
  CHECK(residentBytes() < before + 10 * (1 << 20));
  // Writing the whole ring makes it resident (so the numbers above mean
  // something), and going round again adds nothing.
  for (int i = 0; i < 50'000; ++i) ring.append(i, 1500, data);
  const size_t full = residentBytes();
  CHECK(full > before + kCapacity - 8 * (1 << 20));
  for (int i = 0; i < 50'000; ++i) ring.append(i, 1500, data);
  CHECK(residentBytes() < full + 4 * (1 << 20));
  CHECK(ring.stats().bytes <= ring.capacity());
}
