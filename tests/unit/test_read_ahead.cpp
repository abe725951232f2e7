#include <catch2/catch.hpp>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <vector>

#include "read_ahead.h"
#include "unique_fd.h"

using namespace ddump;

namespace {

// A temporary file holding `size` bytes of a pattern that differs per file
// and never repeats at a chunk boundary (a misordered chunk shows).
struct TempFile {
  std::string path;
  std::vector<uint8_t> content;
  TempFile(size_t size, uint8_t seed) {
    char name[] = "/tmp/ddump-read-ahead-XXXXXX";
    const int fd = ::mkstemp(name);
    REQUIRE(fd >= 0);
    path = name;
    content.resize(size);
    uint32_t x = 2463534242u + seed;
    for (auto& b : content) {
      x ^= x << 13;
      x ^= x >> 17;
      x ^= x << 5;
      b = static_cast<uint8_t>(x);
    }
    REQUIRE(::write(fd, content.data(), size) == static_cast<ssize_t>(size));
    ::close(fd);
  }
  ~TempFile() { std::remove(path.c_str()); }
  UniqueFd open() const { return UniqueFd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)); }
};

// Takes chunks until the end; each must be non-empty until then.
std::vector<uint8_t> readAll(ReadAhead& ahead, size_t id) {
  std::vector<uint8_t> all;
  while (true) {
    const ReadAhead::Chunk chunk = ahead.next(id);
    REQUIRE(chunk.error == 0);
    if (chunk.bytes.empty()) return all;
    CHECK(chunk.bytes.size() <= ahead.bufferBytes());
    all.insert(all.end(), chunk.bytes.begin(), chunk.bytes.end());
  }
}

}  // namespace

TEST_CASE("ReadAhead hands out a file's bytes in order, then the end for good", "[read_ahead]") {
  // Sizes around the buffer size: empty, one byte short, exact, one over, many.
  for (const size_t size :
       {size_t{0}, size_t{1}, ReadAhead::kMaxBufferBytes - 1, ReadAhead::kMaxBufferBytes,
        ReadAhead::kMaxBufferBytes + 1, size_t{5'000'003}}) {
    CAPTURE(size);
    TempFile file(size, 1);
    UniqueFd fd = file.open();
    ReadAhead ahead(1);
    CHECK(ahead.bufferBytes() == ReadAhead::kMaxBufferBytes);
    const size_t id = ahead.addFile(fd.get());
    CHECK(readAll(ahead, id) == file.content);
    for (int i = 0; i < 5; ++i) {  // asked again after the end: still the end, never a hang
      const ReadAhead::Chunk chunk = ahead.next(id);
      CHECK(chunk.bytes.empty());
      CHECK(chunk.error == 0);
    }
    ahead.closeFile(id);
  }
}

TEST_CASE("ReadAhead keeps files apart when they are taken in any order", "[read_ahead]") {
  std::vector<std::unique_ptr<TempFile>> files;
  std::vector<UniqueFd> fds;
  ReadAhead ahead(2);  // one file more than announced still gets its buffers
  std::vector<size_t> ids;
  for (uint8_t k = 0; k < 3; ++k) {
    files.push_back(std::make_unique<TempFile>(700'000 + 99'991 * k, k));
    fds.push_back(files.back()->open());
    ids.push_back(ahead.addFile(fds.back().get()));
  }
  std::vector<std::vector<uint8_t>> got(3);
  std::vector<bool> ended(3, false);
  // An uneven schedule, like a merge's: file 0 twice as often as the others.
  const size_t schedule[] = {0, 1, 0, 2, 0, 0, 1, 2, 2};
  for (size_t step = 0; !(ended[0] && ended[1] && ended[2]); ++step) {
    const size_t k = schedule[step % std::size(schedule)];
    if (ended[k]) continue;
    const ReadAhead::Chunk chunk = ahead.next(ids[k]);
    REQUIRE(chunk.error == 0);
    ended[k] = chunk.bytes.empty();
    got[k].insert(got[k].end(), chunk.bytes.begin(), chunk.bytes.end());
  }
  for (size_t k = 0; k < 3; ++k) CHECK(got[k] == files[k]->content);
}

TEST_CASE("ReadAhead stays within its memory budget for many files", "[read_ahead]") {
  ReadAhead many(1000);
  CHECK(many.bufferBytes() * 1000 * ReadAhead::kBuffersPerFile <= ReadAhead::kMemoryBudget);
  CHECK(many.bufferBytes() > ReadAhead::kMinBufferBytes);
  ReadAhead huge(1'000'000);  // the floor wins over the budget: still usable
  CHECK(huge.bufferBytes() == ReadAhead::kMinBufferBytes);
}

TEST_CASE("ReadAhead reports a read error with its errno", "[read_ahead]") {
  UniqueFd dir(::open("/tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  REQUIRE(dir.valid());
  ReadAhead ahead(1);
  const size_t id = ahead.addFile(dir.get());
  const ReadAhead::Chunk chunk = ahead.next(id);
  CHECK(chunk.bytes.empty());
  CHECK(chunk.error == EISDIR);
  ahead.closeFile(id);
}

TEST_CASE("ReadAhead closes a file in the middle, and stops with reads still queued",
          "[read_ahead]") {
  TempFile file(3'000'000, 7);
  UniqueFd a = file.open();
  UniqueFd b = file.open();
  ReadAhead ahead(2);
  const size_t first = ahead.addFile(a.get());
  const size_t second = ahead.addFile(b.get());
  const ReadAhead::Chunk chunk = ahead.next(first);
  REQUIRE(chunk.bytes.size() == ahead.bufferBytes());
  CHECK(std::equal(chunk.bytes.begin(), chunk.bytes.end(), file.content.begin()));
  ahead.closeFile(first);
  CHECK(ahead.next(first).bytes.empty());  // closed: the end, not a wait
  a.reset();
  // `second` still has reads queued or running: the destructor must not hang.
  (void)second;
}
