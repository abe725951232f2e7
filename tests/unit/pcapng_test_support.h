#pragma once
// Helpers for the pcapng reader tests: a sink that records every event (as
// values and as one line of text each, so two runs compare with ==), a
// block builder for hand-made streams, and feeding in pieces.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pcapng_reader.h"

namespace ddump::test {

template <class... Parts>
std::vector<uint8_t> cat(const Parts&... parts) {
  std::vector<uint8_t> out;
  (out.insert(out.end(), parts.begin(), parts.end()), ...);
  return out;
}

struct NgPacket {
  uint32_t blockType = 0;
  uint32_t interfaceId = 0;
  std::string interfaceName;  // from the section's IDB
  uint32_t linkType = 0;
  std::optional<uint64_t> tsNs;
  uint32_t caplen = 0;
  uint32_t len = 0;
  std::vector<uint8_t> data;
  std::optional<uint32_t> flags;
  std::optional<uint64_t> dropCount;
  std::vector<std::string> comments;
};

struct NgStatistics {
  uint32_t interfaceId = 0;
  uint64_t tsNs = 0;
  std::optional<uint64_t> startNs, endNs, received, interfaceDropped, filterAccepted, osDropped,
      delivered;
  std::vector<std::string> comments;
};

struct NgRawBlock {
  uint32_t type = 0;
  std::vector<uint8_t> bytes;
};

struct NgSkipped {
  uint32_t type = 0;
  uint32_t length = 0;
  bool operator==(const NgSkipped&) const = default;
};

// FNV-1a: packet data in an event line, cheaper than its hex.
inline std::string digest(std::span<const uint8_t> bytes) {
  uint64_t h = 0xcbf29ce484222325u;
  for (uint8_t b : bytes) h = (h ^ b) * 0x100000001b3u;
  return std::to_string(bytes.size()) + ":" + std::to_string(h);
}

inline std::string optionalText(const std::optional<uint64_t>& value) {
  return value ? std::to_string(*value) : "-";
}

inline std::vector<std::string> strings(std::span<const std::string_view> views) {
  return {views.begin(), views.end()};
}

class EventLog : public PcapngSink {
 public:
  void onSection(const PcapngSectionInfo& s) override {
    sections.push_back(s);
    sectionNames_.clear();
    std::string comments;
    for (const auto& c : s.comments) comments += "[" + c + "]";
    lines.push_back("section " + std::string(s.byteOrder == ByteOrder::Little ? "le" : "be") + " " +
                    std::to_string(s.versionMajor) + "." + std::to_string(s.versionMinor) +
                    " length=" + optionalText(s.sectionLength) + " comments=" + comments +
                    " hw=" + s.hardware + " os=" + s.os + " appl=" + s.userAppl);
  }
  void onInterface(const PcapngInterfaceInfo& i) override {
    interfaces.push_back(i);
    sectionNames_.push_back(i.name);
    lines.push_back("interface " + std::to_string(i.id) + " lt=" + std::to_string(i.linkType) +
                    " snap=" + std::to_string(i.snaplen) + " name=" + i.name + " descr=" +
                    i.description + " tsresol=" + std::to_string(i.clock.resolution.raw) +
                    " offset=" + std::to_string(i.clock.offsetSeconds) +
                    " fcs=" + (i.fcsLength ? std::to_string(*i.fcsLength) : "-") +
                    " comments=" + std::to_string(i.comments.size()));
  }
  void onPacket(const PcapngPacketView& p) override {
    NgPacket packet{p.blockType,
                    p.interfaceId,
                    p.interfaceId < sectionNames_.size() ? sectionNames_[p.interfaceId] : "?",
                    p.linkType,
                    p.tsNs,
                    p.caplen,
                    p.len,
                    {p.data.begin(), p.data.end()},
                    p.flags,
                    p.dropCount,
                    strings(p.comments)};
    std::string comments;
    for (const auto& c : packet.comments) comments += "[" + c + "]";
    lines.push_back("packet type=" + std::to_string(p.blockType) +
                    " if=" + std::to_string(p.interfaceId) + " lt=" + std::to_string(p.linkType) +
                    " ts=" + optionalText(p.tsNs) + " cap=" + std::to_string(p.caplen) + " len=" +
                    std::to_string(p.len) + " flags=" + (p.flags ? std::to_string(*p.flags) : "-") +
                    " drops=" + optionalText(p.dropCount) + " comments=" + comments +
                    " data=" + digest(p.data));
    packets.push_back(std::move(packet));
  }
  void onStatistics(const PcapngStatisticsView& s) override {
    statistics.push_back({s.interfaceId, s.tsNs, s.startNs, s.endNs, s.received, s.interfaceDropped,
                          s.filterAccepted, s.osDropped, s.delivered, strings(s.comments)});
    lines.push_back(
        "statistics if=" + std::to_string(s.interfaceId) + " ts=" + std::to_string(s.tsNs) +
        " start=" + optionalText(s.startNs) + " end=" + optionalText(s.endNs) +
        " recv=" + optionalText(s.received) + " ifdrop=" + optionalText(s.interfaceDropped) +
        " accept=" + optionalText(s.filterAccepted) + " osdrop=" + optionalText(s.osDropped) +
        " deliv=" + optionalText(s.delivered) + " comments=" + std::to_string(s.comments.size()));
  }
  void onRawBlock(uint32_t type, std::span<const uint8_t> block) override {
    raw.push_back({type, {block.begin(), block.end()}});
    lines.push_back("raw type=" + std::to_string(type) + " bytes=" + digest(block));
  }
  void onSkippedBlock(uint32_t type, uint32_t length) override {
    skipped.push_back({type, length});
    lines.push_back("skipped type=" + std::to_string(type) + " length=" + std::to_string(length));
  }

