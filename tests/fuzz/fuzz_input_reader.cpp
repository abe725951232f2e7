// libFuzzer target: the reader of possibly compressed capture inputs (gzip,
// zstd, or plain, told by the first bytes) must survive any bytes arriving
// in any pieces: every read returns bytes, the end or one error, never more
// than the buffer it was given, and once it failed it stays failed. The last
// input byte picks the read size and whether reads fill the buffer (a file)
// or return early (a pipe).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "input_reader.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t knobs = data[size - 1];
  const size_t piece = size_t{knobs & 0x3fu} * 64 + 1;
  const bool fill = (knobs & 0x40u) != 0;
  std::span<const uint8_t> input(data, size - 1);
  ddump::InputReader reader(
      [&input, piece](uint8_t* into, size_t want) -> ssize_t {
        const size_t n = std::min({want, piece, input.size()});
        std::copy_n(input.begin(), n, into);
        input = input.subspan(n);
        return static_cast<ssize_t>(n);
      },
      fill, 4096);
  std::vector<uint8_t> out(16 * 1024);
  // Decompression is bounded by the output: stop after 64 MiB of it (a
  // small input can be a zip bomb; the reader's callers stop at their own
  // limits, a pcap record's caplen).
  size_t total = 0;
  for (int reads = 0; reads < 8192 && total < 64u * 1024 * 1024; ++reads) {
    const auto got = reader.read(out);
    check(got.bytes <= out.size());
    total += got.bytes;
    if (!got.ok()) {
      const auto again = reader.read(out);
      check(!again.ok() && again.bytes == 0);
      break;
    }
    if (got.bytes == 0) break;
  }
  return 0;
}
