// libFuzzer target: the chunked transfer coding decoder (common/
// chunked_decoder, RFC 9112 §7.1) against a reference decoder written here
// over the whole input at once, in a different shape (index walking, no
// state machine), with the same bounds (chunk-size line and trailer field
// line at most 4096 bytes, 15 significant hex digits, 16 KiB of trailer).
// The decoder is fed whole, byte by byte (short inputs) and in pieces whose
// sizes the last input byte picks; each piece is copied into a buffer of
// exactly its size, so a read past it is an ASan report. Invariants, for
// every feeding:
//   * a complete body: the decoder is done after exactly the reference's
//     bytes (what follows is not its own) with the same payload;
//   * an incomplete one: every byte used, no error, the payload so far;
//   * a malformed one: one printable line naming the byte offset at which
//     the reference found the first bad byte, and Failed stays Failed;
//   * every data view lies inside the piece it came from and ends its step.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "ascii.h"
#include "chunked_decoder.h"

namespace {

using ddump::ChunkedDecoder;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

enum class Verdict { Done, NeedMore, Invalid };

struct Reference {
  Verdict verdict = Verdict::NeedMore;
  size_t at = 0;  // Done: bytes of the body; Invalid: offset of the bad byte
  std::string payload;
};

class ReferenceDecoder {
 public:
  explicit ReferenceDecoder(std::span<const uint8_t> in) : in_(in) {}

  Reference run() {
    for (;;) {
      uint64_t size = 0;
      if (!sizeLine(size)) return result_;
      if (size == 0) break;
      const size_t left = in_.size() - i_;
      result_.payload.append(reinterpret_cast<const char*>(in_.data() + i_),
                             static_cast<size_t>(std::min<uint64_t>(size, left)));
      if (size > left) return needMore();
      i_ += static_cast<size_t>(size);
      if (!expect('\r') || !expect('\n')) return result_;
    }
    return trailers();
  }

 private:
  static constexpr size_t kMaxLine = ChunkedDecoder::kMaxLineBytes;

  Reference& needMore() {
    result_.verdict = Verdict::NeedMore;
    return result_;
  }
  bool invalid() {
    result_.verdict = Verdict::Invalid;
    result_.at = i_;
    return false;
  }
  bool more() {
    if (i_ < in_.size()) return true;
    needMore();
    return false;
  }
  bool expect(uint8_t byte) {
    if (!more()) return false;
    if (in_[i_] != byte) return invalid();
    ++i_;
    return true;
  }

  // chunk-size [ chunk-ext ] CRLF; an extension is anything up to CR but LF.
  bool sizeLine(uint64_t& size) {
    size_t digits = 0, significant = 0;
    for (; i_ < in_.size() && ddump::hexDigitValue(in_[i_]) >= 0; ++i_) {
      const int value = ddump::hexDigitValue(in_[i_]);
      ++digits;
      if (size != 0 || value != 0) ++significant;
      if (significant > 15 || digits > kMaxLine) return invalid();
      size = size * 16 + static_cast<uint64_t>(value);
    }
    if (!more()) return false;
    if (digits == 0) return invalid();
    size_t line = digits;
    if (in_[i_] == ';' || in_[i_] == ' ' || in_[i_] == '\t') {
      for (; i_ < in_.size() && in_[i_] != '\r'; ++i_) {
        if (in_[i_] == '\n' || ++line > kMaxLine) return invalid();
      }
    }
    return expect('\r') && expect('\n');
  }

  // trailer-section CRLF: field lines up to 4096 bytes, 16 KiB in all.
  Reference& trailers() {
    size_t total = 0;
    for (;;) {
      if (!more()) return result_;
      if (in_[i_] == '\r') {
        ++i_;
        if (!expect('\n')) return result_;
        result_.verdict = Verdict::Done;
        result_.at = i_;
        return result_;
      }
      size_t line = 0;
      for (; i_ < in_.size() && in_[i_] != '\r'; ++i_) {
        if (in_[i_] == '\n' || ++line > kMaxLine || ++total > ChunkedDecoder::kMaxTrailerBytes) {
          invalid();
          return result_;
        }
      }
      if (!expect('\r') || !expect('\n')) return result_;
    }
  }

  std::span<const uint8_t> in_;
  size_t i_ = 0;
  Reference result_;
};

struct Decoded {
  size_t consumed = 0;
  bool done = false;
  std::string error;
  std::string payload;
};

// Piece sizes: `step` 0 means one piece; otherwise a walk over 1..step.
Decoded decode(std::span<const uint8_t> input, uint32_t step) {
  Decoded out;
  ChunkedDecoder decoder;
  uint32_t state = step;
  size_t at = 0;
  while (at < input.size() && !decoder.done()) {
    state = state * 1103515245u + 12345u;
    const size_t size =
        step == 0 ? input.size() : std::min<size_t>(input.size() - at, 1 + (state >> 16) % step);
    const std::vector<uint8_t> piece(input.begin() + static_cast<std::ptrdiff_t>(at),
                                     input.begin() + static_cast<std::ptrdiff_t>(at + size));
    at += size;
    std::span<const uint8_t> rest(piece);
    while (!rest.empty() && !decoder.done()) {
      auto result = decoder.next(rest);
      if (!result) {
        out.error = result.error().message;
        check(decoder.state() == ChunkedDecoder::State::Failed);
        auto again = decoder.next(rest);
        check(!again && again.error().message == out.error);
        return out;
      }
      check(result->consumed <= rest.size());
      check(result->consumed > 0 || decoder.done());
      if (!result->data.empty()) {
        check(result->data.data() + result->data.size() == rest.data() + result->consumed);
        out.payload.append(reinterpret_cast<const char*>(result->data.data()), result->data.size());
      }
      out.consumed += result->consumed;
      rest = rest.subspan(result->consumed);
    }
  }
  out.done = decoder.done();
  check(decoder.dataBytes() == out.payload.size());
  if (out.done) check(decoder.next(input).ok() && decoder.next(input)->consumed == 0);
  return out;
}

void checkAgainst(const Reference& ref, const Decoded& got, size_t inputSize) {
  switch (ref.verdict) {
    case Verdict::Done:
      check(got.done && got.error.empty() && got.consumed == ref.at && got.payload == ref.payload);
      break;
    case Verdict::NeedMore:
      check(!got.done && got.error.empty() && got.consumed == inputSize &&
            got.payload == ref.payload);
      break;
    case Verdict::Invalid: {
      check(!got.done && !got.error.empty());
      check(std::all_of(got.error.begin(), got.error.end(),
                        [](char c) { return c >= 0x20 && c < 0x7f; }));
      check(got.error.rfind("bad chunked encoding: ", 0) == 0);
      const std::string where = " at byte " + std::to_string(ref.at) + " of the body";
      check(got.error.size() > where.size() &&
            got.error.compare(got.error.size() - where.size(), where.size(), where) == 0);
      check(got.payload == ref.payload);
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> input(data, size - 1);
  const Reference ref = ReferenceDecoder(input).run();
  checkAgainst(ref, decode(input, 0), input.size());
  checkAgainst(ref, decode(input, data[size - 1]), input.size());
  if (input.size() <= 4096) checkAgainst(ref, decode(input, 1), input.size());
  return 0;
}
