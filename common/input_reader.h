#pragma once
// Reads a capture input (a file, FIFO or stdin) that may be gzip- or
// zstd-compressed, told by its first bytes, never by its name, and hands out
// its bytes decompressed into the caller's buffers, so that what the decoder
// sees and what it keeps views of is plain pcap either way.
//
// Pure: the underlying input is a read function (the client passes read(2)
// on its descriptor), so it is tested with bytes alone. Memory: a plain input
// costs nothing; a compressed one an input buffer and the codec's state.
//
// The bytes before an error always come out first: a read that produced
// some and then met corrupt data or a read error returns them, and the next
// read returns the error (and every one after it).

#include <sys/types.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "decompressor.h"

namespace ddump {

class InputReader {
 public:
  // Reads up to `size` bytes into `into`: their count, 0 at the end, or -errno.
  using ReadFn = std::function<ssize_t(uint8_t* into, size_t size)>;

  // `fill`: a read decompresses until `out` is full or the input ends (a
  // regular file, whose reads never wait). Otherwise it returns as soon as
  // it has bytes and the input has none left to decompress, so a live pipe
  // is never held back waiting for its next write.
  InputReader(ReadFn read, bool fill, size_t inputBytes = kInputBytes);

  struct Got {
    size_t bytes = 0;    // put at the start of `out`; 0 with no error: the end
    int error = 0;       // errno of a failed read
    std::string damage;  // what was wrong with compressed data
    bool ok() const { return error == 0 && damage.empty(); }
  };
  Got read(std::span<uint8_t> out);

  // Known after the first read.
  Compression compression() const { return compression_; }

  static constexpr size_t kInputBytes = 64 * 1024;

 private:
  bool detect();
  Got readPlain(std::span<uint8_t> out);
  Got inflate(std::span<uint8_t> out);
  Got fail(size_t produced, int error, std::string damage);
  ssize_t readSome(uint8_t* into, size_t size);

  ReadFn read_;
  bool fill_;
  size_t inputBytes_;
  bool decided_ = false;
  Compression compression_ = Compression::None;
  std::unique_ptr<Decompressor> codec_;
  // Bytes read and not handed out yet: compressed input, or a plain input's
  // first bytes (read to tell what it is).
  std::vector<uint8_t> input_;
  size_t inputPos_ = 0;
  size_t inputEnd_ = 0;
  bool inputEnded_ = false;  // the underlying read returned 0
  Got failure_;              // the error every read returns once one happened
};

}  // namespace ddump
