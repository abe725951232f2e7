#include "packet_batch.h"

#include <utility>

#include "clock_offset.h"

namespace ddump {

void PacketBatch::add(uint64_t tsNs, const RecordHeader& header, std::span<const uint8_t> data) {
  RecordHeader encoded{0, 0, static_cast<uint32_t>(data.size()), header.len};
  setTimestamp(encoded, tsNs, precision);
  append(tsNs, encoded, data);
}

void PacketBatch::clear() {
  records_.clear();
  view_ = nullptr;
  entries_.clear();
  maxTsNs_ = 0;
  origins_.clear();
  notes_.clear();
  notesBytes_ = 0;
}

void PacketBatch::setLastOrigin(RecordOrigin origin) {
  if (entries_.empty()) return;
  // Records of a pcap input before it (a reconnect) have none.
  origins_.resize(entries_.size() - 1);
  origins_.push_back(origin);
}

void PacketBatch::addComment(std::string text) {
  if (entries_.empty()) return;
  notesBytes_ += sizeof(BatchNote) + text.size();
  notes_.push_back(BatchNote{static_cast<uint32_t>(entries_.size() - 1), BatchNote::Kind::Comment,
                             std::move(text)});
}

void PacketBatch::addBlock(std::string block) {
  notesBytes_ += sizeof(BatchNote) + block.size();
  notes_.push_back(
      BatchNote{static_cast<uint32_t>(entries_.size()), BatchNote::Kind::Block, std::move(block)});
}

void BatchCollector::onGlobalHeader(const GlobalHeader& header) {
  header_ = header;
  headerPending_ = true;
  viewable_ = header.byteOrder == hostByteOrder();
  batch_.linkType = header.linkType & kLinkTypeMask;
  batch_.precision = header.precision;
}

// A record that cannot stay in place: copied into the batch's own buffer,
// with the clock offset applied if there is one.
void BatchCollector::copy(const PacketView& packet) {
  if (clockOffsetNs_ == 0) {
    batch_.addDecoded(packet.header, packet.data);
    return;
  }
  const uint64_t ts = timestampNs(packet.header, header_.precision);
  batch_.add(applyOffset(ts, clockOffsetNs_), packet.header, packet.data);
}

std::optional<GlobalHeader> BatchCollector::takeHeader() {
  if (!headerPending_) return std::nullopt;
  headerPending_ = false;
  return header_;
}

void BatchCollector::adopt(PacketBatch&& spent) {
  if (!batch_.empty()) return;
  batch_ = std::move(spent);
  batch_.clear();
  batch_.linkType = header_.linkType & kLinkTypeMask;
  batch_.precision = header_.precision;
}

PacketBatch BatchCollector::takeBatch() {
  PacketBatch out = std::move(batch_);
  batch_ = PacketBatch{};
  batch_.linkType = header_.linkType & kLinkTypeMask;
  batch_.precision = header_.precision;
  return out;
}

}  // namespace ddump
