#include <catch2/catch.hpp>

#include "capture_decoder.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

struct Decoded {
  GlobalHeader global;
  int globalHeaders = 0;
  std::vector<DecodedPacket> packets;
};

Decoded decode(const std::vector<uint8_t>& bytes, size_t split, Status* end = nullptr) {
  CaptureDecoder decoder(PcapInput::Savefile);
  CollectingSink sink;
  const std::span<const uint8_t> all(bytes);
  Status s = decoder.feed(all.first(split), sink);
  if (s) s = decoder.feed(all.subspan(split), sink);
  if (s) s = decoder.finish();
  if (end != nullptr) *end = s;
  else REQUIRE(s.ok());
  return Decoded{sink.global, sink.globalHeaders, sink.packets};
}

uint64_t ns(const DecodedPacket& p, Precision precision) { return timestampNs(p.header, precision); }

}  // namespace

// editcap -F pcapng of a pcap: the same records, whichever way the bytes
// arrive, and pcap itself still decodes as before.
TEST_CASE("pcapng input decodes to the records of the pcap it was made from", "[capture_decoder]") {
  for (const char* name : {"en10mb_le_usec", "sll2_le_nsec"}) {
    const auto pcap = readFile(dataPath(std::string(name) + ".pcap"));
    const auto pcapng = readFile(dataPath(std::string("pcapng/") + name + ".pcapng"));
    const Decoded want = decode(pcap, pcap.size());
    REQUIRE(!want.packets.empty());
    for (size_t split = 0; split <= pcapng.size(); ++split) {
      const Decoded got = decode(pcapng, split);
      INFO(name << " split at " << split);
      REQUIRE(got.globalHeaders == 1);
      CHECK(got.global.linkType == want.global.linkType);
      CHECK(got.global.precision == want.global.precision);
      REQUIRE(got.packets.size() == want.packets.size());
      for (size_t i = 0; i < want.packets.size(); ++i) {
        CHECK(ns(got.packets[i], got.global.precision) == ns(want.packets[i], want.global.precision));
        CHECK(got.packets[i].header.caplen == want.packets[i].header.caplen);
        CHECK(got.packets[i].header.len == want.packets[i].header.len);
        CHECK(got.packets[i].data == want.packets[i].data);
      }
    }
    // The pcap itself, split anywhere in its first bytes (the magic).
    for (size_t split = 0; split <= 8; ++split) {
      const Decoded again = decode(pcap, split);
      CHECK(again.packets.size() == want.packets.size());
    }
  }
}

TEST_CASE("a pcapng input with interfaces of two link types is refused in one line",
          "[capture_decoder]") {
  const auto pcapng = readFile(dataPath("pcapng/two_sections.pcapng"));
  Status end = Status::success();
  decode(pcapng, pcapng.size(), &end);
  REQUIRE_FALSE(end.ok());
  CHECK(end.error().message.find("cannot be merged") != std::string::npos);
  CHECK(end.error().message.find("has link type") != std::string::npos);
}

TEST_CASE("an input shorter than a magic says so", "[capture_decoder]") {
  const std::vector<uint8_t> three{0x0a, 0x0d, 0x0d};
  Status end = Status::success();
  decode(three, 1, &end);
  REQUIRE_FALSE(end.ok());
  CHECK(end.error().message == "stream ended after 3 bytes, before a pcap or pcapng header");
}
