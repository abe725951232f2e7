#include "packet_batch.h"

#include <utility>

#include "clock_offset.h"

namespace ddump {

void PacketBatch::add(uint64_t tsNs, const RecordHeader& header, std::span<const uint8_t> data) {
  const auto offset = static_cast<uint32_t>(bytes_.size());
  bytes_.insert(bytes_.end(), data.begin(), data.end());
  entries_.push_back(BatchEntry{tsNs, offset, static_cast<uint32_t>(data.size()), header.len});
  if (tsNs > maxTsNs_) maxTsNs_ = tsNs;
}

void PacketBatch::clear() {
  bytes_.clear();
  entries_.clear();
  maxTsNs_ = 0;
}

void BatchCollector::onGlobalHeader(const GlobalHeader& header) {
  header_ = header;
  headerPending_ = true;
  batch_.linkType = header.linkType & kLinkTypeMask;
}

void BatchCollector::onPacket(const PacketView& packet) {
  const uint64_t ts = timestampNs(packet.header, header_.precision);
  batch_.add(clockOffsetNs_ == 0 ? ts : applyOffset(ts, clockOffsetNs_), packet.header, packet.data);
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
}

PacketBatch BatchCollector::takeBatch() {
  PacketBatch out = std::move(batch_);
  batch_ = PacketBatch{};
  batch_.linkType = header_.linkType & kLinkTypeMask;
  return out;
}

}  // namespace ddump
