// dissectPacket + appendPacketJson against tshark: for every packet of the
// fixtures in tests/data/packet_summary/, tests/data/packet_fields/
// make_goldens.py writes the NDJSON line built from tshark's own decoding
// (NAME.golden); where ddump reports a packet differently on purpose (a cut
// header, a tunnel, a link type tshark decodes otherwise), NAME.expected
// holds the expected lines instead, and the script says why.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "packet_fields.h"
#include "packet_json.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

std::vector<std::string> readLines(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

std::string jsonLine(uint32_t linkType, const DecodedPacket& p, Precision precision) {
  const PacketFields fields = dissectPacket(linkType, p.data);
  PacketMeta meta;
  meta.tsNs = timestampNs(p.header, precision);
  meta.host = "h";
  meta.len = p.header.len;
  meta.caplen = p.header.caplen;
  std::string out;
  appendPacketJson(out, meta, fields);
  out.pop_back();  // the newline
  return out;
}

}  // namespace

TEST_CASE("every fixture packet's fields are tshark's", "[unit][packet_fields]") {
  const char* files[] = {"ethernet", "prefixes", "absolute", "raw", "raw12",
                         "null",     "loop",     "sll",      "sll2"};
  size_t checked = 0;
  for (const char* name : files) {
    INFO(name);
    const auto bytes = readFile(dataPath(std::string("packet_summary/") + name + ".pcap"));
    StreamDecoder decoder;
    CollectingSink sink;
    REQUIRE(decoder.feed(std::span<const uint8_t>(bytes), sink).ok());
    const std::string base = dataPath(std::string("packet_fields/") + name);
    const auto expected = readLines(std::filesystem::exists(base + ".expected") ? base + ".expected"
                                                                                : base + ".golden");
    // DDUMP_PACKET_FIELDS_OUT=DIR writes what ddump makes of each file to
    // DIR/NAME.actual, to compare with the golden lines field by field.
    std::ofstream actual;
    if (const char* dir = std::getenv("DDUMP_PACKET_FIELDS_OUT"))
      actual.open(std::string(dir) + "/" + name + ".actual");
    for (const auto& p : sink.packets) {
      if (actual.is_open())
        actual << jsonLine(sink.global.linkType, p, sink.global.precision) << "\n";
    }
    REQUIRE(expected.size() == sink.packets.size());
    for (size_t i = 0; i < sink.packets.size(); ++i) {
      INFO("packet " << i + 1);
      CHECK(jsonLine(sink.global.linkType, sink.packets[i], sink.global.precision) == expected[i]);
      ++checked;
    }
  }
  CHECK(checked == 811);
}

TEST_CASE("packet JSON: names, times, directions and flags", "[unit][packet_fields]") {
  // Ethernet / IPv4 / TCP SYN+ACK+FIN+PSH, 54 bytes.
  std::vector<uint8_t> p{2,    0, 0,   0,  0,    2,    2,    0,    0,    0,    0, 1, 0x08, 0x00,
                         0x45, 0, 0,   40, 0x12, 0x34, 0x40, 0,    63,   6,    0, 0, 192,  0,
                         2,    1, 192, 0,  2,    2,    0x9c, 0x40, 0x01, 0xbb, 0, 0, 0,    1,
                         0,    0, 0,   2,  0x50, 0x1b, 0x01, 0x00, 0,    0,    0, 0};
  const PacketFields f = dissectPacket(1, p);
  CHECK_FALSE(f.truncated);
  CHECK(f.tcpFlags ==
        (PacketFields::kSyn | PacketFields::kAck | PacketFields::kFin | PacketFields::kPsh));
  char letters[9];
  CHECK(std::string(tcpFlagLetters(f.tcpFlags, letters)) == "SAFP");
  CHECK(std::string(tcpFlagLetters(0xFF, letters)) == "SAFRPUEC");
  CHECK(std::string(tcpFlagLetters(0, letters)).empty());
  PacketMeta meta;
  meta.tsNs = 1'764'590'401'000'000'007ULL;  // 2025-12-01T12:00:01.000000007Z
  meta.host = "web\"1\\\n";
  meta.interface = "eth0";
  meta.direction = packetDirection(f, 0x2);  // epb_flags: outbound
  meta.len = 60;
  meta.caplen = 54;
  std::string out;
  appendPacketJson(out, meta, f);
  CHECK(
      out ==
      "{\"ts\":\"2025-12-01T12:00:01.000000007Z\",\"host\":\"web\\\"1\\\\\\u000a\",\"if\":\"eth0\","
      "\"dir\":\"out\",\"len\":60,\"caplen\":54,\"eth\":{\"src\":\"02:00:00:00:00:01\",\"dst\":"
      "\"02:00:00:00:00:02\",\"type\":2048},\"ip\":{\"v\":4,\"src\":\"192.0.2.1\",\"dst\":\"192.0."
      "2.2\","
      "\"proto\":6,\"ttl\":63,\"id\":4660,\"frag\":false},\"tcp\":{\"sport\":40000,\"dport\":443,"
      "\"flags\":\"SAFP\",\"seq\":1,\"ack\":2,\"win\":256}}\n");
  CHECK(packetDirection(f, 0) == PacketDirection::Unknown);  // Ethernet carries no direction
  CHECK(packetDirection(f, 0x1) == PacketDirection::In);
}

