#include "pcapng_writer.h"

#include "sll.h"

namespace ddump {
namespace {

// Option codes (draft-ietf-opsawg-pcapng 3.5, 4.1, 4.2, 4.3, 4.6).
constexpr uint16_t kOptEndOfOpt = 0;
constexpr uint16_t kOptComment = 1;
constexpr uint16_t kShbOs = 3;
constexpr uint16_t kShbUserAppl = 4;
constexpr uint16_t kIfName = 2;
constexpr uint16_t kIfDescription = 3;
constexpr uint16_t kIfTsresol = 9;
constexpr uint16_t kEpbFlags = 2;
constexpr uint16_t kIsbIfRecv = 4;
constexpr uint16_t kIsbIfDrop = 5;

// SHB "Section Length": -1 means not specified (we stream, 4.1).
constexpr uint64_t kSectionLengthUnknown = ~uint64_t{0};

size_t padTo32(size_t n) {
  return (4 - n % 4) % 4;
}

uint32_t flagsForPacketType(uint8_t packetType) {
  switch (static_cast<SllPacketType>(packetType)) {
    case SllPacketType::Host:
      return kEpbInbound | kEpbUnicast;
    case SllPacketType::Broadcast:
      return kEpbInbound | kEpbBroadcast;
    case SllPacketType::Multicast:
      return kEpbInbound | kEpbMulticast;
    case SllPacketType::OtherHost:
      return kEpbInbound | kEpbPromiscuous;
    case SllPacketType::Outgoing:
      return kEpbOutbound;
  }
  return 0;  // loopback (5), fastroute (6) and the rest: not a direction
}

// Timestamps in units of the interface's if_tsresol (10^-6 or 10^-9 s).
uint64_t inResolution(uint64_t tsNs, Precision precision) {
  return precision == Precision::Nano ? tsNs : tsNs / 1000;
}

}  // namespace

uint32_t epbFlagsFor(uint32_t linkType, std::span<const uint8_t> data) {
  switch (linkType & kLinkTypeMask) {
    case kLinkTypeLinuxSll: {
      const auto sll = parseSll(data);
      return sll && sll->packetType <= 0xff
                 ? flagsForPacketType(static_cast<uint8_t>(sll->packetType))
                 : 0;
    }
    case kLinkTypeLinuxSll2: {
      const auto sll2 = parseSll2(data);
      return sll2 ? flagsForPacketType(sll2->packetType) : 0;
    }
    default:
      return 0;
  }
}

std::optional<uint32_t> sll2InterfaceIndex(uint32_t linkType, std::span<const uint8_t> data) {
  if ((linkType & kLinkTypeMask) != kLinkTypeLinuxSll2) return std::nullopt;
  const auto sll2 = parseSll2(data);
  if (!sll2) return std::nullopt;
  return sll2->interfaceIndex;
}

void PcapngWriter::put16(uint16_t v) {
  uint8_t b[2];
  store16(b, v, order_);
  bytes_.insert(bytes_.end(), b, b + 2);
}

void PcapngWriter::put32(uint32_t v) {
  uint8_t b[4];
  store32(b, v, order_);
  bytes_.insert(bytes_.end(), b, b + 4);
}

void PcapngWriter::put64Split(uint64_t v) {
  put32(static_cast<uint32_t>(v >> 32));
  put32(static_cast<uint32_t>(v));
}

void PcapngWriter::putPadding() {
  bytes_.insert(bytes_.end(), padTo32(bytes_.size()), 0);
}

size_t PcapngWriter::beginBlock(uint32_t type) {
  const size_t start = bytes_.size();
  put32(type);
  put32(0);  // total length, patched by endBlock
  return start;
}

void PcapngWriter::endBlock(size_t start) {
  putPadding();
  const auto total = static_cast<uint32_t>(bytes_.size() - start + 4);
  store32(&bytes_[start + 4], total, order_);
  put32(total);
}

void PcapngWriter::putOption(uint16_t code, std::span<const uint8_t> value) {
  put16(code);
  put16(static_cast<uint16_t>(value.size()));
  bytes_.insert(bytes_.end(), value.begin(), value.end());
  putPadding();
}

void PcapngWriter::putStringOption(uint16_t code, const std::string& value) {
  if (value.empty()) return;
  // Option values are at most 65535 bytes; UTF-8 strings without a NUL (3.5).
  const size_t n = value.size() < 0xfffc ? value.size() : 0xfffc;
  putOption(code, {reinterpret_cast<const uint8_t*>(value.data()), n});
}

void PcapngWriter::putU64Option(uint16_t code, uint64_t value) {
  uint8_t b[8];
  // A 64-bit option value is one integer in the section's byte order.
  if (order_ == ByteOrder::Little) {
    store32(b, static_cast<uint32_t>(value), order_);
    store32(b + 4, static_cast<uint32_t>(value >> 32), order_);
  } else {
    store32(b, static_cast<uint32_t>(value >> 32), order_);
    store32(b + 4, static_cast<uint32_t>(value), order_);
  }
  putOption(code, b);
}

void PcapngWriter::putEndOfOptions() {
  put16(kOptEndOfOpt);
  put16(0);
}

void PcapngWriter::appendSectionHeader(const PcapngSection& section) {
  interfaces_.clear();
  const size_t start = beginBlock(kPcapngShbType);
  put32(kPcapngByteOrderMagic);
  put16(1);  // major version
  put16(0);  // minor version
  put64Split(kSectionLengthUnknown);
  putStringOption(kOptComment, section.comment);
  putStringOption(kShbOs, section.os);
  putStringOption(kShbUserAppl, section.application);
  putEndOfOptions();
  endBlock(start);
}

Result<uint32_t> PcapngWriter::appendInterface(const PcapngInterface& interface) {
  const uint32_t linkType = interface.linkType & kLinkTypeMask;
  if (!mixedLinkTypes_ && !interfaces_.empty() &&
      (interfaces_.front().linkType & kLinkTypeMask) != linkType) {
    return makeError(ErrorCode::Incompatible,
                     "interface " + interface.name + " has link type " + linkTypeName(linkType) +
                         " but the section's is " + linkTypeName(interfaces_.front().linkType));
  }
  const size_t start = beginBlock(kPcapngIdbType);
  put16(static_cast<uint16_t>(linkType));
  put16(0);  // reserved
  put32(interface.snaplen);
  putStringOption(kIfName, interface.name);
  putStringOption(kIfDescription, interface.description);
  for (const std::string& comment : interface.comments) putStringOption(kOptComment, comment);
  // if_tsresol (4.2): a power of ten when the top bit is clear.
  const uint8_t tsresol = interface.precision == Precision::Nano ? 9 : 6;
  putOption(kIfTsresol, std::span<const uint8_t>(&tsresol, 1));
  putEndOfOptions();
  endBlock(start);
  interfaces_.push_back(interface);
  return static_cast<uint32_t>(interfaces_.size() - 1);
}

void PcapngWriter::appendPacket(uint32_t interfaceId, uint64_t tsNs, uint32_t origLen,
                                std::span<const uint8_t> head, std::span<const uint8_t> tail,
                                uint32_t flags, std::span<const std::string> comments) {
  const Precision precision =
      interfaceId < interfaces_.size() ? interfaces_[interfaceId].precision : Precision::Micro;
  const size_t start = beginBlock(kPcapngEpbType);
  put32(interfaceId);
  put64Split(inResolution(tsNs, precision));
  put32(static_cast<uint32_t>(head.size() + tail.size()));
  put32(origLen);
  bytes_.insert(bytes_.end(), head.begin(), head.end());
  bytes_.insert(bytes_.end(), tail.begin(), tail.end());
  putPadding();
  bool options = false;
  for (const std::string& comment : comments) {
    putStringOption(kOptComment, comment);
    options = options || !comment.empty();
  }
  if (flags != 0) {
    uint8_t b[4];
    store32(b, flags, order_);
    putOption(kEpbFlags, b);
    options = true;
  }
  if (options) putEndOfOptions();
  endBlock(start);
}

void PcapngWriter::appendStatistics(uint32_t interfaceId, const PcapngStatistics& stats) {
  const Precision precision =
      interfaceId < interfaces_.size() ? interfaces_[interfaceId].precision : Precision::Micro;
  const size_t start = beginBlock(kPcapngIsbType);
  put32(interfaceId);
  put64Split(inResolution(stats.timestampNs, precision));
  if (stats.received) putU64Option(kIsbIfRecv, *stats.received);
  if (stats.dropped) putU64Option(kIsbIfDrop, *stats.dropped);
  if (stats.received || stats.dropped) putEndOfOptions();
  endBlock(start);
}

}  // namespace ddump
