#pragma once
// Serialises pcap records into one contiguous buffer so that many records leave
// in one write (a write per packet caps a stream near 130k packets/s). Appends
// run once per packet: the buffer grows geometrically and never zero-fills.

#include <cstdint>
#include <cstring>
#include <memory>
#include <span>
#include <vector>

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
    copyRecord(data_.get() + size_, record.data(), record.size());
    size_ = need;
  }

  // Zero-copy hand-over, off unless setReferenceMin(n > 0) (the pulled file
  // path with plain pcap on stdout): a record of at least n bytes whose
  // memory the caller keeps untouched until this buffer is cleared is only
  // referenced, and the writer gathers own bytes and referenced records in
  // order (forEachPiece, one writev). Big records only: below a few hundred
  // bytes a copy costs less than an extra iovec.
  void setReferenceMin(size_t bytes) { referenceMin_ = bytes; }
  void appendStable(std::span<const uint8_t> record) {
    if (referenceMin_ == 0 || record.size() < referenceMin_) return appendEncoded(record);
    referenced_ += record.size();
    if (!references_.empty()) {
      Reference& last = references_.back();
      if (last.at == size_ && last.data + last.size == record.data()) {
        last.size += record.size();  // the next record of the same chunk
        return;
      }
    }
    references_.push_back(Reference{size_, record.data(), record.size()});
  }
  // The content in order as (pointer, length) pieces: own bytes, with each
  // referenced run after the own byte it was appended behind.
  template <class Piece>
  void forEachPiece(Piece&& piece) const {
    size_t from = 0;
    for (const Reference& r : references_) {
      if (r.at > from) piece(data_.get() + from, r.at - from);
      piece(r.data, r.size);
      from = r.at;
    }
    if (size_ > from) piece(data_.get() + from, size_ - from);
  }
  bool hasReferences() const { return !references_.empty(); }

  // Own bytes: all of the content unless records were referenced.
  std::span<const uint8_t> bytes() const { return {data_.get(), size_}; }
  const char* data() const { return reinterpret_cast<const char*>(data_.get()); }
  size_t size() const { return size_ + referenced_; }  // own and referenced
  bool empty() const { return size() == 0; }
  void clear() {
    size_ = 0;
    references_.clear();
    referenced_ = 0;
  }

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

  // memcpy. From 16 to 64 bytes (a record is at least its header), two
  // fixed-size copies that may overlap, inlined: small records are the
  // common case of a merge and a call into the library's memcpy per record
  // cost more than the copy. Never touches a byte outside [src, src+n).
  static void copyRecord(uint8_t* dst, const uint8_t* src, size_t n) {
    if (n < 16) [[unlikely]] {
      if (n != 0) std::memcpy(dst, src, n);  // never memcpy with a null pointer, even for 0 bytes
    } else if (n <= 32) {
      std::memcpy(dst, src, 16);
      std::memcpy(dst + n - 16, src + n - 16, 16);
    } else if (n <= 64) {
      std::memcpy(dst, src, 32);
      std::memcpy(dst + n - 32, src + n - 32, 32);
    } else {
      std::memcpy(dst, src, n);
    }
  }

  struct Reference {
    size_t at;  // own bytes before it
    const uint8_t* data;
    size_t size;
  };

  ByteOrder order_;
  std::unique_ptr<uint8_t[]> data_;
  size_t size_ = 0;  // own bytes
  size_t capacity_ = 0;
  size_t referenceMin_ = 0;
  std::vector<Reference> references_;
  size_t referenced_ = 0;  // bytes in references_
};

}  // namespace ddump
