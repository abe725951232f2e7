// The merge path's hooks for the output modes: where every written record
// came from (for pcapng interfaces and per-target files), the comments and
// blocks of pcapng inputs in their place, and the --clock-offset shift.
#include <catch2/catch.hpp>

#include "merger.h"
#include "packet_batch.h"
#include "pcapng_writer.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

constexpr uint32_t kRaw = 101;  // LINKTYPE_RAW
constexpr uint64_t kBase = 1'700'000'000ULL * 1'000'000'000ULL;

PacketBatch batchAt(std::initializer_list<uint64_t> msList) {
  PacketBatch b;
  const std::vector<uint8_t> data{1, 2, 3};
  for (uint64_t ms : msList) b.add(kBase + ms * 1'000'000, RecordHeader{0, 0, 3, 3}, data);
  return b;
}

}  // namespace

TEST_CASE("the merger logs the stream of each record it writes, in output order",
          "[merger][output]") {
  Merger m;
  RecordLog log;
  m.setRecordLog(&log);
  const size_t a = m.addStream(false);
  const size_t b = m.addStream(false);
  GlobalHeader h;
  REQUIRE(m.setHeader(a, h, 0).ok());
  REQUIRE(m.setHeader(b, h, 0).ok());
  REQUIRE(m.push(a, batchAt({1, 4, 5}), 0));
  REQUIRE(m.push(b, batchAt({2, 3, 6}), 0));
  m.close(a);
  m.close(b);
  RecordBuffer out;
  CHECK(m.release(0, out) == 6);
  std::vector<uint32_t> streams;
  for (const RecordSource& r : log.records) {
    streams.push_back(r.stream);
    CHECK(r.interface == kNoInputInterface);
    CHECK(r.linkType == kLinkTypeEthernet);
  }
  CHECK(streams == std::vector<uint32_t>{0, 1, 1, 0, 0, 1});
  CHECK(log.notes.empty());
}

TEST_CASE("records of a pcapng input keep their interface, flags, comments and blocks in place",
          "[merger][output]") {
  Merger m(MergerOptions{.mixedLinkTypes = true});
  RecordLog log;
  m.setRecordLog(&log);
  const size_t a = m.addStream(false);
  const size_t b = m.addStream(false);
  GlobalHeader ethernet;
  GlobalHeader raw;
  raw.linkType = kRaw;
  REQUIRE(m.setHeader(a, ethernet, 0).ok());
  REQUIRE(m.setHeader(b, raw, 0).ok());  // another link type: pcapng output keeps both

  PacketBatch tagged = batchAt({1});
  tagged.setLastOrigin({7, kEpbInbound, kLinkTypeEthernet});
  tagged.addBlock("NRB-1");  // before the next record
  const std::vector<uint8_t> data{1, 2, 3};
  tagged.add(kBase + 3'000'000, RecordHeader{0, 0, 3, 3}, data);
  tagged.setLastOrigin({8, 0, kLinkTypeLinuxSll2});
  tagged.addComment("second");
  tagged.addComment("again");
  tagged.addBlock("DSB-after");  // after the batch's last record
  REQUIRE(m.push(a, std::move(tagged), 0));
  PacketBatch rawBatch = batchAt({2, 4});
  rawBatch.linkType = kRaw;
  REQUIRE(m.push(b, std::move(rawBatch), 0));
  m.close(a);
  m.close(b);
  RecordBuffer out;
  REQUIRE(m.release(0, out) == 4);

  REQUIRE(log.records.size() == 4);
  CHECK(log.records[0].stream == 0);
  CHECK(log.records[0].interface == 7);
  CHECK(log.records[0].flags == kEpbInbound);
  CHECK(log.records[1].stream == 1);
  CHECK(log.records[1].linkType == kRaw);
  CHECK(log.records[2].interface == 8);
  CHECK(log.records[2].linkType == kLinkTypeLinuxSll2);  // the interface's, not the stream's
  CHECK(log.records[3].stream == 1);
  REQUIRE(log.notes.size() == 4);
  CHECK((log.notes[0].bytes == "NRB-1" && log.notes[0].record == 2 &&
         log.notes[0].kind == BatchNote::Kind::Block));
  CHECK((log.notes[1].bytes == "second" && log.notes[1].record == 2 &&
         log.notes[1].kind == BatchNote::Kind::Comment));
  CHECK((log.notes[2].bytes == "again" && log.notes[2].record == 2));
  // Logged when the batch ran out, before stream b's last record.
  CHECK((log.notes[3].bytes == "DSB-after" && log.notes[3].record == 3));
}