TEST_CASE("the dissector's loops are bounded: 4 VLAN tags, 16 IPv6 extension headers",
          "[unit][packet_fields]") {
  std::vector<uint8_t> tagged{2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1};
  for (int i = 0; i < 6; ++i)
    tagged.insert(tagged.end(), {0x81, 0x00, 0x00, static_cast<uint8_t>(i + 1)});
  tagged.insert(tagged.end(), {0x08, 0x00});
  const PacketFields t = dissectPacket(1, tagged);
  CHECK(t.vlanCount == 4);
  CHECK(t.vlans[3] == 4);
  CHECK(t.etherType == 0x8100);  // the fifth tag is left undecoded
  CHECK(t.net == PacketFields::Net::None);

  // Raw IPv6 with 20 Destination Options headers of 8 bytes, then UDP.
  std::vector<uint8_t> v6(40, 0);
  v6[0] = 0x60;
  v6[6] = 60;
  v6[7] = 1;
  for (int i = 0; i < 20; ++i) v6.insert(v6.end(), {60, 0, 1, 4, 0, 0, 0, 0});
  v6.insert(v6.end(), {0, 53, 0, 53, 0, 8, 0, 0});
  const PacketFields e = dissectPacket(101, v6);
  CHECK(e.net == PacketFields::Net::Ipv6);
  CHECK(e.protocol == 60);  // still inside the chain when the bound is reached
  CHECK(e.transport == PacketFields::Transport::None);
  CHECK_FALSE(e.truncated);
}

TEST_CASE("a packet cut anywhere is reported up to the cut, never read past it",
          "[unit][packet_fields]") {
  // SLL2 / 802.1Q / IPv6 / fragment header / UDP: every prefix.
  std::vector<uint8_t> p{0x81, 0x00, 0, 0, 0, 0, 0, 7, 0,    1,    4,    6,
                         2,    0,    0, 0, 0, 1, 0, 0, 0x00, 0x64, 0x86, 0xdd};
  std::vector<uint8_t> v6(40, 0);
  v6[0] = 0x60;
  v6[6] = 44;
  v6[7] = 64;
  p.insert(p.end(), v6.begin(), v6.end());
  p.insert(p.end(), {17, 0, 0, 0, 0xde, 0xad, 0xbe, 0xef, 0x13, 0x88, 0x13, 0x89, 0, 8, 0, 0});
  const PacketFields whole = dissectPacket(276, p);
  CHECK(whole.interfaceIndex == 7);
  CHECK(whole.packetType == 4);
  CHECK(whole.vlanCount == 1);
  CHECK(whole.vlans[0] == 100);
  CHECK(whole.fragment);
  CHECK(whole.ipId == 0xdeadbeef);
  CHECK(whole.transport == PacketFields::Transport::Udp);
  CHECK(whole.dstPort == 5001);
  CHECK_FALSE(whole.truncated);
  for (size_t n = 0; n < p.size(); ++n) {
    INFO("cut at " << n);
    // A copy of exactly n bytes: ASan catches any read past it.
    const std::vector<uint8_t> cut(p.begin(), p.begin() + static_cast<ptrdiff_t>(n));
    const PacketFields f = dissectPacket(276, cut);
    CHECK(f.truncated);
    std::string out;
    appendPacketJson(out, PacketMeta{}, f);
    CHECK(out.find("\"truncated\":true}") != std::string::npos);
  }
}
