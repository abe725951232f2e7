#pragma once
// Serialises pcap records into one contiguous buffer so that many records leave
// in one write (a write per packet caps a stream near 130k packets/s).

#include <cstdint>
#include <span>
#include <vector>

#include "pcap_format.h"

namespace ddump {

class RecordBuffer {
 public:
  explicit RecordBuffer(ByteOrder order = hostByteOrder()) : order_(order) {}

  void setByteOrder(ByteOrder order) { order_ = order; }
  void reserve(size_t bytes) { bytes_.reserve(bytes); }

  void appendGlobalHeader(const GlobalHeader& header);
  void appendRecord(const RecordHeader& header, std::span<const uint8_t> data);
  // A record whose data arrives in two parts (e.g. a rewritten link header + payload).
  void appendRecord(const RecordHeader& header, std::span<const uint8_t> head,
                    std::span<const uint8_t> tail);

  std::span<const uint8_t> bytes() const { return bytes_; }
  const char* data() const { return reinterpret_cast<const char*>(bytes_.data()); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  void clear() { bytes_.clear(); }

 private:
  ByteOrder order_;
  std::vector<uint8_t> bytes_;
};

}  // namespace ddump
