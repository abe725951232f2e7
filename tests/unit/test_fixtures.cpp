// The decoder and the SLL2->SLL conversion against captures made by real
// tcpdump and goldens made by tshark (tests/data/README says how).

#include <catch2/catch.hpp>

#include <sstream>

#include "sll.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

struct Golden {
  uint32_t tsSec, tsFrac, caplen, len;
};

std::vector<Golden> readGolden(const std::string& name) {
  std::ifstream in(dataPath(name));
  REQUIRE(in.good());
  std::vector<Golden> out;
  Golden g{};
  while (in >> g.tsSec >> g.tsFrac >> g.caplen >> g.len) out.push_back(g);
  return out;
}

struct Decoded {
  Status status;
  CollectingSink sink;
};

Decoded decodeFile(const std::string& name, size_t chunk = SIZE_MAX) {
  const auto bytes = readFile(dataPath(name));
  Decoded d;
  StreamDecoder decoder;
  std::span<const uint8_t> rest(bytes);
  while (!rest.empty() && d.status.ok()) {
    const auto piece = rest.first(std::min(chunk, rest.size()));
    d.status = decoder.feed(piece, d.sink);
    rest = rest.subspan(piece.size());
  }
  if (d.status.ok()) d.status = decoder.finish();
  return d;
}

}  // namespace

TEST_CASE("real captures decode exactly as tshark reads them", "[fixtures]") {
  struct Case {
    const char* name;
    uint32_t linkType;
    Precision precision;
    ByteOrder order;
  };
  const Case cases[] = {
      {"sll_le_usec", kLinkTypeLinuxSll, Precision::Micro, ByteOrder::Little},
      {"sll2_le_usec", kLinkTypeLinuxSll2, Precision::Micro, ByteOrder::Little},
      {"sll_le_nsec", kLinkTypeLinuxSll, Precision::Nano, ByteOrder::Little},
      {"sll2_le_nsec", kLinkTypeLinuxSll2, Precision::Nano, ByteOrder::Little},
      {"en10mb_le_usec", kLinkTypeEthernet, Precision::Micro, ByteOrder::Little},
      {"sll_be_usec", kLinkTypeLinuxSll, Precision::Micro, ByteOrder::Big},
      {"sll2_be_nsec", kLinkTypeLinuxSll2, Precision::Nano, ByteOrder::Big},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    for (size_t chunk : {SIZE_MAX, size_t{1}, size_t{7}, size_t{4096}}) {
      const auto d = decodeFile(std::string(c.name) + ".pcap", chunk);
      REQUIRE(d.status.ok());
      CHECK(d.sink.global.linkType == c.linkType);
      CHECK(d.sink.global.precision == c.precision);
      CHECK(d.sink.global.byteOrder == c.order);
      const auto golden = readGolden(std::string(c.name) + ".records");
      REQUIRE(d.sink.packets.size() == golden.size());
      REQUIRE_FALSE(golden.empty());
      for (size_t i = 0; i < golden.size(); ++i) {
        const auto& h = d.sink.packets[i].header;
        CHECK(h.tsSec == golden[i].tsSec);
        CHECK(h.tsFrac == golden[i].tsFrac);
        CHECK(h.caplen == golden[i].caplen);
        CHECK(h.len == golden[i].len);
      }
    }
  }
}

TEST_CASE("a real capture decodes the same at every split point", "[fixtures]") {
  const auto bytes = readFile(dataPath("sll2_be_nsec.pcap"));
  const auto whole = decodeFile("sll2_be_nsec.pcap");
  REQUIRE(whole.status.ok());
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    StreamDecoder decoder;
    CollectingSink sink;
    std::span<const uint8_t> all(bytes);
    REQUIRE(decoder.feed(all.first(cut), sink).ok());
    REQUIRE(decoder.feed(all.subspan(cut), sink).ok());
    REQUIRE(decoder.finish().ok());
    REQUIRE(sink.packets.size() == whole.sink.packets.size());
    for (size_t i = 0; i < sink.packets.size(); ++i) {
      REQUIRE(sink.packets[i].data == whole.sink.packets[i].data);
    }
  }
}

TEST_CASE("SLL2 converts to SLL byte for byte as libpcap would have captured it", "[fixtures]") {
  // sll_*.pcap and sll2_*.pcap were captured simultaneously of the same
  // traffic, so each SLL file is the exact conversion of its SLL2 twin.
  for (const std::string precision : {"usec", "nsec"}) {
    INFO(precision);
    const auto d = decodeFile("sll2_le_" + precision + ".pcap");
    REQUIRE(d.status.ok());
    RecordBuffer out(ByteOrder::Little);
    GlobalHeader header = d.sink.global;
    header.linkType = kLinkTypeLinuxSll;
    out.appendGlobalHeader(header);
    for (const auto& p : d.sink.packets) {
      const auto converted = convertSll2RecordToSll(p.header, p.data);
      REQUIRE(converted);
      out.appendRecord(converted->header, converted->sll, converted->payload);
    }
    const auto expected = readFile(dataPath("sll_le_" + precision + ".pcap"));
    const std::vector<uint8_t> actual(out.bytes().begin(), out.bytes().end());
    CHECK(actual.size() == expected.size());
    CHECK(actual == expected);
  }
}

TEST_CASE("hostile fixtures are refused with a clear error", "[fixtures]") {
  struct Case {
    const char* file;
    ErrorCode code;
    const char* message;
    size_t packetsBefore;
  };
  const Case cases[] = {
      {"bad_magic.pcap", ErrorCode::BadMagic, "not a pcap stream: bad magic 0xefbeadde", 0},
      {"bad_version.pcap", ErrorCode::UnsupportedVersion, "unsupported pcap version 3.0", 0},
      {"huge_snaplen.pcap", ErrorCode::SnaplenTooLarge, "snaplen 268435456 exceeds limit 262144", 0},
      {"truncated_header.pcap", ErrorCode::Truncated,
       "truncated record 2: stream ended after 8 of 16 record-header bytes", 1},
      {"truncated_record.pcap", ErrorCode::Truncated,
       "truncated record 2: stream ended after 28 of 57 bytes", 1},
      {"giant_caplen.pcap", ErrorCode::CaplenTooLarge, "caplen 2147483647 exceeds limit 262144 in record 2", 1},
      {"caplen_gt_len.pcap", ErrorCode::CaplenExceedsLen, "caplen 57 exceeds len 47 in record 2", 1},
      {"caplen_gt_snaplen.pcap", ErrorCode::CaplenExceedsSnaplen, "caplen 100 exceeds snaplen 64 in record 2", 1},
      {"short_global_header.pcap", ErrorCode::Truncated,
       "stream ended before the pcap global header was complete (10 of 24 bytes)", 0},
      {"empty_file.pcap", ErrorCode::Truncated,
       "stream ended before the pcap global header was complete (0 of 24 bytes)", 0},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    const auto d = decodeFile(c.file);
    REQUIRE_FALSE(d.status.ok());
    CHECK(d.status.error().code == c.code);
    CHECK_THAT(d.status.error().message, Catch::Matchers::StartsWith(c.message));
    CHECK(d.sink.packets.size() == c.packetsBefore);
  }
  const auto empty = decodeFile("header_only.pcap");
  CHECK(empty.status.ok());
  CHECK(empty.sink.globalHeaders == 1);
  CHECK(empty.sink.packets.empty());
}