  std::vector<std::string> lines;  // every event, in order
  std::vector<PcapngSectionInfo> sections;
  std::vector<PcapngInterfaceInfo> interfaces;  // of every section, in order
  std::vector<NgPacket> packets;
  std::vector<NgStatistics> statistics;
  std::vector<NgRawBlock> raw;
  std::vector<NgSkipped> skipped;

 private:
  std::vector<std::string> sectionNames_;  // if_name by Interface ID, this section
};

// Feeds `bytes` cut at the offsets in `cuts` (ascending), then finishes.
inline Status readPieces(std::span<const uint8_t> bytes, const std::vector<size_t>& cuts,
                         PcapngReader& reader, EventLog& log) {
  size_t from = 0;
  for (size_t cut : cuts) {
    if (Status s = reader.feed(bytes.subspan(from, cut - from), log); !s) return s;
    from = cut;
  }
  if (Status s = reader.feed(bytes.subspan(from), log); !s) return s;
  return reader.finish();
}

// Feeds one byte at a time, then finishes.
inline Status readByteByByte(std::span<const uint8_t> bytes, PcapngReader& reader, EventLog& log) {
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (Status s = reader.feed(bytes.subspan(i, 1), log); !s) return s;
  }
  return reader.finish();
}

// Reads `bytes` whole; the error as text, "" when it was fine.
inline std::string readError(std::span<const uint8_t> bytes, EventLog& log,
                             uint32_t maxCaplen = kMaxSnaplen) {
  PcapngReader reader(maxCaplen);
  Status s = readPieces(bytes, {}, reader, log);
  return s ? std::string() : s.error().message;
}

// Hand-made blocks, in one byte order.
class NgBuilder {
 public:
  explicit NgBuilder(ByteOrder order = ByteOrder::Little) : order_(order) {}
  using Bytes = std::vector<uint8_t>;

  Bytes u16(uint16_t v) const {
    Bytes b(2);
    store16(b.data(), v, order_);
    return b;
  }
  Bytes u32(uint32_t v) const {
    Bytes b(4);
    store32(b.data(), v, order_);
    return b;
  }
  // One 64-bit integer in the byte order.
  Bytes u64(uint64_t v) const {
    const auto hi = u32(static_cast<uint32_t>(v >> 32));
    const auto lo = u32(static_cast<uint32_t>(v));
    return order_ == ByteOrder::Little ? cat(lo, hi) : cat(hi, lo);
  }
  // Upper 32 bits, then lower, as packet timestamps are stored.
  Bytes split64(uint64_t v) const {
    return cat(u32(static_cast<uint32_t>(v >> 32)), u32(static_cast<uint32_t>(v)));
  }
  static Bytes text(const std::string& s) { return {s.begin(), s.end()}; }
  static Bytes padded(Bytes b) {
    b.resize((b.size() + 3) & ~size_t{3}, 0);
    return b;
  }
  Bytes option(uint16_t code, const Bytes& value) const {
    return cat(u16(code), u16(static_cast<uint16_t>(value.size())), padded(value));
  }
  Bytes endOfOptions() const { return option(0, {}); }

  // A block with its right length (or the given ones) in both length fields.
  Bytes block(uint32_t type, const Bytes& body, std::optional<uint32_t> length = {},
              std::optional<uint32_t> trailer = {}) const {
    const auto total = static_cast<uint32_t>(12 + padded(body).size());
    return cat(u32(type), u32(length.value_or(total)), padded(body),
               u32(trailer.value_or(length.value_or(total))));
  }
  Bytes shb(const Bytes& options = {}, uint16_t major = 1, uint16_t minor = 0) const {
    return block(kPcapngShbType, cat(u32(kPcapngByteOrderMagic), u16(major), u16(minor),
                                     u64(~uint64_t{0}), options));
  }
  Bytes idb(uint16_t linkType, uint32_t snaplen, const Bytes& options = {}) const {
    return block(kPcapngIdbType, cat(u16(linkType), u16(0), u32(snaplen), options));
  }
  Bytes epb(uint32_t interfaceId, uint64_t units, const Bytes& data,
            std::optional<uint32_t> len = {}, const Bytes& options = {}) const {
    const auto caplen = static_cast<uint32_t>(data.size());
    return block(kPcapngEpbType, cat(u32(interfaceId), split64(units), u32(caplen),
                                     u32(len.value_or(caplen)), padded(data), options));
  }
  Bytes spb(uint32_t len, const Bytes& data) const {
    return block(kPcapngSpbType, cat(u32(len), data));
  }
  Bytes isb(uint32_t interfaceId, uint64_t units, const Bytes& options = {}) const {
    return block(kPcapngIsbType, cat(u32(interfaceId), split64(units), options));
  }

 private:
  ByteOrder order_;
};

}  // namespace ddump::test
