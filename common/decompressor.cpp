#include "decompressor.h"

#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

#include <algorithm>
#include <climits>
#include <string>

namespace ddump {
namespace {

constexpr uint8_t kGzipMagic[] = {0x1f, 0x8b};
constexpr uint8_t kZstdMagic[] = {0x28, 0xb5, 0x2f, 0xfd};

// Whether `head` starts with `magic`, as far as both go.
template <size_t N>
bool startsAs(std::span<const uint8_t> head, const uint8_t (&magic)[N]) {
  return std::equal(head.begin(), head.begin() + static_cast<ptrdiff_t>(std::min(N, head.size())),
                    magic);
}

std::string at(uint64_t offset) {
  return "at compressed byte " + std::to_string(offset);
}

// An error found after some output of the same call: that output goes out
// first (Step), the error with the next call, so nothing decoded is lost.
class Pending {
 public:
  Result<Decompressor::Step> deliver(Decompressor::Step step, Error error) {
    if (step.produced == 0) return error;
    error_ = std::move(error);
    return step;
  }
  const Error* get() const { return error_ ? &*error_ : nullptr; }

 private:
  std::optional<Error> error_;
};

// gzip with zlib: inflate() in gzip mode (windowBits 16 + 15, RFC 1952 only,
// with its CRC-32 and length checked), reset for every further member.
class GzipDecompressor final : public Decompressor {
 public:
  ~GzipDecompressor() override {
    if (started_) inflateEnd(&z_);
  }
  Status start() {
    z_ = z_stream{};
    if (inflateInit2(&z_, 16 + MAX_WBITS) != Z_OK) {
      return makeError(ErrorCode::Io, "zlib cannot start: out of memory");
    }
    started_ = true;
    return Status::success();
  }

  Result<Step> inflate(std::span<const uint8_t> in, std::span<uint8_t> out) override {
    if (const Error* error = pending_.get()) return *error;
    Step step;
    while (step.produced < out.size()) {
      const auto rest = in.subspan(step.consumed);
      if (betweenMembers_) {
        if (rest.empty()) break;
        // RFC 1952 2.2: what follows a member is another member or nothing.
        if (!startsAs(rest, kGzipMagic)) {
          return pending_.deliver(step, makeError(ErrorCode::DecoderFailed,
                                                  "corrupt gzip data: the bytes after member " +
                                                      std::to_string(members_) + ", " + at(total_) +
                                                      ", are not a gzip member"));
        }
        inflateReset(&z_);
        betweenMembers_ = false;
        ++members_;
      }
      z_.next_in = const_cast<Bytef*>(rest.data());  // zlib's API is not const-correct
      z_.avail_in = static_cast<uInt>(std::min<size_t>(rest.size(), UINT_MAX));
      z_.next_out = out.data() + step.produced;
      z_.avail_out = static_cast<uInt>(std::min<size_t>(out.size() - step.produced, UINT_MAX));
      const uInt inBefore = z_.avail_in;
      const uInt outBefore = z_.avail_out;
      const int rc = ::inflate(&z_, Z_NO_FLUSH);
      const size_t used = inBefore - z_.avail_in;
      const size_t made = outBefore - z_.avail_out;
      step.consumed += used;
      step.produced += made;
      total_ += used;
      if (rc == Z_STREAM_END) {
        betweenMembers_ = true;
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        const std::string why = z_.msg != nullptr ? z_.msg : "zlib error " + std::to_string(rc);
        return pending_.deliver(
            step, makeError(ErrorCode::DecoderFailed, "corrupt gzip data in member " +
                                                          std::to_string(members_) + ", found " +
                                                          at(total_) + " (zlib: " + why + ")"));
      } else if (used == 0 && made == 0) {
        break;  // needs more input (Z_BUF_ERROR: no progress was possible)
      }
    }
    return step;
  }

  Status finish() const override {
    if (const Error* error = pending_.get()) return *error;
    if (betweenMembers_) return Status::success();
    return makeError(ErrorCode::Truncated, "truncated gzip data: it ends inside member " +
                                               std::to_string(members_) + ", after " +
                                               std::to_string(total_) + " compressed bytes");
  }

 private:
  z_stream z_{};
  bool started_ = false;
  bool betweenMembers_ = false;  // the last member ended; none begun since
  uint64_t members_ = 1;         // the member being read (or the last one)
  uint64_t total_ = 0;           // compressed bytes consumed
  Pending pending_;
};

// zstd with libzstd's streaming decoder, which goes on from one frame to the
// next by itself. Its window limit stays the library default (2^27 bytes,
// ZSTD_WINDOWLOG_LIMIT_DEFAULT), which is what zstd -d accepts without
// --memory: a frame asking more is refused rather than allocated.
//
// ZSTD_decompressStream reports an error without advancing its buffers'
// positions, so whatever the failing call wrote is lost. Each call is
// therefore given only the input it asks for (its return value: the rest of
// the current block and the next block's header), so that a call decodes at
// most one block and the blocks before a damaged one are already out.
class ZstdDecompressor final : public Decompressor {
 public:
  ~ZstdDecompressor() override { ZSTD_freeDCtx(ctx_); }
  Status start() {
    ctx_ = ZSTD_createDCtx();
    if (ctx_ == nullptr) return makeError(ErrorCode::Io, "libzstd cannot start: out of memory");
    return Status::success();
  }

