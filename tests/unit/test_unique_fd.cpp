#include <catch2/catch.hpp>

#include <fcntl.h>

#include "unique_fd.h"

using namespace ddump;

namespace {
bool isOpen(int fd) { return ::fcntl(fd, F_GETFD) != -1; }
}  // namespace

TEST_CASE("UniqueFd closes exactly once and moves ownership", "[fd]") {
  const int raw = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
  REQUIRE(raw >= 0);
  {
    UniqueFd a(raw);
    UniqueFd b(std::move(a));
    CHECK_FALSE(a.valid());
    CHECK(b.get() == raw);
    UniqueFd c;
    c = std::move(b);
    CHECK(c.get() == raw);
    CHECK(isOpen(raw));
  }
  CHECK_FALSE(isOpen(raw));  // closed when its last owner went away
  UniqueFd d(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  const int first = d.get();
  d.reset(::open("/dev/null", O_RDONLY | O_CLOEXEC));
  CHECK_FALSE(isOpen(first));  // reset closes the old descriptor
  CHECK(isOpen(d.get()));
  d.reset();
  CHECK_FALSE(d.valid());
}
