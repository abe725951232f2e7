#include <catch2/catch.hpp>

#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

// Feeds `bytes` in pieces cut at the given offsets, then finishes.
Status feedSplit(const std::vector<uint8_t>& bytes, const std::vector<size_t>& cuts,
                 CollectingSink& sink, StreamDecoder& decoder) {
  size_t from = 0;
  std::span<const uint8_t> all(bytes);
  for (size_t cut : cuts) {
    if (Status s = decoder.feed(all.subspan(from, cut - from), sink); !s) return s;
    from = cut;
  }
  if (Status s = decoder.feed(all.subspan(from), sink); !s) return s;
  return decoder.finish();
}

void requireSamePackets(const CollectingSink& a, const CollectingSink& b) {
  REQUIRE(a.packets.size() == b.packets.size());
  for (size_t i = 0; i < a.packets.size(); ++i) {
    CHECK(a.packets[i].header.tsSec == b.packets[i].header.tsSec);
    CHECK(a.packets[i].header.tsFrac == b.packets[i].header.tsFrac);
    CHECK(a.packets[i].header.len == b.packets[i].header.len);
    CHECK(a.packets[i].data == b.packets[i].data);
  }
}

Error decodeError(const std::vector<uint8_t>& bytes) {
  StreamDecoder decoder;
  CollectingSink sink;
  Status status = decoder.feed(bytes, sink);
  if (status) status = decoder.finish();
  REQUIRE_FALSE(status.ok());
  CHECK(decoder.state() == (status.error().code == ErrorCode::Truncated
                                ? decoder.state()
                                : StreamDecoder::State::Failed));
  return status.error();
}

// Overwrites the 32-bit field at `at` in the stream's own byte order (little).
void poke32(std::vector<uint8_t>& bytes, size_t at, uint32_t value) {
  store32(&bytes[at], value, ByteOrder::Little);
}

}  // namespace

TEST_CASE("decoder yields every record of a whole stream", "[decoder]") {
  for (auto order : {ByteOrder::Little, ByteOrder::Big}) {
    for (auto precision : {Precision::Micro, Precision::Nano}) {
      const auto bytes = makeStream(order, precision, 12);
      StreamDecoder decoder;
      CollectingSink sink;
      REQUIRE(decoder.feed(bytes, sink).ok());
      REQUIRE(decoder.finish().ok());
      CHECK(sink.globalHeaders == 1);
      CHECK(sink.global.byteOrder == order);
      CHECK(sink.global.precision == precision);
      REQUIRE(sink.packets.size() == 12);
      CHECK(decoder.packets() == 12);
      CHECK(sink.packets[5].header.tsSec == 1700000005u);
      CHECK(sink.packets[5].header.tsFrac == 5000u);
      CHECK(sink.packets[5].data == std::vector<uint8_t>(35, 5));
      CHECK(sink.packets[5].header.len == 40u);
      CHECK(decoder.offset() == bytes.size());
    }
  }
}

TEST_CASE("decoder gives the same records at every split point", "[decoder]") {
  const auto bytes = makeStream(ByteOrder::Big, Precision::Nano, 9);
  StreamDecoder wholeDecoder;
  CollectingSink whole;
  REQUIRE(feedSplit(bytes, {}, whole, wholeDecoder).ok());
  REQUIRE(whole.packets.size() == 9);

  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    INFO("split at " << cut);
    StreamDecoder decoder;
    CollectingSink sink;
    REQUIRE(feedSplit(bytes, {cut}, sink, decoder).ok());
    requireSamePackets(whole, sink);
  }
  // Every pair of split points too: a record header or body in three parts.
  for (size_t a = 0; a <= bytes.size(); a += 3) {
    for (size_t b = a; b <= bytes.size(); b += 5) {
      StreamDecoder decoder;
      CollectingSink sink;
      REQUIRE(feedSplit(bytes, {a, b}, sink, decoder).ok());
      requireSamePackets(whole, sink);
    }
  }
}

TEST_CASE("decoder works one byte at a time", "[decoder]") {
  const auto bytes = makeStream(ByteOrder::Little, Precision::Micro, 20);
  StreamDecoder decoder;
  CollectingSink sink;
  for (uint8_t b : bytes) REQUIRE(decoder.feed(std::span<const uint8_t>(&b, 1), sink).ok());
  REQUIRE(decoder.finish().ok());
  REQUIRE(sink.packets.size() == 20);
  CHECK(sink.packets[19].data == std::vector<uint8_t>(19 * 7 % 61, 19));
}

