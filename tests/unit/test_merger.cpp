#include <catch2/catch.hpp>

#include "merger.h"
#include "sll.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kBase = 1'700'000'000ULL * 1'000'000'000ULL;

GlobalHeader header(uint32_t linkType = kLinkTypeEthernet, Precision p = Precision::Micro) {
  GlobalHeader h;
  h.linkType = linkType;
  h.precision = p;
  h.snaplen = 65535;
  return h;
}

// One record per timestamp (ms after kBase); the payload names stream and sequence.
PacketBatch batch(uint8_t stream, std::initializer_list<uint64_t> msList, uint8_t firstSeq = 0,
                  uint32_t linkType = kLinkTypeEthernet) {
  PacketBatch b;
  b.linkType = linkType;
  uint8_t seq = firstSeq;
  for (uint64_t ms : msList) {
    const std::vector<uint8_t> data{stream, seq++, 0xee};
    RecordHeader h{0, 0, 3, 3};
    b.add(kBase + ms * kMs, h, data);
  }
  return b;
}

// (stream, seq) of each output record, decoded back from the output bytes.
struct Output {
  GlobalHeader global;
  std::vector<std::pair<int, int>> order;
  std::vector<DecodedPacket> packets;
};

Output decode(const RecordBuffer& out) {
  StreamDecoder decoder;
  CollectingSink sink;
  REQUIRE(decoder.feed(out.bytes(), sink).ok());
  REQUIRE(decoder.finish().ok());
  REQUIRE(sink.globalHeaders == 1);
  Output o{sink.global, {}, sink.packets};
  for (const auto& p : sink.packets) {
    if (p.data.size() >= 2) o.order.emplace_back(p.data[0], p.data[1]);
  }
  return o;
}

using Order = std::vector<std::pair<int, int>>;

}  // namespace

