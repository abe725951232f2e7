// summarizePacket against what tcpdump 4.99.3 prints for the same packets:
// tests/data/packet_summary/make_fixtures.py builds the pcaps byte by byte and
// records `tcpdump -n -r` (timestamps stripped) as FILE.golden. Where the
// summary differs on purpose, FILE.expected holds the expectation instead and
// the script says why (SLL2 interface columns, -S sequence numbers, link type
// 14 that tcpdump on Linux does not know).

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>

#include "packet_summary.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

std::string fixturePath(const std::string& name) {
  return dataPath("packet_summary/" + name);
}

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

struct Fixture {
  uint32_t linkType = 0;
  std::vector<DecodedPacket> packets;
};

Fixture readFixture(const std::string& name) {
  const auto bytes = readFile(fixturePath(name + ".pcap"));
  REQUIRE_FALSE(bytes.empty());
  StreamDecoder decoder;
  CollectingSink sink;
  REQUIRE(decoder.feed(std::span<const uint8_t>(bytes), sink).ok());
  REQUIRE(decoder.finish().ok());
  return {sink.global.linkType, std::move(sink.packets)};
}

// What the summary must print for each packet of NAME.pcap.
std::vector<std::string> expectedLines(const std::string& name) {
  const auto expected = fixturePath(name + ".expected");
  return readLines(std::filesystem::exists(expected) ? expected : fixturePath(name + ".golden"));
}

std::string summarize(uint32_t linkType, const std::vector<uint8_t>& data, uint32_t len) {
  return summarizePacket(linkType, std::span<const uint8_t>(data), len);
}

void append(std::vector<uint8_t>& out, std::initializer_list<uint8_t> bytes) {
  out.insert(out.end(), bytes);
}

// An IPv4 header with the given protocol and total length, 10.0.0.1 > 10.0.0.2.
std::vector<uint8_t> ipv4Header(uint8_t proto, size_t totalLength) {
  const auto high = static_cast<uint8_t>(totalLength >> 8), low = static_cast<uint8_t>(totalLength);
  return {0x45, 0, high, low, 0, 1, 0, 0, 64, proto, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2};
}

}  // namespace

TEST_CASE("every fixture packet is summarized exactly as tcpdump -n prints it",
          "[unit][packet_summary]") {
  const std::pair<const char*, uint32_t> files[] = {
      {"ethernet", 1}, {"prefixes", 1}, {"absolute", 1}, {"raw", 101}, {"raw12", 12},
      {"raw14", 14},   {"null", 0},     {"loop", 108},   {"sll", 113}, {"sll2", 276},
  };
  size_t checked = 0;
  for (const auto& [name, linkType] : files) {
    INFO(name);
    const auto fixture = readFixture(name);
    CHECK(fixture.linkType == linkType);
    const auto lines = expectedLines(name);
    const auto cases = readLines(fixturePath(std::string(name) + ".cases"));
    REQUIRE(lines.size() == fixture.packets.size());
    REQUIRE(cases.size() == fixture.packets.size());
    for (size_t i = 0; i < lines.size(); ++i) {
      const auto& packet = fixture.packets[i];
      INFO("packet " << i + 1 << ": " << cases[i]);
      CHECK(summarize(fixture.linkType, packet.data, packet.header.len) == lines[i]);
      ++checked;
    }
  }
  // 129 + 611 + 5 + 3 * 9 + 2 * 11 + 2 * 13 packets: none skipped.
  CHECK(checked == 820);
}

TEST_CASE("no summary depends on a byte past the captured ones", "[unit][packet_summary]") {
  // Every cut of every fixture packet, given as a view into the whole packet
  // and as an exact copy, summarizes the same: the bytes after the view are
  // never looked at (the fuzz target has ASan check the copies).
  for (const char* name : {"ethernet", "sll", "sll2", "null", "raw"}) {
    INFO(name);
    const auto fixture = readFixture(name);
    for (const auto& packet : fixture.packets) {
      for (size_t cut = 0; cut <= packet.data.size(); ++cut) {
        const std::span<const uint8_t> view(packet.data.data(), cut);
        const std::vector<uint8_t> copy(view.begin(), view.end());
        const auto fromView = summarizePacket(fixture.linkType, view, packet.header.len);
        REQUIRE(fromView == summarize(fixture.linkType, copy, packet.header.len));
        REQUIRE_FALSE(fromView.empty());
      }
    }
  }
}

