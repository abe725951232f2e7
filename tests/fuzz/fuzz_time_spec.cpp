// libFuzzer target: the since/until texts a worker takes from a query string
// (and the client from its command line). Any bytes: an error or a value,
// never a crash, an overflow (UBSan) or a read past the text; and every time
// that parses formats back to RFC 3339 text that parses to the same instant.

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "time_spec.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size copy: ASan sees any read past the view.
  const std::string text(reinterpret_cast<const char*>(data), size);
  const std::string_view view(text);
  constexpr int64_t kNow = 1'796'000'000'000'000'000;
  for (const auto& result : {ddump::parseRfc3339(view), ddump::parseQueryTime(view, kNow, "since"),
                             ddump::parseWhen(view, kNow, "--since")}) {
    if (!result) {
      check(!result.error().message.empty());
      continue;
    }
    const std::string formatted = ddump::formatRfc3339(*result, 9);
    const auto again = ddump::parseRfc3339(formatted);
    // Instants before the epoch (an offset or a relative form) format but
    // are outside what parseRfc3339 accepts; every other one round-trips.
    if (*result >= 0) check(again && *again == *result);
  }
  if (const auto d = ddump::parseDuration(view)) check(*d >= 0);
  return 0;
}