TEST_CASE("file streams merge in timestamp order, ties to the later stream as mergecap", "[merger]") {
  Merger m;
  const size_t a = m.addStream(false);
  const size_t b = m.addStream(false);
  RecordBuffer out;
  REQUIRE(m.setHeader(b, header(), 0).ok());
  CHECK(m.release(0, out) == 0);
  CHECK(out.empty());  // the header waits for the other file's header
  REQUIRE(m.setHeader(a, header(), 0).ok());
  REQUIRE(m.push(b, batch(1, {2, 3, 5, 6}), 0));
  REQUIRE(m.push(a, batch(0, {1, 3, 5, 5}), 0));
  m.close(a);
  m.close(b);
  CHECK(m.release(0, out) == 8);
  const Output o = decode(out);
  CHECK(o.order == Order{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {1, 2}, {0, 2}, {0, 3}, {1, 3}});
  CHECK(o.packets[0].header.tsSec == 1'700'000'000u);
  CHECK(o.packets[0].header.tsFrac == 1000u);  // 1 ms in µs
  CHECK(m.stats(a).packets == 4);
  CHECK(m.stats(b).bytes == 12);
  CHECK(m.stats(a).reordered == 0);
  CHECK(m.idle());
}

TEST_CASE("a record waits until every open stream has shown a later time", "[merger]") {
  Merger m(MergerOptions{500 * kMs});
  const size_t a = m.addStream(true);
  const size_t b = m.addStream(true);
  RecordBuffer out;
  REQUIRE(m.setHeader(a, header(), 0).ok());
  REQUIRE(m.setHeader(b, header(), 0).ok());
  REQUIRE(m.push(a, batch(0, {10, 30}), 0));
  CHECK(m.release(1, out) == 0);
  CHECK(m.nextDeadline() == 500 * kMs);
  REQUIRE(m.push(b, batch(1, {20}), 2));
  CHECK(m.release(3, out) == 2);  // a:10, b:20; a:30 waits for b
  REQUIRE(m.push(b, batch(1, {30}, 1), 4));
  // The tie: b:30 before a:30 (later stream first), and b has shown 30
  // (later-or-equal) so a:30 goes too.
  CHECK(m.release(5, out) == 2);
  REQUIRE(m.push(b, batch(1, {31}, 2), 6));
  CHECK(m.release(7, out) == 0);  // a (empty, high-water 30) might still send 30.5
  m.close(a);
  CHECK(m.release(8, out) == 1);
  CHECK(decode(out).order == Order{{0, 0}, {1, 0}, {1, 1}, {0, 1}, {1, 2}});
}

TEST_CASE("an idle live stream delays output by max-delay, not more", "[merger]") {
  Merger m(MergerOptions{500 * kMs});
  const size_t busy = m.addStream(true);
  m.addStream(true);  // connected, says nothing, never a header
  RecordBuffer out;
  REQUIRE(m.setHeader(busy, header(), 1000 * kMs).ok());
  CHECK(m.release(1499 * kMs, out) == 0);
  CHECK(out.empty());  // the header too waits for the silent stream, at most max-delay
  CHECK(m.nextDeadline() == 1500 * kMs);
  REQUIRE(m.push(busy, batch(0, {1, 2}), 1400 * kMs));
  CHECK(m.release(1500 * kMs, out) == 0);  // header now out, records still young
  CHECK(out.size() == kGlobalHeaderSize);
  CHECK(m.nextDeadline() == 1900 * kMs);
  CHECK(m.release(1899 * kMs, out) == 0);
  CHECK(m.release(1900 * kMs, out) == 2);
  CHECK(decode(out).order == Order{{0, 0}, {0, 1}});
}

TEST_CASE("a file without its header yet sets no deadline (nothing to wait for but it)", "[merger]") {
  Merger m(MergerOptions{500 * kMs});
  const size_t live = m.addStream(true);
  const size_t fifo = m.addStream(false);  // a FIFO whose writer has not started
  RecordBuffer out;
  REQUIRE(m.setHeader(live, header(), 1000 * kMs).ok());
  CHECK(m.release(5000 * kMs, out) == 0);
  CHECK(out.empty());
  CHECK_FALSE(m.nextDeadline().has_value());  // a past deadline would make the writer spin
  REQUIRE(m.setHeader(fifo, header(), 6000 * kMs).ok());
  CHECK(m.release(6000 * kMs, out) == 0);
  CHECK(out.size() == kGlobalHeaderSize);
}

TEST_CASE("a late record is still written and counted as reordered", "[merger]") {
  Merger m(MergerOptions{100 * kMs});
  const size_t a = m.addStream(true);
  const size_t b = m.addStream(true);
  RecordBuffer out;
  REQUIRE(m.setHeader(a, header(), 0).ok());
  REQUIRE(m.setHeader(b, header(), 0).ok());
  REQUIRE(m.push(a, batch(0, {50}), 0));
  CHECK(m.release(100 * kMs, out) == 1);  // b idle: released by timeout
  REQUIRE(m.push(b, batch(1, {40, 60}), 110 * kMs));
  // b:40 is older than what went out but a has shown 50 >= 40: out at once.
  CHECK(m.release(110 * kMs, out) == 1);
  CHECK(m.stats(b).reordered == 1);
  CHECK(m.stats(a).reordered == 0);
  m.close(a);
  CHECK(m.release(110 * kMs, out) == 1);
  CHECK(decode(out).order == Order{{0, 0}, {1, 0}, {1, 1}});
  CHECK(m.stats(b).packets == 2);
}

TEST_CASE("files are never overtaken by the clock", "[merger]") {
  Merger m(MergerOptions{1 * kMs});
  const size_t a = m.addStream(false);
  const size_t b = m.addStream(false);
  RecordBuffer out;
  REQUIRE(m.setHeader(a, header(), 0).ok());
  REQUIRE(m.setHeader(b, header(), 0).ok());
  REQUIRE(m.push(a, batch(0, {5}), 0));
  CHECK(m.release(1'000'000 * kMs, out) == 0);
  CHECK_FALSE(m.nextDeadline().has_value());
  m.close(b);
  CHECK(m.release(1'000'000 * kMs, out) == 1);
}

TEST_CASE("a stream keeps its own order, as mergecap does", "[merger]") {
  Merger m;
  const size_t a = m.addStream(false);
  const size_t b = m.addStream(false);
  RecordBuffer out;
  REQUIRE(m.setHeader(a, header(), 0).ok());
  REQUIRE(m.setHeader(b, header(), 0).ok());
  REQUIRE(m.push(a, batch(0, {5, 3}), 0));
  REQUIRE(m.push(b, batch(1, {4}), 0));
  m.close(a);
  m.close(b);
  CHECK(m.release(0, out) == 3);
  CHECK(decode(out).order == Order{{1, 0}, {0, 0}, {0, 1}});
  CHECK(m.stats(a).reordered == 1);
}

TEST_CASE("SLL2 streams are converted when merged with SLL", "[merger]") {
  Merger m;
  const size_t sll = m.addStream(false);
  const size_t sll2 = m.addStream(false);
  RecordBuffer out;
  REQUIRE(m.setHeader(sll2, header(kLinkTypeLinuxSll2), 0).ok());
  REQUIRE(m.setHeader(sll, header(kLinkTypeLinuxSll), 0).ok());

  Sll2Header h2;
  h2.protocol = 0x0800;
  h2.interfaceIndex = 7;
  h2.arphrdType = 1;
  h2.packetType = 4;
  h2.addressLength = 6;
  h2.address = {1, 2, 3, 4, 5, 6, 0, 0};
  const auto encoded = encodeSll2(h2);
  std::vector<uint8_t> record(encoded.begin(), encoded.end());
  record.insert(record.end(), {0x45, 0x00, 0x99});
  PacketBatch b2;
  b2.linkType = kLinkTypeLinuxSll2;
  b2.add(kBase + 2 * kMs, RecordHeader{0, 0, 23, 40}, record);
  PacketBatch tooShort;
  tooShort.linkType = kLinkTypeLinuxSll2;
  tooShort.add(kBase + 3 * kMs, RecordHeader{0, 0, 3, 3}, std::vector<uint8_t>{1, 2, 3});
  REQUIRE(m.push(sll2, std::move(b2), 0));
  REQUIRE(m.push(sll2, std::move(tooShort), 0));
  REQUIRE(m.push(sll, batch(0, {1}, 0, kLinkTypeLinuxSll), 0));
  m.close(sll);
  m.close(sll2);
  // Three records consumed, two written: the count (what -c limits) is of written ones.
  CHECK(m.release(0, out) == 2);
  const Output o = decode(out);
  CHECK(o.global.linkType == kLinkTypeLinuxSll);
  REQUIRE(o.packets.size() == 2);
  const auto& converted = o.packets[1];
  CHECK(converted.header.caplen == 19);
  CHECK(converted.header.len == 36);
  const auto parsed = parseSll(converted.data);
  REQUIRE(parsed);
  CHECK(parsed->protocol == 0x0800);
  CHECK(parsed->packetType == 4);
  CHECK(parsed->address == h2.address);
  CHECK(std::vector<uint8_t>(converted.data.begin() + 16, converted.data.end()) ==
        std::vector<uint8_t>{0x45, 0x00, 0x99});
  CHECK(m.stats(sll2).unconvertible == 1);
}

TEST_CASE("mixed µs and ns streams come out in nanoseconds", "[merger]") {
  Merger m;
  const size_t micro = m.addStream(false);
  const size_t nano = m.addStream(false);
  RecordBuffer out;
  REQUIRE(m.setHeader(micro, header(kLinkTypeEthernet, Precision::Micro), 0).ok());
  REQUIRE(m.setHeader(nano, header(kLinkTypeEthernet, Precision::Nano), 0).ok());
  PacketBatch n;
  n.add(kBase + 1'234'567, RecordHeader{0, 0, 2, 2}, std::vector<uint8_t>{1, 0});
  REQUIRE(m.push(micro, batch(0, {1}), 0));
  REQUIRE(m.push(nano, std::move(n), 0));
  m.close(micro);
  m.close(nano);
  CHECK(m.release(0, out) == 2);
  const Output o = decode(out);
  CHECK(o.global.precision == Precision::Nano);
  CHECK(o.packets[0].header.tsFrac == 1'000'000u);
  CHECK(o.packets[1].header.tsFrac == 1'234'567u);

  Merger forced(MergerOptions{500 * kMs, true});
  RecordBuffer forcedOut;
  forced.addStream(false);
  forced.close(0);
  forced.drain(forcedOut);
  CHECK(decode(forcedOut).global.precision == Precision::Nano);
}

TEST_CASE("streams that cannot be merged are refused with a clear error", "[merger]") {
  Merger m;
  const size_t eth = m.addStream(true);
  const size_t sll = m.addStream(true);
  REQUIRE(m.setHeader(eth, header(kLinkTypeEthernet), 0).ok());
  const Status refused = m.setHeader(sll, header(kLinkTypeLinuxSll), 0);
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == ErrorCode::Incompatible);
  CHECK(refused.error().message == "link type LINUX_SLL cannot be merged into EN10MB output");
  CHECK(m.isClosed(sll));
  CHECK_FALSE(m.push(sll, batch(1, {1}), 0));

  // Once SLL2 output is written, an SLL stream cannot join it.
  Merger late;
  const size_t first = late.addStream(false);
  const size_t second = late.addStream(true);
  RecordBuffer out;
  REQUIRE(late.setHeader(first, header(kLinkTypeLinuxSll2), 0).ok());
  REQUIRE(late.release(Merger::kUnlimited / 2, out) == 0);
  REQUIRE(late.headerWritten());
  CHECK_FALSE(late.setHeader(second, header(kLinkTypeLinuxSll), 0).ok());
}

