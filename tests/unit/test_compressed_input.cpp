// Compressed capture files: detection by magic, InputReader over real gzip
// and zstd output (the committed fixtures in tests/data/compressed, made by
// make_compressed.sh with the gzip and zstd tools, and larger streams the
// tools compress at test time), and ReadAhead decompressing into its chunks.

#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "input_reader.h"
#include "read_ahead.h"
#include "test_support.h"
#include "unique_fd.h"

using namespace ddump;
using namespace ddump::test;

namespace {

std::vector<uint8_t> compressed(const std::string& name) {
  auto bytes = readFile(dataPath("compressed/" + name));
  REQUIRE_FALSE(bytes.empty());
  return bytes;
}

const std::vector<uint8_t>& original() {
  static const std::vector<uint8_t> bytes = readFile(dataPath("sll_le_usec.pcap"));
  return bytes;
}

// An input that hands out `bytes` at most `piece` at a time, counting reads.
struct Source {
  std::vector<uint8_t> bytes;
  size_t piece = SIZE_MAX;
  size_t at = 0;
  size_t reads = 0;
  int failAt = -1;  // the read that returns -EIO instead (0-based), or none
  InputReader::ReadFn fn() {
    return [this](uint8_t* into, size_t size) -> ssize_t {
      if (static_cast<int>(reads++) == failAt) return -EIO;
      const size_t n = std::min({size, piece, bytes.size() - at});
      std::copy_n(bytes.begin() + static_cast<ptrdiff_t>(at), n, into);
      at += n;
      return static_cast<ssize_t>(n);
    };
  }
};

struct Drained {
  std::vector<uint8_t> bytes;
  InputReader::Got last;  // the read that ended it
};

// Reads until the end or an error, `out` bytes at a time.
Drained drain(InputReader& reader, size_t out) {
  Drained d;
  std::vector<uint8_t> buffer(out);
  for (int guard = 0; guard < 1'000'000; ++guard) {
    d.last = reader.read(buffer);
    if (d.last.bytes == 0) return d;
    REQUIRE(d.last.bytes <= out);
    d.bytes.insert(d.bytes.end(), buffer.begin(),
                   buffer.begin() + static_cast<ptrdiff_t>(d.last.bytes));
  }
  FAIL("reader never ended");
  return d;
}

Drained readAll(const std::vector<uint8_t>& bytes, bool fill, size_t piece, size_t out) {
  Source source{bytes, piece};
  InputReader reader(source.fn(), fill);
  return drain(reader, out);
}

size_t commonPrefix(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  return static_cast<size_t>(
      std::mismatch(a.begin(), a.begin() + static_cast<ptrdiff_t>(std::min(a.size(), b.size())),
                    b.begin())
          .first -
      a.begin());
}

struct TempDir {
  std::string path;
  TempDir() {
    char name[] = "/tmp/ddump-compressed-XXXXXX";
    REQUIRE(::mkdtemp(name) != nullptr);
    path = name;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path, ignored);
  }
  std::string write(const std::string& name, const std::vector<uint8_t>& bytes) const {
    const std::string file = path + "/" + name;
    std::FILE* f = std::fopen(file.c_str(), "wb");
    REQUIRE(f != nullptr);
    REQUIRE(std::fwrite(bytes.data(), 1, bytes.size(), f) == bytes.size());
    std::fclose(f);
    return file;
  }
};

// A few MiB of pcap compressed by the real tool (`gzip -c -1` or
// `zstd -q -1 -c`): many zstd blocks, many read-ahead chunks.
std::vector<uint8_t> compressWithTool(const TempDir& dir, const std::vector<uint8_t>& plain,
                                      const std::string& tool) {
  const std::string in = dir.write("plain.pcap", plain);
  const std::string out = in + "." + tool;
  const std::string command = tool == "gzip" ? "gzip -c -1 '" + in + "' >'" + out + "'"
                                             : "zstd -q -1 -c '" + in + "' >'" + out + "'";
  REQUIRE(std::system(command.c_str()) == 0);
  return readFile(out);
}

const std::vector<uint8_t>& bigPcap() {
  static const std::vector<uint8_t> bytes = makeStream(ByteOrder::Little, Precision::Micro, 120000);
  return bytes;
}

}  // namespace

