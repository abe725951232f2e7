#include "record_buffer.h"


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
  // insert() copies without first zero-filling, unlike resize(): this runs per packet.
  RecordHeaderBytes encoded;
  encodeRecordHeader(header, order_, encoded.data());
  bytes_.insert(bytes_.end(), encoded.begin(), encoded.end());
  bytes_.insert(bytes_.end(), head.begin(), head.end());
  bytes_.insert(bytes_.end(), tail.begin(), tail.end());
}

}  // namespace ddump