TEST_CASE("blocks a pcapng input ends with, in a batch without records, are logged at once",
          "[merger][output]") {
  Merger m;
  RecordLog log;
  m.setRecordLog(&log);
  const size_t a = m.addStream(false);
  REQUIRE(m.setHeader(a, GlobalHeader{}, 0).ok());
  REQUIRE(m.push(a, batchAt({1, 2}), 0));
  m.close(a);
  RecordBuffer out;
  REQUIRE(m.release(0, out) == 2);
  PacketBatch blocksOnly;
  blocksOnly.addBlock("NRB-end");
  REQUIRE(m.push(a, std::move(blocksOnly), 0) == false);  // closed: nothing more
  CHECK(log.notes.empty());

  Merger live;
  RecordLog liveLog;
  live.setRecordLog(&liveLog);
  const size_t l = live.addStream(false);
  const size_t other = live.addStream(false);
  REQUIRE(live.setHeader(l, GlobalHeader{}, 0).ok());
  REQUIRE(live.setHeader(other, GlobalHeader{}, 0).ok());
  REQUIRE(live.push(l, batchAt({1}), 0));
  REQUIRE(live.push(other, batchAt({2}), 0));
  REQUIRE(live.release(0, out) == 1);  // l's record; l is now empty
  PacketBatch tail;
  tail.addBlock("NRB-end");
  REQUIRE(live.push(l, std::move(tail), 0));
  REQUIRE(liveLog.notes.size() == 1);
  CHECK(liveLog.notes[0].record == 1);  // after the record already out
  CHECK(liveLog.notes[0].stream == l);
}

TEST_CASE("link types mix only when the output keeps an interface per input", "[merger][output]") {
  GlobalHeader raw;
  raw.linkType = kRaw;
  Merger pcap;
  const size_t a = pcap.addStream(false);
  const size_t b = pcap.addStream(false);
  REQUIRE(pcap.setHeader(a, GlobalHeader{}, 0).ok());
  const Status refused = pcap.setHeader(b, raw, 0);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().message == "link type RAW cannot be merged into EN10MB output");
  Merger pcapng(MergerOptions{.mixedLinkTypes = true});
  const size_t c = pcapng.addStream(false);
  const size_t d = pcapng.addStream(false);
  REQUIRE(pcapng.setHeader(c, GlobalHeader{}, 0).ok());
  CHECK(pcapng.setHeader(d, raw, 0).ok());
}

TEST_CASE("a collector's clock offset moves every timestamp onto our clock",
          "[packet_batch][output]") {
  const auto stream = makeStream(ByteOrder::Little, Precision::Micro, 3);
  StreamDecoder plain;
  StreamDecoder shifted;
  BatchCollector p;
  BatchCollector s;
  s.setClockOffset(2'000'000'000LL);  // the worker is 2 s ahead
  REQUIRE(plain.feed(stream, p).ok());
  REQUIRE(shifted.feed(stream, s).ok());
  const PacketBatch pb = p.takeBatch();
  const PacketBatch sb = s.takeBatch();
  REQUIRE(pb.size() == 3);
  REQUIRE(sb.size() == 3);
  for (size_t i = 0; i < 3; ++i) CHECK(pb.entry(i).tsNs - sb.entry(i).tsNs == 2'000'000'000ULL);
}
