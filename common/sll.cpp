#include "sll.h"

#include <algorithm>

#include "byte_order.h"

namespace ddump {

std::optional<SllHeader> parseSll(std::span<const uint8_t> packet) {
  if (packet.size() < kSllHeaderSize) return std::nullopt;
  const uint8_t* p = packet.data();
  SllHeader h;
  h.packetType = load16(p, ByteOrder::Big);
  h.arphrdType = load16(p + 2, ByteOrder::Big);
  h.addressLength = load16(p + 4, ByteOrder::Big);
  std::copy_n(p + 6, 8, h.address.begin());
  h.protocol = load16(p + 14, ByteOrder::Big);
  return h;
}

std::optional<Sll2Header> parseSll2(std::span<const uint8_t> packet) {
  if (packet.size() < kSll2HeaderSize) return std::nullopt;
  const uint8_t* p = packet.data();
  Sll2Header h;
  h.protocol = load16(p, ByteOrder::Big);
  h.reserved = load16(p + 2, ByteOrder::Big);
  h.interfaceIndex = load32(p + 4, ByteOrder::Big);
  h.arphrdType = load16(p + 8, ByteOrder::Big);
  h.packetType = p[10];
  h.addressLength = p[11];
  std::copy_n(p + 12, 8, h.address.begin());
  return h;
}

std::array<uint8_t, kSllHeaderSize> encodeSll(const SllHeader& h) {
  std::array<uint8_t, kSllHeaderSize> out{};
  store16(&out[0], h.packetType, ByteOrder::Big);
  store16(&out[2], h.arphrdType, ByteOrder::Big);
  store16(&out[4], h.addressLength, ByteOrder::Big);
  std::copy(h.address.begin(), h.address.end(), out.begin() + 6);
  store16(&out[14], h.protocol, ByteOrder::Big);
  return out;
}

std::array<uint8_t, kSll2HeaderSize> encodeSll2(const Sll2Header& h) {
  std::array<uint8_t, kSll2HeaderSize> out{};
  store16(&out[0], h.protocol, ByteOrder::Big);
  store16(&out[2], h.reserved, ByteOrder::Big);
  store32(&out[4], h.interfaceIndex, ByteOrder::Big);
  store16(&out[8], h.arphrdType, ByteOrder::Big);
  out[10] = h.packetType;
  out[11] = h.addressLength;
  std::copy(h.address.begin(), h.address.end(), out.begin() + 12);
  return out;
}

SllHeader sll2ToSll(const Sll2Header& h) {
  SllHeader out;
  out.packetType = h.packetType;
  out.arphrdType = h.arphrdType;
  out.addressLength = h.addressLength;
  out.address = h.address;
  out.protocol = h.protocol;
  return out;
}


std::optional<SllRecord> convertSll2RecordToSll(const RecordHeader& header,
                                                std::span<const uint8_t> data) {
  const auto sll2 = parseSll2(data);
  if (!sll2 || header.len < kSll2HeaderSize) return std::nullopt;
  SllRecord out;
  out.header = header;
  out.header.caplen = header.caplen - static_cast<uint32_t>(kSll2ToSllShrink);
  out.header.len = header.len - static_cast<uint32_t>(kSll2ToSllShrink);
  out.sll = encodeSll(sll2ToSll(*sll2));
  out.payload = data.subspan(kSll2HeaderSize);
  return out;
}

}  // namespace ddump
