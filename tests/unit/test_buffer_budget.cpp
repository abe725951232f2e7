// The worker's cap on kernel capture rings (common/buffer_budget.h): rings
// fit exactly up to the limit, a refusal holds nothing and is counted, a
// release gives back what was held, and sizes parse and print as -B and
// --max-buffer-total write them.
#include <catch2/catch.hpp>

#include "buffer_budget.h"

using namespace ddump;

TEST_CASE("rings fit up to the limit exactly; a refusal holds nothing", "[unit][buffer]") {
  constexpr uint64_t kMiB = 1024 * 1024;
  BufferBudget budget(64 * kMiB);
  CHECK(budget.tryReserve(32 * kMiB));  // the history's
  CHECK(budget.tryReserve(32 * kMiB));
  CHECK(budget.inUse() == 64 * kMiB);
  CHECK_FALSE(budget.tryReserve(32 * kMiB));
  CHECK_FALSE(budget.tryReserve(1));
  CHECK(budget.refused() == 2);
  CHECK(budget.inUse() == 64 * kMiB);
  CHECK(budget.tryReserve(0));  // a history reader holds no ring
  budget.release(32 * kMiB);
  CHECK(budget.inUse() == 32 * kMiB);
  CHECK(budget.tryReserve(32 * kMiB));
  CHECK_FALSE(budget.tryReserve(UINT64_MAX));
  budget.release(UINT64_MAX);  // never below zero
  CHECK(budget.inUse() == 0);
  CHECK(budget.limit() == 64 * kMiB);
  CHECK(budget.refused() == 3);
}

TEST_CASE("buffer sizes: KiB by default, k/m/g suffixes, bounded", "[unit][buffer]") {
  CHECK(*parseBufferSize("32768") == 32768ull * 1024);
  CHECK(*parseBufferSize("512k") == 512ull * 1024);
  CHECK(*parseBufferSize("256m") == 256ull * 1024 * 1024);
  CHECK(*parseBufferSize("2G") == 2ull * 1024 * 1024 * 1024);
  CHECK(*parseBufferSize("1024g") == 1024ull * 1024 * 1024 * 1024);
  for (const char* bad : {"", "0", "0m", "m", "12x", "12mb", "-1", "1.5m", " 1m", "1m "}) {
    auto r = parseBufferSize(bad);
    REQUIRE_FALSE(r);
    CHECK(r.error().message == "expected a size such as 256m (KiB, or k/m/g: KiB/MiB/GiB), got \"" +
                                   std::string(bad) + "\"");
  }
  auto big = parseBufferSize("1025g");
  REQUIRE_FALSE(big);
  CHECK(big.error().message == "size \"1025g\" is more than 1024g");
  CHECK_FALSE(parseBufferSize("99999999999999999999"));
}

TEST_CASE("sizes print exactly in the largest unit", "[unit][buffer]") {
  CHECK(byteSizeText(0) == "0 bytes");
  CHECK(byteSizeText(100) == "100 bytes");
  CHECK(byteSizeText(1536 * 1024) == "1536 KiB");
  CHECK(byteSizeText(32 * 1024 * 1024) == "32 MiB");
  CHECK(byteSizeText(3ull * 1024 * 1024 * 1024) == "3 GiB");
}
