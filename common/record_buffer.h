#pragma once
// Serialises pcap records into one contiguous buffer so that many records leave
// in one write (a write per packet caps a stream near 130k packets/s). Appends
// run once per packet: the buffer grows geometrically and never zero-fills.

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>

#include "pcap_format.h"

namespace ddump {

class RecordBuffer {
 public:
  explicit RecordBuffer(ByteOrder order = hostByteOrder()) : order_(order) {}

  void reserve(size_t bytes) {
    if (bytes > capacity_) grow(bytes);
  }

  void appendGlobalHeader(const GlobalHeader& header);
  void appendRecord(const RecordHeader& header, std::span<const uint8_t> data) {
    appendRecord(header, data, {});
  }
  // A record whose data arrives in two parts (e.g. a rewritten link header + payload).
  void appendRecord(const RecordHeader& header, std::span<const uint8_t> head,
                    std::span<const uint8_t> tail) {
    const size_t need = size_ + kRecordHeaderSize + head.size() + tail.size();
    if (need > capacity_) grow(need);
    uint8_t* out = data_.get() + size_;
    encodeRecordHeader(header, order_, out);
    out += kRecordHeaderSize;
    if (!head.empty()) std::memcpy(out, head.data(), head.size());
    if (!tail.empty()) std::memcpy(out + head.size(), tail.data(), tail.size());
    size_ = need;
  }

  std::span<const uint8_t> bytes() const { return {data_.get(), size_}; }
  const char* data() const { return reinterpret_cast<const char*>(data_.get()); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }

 private:
  void grow(size_t atLeast);

  ByteOrder order_;
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace ddump
