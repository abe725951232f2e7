#include "stream_decoder.h"

#include <algorithm>
#include <string>

namespace ddump {

// Every state but the whole-record fast path, one step.
size_t StreamDecoder::consumeSlowly(std::span<const uint8_t> in, DecoderSink& sink) {
  switch (state_) {
    case State::GlobalHeader: return consumeGlobalHeader(in, sink);
    case State::RecordHeader: return consumeRecordHeader(in, sink);
    case State::Body: return consumeBody(in, sink);
    case State::Failed: break;
  }
  return 0;
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
  auto decoded = decodeHeader(std::span<const uint8_t, kGlobalHeaderSize>(header_));
  if (!decoded) {
    fail(decoded.error());
    return used;
  }
  global_ = *decoded;
  state_ = State::RecordHeader;
  sink.onGlobalHeader(global_);
  return used;
}

Result<GlobalHeader> StreamDecoder::decodeHeader(
    std::span<const uint8_t, kGlobalHeaderSize> bytes) {
  if (input_ == PcapInput::Stream) {
    auto decoded = decodeGlobalHeader(bytes);
    // snaplen 0 is "unspecified" to some writers; the caplen bound still holds.
    if (decoded)
      limit_ = decoded->snaplen == 0 ? maxCaplen_ : std::min(decoded->snaplen, maxCaplen_);
    return decoded;
  }
  auto parsed = parseGlobalHeader(bytes);
  if (!parsed) return parsed;
  GlobalHeader& header = *parsed;
  const uint16_t major = header.versionMajor;
  const uint16_t minor = header.versionMinor;
  // sf-pcap.c pcap_check_header(): 2.0-2.4, and 543.0 from DG/UX tcpdump
  // (wiretap takes any major >= 2, but a version libpcap does not know may
  // lay its records out otherwise, unlike a wrong snaplen).
  if (!((major == 2 && minor <= 4) || (major == 543 && minor == 0))) {
    return makeError(
        ErrorCode::UnsupportedVersion,
        "unsupported pcap version " + std::to_string(major) + "." + std::to_string(minor));
  }
  // Both readers: caplen and len were interchanged at 2.3 to match the BPF
  // header; some 2.3 files still have the old order, and DG/UX wrote it.
  if (major == 543 || minor < 3) {
    lengths_ = Lengths::Swapped;
  } else if (minor == 3) {
    lengths_ = Lengths::SwappedIfCaplenLarger;
  }
  // pcap_adjust_snapshot(): 0 or an impossible snaplen means "the maximum".
  if (header.snaplen == 0 || header.snaplen > maxCaplen_) header.snaplen = maxCaplen_;
  limit_ = header.snaplen;
  lenFree_ = true;
  return parsed;
}

void StreamDecoder::placeLengths(RecordHeader& record) const {
  if (lengths_ == Lengths::Swapped ||
      (lengths_ == Lengths::SwappedIfCaplenLarger && record.caplen > record.len)) {
    std::swap(record.caplen, record.len);
  }
}

// A savefile record longer than the header's snaplen is read whole, as
// wiretap reads it, and the snaplen reported from now on covers it. Only the
// bound refuses it.
bool StreamDecoder::admitLonger(const RecordHeader& record) {
  if (input_ != PcapInput::Savefile || record.caplen > maxCaplen_) return false;
  global_.snaplen = maxCaplen_;
  limit_ = maxCaplen_;
  return true;
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

void StreamDecoder::acceptRecordHeader(std::span<const uint8_t, kRecordHeaderSize> bytes,
                                       DecoderSink& sink) {
  record_ = decodeRecordHeader(bytes, global_.byteOrder);
  if (lengths_ != Lengths::InPlace) placeLengths(record_);
  const uint32_t caplen = record_.caplen;
  // Messages are built only on failure: this runs per packet.
  if (!recordFits(record_) && !admitLonger(record_)) return fail(recordError());
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
  // Zero-copy fast path, unless the header before the data was rewritten.
  if (body_.empty() && in.size() >= caplen && lengths_ == Lengths::InPlace) {
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