TEST_CASE("record headers tcpdump would not dissect are named, as tcpdump names them",
          "[unit][packet_summary]") {
  const std::vector<uint8_t> sixty(60, 0);
  CHECK(summarize(1, sixty, 50) == "[Invalid header: len(50) < caplen(60)]");
  CHECK(summarize(1, {}, 0) == "[Invalid header: caplen==0, len==0]");
  const std::vector<uint8_t> huge(262145, 0);
  CHECK(summarize(1, huge, 262145) ==
        "[Invalid header: caplen(262145) > 262144, len(262145) > 262144]");
}

TEST_CASE("link types outside the list get a line, and FCS bits are ignored",
          "[unit][packet_summary]") {
  const std::vector<uint8_t> frame(42, 0);
  CHECK(summarize(147, frame, 60) == "unsupported link-type 147, length 60");
  // pcap-savefile(5): the top 4 bits of the link type may say an FCS follows.
  std::vector<uint8_t> raw = ipv4Header(59, 20);
  CHECK(summarize(0x10000000u | 101, raw, 20) == "IP 10.0.0.1 > 10.0.0.2: no next header");
}

TEST_CASE("IP tunnels are followed 4 deep, then left undecoded", "[unit][packet_summary]") {
  // Six IPv4 headers in one another, the innermost without payload.
  std::vector<uint8_t> packet;
  for (int depth = 0; depth < 6; ++depth) {
    const auto header = ipv4Header(depth == 5 ? 59 : 4, 20 * (6 - depth));
    packet.insert(packet.end(), header.begin(), header.end());
  }
  const std::string ip = "IP 10.0.0.1 > 10.0.0.2: ";
  CHECK(summarize(101, packet, 120) == ip + ip + ip + ip + ip + " ip-proto-4 20");
}

TEST_CASE("a chain of IPv6 extension headers stops after 16", "[unit][packet_summary]") {
  // 40 destination-options headers of 8 bytes, then no next header.
  std::vector<uint8_t> packet;
  append(packet, {0x60, 0, 0, 0, 0x01, 0x40, 60, 64});  // payload 320 bytes
  packet.resize(40, 0);
  packet[8] = 0x20, packet[9] = 0x01;  // 2001::
  packet[24] = 0x20, packet[25] = 0x01;
  packet[39] = 2;  // 2001::2
  for (int i = 0; i < 40; ++i)
    append(packet, {i == 39 ? uint8_t{59} : uint8_t{60}, 0, 1, 4, 0, 0, 0, 0});
  std::string expected = "IP6 2001:: > 2001::2: ";
  for (int i = 0; i < 16; ++i) expected += "DSTOPT ";
  expected += "[too many extension headers]";
  CHECK(summarize(101, packet, static_cast<uint32_t>(packet.size())) == expected);
}

TEST_CASE("the summary is one printable line", "[unit][packet_summary]") {
  // An unknown TCP option of 38 bytes: the longest option text per byte.
  std::vector<uint8_t> packet = ipv4Header(6, 80);
  append(packet,
         {0x9c, 0x40, 0x01, 0xbb, 0, 0, 0, 1, 0, 0, 0, 0, 0xf0, 0x02, 0, 0, 0, 0, 0, 0, 99, 40});
  packet.resize(80, 0xab);
  std::string optionHex;
  for (int i = 0; i < 38; ++i) optionHex += "ab";
  const auto line = summarize(101, packet, 80);
  CHECK(line ==
        "IP 10.0.0.1.40000 > 10.0.0.2.443: Flags [S], seq 1, win 0, options [unknown-99 0x" +
            optionHex + "], length 0");
  CHECK(line.find_first_of("\r\n\t") == std::string::npos);
}
