#pragma once
// A run of decoded records from one stream, stored contiguously so that a
// reader thread can decode a whole network chunk outside any lock and hand it
// to the merger with one move (no per-packet allocation, no per-packet lock).

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "pcap_format.h"
#include "stream_decoder.h"

namespace ddump {

struct BatchEntry {
  uint64_t tsNs;    // timestamp normalised to nanoseconds since the epoch
  uint32_t offset;  // of the record's data in the batch's byte buffer
  uint32_t caplen;
  uint32_t len;
};

class PacketBatch {
 public:
  void add(uint64_t tsNs, const RecordHeader& header, std::span<const uint8_t> data);
  // Empties the batch but keeps its memory, so batches can be recycled.
  void clear();

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Bytes held, entries included: what the merger counts against its budget.
  size_t memoryBytes() const { return bytes_.size() + entries_.size() * sizeof(BatchEntry); }
  const BatchEntry& entry(size_t i) const { return entries_[i]; }
  uint64_t maxTsNs() const { return maxTsNs_; }
  std::span<const uint8_t> data(size_t i) const {
    const BatchEntry& e = entries_[i];
    return {bytes_.data() + e.offset, e.caplen};
  }

  // The link type of every record in the batch (a stream may reconnect to a
  // worker with another link type, so it travels with the data).
  uint32_t linkType = kLinkTypeEthernet;

 private:
  std::vector<uint8_t> bytes_;
  std::vector<BatchEntry> entries_;
  uint64_t maxTsNs_ = 0;
};

// A DecoderSink that collects one stream's records into batches.
class BatchCollector : public DecoderSink {
 public:
  void onGlobalHeader(const GlobalHeader& header) override;
  void onPacket(const PacketView& packet) override;

  // The global header, once, right after the decoder produced it.
  std::optional<GlobalHeader> takeHeader();
  PacketBatch takeBatch();
  // Gives the collector a spent batch to fill next (its memory is reused).
  void adopt(PacketBatch&& spent);
  bool hasPackets() const { return !batch_.empty(); }
  // Worker clock minus ours (--clock-offset): subtracted from every timestamp
  // so that the merge orders records on one clock (see clock_offset.h).
  void setClockOffset(int64_t offsetNs) { clockOffsetNs_ = offsetNs; }

 private:
  GlobalHeader header_;
  int64_t clockOffsetNs_ = 0;
  bool headerPending_ = false;
  PacketBatch batch_;
};

}  // namespace ddump