  Result<Step> inflate(std::span<const uint8_t> in, std::span<uint8_t> out) override {
    if (const Error* error = pending_.get()) return *error;
    ZSTD_outBuffer output{out.data(), out.size(), 0};
    size_t consumed = 0;
    while (output.pos < output.size && (consumed < in.size() || inFrame_)) {
      ZSTD_inBuffer input{in.data(), std::min(in.size(), consumed + want_), consumed};
      const size_t outBefore = output.pos;
      const size_t rc = ZSTD_decompressStream(ctx_, &output, &input);
      if (ZSTD_isError(rc)) {
        return pending_.deliver(Step{consumed, output.pos}, describe(rc, input.size - consumed));
      }
      const size_t used = input.pos - consumed;
      consumed = input.pos;
      total_ += used;
      const bool progressed = used > 0 || output.pos != outBefore;
      if (rc == 0) {  // a frame is complete and flushed
        inFrame_ = false;
        ++frames_;
        want_ = kFrameStart;
      } else {
        if (progressed) inFrame_ = true;
        want_ = rc;
      }
      if (!progressed) break;  // needs more input
    }
    return Step{consumed, output.pos};
  }

  Status finish() const override {
    if (const Error* error = pending_.get()) return *error;
    if (!inFrame_) return Status::success();
    return makeError(ErrorCode::Truncated, "truncated zstd data: it ends inside frame " +
                                               std::to_string(frames_ + 1) + ", after " +
                                               std::to_string(total_) + " compressed bytes");
  }

 private:
  // The bytes a frame's start is read in: magic and frame header descriptor
  // (ZSTD_FRAMEHEADERSIZE_PREFIX); the decoder then asks for the rest.
  static constexpr size_t kFrameStart = 5;

  // `given`: the input of the failing call, which does not say how far into
  // it the damage was: the message names the end, where it was found by.
  Error describe(size_t rc, size_t given) const {
    const std::string frame = "frame " + std::to_string(frames_ + 1);
    const std::string why = std::string(" (zstd: ") + ZSTD_getErrorName(rc) + ")";
    if (ZSTD_getErrorCode(rc) == ZSTD_error_frameParameter_windowTooLarge) {
      return makeError(ErrorCode::DecoderFailed, "zstd " + frame +
                                                     " needs a window over 128 MiB, more than "
                                                     "zstd -d allows without --memory" +
                                                     why);
    }
    return makeError(ErrorCode::DecoderFailed, "corrupt zstd data in " + frame +
                                                   ", found by compressed byte " +
                                                   std::to_string(total_ + given) + why);
  }

  ZSTD_DCtx* ctx_ = nullptr;
  size_t want_ = kFrameStart;  // input the decoder asked for
  bool inFrame_ = false;       // inside a frame, or holding output not flushed yet
  uint64_t frames_ = 0;        // frames complete
  uint64_t total_ = 0;         // compressed bytes consumed
  Pending pending_;
};

template <class Codec>
Result<std::unique_ptr<Decompressor>> started() {
  auto codec = std::make_unique<Codec>();
  if (Status s = codec->start(); !s) return s.error();
  return std::unique_ptr<Decompressor>(std::move(codec));
}

}  // namespace

std::optional<Compression> detectCompression(std::span<const uint8_t> head) {
  if (head.size() >= 2 && startsAs(head, kGzipMagic)) return Compression::Gzip;
  if (head.size() >= 4 && startsAs(head, kZstdMagic)) return Compression::Zstd;
  // startsAs is true of an empty head: nothing read yet cannot tell.
  if (head.size() < 4 && (startsAs(head, kGzipMagic) || startsAs(head, kZstdMagic))) {
    return std::nullopt;
  }
  return Compression::None;
}

const char* compressionName(Compression compression) {
  switch (compression) {
    case Compression::Gzip:
      return "gzip";
    case Compression::Zstd:
      return "zstd";
    case Compression::None:
      break;
  }
  return "none";
}

Result<std::unique_ptr<Decompressor>> makeDecompressor(Compression compression) {
  switch (compression) {
    case Compression::Gzip:
      return started<GzipDecompressor>();
    case Compression::Zstd:
      return started<ZstdDecompressor>();
    case Compression::None:
      break;
  }
  return makeError(ErrorCode::InvalidArgument, "no decompressor for uncompressed data");
}

}  // namespace ddump