TEST_CASE("decoder rejects hostile streams with a clear error", "[decoder]") {
  auto bytes = makeStream(ByteOrder::Little, Precision::Micro, 3);
  const size_t firstRecord = kGlobalHeaderSize;  // record 1 has caplen 0; record 2 follows

  SECTION("bad magic") {
    poke32(bytes, 0, 0xdeadbeef);
    const Error e = decodeError(bytes);
    CHECK(e.code == ErrorCode::BadMagic);
    CHECK(e.message == "not a pcap stream: bad magic 0xefbeadde");
  }
  SECTION("an HTML error page from a proxy") {
    const std::string html = "<html><body>502 Bad Gateway</body></html>";
    const Error e = decodeError({html.begin(), html.end()});
    CHECK(e.code == ErrorCode::BadMagic);
    CHECK(e.message == "not a pcap stream: bad magic 0x3c68746d");
  }
  SECTION("unsupported version") {
    bytes[4] = 3;
    CHECK(decodeError(bytes).message == "unsupported pcap version 3.4");
  }
  SECTION("snaplen over the bound") {
    poke32(bytes, 16, 0x10000000);
    CHECK(decodeError(bytes).message == "snaplen 268435456 exceeds limit 262144");
  }
  SECTION("giant caplen is refused before any allocation") {
    poke32(bytes, firstRecord + 8, 0x7fffffff);
    poke32(bytes, firstRecord + 12, 0x7fffffff);
    const Error e = decodeError(bytes);
    CHECK(e.code == ErrorCode::CaplenTooLarge);
    CHECK(e.message == "caplen 2147483647 exceeds limit 262144 in record 1 at stream offset 24");
  }
  SECTION("caplen greater than len") {
    poke32(bytes, firstRecord + 8, 10);
    poke32(bytes, firstRecord + 12, 9);
    const Error e = decodeError(bytes);
    CHECK(e.code == ErrorCode::CaplenExceedsLen);
    CHECK(e.message == "caplen 10 exceeds len 9 in record 1 at stream offset 24");
  }
  SECTION("caplen greater than snaplen") {
    poke32(bytes, 16, 8);
    // Records 1 and 2 have caplen 0 and 7; record 3 (caplen 14) starts at 24+16+16+7.
    const Error e = decodeError(bytes);
    CHECK(e.code == ErrorCode::CaplenExceedsSnaplen);
    CHECK(e.message == "caplen 14 exceeds snaplen 8 in record 3 at stream offset 63");
  }
  SECTION("truncated inside a record body") {
    bytes.resize(bytes.size() - 3);
    const Error e = decodeError(bytes);
    CHECK(e.code == ErrorCode::Truncated);
    CHECK(e.message == "truncated record 3: stream ended after 11 of 14 bytes");
  }
  SECTION("truncated inside a record header") {
    bytes.resize(kGlobalHeaderSize + 5);
    const Error e = decodeError(bytes);
    CHECK(e.code == ErrorCode::Truncated);
    CHECK(e.message == "truncated record 1: stream ended after 5 of 16 record-header bytes");
  }
  SECTION("truncated inside the global header") {
    bytes.resize(10);
    CHECK(decodeError(bytes).message ==
          "stream ended before the pcap global header was complete (10 of 24 bytes)");
  }
}

TEST_CASE("a failed decoder stays failed and emits nothing more", "[decoder]") {
  auto bytes = makeStream(ByteOrder::Little, Precision::Micro, 4);
  store32(&bytes[kGlobalHeaderSize + 8], 0x7fffffff, ByteOrder::Little);
  StreamDecoder decoder;
  CollectingSink sink;
  CHECK_FALSE(decoder.feed(bytes, sink).ok());
  CHECK(decoder.state() == StreamDecoder::State::Failed);
  const auto good = makeStream(ByteOrder::Little, Precision::Micro, 4);
  CHECK_FALSE(decoder.feed(good, sink).ok());
  CHECK(sink.packets.empty());
  CHECK_FALSE(decoder.finish().ok());
}

TEST_CASE("an empty stream is an error, a header-only stream is not", "[decoder]") {
  StreamDecoder empty;
  CHECK(empty.finish().error().code == ErrorCode::Truncated);

  const auto bytes = makeStream(ByteOrder::Little, Precision::Micro, 0);
  StreamDecoder decoder;
  CollectingSink sink;
  REQUIRE(decoder.feed(bytes, sink).ok());
  CHECK(decoder.finish().ok());
  CHECK(sink.globalHeaders == 1);
  CHECK(sink.packets.empty());
}
