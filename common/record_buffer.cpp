#include "record_buffer.h"

#include <cstring>

namespace ddump {

void RecordBuffer::appendGlobalHeader(const GlobalHeader& header) {
  GlobalHeader copy = header;
  copy.byteOrder = order_;
  const auto encoded = encodeGlobalHeader(copy);
  bytes_.insert(bytes_.end(), encoded.begin(), encoded.end());
}

void RecordBuffer::appendRecord(const RecordHeader& header, std::span<const uint8_t> data) {
  appendRecord(header, data, {});
}

void RecordBuffer::appendRecord(const RecordHeader& header, std::span<const uint8_t> head,
                                std::span<const uint8_t> tail) {
  const size_t at = bytes_.size();
  bytes_.resize(at + kRecordHeaderSize + head.size() + tail.size());
  uint8_t* out = bytes_.data() + at;
  encodeRecordHeader(header, order_, out);
  out += kRecordHeaderSize;
  if (!head.empty()) std::memcpy(out, head.data(), head.size());
  if (!tail.empty()) std::memcpy(out + head.size(), tail.data(), tail.size());
}

}  // namespace ddump