TEST_CASE("compression is told by the first bytes alone", "[compressed]") {
  using B = std::vector<uint8_t>;
  CHECK(detectCompression(B{0x1f, 0x8b}) == Compression::Gzip);
  CHECK(detectCompression(B{0x1f, 0x8b, 0x08, 0x00}) == Compression::Gzip);
  CHECK(detectCompression(B{0x28, 0xb5, 0x2f, 0xfd}) == Compression::Zstd);
  CHECK(detectCompression(B{0xd4, 0xc3, 0xb2, 0xa1}) == Compression::None);  // pcap
  CHECK(detectCompression(B{0x0a, 0x0d, 0x0d, 0x0a}) == Compression::None);  // pcapng
  CHECK(detectCompression(B{0x1f, 0x00}) == Compression::None);
  CHECK(detectCompression(B{0x28, 0xb5, 0x2f, 0x00}) == Compression::None);
  // A proper prefix of a magic cannot tell yet.
  CHECK_FALSE(detectCompression(B{}).has_value());
  CHECK_FALSE(detectCompression(B{0x1f}).has_value());
  CHECK_FALSE(detectCompression(B{0x28, 0xb5, 0x2f}).has_value());
}

TEST_CASE("InputReader gives gzip and zstd files back as the original bytes", "[compressed]") {
  const struct {
    const char* file;
    Compression compression;
  } cases[] = {
      {"sll_le_usec.pcap.gz", Compression::Gzip}, {"sll_le_usec.pcap.zst", Compression::Zstd},
      {"members.pcap.gz", Compression::Gzip},     {"empty_member.pcap.gz", Compression::Gzip},
      {"frames.pcap.zst", Compression::Zstd},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    for (bool fill : {true, false}) {
      for (size_t piece : {size_t{1}, size_t{3}, size_t{7}, size_t{4096}, SIZE_MAX}) {
        for (size_t out : {size_t{1}, size_t{100}, size_t{65536}}) {
          INFO("fill " << fill << " piece " << piece << " out " << out);
          Source source{compressed(c.file), piece};
          InputReader reader(source.fn(), fill);
          const auto d = drain(reader, out);
          CHECK(d.last.ok());
          CHECK(reader.compression() == c.compression);
          CHECK(d.bytes == original());
        }
      }
    }
  }
}

TEST_CASE("InputReader passes a plain file through, a regular file's reads filling",
          "[compressed]") {
  for (size_t piece : {size_t{1}, size_t{2}, size_t{5}, SIZE_MAX}) {
    const auto d = readAll(original(), false, piece, 4096);
    CHECK(d.last.ok());
    CHECK(d.bytes == original());
  }
  Source source{original(), 1000};
  InputReader reader(source.fn(), true);
  std::vector<uint8_t> out(1500);
  // fill: the first read tops the 1000 bytes it read to tell up to 1500.
  CHECK(reader.read(out).bytes == 1500);
  CHECK(reader.compression() == Compression::None);
  CHECK(reader.read(out).bytes == 533);
  CHECK(reader.read(out).bytes == 0);
  // An empty input is the end at once.
  const auto empty = readAll({}, true, SIZE_MAX, 100);
  CHECK(empty.last.ok());
  CHECK(empty.bytes.empty());
}

TEST_CASE("a pipe's decompressed bytes are handed out without waiting for more input",
          "[compressed]") {
  // Two pieces: all of the gzip data but its last 10 bytes, then those.
  const auto gz = compressed("sll_le_usec.pcap.gz");
  const size_t first = gz.size() - 10;
  for (bool fill : {false, true}) {
    Source source{gz, first};
    InputReader reader(source.fn(), fill);
    std::vector<uint8_t> out(1 << 20);
    const auto got = reader.read(out);
    REQUIRE(got.ok());
    if (!fill) {
      // What the first piece decompresses to, with no second read.
      CHECK(source.reads == 1);
      CHECK(got.bytes > 0);
      CHECK(got.bytes < original().size());
    } else {
      CHECK(source.reads == 3);  // both pieces and the end
      CHECK(got.bytes == original().size());
    }
  }
}

