#include "pcapng_reader.h"

#include <algorithm>
#include <cstdio>

namespace ddump {
namespace {

// 4.1: the SHB's Block Type reads the same in both byte orders, and its
// Byte-Order Magic follows the length, so an SHB header is 12 bytes.
constexpr std::array<uint8_t, 4> kShbBytes{0x0A, 0x0D, 0x0D, 0x0A};
constexpr size_t kShbHeaderSize = 12;
// A buffer grown for one large block is not kept for the next ones.
constexpr size_t kKeptBufferBytes = 1024 * 1024;
// How far ahead of the block being read the input is prefetched.
constexpr size_t kPrefetchAhead = 512;

// Blocks gathered whole: interpreted, or handed on as raw bytes (NRB, DSB).
// Custom blocks and unknown types are skipped by their length (3.1: "a
// parser that does not understand them can simply ignore their content").
bool isGathered(uint32_t type) {
  switch (type) {
    case kPcapngShbType:
    case kPcapngIdbType:
    case kPcapngPbType:
    case kPcapngSpbType:
    case kPcapngNrbType:
    case kPcapngIsbType:
    case kPcapngEpbType:
    case kPcapngDsbType:
      return true;
    default:
      return false;
  }
}

// pcapngMinimumLength, without a call for the block nearly every packet
// comes in: an EPB's 28 bytes of fixed fields and its trailer (4.3).
size_t minimumLength(uint32_t type) {
  return type == kPcapngEpbType ? 32 : pcapngMinimumLength(type);
}

std::string hexBytes(std::span<const uint8_t> bytes) {
  std::string out;
  for (uint8_t b : bytes) {
    char hex[4];
    std::snprintf(hex, sizeof hex, out.empty() ? "%02x" : " %02x", b);
    out += hex;
  }
  return out;
}

Error badMagic(std::span<const uint8_t> first) {
  return makeError(ErrorCode::BadMagic, "not a pcapng stream: it starts with " +
                                            hexBytes(first.first(4)) +
                                            ", not a Section Header Block (0a 0d 0d 0a)");
}

}  // namespace

bool PcapngReader::isPcapngMagic(std::span<const uint8_t> bytes) {
  return bytes.size() >= kShbBytes.size() &&
         std::equal(kShbBytes.begin(), kShbBytes.end(), bytes.begin());
}

Status PcapngReader::feed(std::span<const uint8_t> bytes, PcapngSink& sink) {
  size_t pos = 0;
  while (pos < bytes.size() && state_ != State::Failed) {
    const auto rest = bytes.subspan(pos);
    // The input was just written by another core (a file's read-ahead):
    // asking for the lines a few blocks ahead hides most of the wait on
    // each block's first touch (-6 % for 40-byte packets; 256 B to 2 KiB
    // ahead measured alike, 512 B best).
    if (rest.size() > kPrefetchAhead) __builtin_prefetch(rest.data() + kPrefetchAhead);
    size_t used = 0;
    switch (state_) {
      case State::Header:
        if (headerFill_ == 0) used = consumeWholeBlock(rest, sink);
        if (used == 0 && state_ == State::Header) used = consumeHeader(rest);
        break;
      case State::Body:
        used = consumeBody(rest, sink);
        break;
      case State::Skip:
        used = consumeSkip(rest, sink);
        break;
      case State::Failed:
        break;
    }
    pos += used;
    offset_ += used;
  }
  if (state_ == State::Failed) return error_;
  return Status::success();
}

Status PcapngReader::finish() {
  const std::string truncated = "truncated pcapng stream: ";
  switch (state_) {
    case State::Failed:
      return error_;
    case State::Header:
      if (headerFill_ == 0) {
        if (section_.sections() > 0) return Status::success();
        return makeError(ErrorCode::Truncated, truncated + "no Section Header Block (empty input)");
      }
      return makeError(ErrorCode::Truncated,
                       truncated + "block " + std::to_string(blocks_ + 1) + " at offset " +
                           std::to_string(blockStart_) + " ended after " +
                           std::to_string(headerFill_) + " of its " +
                           std::to_string(isPcapngMagic(std::span(header_).first(headerFill_))
                                              ? kShbHeaderSize
                                              : kPcapngBlockHeaderSize) +
                           " header bytes");
    case State::Body:
    case State::Skip: {
      const size_t have = state_ == State::Body ? body_.size() : skipped_;
      return makeError(ErrorCode::Truncated, truncated + "block " + std::to_string(blocks_) + " (" +
                                                 pcapngBlockLabel(blockType_) + ") at offset " +
                                                 std::to_string(blockStart_) + " ended after " +
                                                 std::to_string(have) + " of its " +
                                                 std::to_string(blockLength_) + " bytes");
    }
  }
  return Status::success();
}

// Fast path: a whole block at the front of the input is read in place.
size_t PcapngReader::consumeWholeBlock(std::span<const uint8_t> in, PcapngSink& sink) {
  if (in.size() < kPcapngBlockHeaderSize) return 0;
  const size_t need = isPcapngMagic(in) ? kShbHeaderSize : kPcapngBlockHeaderSize;
  if (in.size() < need) return 0;
  blockStart_ = offset_;
  const auto header = in.first(need);
  if (!acceptHeader(header)) return 0;
  if (in.size() < blockLength_) {  // gather the rest as it comes
    beginBlock(header);
    return need;
  }
  if (Status status = processBlock(in.first(blockLength_), sink); !status) {
    fail(status.error());
    return 0;
  }
  endBlock();
  return blockLength_;
}

size_t PcapngReader::consumeHeader(std::span<const uint8_t> in) {
  if (headerFill_ == 0) blockStart_ = offset_;
  size_t used = 0;
  auto fill = [&](size_t want) {
    const size_t take = std::min(want - headerFill_, in.size() - used);
    std::copy_n(in.begin() + static_cast<ptrdiff_t>(used), take,
                header_.begin() + static_cast<ptrdiff_t>(headerFill_));
    headerFill_ += take;
    used += take;
  };
  if (headerFill_ < kShbBytes.size()) fill(kShbBytes.size());
  if (headerFill_ < kShbBytes.size()) return used;
  // The first 4 bytes already tell a stream that is not pcapng (an HTML
  // error page, a classic pcap): say so now rather than at the end.
  if (blocks_ == 0 && !isPcapngMagic(header_)) {
    fail(badMagic(header_));
    return used;
  }
  const size_t need = isPcapngMagic(header_) ? kShbHeaderSize : kPcapngBlockHeaderSize;
  fill(need);
  if (headerFill_ < need) return used;
  const auto header = std::span<const uint8_t>(header_).first(need);
  if (acceptHeader(header)) beginBlock(header);
  return used;
}

// Checks a block's Type and Total Length (3.1) before any of it is kept.
bool PcapngReader::acceptHeader(std::span<const uint8_t> header) {
  ++blocks_;
  fixedChecked_ = false;
  const bool shb = isPcapngMagic(header);
  if (blocks_ == 1 && !shb) {
    fail(badMagic(header));  // 3.4: a file MUST begin with an SHB
    return false;
  }
  blockType_ = shb ? kPcapngShbType : load32(&header[0], order_);
  if (shb && !acceptByteOrder(header)) return false;
  blockLength_ = load32(&header[4], order_);
  // Built only for an error: this runs once per block.
  auto length = [&] { return "total length " + std::to_string(blockLength_); };
  if (blockLength_ % 4 != 0) {
    fail(blockError(ErrorCode::DecoderFailed, length() + " is not a multiple of 4"));
  } else if (blockLength_ < minimumLength(blockType_)) {
    fail(blockError(ErrorCode::DecoderFailed, length() + " is less than " +
                                                  std::to_string(pcapngMinimumLength(blockType_)) +
                                                  ", its fixed fields and both length fields"));
  } else if (blockLength_ > kPcapngMaxBlockLength) {
    fail(blockError(
        ErrorCode::DecoderFailed,
        length() + " exceeds the limit of " + std::to_string(kPcapngMaxBlockLength) + " bytes"));
  } else if (blockType_ == kPcapngIdbType && section_.interfaceCount() >= kPcapngMaxInterfaces) {
    fail(blockError(ErrorCode::DecoderFailed, "more than " + std::to_string(kPcapngMaxInterfaces) +
                                                  " interfaces in one section"));
  }
  return state_ != State::Failed;
}

// An SHB's Byte-Order Magic sets the byte order of the section it starts,
// its own length field included (4.1).
bool PcapngReader::acceptByteOrder(std::span<const uint8_t> header) {
  const uint8_t* magic = &header[8];
  if (load32(magic, ByteOrder::Big) == kPcapngByteOrderMagic) {
    order_ = ByteOrder::Big;
  } else if (load32(magic, ByteOrder::Little) == kPcapngByteOrderMagic) {
    order_ = ByteOrder::Little;
  } else {
    fail(blockError(ErrorCode::BadMagic,
                    "byte-order magic " + hexBytes(header.subspan(8, 4)) +
                        " is neither 1a 2b 3c 4d (big-endian) nor 4d 3c 2b 1a (little-endian)"));
    return false;
  }
  return true;
}

void PcapngReader::beginBlock(std::span<const uint8_t> header) {
  headerFill_ = 0;
  if (isGathered(blockType_)) {
    body_.clear();
    appendBounded(header);
    state_ = State::Body;
  } else {
    skipped_ = static_cast<uint32_t>(header.size());
    state_ = State::Skip;
  }
}

// Grows the buffer with what arrived, never past the block's length: a
// block that declares 16 MiB and sends 100 bytes costs about 100 bytes.
void PcapngReader::appendBounded(std::span<const uint8_t> bytes) {
  const size_t need = body_.size() + bytes.size();
  if (need > body_.capacity()) {
    body_.reserve(std::min<size_t>(blockLength_, std::max(need, body_.capacity() * 2)));
  }
  body_.insert(body_.end(), bytes.begin(), bytes.end());
}

size_t PcapngReader::consumeBody(std::span<const uint8_t> in, PcapngSink& sink) {
  const size_t take = std::min(blockLength_ - body_.size(), in.size());
  appendBounded(in.first(take));
  // The fixed fields are checked as soon as they are in, so a block naming
  // an unknown interface or an oversized packet fails at once instead of
  // after the megabytes its length announces.
  if (!fixedChecked_ && body_.size() >= pcapngFixedSize(blockType_)) {
    if (Status status = checkFixed(body_); !status) {
      fail(status.error());
      return take;
    }
  }
  if (body_.size() < blockLength_) return take;
  if (Status status = processBlock(body_, sink); !status) {
    fail(status.error());
    return take;
  }
  endBlock();
  return take;
}

size_t PcapngReader::consumeSkip(std::span<const uint8_t> in, PcapngSink& sink) {
  const size_t take = std::min<size_t>(blockLength_ - skipped_, in.size());
  // Keep the bytes of the trailing Block Total Length as they go by.
  const size_t trailerAt = blockLength_ - trailer_.size();
  for (size_t at = std::max<size_t>(skipped_, trailerAt); at < skipped_ + take; ++at) {
    trailer_[at - trailerAt] = in[at - skipped_];
  }
  skipped_ += static_cast<uint32_t>(take);
  if (skipped_ < blockLength_) return take;
  if (Status status = checkTrailer(load32(trailer_.data(), order_)); !status) {
    fail(status.error());
    return take;
  }
  sink.onSkippedBlock(blockType_, blockLength_);
  endBlock();
  return take;
}

void PcapngReader::endBlock() {
  state_ = State::Header;
  headerFill_ = 0;
  skipped_ = 0;
  body_.clear();
  if (body_.capacity() > kKeptBufferBytes) std::vector<uint8_t>().swap(body_);
}

// The fixed fields that refer to the section's interfaces, from the first
// pcapngFixedSize(blockType_) bytes of the block.
Status PcapngReader::checkFixed(std::span<const uint8_t> fixed) {
  fixedChecked_ = true;
  Status status = section_.checkFixed(blockType_, blockLength_, fixed, order_);
  if (!status) return blockError(status.error().code, status.error().message);
  return Status::success();
}

Status PcapngReader::checkTrailer(uint32_t trailer) const {
  if (trailer == blockLength_) return Status::success();
  return blockError(ErrorCode::DecoderFailed, "trailing total length " + std::to_string(trailer) +
                                                  " differs from the leading " +
                                                  std::to_string(blockLength_));
}

Status PcapngReader::processBlock(std::span<const uint8_t> block, PcapngSink& sink) {
  if (!fixedChecked_) {
    if (Status status = checkFixed(block); !status) return status;
  }
  // Compared here: a Status is built only for a mismatch (once per block).
  if (const uint32_t trailer = load32(&block[block.size() - 4], order_); trailer != blockLength_) {
    return checkTrailer(trailer);
  }
  Status status = section_.read(blockType_, block, order_, sink);
  if (!status) return blockError(status.error().code, status.error().message);
  return Status::success();
}

Error PcapngReader::blockError(ErrorCode code, const std::string& what) const {
  return makeError(code, "pcapng block " + std::to_string(blocks_) + " (" +
                             pcapngBlockLabel(blockType_) + ") at offset " +
                             std::to_string(blockStart_) + ": " + what);
}

void PcapngReader::fail(Error error) {
  error_ = std::move(error);
  state_ = State::Failed;
  std::vector<uint8_t>().swap(body_);
}

}  // namespace ddump