TEST_CASE("queued bytes are exposed for backpressure and limits are honoured", "[merger]") {
  Merger m;
  const size_t a = m.addStream(false);
  REQUIRE(m.setHeader(a, header(), 0).ok());
  REQUIRE(m.push(a, batch(0, {1, 2, 3, 4}), 0));
  CHECK(m.queuedBytes(a) > 0);
  CHECK(m.totalQueuedBytes() == m.queuedBytes(a));
  RecordBuffer out;
  CHECK(m.release(0, out, 3) == 3);  // -c 3
  CHECK(m.queuedBytes(a) > 0);
  CHECK(m.release(0, out) == 1);
  CHECK(m.queuedBytes(a) == 0);
  CHECK(m.totalQueuedBytes() == 0);
}

TEST_CASE("with no stream header at all the output is still a valid pcap", "[merger]") {
  Merger m;
  m.addStream(true);
  m.close(0);
  RecordBuffer out;
  CHECK(m.drain(out) == 0);
  const Output o = decode(out);
  CHECK(o.global.linkType == kLinkTypeLinuxSll);
  CHECK(o.packets.empty());
}

TEST_CASE("big-endian input comes out in host order with the same times", "[merger]") {
  const auto stream = makeStream(ByteOrder::Big, Precision::Micro, 5);
  StreamDecoder decoder;
  BatchCollector collector;
  REQUIRE(decoder.feed(stream, collector).ok());
  Merger m;
  const size_t a = m.addStream(false);
  REQUIRE(m.setHeader(a, *collector.takeHeader(), 0).ok());
  REQUIRE(m.push(a, collector.takeBatch(), 0));
  m.close(a);
  RecordBuffer out;
  CHECK(m.release(0, out) == 5);
  const Output o = decode(out);
  CHECK(o.global.byteOrder == hostByteOrder());
  CHECK(o.packets[3].header.tsSec == 1'700'000'003u);
  CHECK(o.packets[3].header.tsFrac == 3000u);
  CHECK(o.packets[3].data == std::vector<uint8_t>(21, 3));
}
