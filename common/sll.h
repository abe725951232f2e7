#pragma once
// Linux "cooked" capture headers, as libpcap writes them for the `any` device.
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html  (113, 16 bytes)
// https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html (276, 20 bytes)
// All fields are in network byte order whatever the savefile's byte order.

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "pcap_format.h"

namespace ddump {

inline constexpr size_t kSllHeaderSize = 16;
inline constexpr size_t kSll2HeaderSize = 20;

// Packet types (sll_pkttype), shared by both layouts.
enum class SllPacketType : uint8_t {
  Host = 0,       // to us
  Broadcast = 1,
  Multicast = 2,
  OtherHost = 3,  // to someone else (promiscuous)
  Outgoing = 4,   // sent by us
};

struct SllHeader {
  uint16_t packetType = 0;
  uint16_t arphrdType = 0;
  uint16_t addressLength = 0;
  std::array<uint8_t, 8> address{};
  uint16_t protocol = 0;
};

struct Sll2Header {
  uint16_t protocol = 0;
  uint16_t reserved = 0;
  uint32_t interfaceIndex = 0;
  uint16_t arphrdType = 0;
  uint8_t packetType = 0;
  uint8_t addressLength = 0;
  std::array<uint8_t, 8> address{};
};

std::optional<SllHeader> parseSll(std::span<const uint8_t> packet);
std::optional<Sll2Header> parseSll2(std::span<const uint8_t> packet);
std::array<uint8_t, kSllHeaderSize> encodeSll(const SllHeader& header);
std::array<uint8_t, kSll2HeaderSize> encodeSll2(const Sll2Header& header);

// SLL2 -> SLL drops the interface index and the reserved field; everything after
// the header is unchanged, so the record shrinks by 4 bytes (caplen and len).
SllHeader sll2ToSll(const Sll2Header& header);

inline constexpr size_t kSll2ToSllShrink = kSll2HeaderSize - kSllHeaderSize;

// One SLL2 record rewritten as SLL: the new record header, the 16-byte SLL
// header, and the unchanged payload (a view into the input).
struct SllRecord {
  RecordHeader header;
  std::array<uint8_t, kSllHeaderSize> sll;
  std::span<const uint8_t> payload;
};

// Fails (nullopt) when the record is too short to hold an SLL2 header.
std::optional<SllRecord> convertSll2RecordToSll(const RecordHeader& header,
                                                std::span<const uint8_t> data);

}  // namespace ddump
