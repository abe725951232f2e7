#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "pcapng_writer.h"
#include "sll.h"

using namespace ddump;

namespace {

struct Block {
  uint32_t type;
  std::vector<uint8_t> body;  // between the two length fields
};

// Walks the blocks, checking both length fields and the 32-bit alignment.
std::vector<Block> blocks(std::span<const uint8_t> bytes, ByteOrder order) {
  std::vector<Block> out;
  size_t at = 0;
  while (at < bytes.size()) {
    REQUIRE(bytes.size() - at >= 12);
    const uint32_t type = load32(&bytes[at], order);
    const uint32_t total = load32(&bytes[at + 4], order);
    REQUIRE(total % 4 == 0);
    REQUIRE(total >= 12);
    REQUIRE(at + total <= bytes.size());
    CHECK(load32(&bytes[at + total - 4], order) == total);
    out.push_back({type, {bytes.begin() + at + 8, bytes.begin() + at + total - 4}});
    at += total;
  }
  return out;
}

// Options from `at` in a body: code -> value.
std::multimap<uint16_t, std::vector<uint8_t>> options(const std::vector<uint8_t>& body, size_t at,
                                                      ByteOrder order) {
  std::multimap<uint16_t, std::vector<uint8_t>> out;
  while (at + 4 <= body.size()) {
    const uint16_t code = load16(&body[at], order);
    const uint16_t len = load16(&body[at + 2], order);
    if (code == 0) {
      CHECK(len == 0);
      CHECK(at + 4 == body.size());
      break;
    }
    REQUIRE(at + 4 + len <= body.size());
    out.emplace(code, std::vector<uint8_t>(body.begin() + at + 4, body.begin() + at + 4 + len));
    at += 4 + len + (4 - len % 4) % 4;
  }
  return out;
}

std::string text(const std::vector<uint8_t>& v) { return {v.begin(), v.end()}; }

std::vector<uint8_t> sll2Packet(uint32_t ifindex, SllPacketType type) {
  Sll2Header h;
  h.protocol = 0x0800;
  h.interfaceIndex = ifindex;
  h.packetType = static_cast<uint8_t>(type);
  const auto enc = encodeSll2(h);
  std::vector<uint8_t> data;
  data.reserve(32);  // one allocation (sidesteps a GCC 12 -Warray-bounds false positive)
  data.assign(enc.begin(), enc.end());
  for (uint8_t b : {1, 2, 3}) data.push_back(b);
  return data;
}

}  // namespace

TEST_CASE("pcapng section header carries the byte-order magic, userappl and comment", "[pcapng]") {
  for (ByteOrder order : {ByteOrder::Little, ByteOrder::Big}) {
    PcapngWriter w(order);
    w.appendSectionHeader({"ddump 0.1.0", "targets: a b", ""});
    const auto b = blocks(w.bytes(), order);
    REQUIRE(b.size() == 1);
    CHECK(b[0].type == kPcapngShbType);
    CHECK(load32(&b[0].body[0], order) == kPcapngByteOrderMagic);
    CHECK(load16(&b[0].body[4], order) == 1);
    CHECK(load16(&b[0].body[6], order) == 0);
    CHECK(load32(&b[0].body[8], order) == 0xffffffffu);  // section length -1
    const auto opts = options(b[0].body, 16, order);
    CHECK(text(opts.find(4)->second) == "ddump 0.1.0");
    CHECK(text(opts.find(1)->second) == "targets: a b");
    CHECK(opts.count(3) == 0);  // empty strings are left out
  }
}

TEST_CASE("pcapng interfaces: names, description, tsresol, one link type", "[pcapng]") {
  PcapngWriter w(ByteOrder::Little);
  w.appendSectionHeader({"ddump", "", ""});
  auto a = w.appendInterface({"hostA:eth0", "http://hostA:8475/capture", kLinkTypeLinuxSll2, 262144,
                              Precision::Nano, {}});
  auto b = w.appendInterface({"hostB", "http://hostB:8475/capture", kLinkTypeLinuxSll2, 0,
                              Precision::Micro, {}});
  REQUIRE(a.ok());
  REQUIRE(b.ok());
  CHECK(*a == 0);
  CHECK(*b == 1);
  auto bad = w.appendInterface({"hostC", "", kLinkTypeEthernet, 0, Precision::Micro, {}});
  REQUIRE_FALSE(bad.ok());
  CHECK(bad.error().code == ErrorCode::Incompatible);
  CHECK(w.interfaceCount() == 2);

  const auto bl = blocks(w.bytes(), ByteOrder::Little);
  REQUIRE(bl.size() == 3);
  CHECK(bl[1].type == kPcapngIdbType);
  CHECK(load16(&bl[1].body[0], ByteOrder::Little) == kLinkTypeLinuxSll2);
  CHECK(load32(&bl[1].body[4], ByteOrder::Little) == 262144u);
  auto o = options(bl[1].body, 8, ByteOrder::Little);
  CHECK(text(o.find(2)->second) == "hostA:eth0");
  CHECK(text(o.find(3)->second) == "http://hostA:8475/capture");
  CHECK(o.find(9)->second == std::vector<uint8_t>{9});
  o = options(bl[2].body, 8, ByteOrder::Little);
  CHECK(text(o.find(2)->second) == "hostB");
  CHECK(o.find(9)->second == std::vector<uint8_t>{6});

  // A new section starts over (a rotated file).
  w.clear();
  w.appendSectionHeader({"ddump", "", ""});
  CHECK(w.interfaceCount() == 0);
  CHECK(w.appendInterface({"x", "", kLinkTypeEthernet, 0, Precision::Micro, {}}).ok());
}