TEST_CASE("damaged compressed files: the bytes before, then one clear error", "[compressed]") {
  // bytesBefore: what zlib/libzstd decode before they see the damage (python's
  // zlib gives the same counts); intact: how many of those are the original's
  // (a flipped bit decodes to wrong bytes until the decoder notices).
  const struct {
    const char* file;
    size_t bytesBefore;
    size_t intact;
    const char* damage;
  } cases[] = {
      {"truncated.pcap.gz", 780, 780,
       "truncated gzip data: it ends inside member 1, after 300 compressed bytes"},
      // zstd decodes whole blocks: this file is one.
      {"truncated.pcap.zst", 0, 0,
       "truncated zstd data: it ends inside frame 1, after 300 compressed bytes"},
      {"corrupt.pcap.gz", 320, 315,
       "corrupt gzip data in member 1, found at compressed byte 207 (zlib: invalid distance code)"},
      // The block decodes (wrongly from byte 779); the frame's checksum then
      // says so, as zstd -d says it after writing the same bytes.
      {"corrupt.pcap.zst", 2033, 779,
       "corrupt zstd data in frame 1, found by compressed byte 475 (zstd: Restored data doesn't "
       "match checksum)"},
      {"trailing.pcap.gz", 2033, 2033,
       "corrupt gzip data: the bytes after member 1, at compressed byte 506, are not a gzip "
       "member"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    for (bool fill : {true, false}) {
      for (size_t piece : {size_t{1}, size_t{64}, SIZE_MAX}) {
        INFO("fill " << fill << " piece " << piece);
        Source source{compressed(c.file), piece};
        InputReader reader(source.fn(), fill);
        const auto d = drain(reader, 65536);
        CHECK(d.last.damage == c.damage);
        CHECK(d.last.error == 0);
        CHECK(d.bytes.size() == c.bytesBefore);
        CHECK(commonPrefix(d.bytes, original()) == c.intact);
        // The error stays.
        std::vector<uint8_t> more(100);
        CHECK(reader.read(more).damage == c.damage);
      }
    }
  }
}

TEST_CASE("a read error comes after the bytes read before it, and stays", "[compressed]") {
  for (const char* file : {"sll_le_usec.pcap.gz", "sll_le_usec.pcap.zst"}) {
    INFO(file);
    Source source{compressed(file), 200};
    source.failAt = 2;  // the third read
    InputReader reader(source.fn(), false);
    const auto d = drain(reader, 65536);
    CHECK(d.last.error == EIO);
    CHECK(d.last.damage.empty());
    CHECK(commonPrefix(d.bytes, original()) == d.bytes.size());
    std::vector<uint8_t> more(100);
    CHECK(reader.read(more).error == EIO);
  }
  Source plain{original(), 100};
  plain.failAt = 1;
  InputReader reader(plain.fn(), true);
  std::vector<uint8_t> out(4096);
  CHECK(reader.read(out).bytes == 100);  // the error comes with the next read
  CHECK(reader.read(out).error == EIO);
}

TEST_CASE("large gzip and zstd streams from the tools, damage half-way through", "[compressed]") {
  TempDir dir;
  const auto& plain = bigPcap();
  REQUIRE(plain.size() > 4'000'000);
  for (const std::string tool : {"gzip", "zstd"}) {
    INFO(tool);
    const auto bytes = compressWithTool(dir, plain, tool);
    for (size_t piece : {size_t{4096}, size_t{1} << 20}) {
      const auto d = readAll(bytes, true, piece, 196608);
      CHECK(d.last.ok());
      CHECK(d.bytes == plain);
    }
    // 64 bytes inverted half-way: everything well before is out, then the
    // error (zstd: one 128 KiB block at most is lost with the damaged one).
    auto damaged = bytes;
    for (size_t i = 0; i < 64; ++i) damaged[damaged.size() / 2 + i] ^= 0xff;
    const auto d = readAll(damaged, true, SIZE_MAX, 196608);
    CHECK_FALSE(d.last.ok());
    CHECK_THAT(d.last.damage, Catch::Matchers::StartsWith("corrupt " + tool + " data in "));
    CHECK(commonPrefix(d.bytes, plain) > plain.size() / 2 - 140'000);
  }
}

TEST_CASE("ReadAhead decompresses into its chunks", "[compressed][read_ahead]") {
  TempDir dir;
  const auto& plain = bigPcap();
  for (const std::string tool : {"gzip", "zstd"}) {
    INFO(tool);
    const std::string path = dir.write("big." + tool, compressWithTool(dir, plain, tool));
    const std::string small =
        dir.write("truncated." + tool,
                  compressed(tool == "gzip" ? "truncated.pcap.gz" : "truncated.pcap.zst"));
    UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
    UniqueFd damagedFd(::open(small.c_str(), O_RDONLY | O_CLOEXEC));
    ReadAhead ahead(2);
    const size_t id = ahead.addFile(fd.get());
    const size_t damagedId = ahead.addFile(damagedFd.get());
    std::vector<uint8_t> all;
    size_t chunks = 0;
    while (true) {
      const ReadAhead::Chunk chunk = ahead.next(id);
      REQUIRE(chunk.error == 0);
      REQUIRE(chunk.damage.empty());
      if (chunk.bytes.empty()) break;
      ++chunks;
      CHECK(chunk.bytes.size() <= ahead.bufferBytes());
      all.insert(all.end(), chunk.bytes.begin(), chunk.bytes.end());
    }
    CHECK(all == plain);
    CHECK(chunks >= plain.size() / ahead.bufferBytes());
    // The damaged file: its bytes (gzip), then the damage.
    ReadAhead::Chunk chunk = ahead.next(damagedId);
    if (tool == "gzip") {
      CHECK(chunk.bytes.size() == 780);
      chunk = ahead.next(damagedId);
    }
    CHECK(chunk.bytes.empty());
    CHECK(chunk.damage == "truncated " + tool + " data: it ends inside " +
                              (tool == "gzip" ? "member" : "frame") +
                              " 1, after 300 compressed bytes");
    ahead.closeFile(id);
    ahead.closeFile(damagedId);
  }
}
