#include "input_reader.h"

#include <cerrno>
#include <cstring>

namespace ddump {

InputReader::InputReader(ReadFn read, bool fill, size_t inputBytes)
    : read_(std::move(read)), fill_(fill), inputBytes_(std::max<size_t>(inputBytes, 1)) {}

ssize_t InputReader::readSome(uint8_t* into, size_t size) {
  ssize_t n = 0;
  do {
    n = read_(into, size);
  } while (n == -EINTR);
  return n;
}

InputReader::Got InputReader::fail(size_t produced, int error, std::string damage) {
  failure_ = Got{0, error, std::move(damage)};
  if (produced > 0) return Got{produced, 0, {}};  // the error comes with the next read
  return failure_;
}

InputReader::Got InputReader::read(std::span<uint8_t> out) {
  if (!failure_.ok()) return failure_;
  if (out.empty()) return {};
  if (!decided_) {
    if (!detect()) return fail(0, errno, {});
    if (compression_ != Compression::None) {
      auto codec = makeDecompressor(compression_);
      if (!codec) return fail(0, 0, codec.error().message);
      codec_ = std::move(*codec);
    }
  }
  if (compression_ != Compression::None) return inflate(out);
  return readPlain(out);
}

// Reads into input_ until its first bytes tell what the input is (a read
// from a pipe may bring fewer than a magic's four). False on a read error,
// with errno set.
bool InputReader::detect() {
  input_.resize(std::max<size_t>(inputBytes_, 4));
  while (true) {
    const auto told = detectCompression(std::span<const uint8_t>(input_).first(inputEnd_));
    if (told || inputEnded_) {
      compression_ = told.value_or(Compression::None);
      decided_ = true;
      return true;
    }
    const ssize_t n = readSome(input_.data() + inputEnd_, input_.size() - inputEnd_);
    if (n < 0) {
      errno = static_cast<int>(-n);
      decided_ = true;
      return false;
    }
    if (n == 0) inputEnded_ = true;
    inputEnd_ += static_cast<size_t>(n);
  }
}

// A plain input: the bytes read to tell what it is come first, then reads go
// straight into `out`.
InputReader::Got InputReader::readPlain(std::span<uint8_t> out) {
  size_t have = 0;
  if (inputPos_ < inputEnd_) {
    have = std::min(out.size(), inputEnd_ - inputPos_);
    std::memcpy(out.data(), input_.data() + inputPos_, have);
    inputPos_ += have;
    if (inputPos_ == inputEnd_) std::vector<uint8_t>().swap(input_);  // not needed again
    if (have == out.size() || !fill_ || inputEnded_) return Got{have, 0, {}};
  }
  const ssize_t n = readSome(out.data() + have, out.size() - have);
  if (n < 0) return fail(have, static_cast<int>(-n), {});
  return Got{have + static_cast<size_t>(n), 0, {}};
}

InputReader::Got InputReader::inflate(std::span<uint8_t> out) {
  size_t produced = 0;
  while (produced < out.size()) {
    const std::span<const uint8_t> in(input_.data() + inputPos_, inputEnd_ - inputPos_);
    // With no input left this still flushes what the codec holds.
    auto step = codec_->inflate(in, out.subspan(produced));
    if (!step) return fail(produced, 0, step.error().message);
    inputPos_ += step->consumed;
    produced += step->produced;
    if (step->consumed > 0 || step->produced > 0) continue;
    // No progress: the codec wants more input (both take every byte given).
    if (inputPos_ < inputEnd_) {
      return fail(
          produced, 0,
          std::string(compressionName(compression_)) + " decompression stopped making progress");
    }
    if (produced > 0 && !fill_) break;  // a pipe's next read may wait
    if (inputEnded_) {
      if (Status done = codec_->finish(); !done) return fail(produced, 0, done.error().message);
      break;
    }
    const ssize_t n = readSome(input_.data(), input_.size());
    if (n < 0) return fail(produced, static_cast<int>(-n), {});
    inputPos_ = 0;
    inputEnd_ = static_cast<size_t>(n);
    if (n == 0) inputEnded_ = true;
  }
  return Got{produced, 0, {}};
}

}  // namespace ddump
