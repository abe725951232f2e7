#include <catch2/catch.hpp>

#include "sll.h"

using namespace ddump;

namespace {

// An SLL2 header for an outgoing IPv4 packet on ifindex 3, followed by 4 payload bytes.
const std::vector<uint8_t> kSll2Packet = {
    0x08, 0x00,              // protocol: IPv4
    0x00, 0x00,              // reserved
    0x00, 0x00, 0x00, 0x03,  // interface index 3
    0x00, 0x01,              // ARPHRD_ETHER
    0x04,                    // packet type: outgoing
    0x06,                    // address length
    0x02, 0x42, 0xac, 0x11, 0x00, 0x02, 0x00, 0x00,  // address
    0x45, 0x00, 0x00, 0x54,                          // payload
};

const std::vector<uint8_t> kSllHeaderExpected = {
    0x00, 0x04,  // packet type: outgoing
    0x00, 0x01,  // ARPHRD_ETHER
    0x00, 0x06,  // address length
    0x02, 0x42, 0xac, 0x11, 0x00, 0x02, 0x00, 0x00,
    0x08, 0x00,  // protocol
};

}  // namespace

TEST_CASE("SLL2 header parses in network byte order", "[sll]") {
  const auto h = parseSll2(kSll2Packet);
  REQUIRE(h);
  CHECK(h->protocol == 0x0800);
  CHECK(h->interfaceIndex == 3u);
  CHECK(h->arphrdType == 1);
  CHECK(h->packetType == static_cast<uint8_t>(SllPacketType::Outgoing));
  CHECK(h->addressLength == 6);
  const auto again = encodeSll2(*h);
  CHECK(std::vector<uint8_t>(again.begin(), again.end()) ==
        std::vector<uint8_t>(kSll2Packet.begin(), kSll2Packet.begin() + 20));
}

TEST_CASE("SLL header round-trips", "[sll]") {
  const auto h = parseSll(kSllHeaderExpected);
  REQUIRE(h);
  CHECK(h->packetType == 4);
  CHECK(h->protocol == 0x0800);
  const auto bytes = encodeSll(*h);
  CHECK(std::vector<uint8_t>(bytes.begin(), bytes.end()) == kSllHeaderExpected);
}

TEST_CASE("short packets do not parse", "[sll]") {
  CHECK_FALSE(parseSll(std::span<const uint8_t>(kSllHeaderExpected).first(15)));
  CHECK_FALSE(parseSll2(std::span<const uint8_t>(kSll2Packet).first(19)));
}

TEST_CASE("an SLL2 record converts to SLL, 4 bytes shorter", "[sll]") {
  const RecordHeader header{10, 20, static_cast<uint32_t>(kSll2Packet.size()), 100};
  const auto converted = convertSll2RecordToSll(header, kSll2Packet);
  REQUIRE(converted);
  CHECK(converted->header.caplen == header.caplen - 4);
  CHECK(converted->header.len == 96u);
  CHECK(converted->header.tsSec == 10u);
  CHECK(converted->header.tsFrac == 20u);
  CHECK(std::vector<uint8_t>(converted->sll.begin(), converted->sll.end()) == kSllHeaderExpected);
  CHECK(std::vector<uint8_t>(converted->payload.begin(), converted->payload.end()) ==
        std::vector<uint8_t>{0x45, 0x00, 0x00, 0x54});
}

TEST_CASE("an SLL2 record cut inside its header does not convert", "[sll]") {
  const RecordHeader header{10, 20, 12, 100};
  CHECK_FALSE(convertSll2RecordToSll(header, std::span<const uint8_t>(kSll2Packet).first(12)));
}
