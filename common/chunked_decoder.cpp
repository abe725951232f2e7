#include "chunked_decoder.h"

#include <algorithm>
#include <string>

#include "ascii.h"

namespace ddump {
namespace {

constexpr uint8_t kCr = '\r';
constexpr uint8_t kLf = '\n';
// 15 hex digits stay below 2^60: no overflow, and far above any real chunk.
constexpr size_t kMaxSizeDigits = 15;

}  // namespace

Result<ChunkedDecoder::Step> ChunkedDecoder::next(std::span<const uint8_t> in) {
  if (state_ == State::Failed) return failure(problem_);
  Step step;
  while (step.consumed < in.size() && state_ != State::Done) {
    if (state_ == State::Data) {
      const size_t take =
          static_cast<size_t>(std::min<uint64_t>(remaining_, in.size() - step.consumed));
      step.data = in.subspan(step.consumed, take);
      step.consumed += take;
      offset_ += take;
      dataBytes_ += take;
      remaining_ -= take;
      if (remaining_ == 0) state_ = State::DataCr;
      return step;
    }
    if (!framingByte(in[step.consumed])) {
      state_ = State::Failed;
      return failure(problem_);
    }
    ++step.consumed;
    ++offset_;
  }
  return step;
}

bool ChunkedDecoder::framingByte(uint8_t byte) {
  switch (state_) {
    case State::Size:
      return sizeDigit(byte);
    case State::Extension:
      if (byte == kCr) {
        state_ = State::SizeLf;
        return true;
      }
      problem_ = "chunk extension too long or holds a line feed";
      return byte != kLf && countLine();
    case State::SizeLf:
      problem_ = "chunk size line not ended by CRLF";
      if (byte != kLf) return false;
      state_ = remaining_ == 0 ? State::TrailerStart : State::Data;
      return true;
    case State::DataCr:
      problem_ = "chunk data not followed by CRLF (chunk size wrong?)";
      state_ = State::DataLf;
      return byte == kCr;
    case State::DataLf:
      problem_ = "chunk data not followed by CRLF (chunk size wrong?)";
      state_ = State::Size;
      sizeDigits_ = significantDigits_ = lineBytes_ = 0;
      return byte == kLf;
    case State::TrailerStart:
      state_ = byte == kCr ? State::FinalLf : State::Trailer;
      lineBytes_ = 0;
      return byte == kCr || framingByte(byte);
    case State::Trailer:
      if (byte == kCr) {
        state_ = State::TrailerLf;
        return true;
      }
      problem_ = "trailer field too long or holds a line feed";
      if (byte == kLf || !countLine()) return false;
      problem_ = "trailer section too long";
      return ++trailerBytes_ <= kMaxTrailerBytes;
    case State::TrailerLf:
      problem_ = "trailer field not ended by CRLF";
      state_ = State::TrailerStart;
      return byte == kLf;
    case State::FinalLf:
      problem_ = "chunked body not ended by CRLF";
      state_ = State::Done;
      return byte == kLf;
    case State::Data:
    case State::Done:
    case State::Failed:
      break;
  }
  problem_ = "internal state error";
  return false;
}

bool ChunkedDecoder::sizeDigit(uint8_t byte) {
  if (const int value = hexDigitValue(byte); value >= 0) {
    problem_ = "chunk size too large";
    ++sizeDigits_;
    // Leading zeros are legal and say nothing: only significant digits count.
    if (remaining_ != 0 || value != 0) ++significantDigits_;
    if (significantDigits_ > kMaxSizeDigits || sizeDigits_ > ChunkedDecoder::kMaxLineBytes) return false;
    remaining_ = remaining_ * 16 + static_cast<uint64_t>(value);
    return true;
  }
  problem_ = "chunk size is not a hex number";
  if (sizeDigits_ == 0) return false;
  lineBytes_ = sizeDigits_;
  if (byte == kCr) {
    state_ = State::SizeLf;
    return true;
  }
  // chunk-ext = *( BWS ";" ... ): whitespace or ';' after the digits.
  if (byte == ';' || byte == ' ' || byte == '\t') {
    state_ = State::Extension;
    return countLine();
  }
  return false;
}

bool ChunkedDecoder::countLine() { return ++lineBytes_ <= kMaxLineBytes; }

Error ChunkedDecoder::failure(const char* what) {
  return makeError(ErrorCode::Http, std::string("bad chunked encoding: ") + what + " at byte " +
                                        std::to_string(offset_) + " of the body");
}

}  // namespace ddump
