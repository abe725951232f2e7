#include "pcapng_section_decoder.h"

#include <algorithm>
#include <limits>
#include <optional>
#include <string>

namespace ddump {
namespace {

// The room for packet data in an EPB, PB or SPB: its length less the fixed
// fields and the trailer.
uint32_t dataRoom(uint32_t type, uint32_t length) {
  return length - static_cast<uint32_t>(pcapngMinimumLength(type));
}

size_t padded(size_t n) {
  return (n + 3) & ~size_t{3};
}

// An EPB's packet data starts after its 28 bytes of fixed fields (4.3):
// pcapngFixedSize(kPcapngEpbType), known here without a call per packet.
constexpr size_t kEpbDataAt = 28;

// The timestamp in nanoseconds without a division, where that is exact:
// microseconds (no if_tsresol) or nanoseconds, and no if_tsoffset. Then
// units * 10^3 (or units) is what pcapngTimestampNs computes, and it fits
// exactly when that one succeeds. False: ask pcapngTimestampNs.
bool directNs(const PcapngClock& clock, uint64_t units, uint64_t& ns) {
  if (clock.offsetSeconds != 0) return false;
  const PcapngTimeResolution& r = clock.resolution;
  if (r.raw == 9 && r.unitsPerSecond == kNsPerSecond) {
    ns = units;
    return true;
  }
  if (r.raw == 6 && r.unitsPerSecond == 1'000'000 &&
      units <= std::numeric_limits<uint64_t>::max() / 1000) {
    ns = units * 1000;
    return true;
  }
  return false;
}

Error caplenOverLimit(uint32_t caplen, uint32_t limit) {
  return makeError(ErrorCode::CaplenTooLarge, "caplen " + std::to_string(caplen) +
                                                  " exceeds the limit " + std::to_string(limit));
}

}  // namespace

Status PcapngSectionDecoder::checkInterface(uint32_t id) const {
  // 4.3, 4.6: "The interface ID MUST be valid".
  if (id < interfaces_.size()) return Status::success();
  return makeError(ErrorCode::DecoderFailed,
                   "interface " + std::to_string(id) + " has no IDB in this section (" +
                       std::to_string(interfaces_.size()) + " interfaces)");
}

// 4.4: an SPB's captured length is the least of its original length,
// interface 0's snaplen (0: no limit) and the room in the block.
uint32_t PcapngSectionDecoder::simpleCaplen(std::span<const uint8_t> block, uint32_t length,
                                            ByteOrder order) const {
  uint32_t caplen = std::min(load32(&block[8], order), dataRoom(kPcapngSpbType, length));
  const uint32_t snaplen = interfaces_[0].snaplen;
  return snaplen != 0 ? std::min(caplen, snaplen) : caplen;
}

Status PcapngSectionDecoder::checkFixed(uint32_t type, uint32_t length,
                                        std::span<const uint8_t> fixed, ByteOrder order) const {
  switch (type) {
    case kPcapngEpbType:
    case kPcapngPbType: {
      // Two fields, read alone for an EPB (once per packet; see readPacket).
      uint32_t interfaceId = 0;
      uint32_t caplen = 0;
      if (type == kPcapngEpbType) {
        interfaceId = load32(&fixed[8], order);
        caplen = load32(&fixed[20], order);
      } else {
        const PcapngPacketHead head = decodePcapngPacketHead(type, fixed, order);
        interfaceId = head.interfaceId;
        caplen = head.caplen;
      }
      if (interfaceId >= interfaces_.size()) return checkInterface(interfaceId);
      const uint32_t room = dataRoom(type, length);
      if (caplen > room) {
        return makeError(ErrorCode::DecoderFailed, "caplen " + std::to_string(caplen) +
                                                       " runs past the block (" +
                                                       std::to_string(room) + " bytes of room)");
      }
      if (caplen > maxCaplen_) return caplenOverLimit(caplen, maxCaplen_);
      return Status::success();
    }
    case kPcapngSpbType: {
      // 4.4: an SPB belongs to the section's first interface.
      if (interfaces_.empty()) {
        return makeError(ErrorCode::DecoderFailed,
                         "no IDB in this section for interface 0, which an SPB belongs to");
      }
      const uint32_t caplen = simpleCaplen(fixed, length, order);
      if (caplen > maxCaplen_) return caplenOverLimit(caplen, maxCaplen_);
      return Status::success();
    }
    case kPcapngIsbType:
      return checkInterface(load32(&fixed[8], order));
    default:
      return Status::success();
  }
}

Status PcapngSectionDecoder::read(uint32_t type, std::span<const uint8_t> block, ByteOrder order,
                                  PcapngSink& sink) {
  switch (type) {
    case kPcapngShbType:
      return readSection(block, order, sink);
    case kPcapngIdbType:
      return readInterface(block, order, sink);
    case kPcapngEpbType:
    case kPcapngPbType:
    case kPcapngSpbType:
      return readPacket(type, block, order, sink);
    case kPcapngIsbType:
      return readStatistics(block, order, sink);
    case kPcapngNrbType:
    case kPcapngDsbType:
      sink.onRawBlock(type, block);
      return Status::success();
    default:
      sink.onSkippedBlock(type, static_cast<uint32_t>(block.size()));
      return Status::success();
  }
}

Status PcapngSectionDecoder::readSection(std::span<const uint8_t> block, ByteOrder order,
                                         PcapngSink& sink) {
  auto section = decodePcapngSection(block, order);
  if (!section) return section.error();
  interfaces_.clear();  // 4.2: Interface IDs are unique only inside a section
  ++sections_;
  sink.onSection(*section);
  return Status::success();
}

Status PcapngSectionDecoder::readInterface(std::span<const uint8_t> block, ByteOrder order,
                                           PcapngSink& sink) {
  auto info = decodePcapngInterface(block, order);
  if (!info) return info.error();
  info->id = static_cast<uint32_t>(interfaces_.size());
  interfaces_.push_back({info->linkType, info->snaplen, info->clock});
  sink.onInterface(*info);
  return Status::success();
}

Status PcapngSectionDecoder::readPacket(uint32_t type, std::span<const uint8_t> block,
                                        ByteOrder order, PcapngSink& sink) {
  comments_.clear();
  const size_t dataAt = type == kPcapngEpbType ? kEpbDataAt : pcapngFixedSize(type);
  const auto length = static_cast<uint32_t>(block.size());
  uint32_t interfaceId = 0;
  uint32_t caplen = 0;
  uint32_t len = 0;
  // The view is built once, every field given, in place: a default-built one
  // is cleared whole first (rep stos), and optionals copied in from locals
  // stall on store forwarding; either was a tenth of this function's time.
  auto emit = [&](std::optional<uint64_t> tsNs, std::optional<uint32_t> flags,
                  std::optional<uint64_t> dropCount) {
    const PcapngPacketView packet{type,      interfaceId, interfaces_[interfaceId].linkType, tsNs,
                                  caplen,    len,         block.subspan(dataAt, caplen),     flags,
                                  dropCount, comments_};
    ++packets_;
    sink.onPacket(packet);
    return Status::success();
  };
  if (type == kPcapngSpbType) {
    len = load32(&block[8], order);  // no timestamp, no options (4.4)
    caplen = simpleCaplen(block, length, order);
    return emit(std::nullopt, std::nullopt, std::nullopt);
  }
  // An EPB's fields read one by one (4.3): decodePcapngPacketHead's values,
  // without a struct passed through memory.
  uint64_t tsUnits = 0;
  std::optional<uint64_t> headDrops;
  if (type == kPcapngEpbType) {
    interfaceId = load32(&block[8], order);
    tsUnits = loadSplit64(&block[12], order);
    caplen = load32(&block[20], order);
    len = load32(&block[24], order);
  } else {
    const PcapngPacketHead head = decodePcapngPacketHead(type, block, order);
    interfaceId = head.interfaceId;
    tsUnits = head.tsUnits;
    caplen = head.caplen;
    len = head.len;
    headDrops = head.dropCount;
  }
  uint64_t ns = 0;
  if (const PcapngClock& clock = interfaces_[interfaceId].clock; !directNs(clock, tsUnits, ns)) {
    auto ts = clock.toNs(tsUnits);
    if (!ts) return ts.error();
    ns = *ts;
  }
  // 4.3: a reader MAY raise an original length below the captured one,
  // so every consumer may count on caplen <= len as in a pcap record.
  len = std::max(len, caplen);
  const size_t optionsAt = dataAt + padded(caplen);
  const auto options = block.subspan(optionsAt, block.size() - 4 - optionsAt);
  if (options.empty() && type == kPcapngEpbType) return emit(ns, std::nullopt, std::nullopt);
  PcapngPacketView decoded;
  decoded.dropCount = headDrops;
  if (!options.empty()) {  // most packets have none: no walk
    Status status = decodePcapngPacketOptions(type, options, order, decoded, comments_);
    if (!status) return status;
  }
  return emit(ns, decoded.flags, decoded.dropCount);
}

Status PcapngSectionDecoder::readStatistics(std::span<const uint8_t> block, ByteOrder order,
                                            PcapngSink& sink) {
  comments_.clear();
  const Interface& interface = interfaces_[load32(&block[8], order)];
  auto stats = decodePcapngStatistics(block, order, interface.clock, comments_);
  if (!stats) return stats.error();
  sink.onStatistics(*stats);
  return Status::success();
}

}  // namespace ddump