TEST_CASE("pcapng enhanced packets: interface, timestamp in its resolution, flags, padding",
          "[pcapng]") {
  constexpr uint64_t ts = 1'700'000'000'123'456'789ULL;
  PcapngWriter w(ByteOrder::Big);
  w.appendSectionHeader({"ddump", "", ""});
  REQUIRE(w.appendInterface({"n", "", kLinkTypeLinuxSll2, 0, Precision::Nano, {}}).ok());
  REQUIRE(w.appendInterface({"u", "", kLinkTypeLinuxSll2, 0, Precision::Micro, {}}).ok());
  const auto out = sll2Packet(3, SllPacketType::Outgoing);
  const auto in = sll2Packet(3, SllPacketType::Host);
  w.appendPacket(0, ts, 100, out, {}, epbFlagsFor(kLinkTypeLinuxSll2, out));
  const std::vector<uint8_t> tail{9, 9};
  w.appendPacket(1, ts, 25, in, tail, epbFlagsFor(kLinkTypeLinuxSll2, in));
  w.appendPacket(1, ts, 5, tail);  // no flags: no options at all

  const auto bl = blocks(w.bytes(), ByteOrder::Big);
  REQUIRE(bl.size() == 6);
  const auto& e0 = bl[3].body;
  CHECK(bl[3].type == kPcapngEpbType);
  CHECK(load32(&e0[0], ByteOrder::Big) == 0u);
  const uint64_t t0 = (uint64_t{load32(&e0[4], ByteOrder::Big)} << 32) | load32(&e0[8], ByteOrder::Big);
  CHECK(t0 == ts);
  CHECK(load32(&e0[12], ByteOrder::Big) == out.size());
  CHECK(load32(&e0[16], ByteOrder::Big) == 100u);
  CHECK(std::vector<uint8_t>(e0.begin() + 20, e0.begin() + 20 + static_cast<long>(out.size())) == out);
  auto o = options(e0, 20 + out.size() + (4 - out.size() % 4) % 4, ByteOrder::Big);
  CHECK(load32(o.find(2)->second.data(), ByteOrder::Big) == kEpbOutbound);

  const auto& e1 = bl[4].body;
  CHECK(load32(&e1[0], ByteOrder::Big) == 1u);
  const uint64_t t1 = (uint64_t{load32(&e1[4], ByteOrder::Big)} << 32) | load32(&e1[8], ByteOrder::Big);
  CHECK(t1 == ts / 1000);
  const size_t cap = in.size() + tail.size();
  CHECK(load32(&e1[12], ByteOrder::Big) == cap);
  o = options(e1, 20 + cap + (4 - cap % 4) % 4, ByteOrder::Big);
  CHECK(load32(o.find(2)->second.data(), ByteOrder::Big) == (kEpbInbound | kEpbUnicast));

  CHECK(bl[5].body.size() == 20 + 4);  // 2 bytes of data padded to 4, no options
}

TEST_CASE("epb flags and interface index from SLL and SLL2 headers", "[pcapng]") {
  SllHeader sll;
  sll.packetType = static_cast<uint16_t>(SllPacketType::Broadcast);
  const auto enc = encodeSll(sll);
  CHECK(epbFlagsFor(kLinkTypeLinuxSll, enc) == (kEpbInbound | kEpbBroadcast));
  sll.packetType = static_cast<uint16_t>(SllPacketType::OtherHost);
  CHECK(epbFlagsFor(kLinkTypeLinuxSll, encodeSll(sll)) == (kEpbInbound | kEpbPromiscuous));
  sll.packetType = 5;  // PACKET_LOOPBACK: no direction
  CHECK(epbFlagsFor(kLinkTypeLinuxSll, encodeSll(sll)) == 0);
  CHECK(epbFlagsFor(kLinkTypeEthernet, enc) == 0);
  CHECK(epbFlagsFor(kLinkTypeLinuxSll, std::span<const uint8_t>(enc).first(10)) == 0);
  const auto p = sll2Packet(42, SllPacketType::Multicast);
  CHECK(epbFlagsFor(kLinkTypeLinuxSll2, p) == (kEpbInbound | kEpbMulticast));
  CHECK(sll2InterfaceIndex(kLinkTypeLinuxSll2, p) == 42u);
  CHECK_FALSE(sll2InterfaceIndex(kLinkTypeLinuxSll, p).has_value());
  CHECK_FALSE(sll2InterfaceIndex(kLinkTypeLinuxSll2, std::span<const uint8_t>(p).first(8)).has_value());
}

TEST_CASE("pcapng interface statistics carry the known counters only", "[pcapng]") {
  PcapngWriter w(ByteOrder::Little);
  w.appendSectionHeader({"ddump", "", ""});
  REQUIRE(w.appendInterface({"a", "", kLinkTypeEthernet, 0, Precision::Micro, {}}).ok());
  w.appendStatistics(0, {2'000'000'000ULL, 12, 0x100000007ULL});
  w.appendStatistics(0, {2'000'000'000ULL, std::nullopt, std::nullopt});
  const auto bl = blocks(w.bytes(), ByteOrder::Little);
  REQUIRE(bl.size() == 4);
  CHECK(bl[2].type == kPcapngIsbType);
  CHECK(load32(&bl[2].body[8], ByteOrder::Little) == 2'000'000u);  // µs
  const auto o = options(bl[2].body, 12, ByteOrder::Little);
  const auto& recv = o.find(4)->second;
  const auto& drop = o.find(5)->second;
  REQUIRE(recv.size() == 8);
  CHECK(load32(recv.data(), ByteOrder::Little) == 12u);
  CHECK(load32(drop.data(), ByteOrder::Little) == 7u);
  CHECK(load32(drop.data() + 4, ByteOrder::Little) == 1u);
  CHECK(bl[3].body.size() == 12);
}
