#pragma once
// Decompression of gzip (RFC 1952, with zlib) and zstd (RFC 8878, with
// libzstd) streams, for capture files kept compressed (tcpdump -z gzip,
// ddump -z gzip, zstd). The bytes are untrusted: each call is bounded by the
// spans it is given, corrupt data is an Error naming what and where, and a
// stream that ends inside a gzip member or a zstd frame is reported as
// truncated by finish().
//
// Both formats may be concatenated, and decompress as the concatenation of
// their contents: RFC 1952 2.2 ("a gzip file consists of a series of
// members") as gzip -d reads `cat a.gz b.gz`, and RFC 8878 3 (a series of
// frames, skippable ones included) as zstd -d reads them.

#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "result.h"

namespace ddump {

enum class Compression { None, Gzip, Zstd };

// What a stream's first bytes say it is: gzip's 1f 8b (RFC 1952 2.3.1),
// zstd's 28 b5 2f fd (RFC 8878 3.1.1), or None. nullopt while `head` is a
// proper prefix of a magic and too short to tell.
std::optional<Compression> detectCompression(std::span<const uint8_t> head);
const char* compressionName(Compression compression);

class Decompressor {
 public:
  virtual ~Decompressor() = default;

  struct Step {
    size_t consumed = 0;  // of the input given
    size_t produced = 0;  // into the output given
  };
  // Decompresses from `in` into `out` as far as either goes. Fails on
  // corrupt data; the output produced before the damage is in `produced`
  // of the last successful call.
  virtual Result<Step> inflate(std::span<const uint8_t> in, std::span<uint8_t> out) = 0;
  // The compressed input has ended: fails if it ended inside a member or
  // frame, or before any.
  virtual Status finish() const = 0;
};

// For Gzip or Zstd; fails only when the library cannot allocate its state.
Result<std::unique_ptr<Decompressor>> makeDecompressor(Compression compression);

}  // namespace ddump
