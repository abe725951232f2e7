#include "stream_decoder.h"

#include <algorithm>
#include <string>

namespace ddump {

Status StreamDecoder::feed(std::span<const uint8_t> bytes, DecoderSink& sink) {
  size_t pos = 0;
  while (pos < bytes.size() && state_ != State::Failed) {
    const auto rest = bytes.subspan(pos);
    if (state_ == State::RecordHeader && headerFill_ == 0) {
      const size_t whole = consumeWholeRecords(rest, sink);  // advances offset_ itself
      pos += whole;
      if (whole > 0) continue;
    }
    size_t used = 0;
    switch (state_) {
      case State::GlobalHeader: used = consumeGlobalHeader(rest, sink); break;
      case State::RecordHeader: used = consumeRecordHeader(rest, sink); break;
      case State::Body: used = consumeBody(rest, sink); break;
      case State::Failed: break;
    }
    pos += used;
    offset_ += used;
  }
  if (state_ == State::Failed) return error_;
  return Status::success();
}

Status StreamDecoder::finish() {
  switch (state_) {
    case State::Failed: return error_;
    case State::GlobalHeader:
      return makeError(ErrorCode::Truncated,
                       "stream ended before the pcap global header was complete (" +
                           std::to_string(headerFill_) + " of 24 bytes)");
    case State::RecordHeader:
      if (headerFill_ == 0) return Status::success();
      return makeError(ErrorCode::Truncated,
                       "truncated record " + std::to_string(packets_ + 1) + ": stream ended after " +
                           std::to_string(headerFill_) + " of 16 record-header bytes");
    case State::Body:
      return makeError(ErrorCode::Truncated,
                       "truncated record " + std::to_string(packets_ + 1) + ": stream ended after " +
                           std::to_string(body_.size()) + " of " + std::to_string(record_.caplen) +
                           " bytes");
  }
  return Status::success();
}

size_t StreamDecoder::fillHeader(std::span<const uint8_t> in, size_t want) {
  const size_t take = std::min(want - headerFill_, in.size());
  std::copy_n(in.begin(), take, header_.begin() + static_cast<ptrdiff_t>(headerFill_));
  headerFill_ += take;
  return take;
}

size_t StreamDecoder::consumeGlobalHeader(std::span<const uint8_t> in, DecoderSink& sink) {
  const size_t used = fillHeader(in, kGlobalHeaderSize);
  if (headerFill_ < kGlobalHeaderSize) return used;
  headerFill_ = 0;
  auto decoded = decodeGlobalHeader(std::span<const uint8_t, kGlobalHeaderSize>(header_));
  if (!decoded) {
    fail(decoded.error());
    return used;
  }
  global_ = *decoded;
  state_ = State::RecordHeader;
  sink.onGlobalHeader(global_);
  return used;
}

size_t StreamDecoder::consumeRecordHeader(std::span<const uint8_t> in, DecoderSink& sink) {
  // Fast path: a whole header in the input, nothing buffered.
  if (headerFill_ == 0 && in.size() >= kRecordHeaderSize) {
    acceptRecordHeader(in.first<kRecordHeaderSize>(), sink);
    return kRecordHeaderSize;
  }
  const size_t used = fillHeader(in, kRecordHeaderSize);
  if (headerFill_ == kRecordHeaderSize) {
    headerFill_ = 0;
    acceptRecordHeader(std::span<const uint8_t, kGlobalHeaderSize>(header_).first<kRecordHeaderSize>(),
                       sink);
  }
  return used;
}

// The fast path of the same machine: while the input holds a whole record
// header, decode it, check it exactly as acceptRecordHeader does, and emit the
// record straight from the input if its body is there too. A body that is not
// all there leaves the machine in Body, as the slow path would. Never reads
// past `in`; offset_ follows every record so errors name the right offset.
size_t StreamDecoder::consumeWholeRecords(std::span<const uint8_t> in, DecoderSink& sink) {
  size_t used = 0;
  while (in.size() - used >= kRecordHeaderSize) {
    const uint8_t* at = in.data() + used;
    record_ = decodeRecordHeader(std::span<const uint8_t, kRecordHeaderSize>(at, kRecordHeaderSize),
                                 global_.byteOrder);
    if (!recordFits()) {
      fail(recordError());
      return used;
    }
    const size_t caplen = record_.caplen;
    if (in.size() - used - kRecordHeaderSize < caplen) {
      state_ = State::Body;
      used += kRecordHeaderSize;
      offset_ += kRecordHeaderSize;
      return used;
    }
    ++packets_;
    sink.onPacket(PacketView{record_, std::span<const uint8_t>(at + kRecordHeaderSize, caplen)});
    used += kRecordHeaderSize + caplen;
    offset_ += kRecordHeaderSize + caplen;
  }
  return used;
}

bool StreamDecoder::recordFits() const {
  const uint32_t caplen = record_.caplen;
  // snaplen 0 is "unspecified" to some writers; the caplen bound still holds.
  return caplen <= maxCaplen_ && caplen <= record_.len &&
         (global_.snaplen == 0 || caplen <= global_.snaplen);
}

void StreamDecoder::acceptRecordHeader(std::span<const uint8_t, kRecordHeaderSize> bytes,
                                       DecoderSink& sink) {
  record_ = decodeRecordHeader(bytes, global_.byteOrder);
  const uint32_t caplen = record_.caplen;
  if (!recordFits()) return fail(recordError());  // messages are built only on failure: this runs per packet
  if (caplen == 0) {
    emit({}, sink);
    return;
  }
  state_ = State::Body;
}

Error StreamDecoder::recordError() const {
  const std::string where = " in record " + std::to_string(packets_ + 1);
  const std::string caplen = "caplen " + std::to_string(record_.caplen);
  if (record_.caplen > maxCaplen_) {
    return makeError(ErrorCode::CaplenTooLarge,
                     caplen + " exceeds limit " + std::to_string(maxCaplen_) + where);
  }
  if (record_.caplen > record_.len) {
    return makeError(ErrorCode::CaplenExceedsLen,
                     caplen + " exceeds len " + std::to_string(record_.len) + where);
  }
  return makeError(ErrorCode::CaplenExceedsSnaplen,
                   caplen + " exceeds snaplen " + std::to_string(global_.snaplen) + where);
}

size_t StreamDecoder::consumeBody(std::span<const uint8_t> in, DecoderSink& sink) {
  const size_t caplen = record_.caplen;
  if (body_.empty() && in.size() >= caplen) {  // zero-copy fast path
    emit(in.first(caplen), sink);
    return caplen;
  }
  const size_t take = std::min(caplen - body_.size(), in.size());
  body_.insert(body_.end(), in.begin(), in.begin() + static_cast<ptrdiff_t>(take));
  if (body_.size() == caplen) {
    emit(body_, sink);
    body_.clear();
  }
  return take;
}

void StreamDecoder::emit(std::span<const uint8_t> data, DecoderSink& sink) {
  ++packets_;
  state_ = State::RecordHeader;
  sink.onPacket(PacketView{record_, data});
}

void StreamDecoder::fail(Error error) {
  if (error.code != ErrorCode::BadMagic && error.code != ErrorCode::UnsupportedVersion &&
      error.code != ErrorCode::SnaplenTooLarge) {
    error.message += " at stream offset " + std::to_string(offset_);
  }
  error_ = std::move(error);
  state_ = State::Failed;
  body_.clear();
  body_.shrink_to_fit();
}

}  // namespace ddump
