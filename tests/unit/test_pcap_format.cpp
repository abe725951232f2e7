#include <catch2/catch.hpp>

#include "pcap_format.h"

using namespace ddump;

TEST_CASE("global header encodes to the pcap-savefile(5) layout", "[pcap_format]") {
  GlobalHeader header;
  header.snaplen = 262144;
  header.linkType = kLinkTypeLinuxSll;
  header.precision = Precision::Micro;
  header.byteOrder = ByteOrder::Little;
  const auto bytes = encodeGlobalHeader(header);
  const GlobalHeaderBytes expected = {0xd4, 0xc3, 0xb2, 0xa1, 0x02, 0x00, 0x04, 0x00,
                                      0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                      0x00, 0x00, 0x04, 0x00, 0x71, 0x00, 0x00, 0x00};
  CHECK(bytes == expected);

  header.byteOrder = ByteOrder::Big;
  header.precision = Precision::Nano;
  const GlobalHeaderBytes expectedBig = {0xa1, 0xb2, 0x3c, 0x4d, 0x00, 0x02, 0x00, 0x04,
                                         0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
                                         0x00, 0x04, 0x00, 0x00, 0x00, 0x00, 0x00, 0x71};
  CHECK(encodeGlobalHeader(header) == expectedBig);
}

TEST_CASE("global header round-trips in both byte orders and precisions", "[pcap_format]") {
  for (auto order : {ByteOrder::Little, ByteOrder::Big}) {
    for (auto precision : {Precision::Micro, Precision::Nano}) {
      GlobalHeader header;
      header.byteOrder = order;
      header.precision = precision;
      header.snaplen = 1234;
      header.linkType = kLinkTypeLinuxSll2;
      const auto bytes = encodeGlobalHeader(header);
      auto decoded = decodeGlobalHeader(bytes);
      REQUIRE(decoded.ok());
      CHECK(decoded->byteOrder == order);
      CHECK(decoded->precision == precision);
      CHECK(decoded->snaplen == 1234);
      CHECK(decoded->linkType == kLinkTypeLinuxSll2);
      CHECK(decoded->versionMajor == 2);
      CHECK(decoded->versionMinor == 4);
    }
  }
}

TEST_CASE("global header decode rejects what is not a pcap", "[pcap_format]") {
  GlobalHeader header;
  auto bytes = encodeGlobalHeader(header);

  SECTION("bad magic") {
    bytes[0] = 0xde;
    bytes[1] = 0xad;
    bytes[2] = 0xbe;
    bytes[3] = 0xef;
    auto decoded = decodeGlobalHeader(bytes);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::BadMagic);
    CHECK(decoded.error().message == "not a pcap stream: bad magic 0xdeadbeef");
  }
  SECTION("pcapng is not classic pcap") {
    const GlobalHeaderBytes pcapng = {0x0a, 0x0d, 0x0d, 0x0a};
    CHECK(decodeGlobalHeader(pcapng).error().code == ErrorCode::BadMagic);
  }
  SECTION("unsupported version") {
    bytes[4] = 3;
    auto decoded = decodeGlobalHeader(bytes);
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::UnsupportedVersion);
    CHECK(decoded.error().message == "unsupported pcap version 3.4");
  }
  SECTION("snaplen over the bound") {
    header.snaplen = kMaxSnaplen + 1;
    auto decoded = decodeGlobalHeader(encodeGlobalHeader(header));
    REQUIRE_FALSE(decoded.ok());
    CHECK(decoded.error().code == ErrorCode::SnaplenTooLarge);
    CHECK(decoded.error().message == "snaplen 262145 exceeds limit 262144");
  }
}

TEST_CASE("record header round-trips and timestamps convert exactly", "[pcap_format]") {
  const RecordHeader header{1700000000, 999999, 60, 1514};
  for (auto order : {ByteOrder::Little, ByteOrder::Big}) {
    RecordHeaderBytes bytes{};
    encodeRecordHeader(header, order, bytes.data());
    const auto decoded = decodeRecordHeader(bytes, order);
    CHECK(decoded.tsSec == header.tsSec);
    CHECK(decoded.tsFrac == header.tsFrac);
    CHECK(decoded.caplen == header.caplen);
    CHECK(decoded.len == header.len);
  }
  CHECK(timestampNs(header, Precision::Micro) == 1700000000999999000ULL);
  CHECK(timestampNs(RecordHeader{1, 5, 0, 0}, Precision::Nano) == 1000000005ULL);

  RecordHeader out;
  setTimestamp(out, 1700000000123456789ULL, Precision::Nano);
  CHECK(out.tsSec == 1700000000u);
  CHECK(out.tsFrac == 123456789u);
  setTimestamp(out, 1700000000123456789ULL, Precision::Micro);
  CHECK(out.tsFrac == 123456u);
}

TEST_CASE("link type names follow tcpdump's", "[pcap_format]") {
  CHECK(linkTypeName(kLinkTypeLinuxSll) == "LINUX_SLL");
  CHECK(linkTypeName(kLinkTypeLinuxSll2) == "LINUX_SLL2");
  CHECK(linkTypeName(kLinkTypeEthernet) == "EN10MB");
  CHECK(linkTypeName(147) == "147");
}
