#include "record_buffer.h"

#include <algorithm>

namespace ddump {

void RecordBuffer::appendGlobalHeader(const GlobalHeader& header) {
  GlobalHeader copy = header;
  copy.byteOrder = order_;
  const auto encoded = encodeGlobalHeader(copy);
  reserve(size_ + encoded.size());
  std::memcpy(data_.get() + size_, encoded.data(), encoded.size());
  size_ += encoded.size();
}

void RecordBuffer::grow(size_t atLeast) {
  const size_t capacity = std::max({atLeast, capacity_ * 2, size_t{4096}});
  // new uint8_t[n] (no parentheses) leaves the bytes uninitialised.
  std::unique_ptr<uint8_t[]> bigger(new uint8_t[capacity]);
  if (size_ > 0) std::memcpy(bigger.get(), data_.get(), size_);
  data_ = std::move(bigger);
  capacity_ = capacity;
}

}  // namespace ddump
