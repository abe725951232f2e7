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
    uint8_t* out = startRecord(header, data.size());
    if (!data.empty()) std::memcpy(out, data.data(), data.size());
  }
  // A record whose data arrives in two parts (e.g. a rewritten link header + payload).
  void appendRecord(const RecordHeader& header, std::span<const uint8_t> head,
                    std::span<const uint8_t> tail) {
    uint8_t* out = startRecord(header, head.size() + tail.size());
    if (!head.empty()) std::memcpy(out, head.data(), head.size());
    if (!tail.empty()) std::memcpy(out + head.size(), tail.data(), tail.size());
  }

  // Bytes already in this buffer's record format (a record copied whole).
  void appendEncoded(std::span<const uint8_t> record) {
    const size_t need = size_ + record.size();
    if (need > capacity_) grow(need);
    std::memcpy(data_.get() + size_, record.data(), record.size());
    size_ = need;
  }

  std::span<const uint8_t> bytes() const { return {data_.get(), size_}; }
  const char* data() const { return reinterpret_cast<const char*>(data_.get()); }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  void clear() { size_ = 0; }

 private:
  // Makes room for a record of `dataSize` bytes, writes its header and
  // returns where the data goes.
  uint8_t* startRecord(const RecordHeader& header, size_t dataSize) {
    const size_t need = size_ + kRecordHeaderSize + dataSize;
    if (need > capacity_) grow(need);
    uint8_t* out = data_.get() + size_;
    if (order_ == hostByteOrder()) {
      // RecordHeader is the record header's four host-order words, in order.
      static_assert(sizeof(RecordHeader) == kRecordHeaderSize);
      std::memcpy(out, &header, kRecordHeaderSize);
    } else {
      encodeRecordHeader(header, order_, out);
    }
    size_ = need;
    return out + kRecordHeaderSize;
  }
  void grow(size_t atLeast);

  ByteOrder order_;
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace ddump
