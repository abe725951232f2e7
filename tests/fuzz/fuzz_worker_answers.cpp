// libFuzzer target: the client's readers of the worker's /interfaces and
// /stats JSON (common/worker_answers) over any body, as a worker, a proxy or
// whatever answers in its place may send (the client reads at most 1 MiB).
// Invariants:
//   * nothing throws (an exception here would end the client's prober or
//     exit thread) and a nesting depth costs no recursion (ASan's stack);
//   * the two readers agree on what is JSON: either both say "not JSON" or
//     neither does, and an /interfaces array is no /stats object;
//   * at most 65536 names, each printable ASCII, at most 64 bytes or 64
//     and "...", and reading them back from JSON gives the same map;
//   * kernel drops found for an id are found again in a /stats answer
//     holding only that capture.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "worker_answers.h"

namespace {

void check(bool condition) {
  if (!condition) __builtin_trap();
}

constexpr const char* kNotJson[] = {"/interfaces answer is not JSON", "/stats answer is not JSON"};

void checkNames(const std::map<uint32_t, std::string>& names) {
  check(names.size() <= ddump::kMaxWorkerInterfaces);
  nlohmann::json list = nlohmann::json::array();
  for (const auto& [index, name] : names) {
    check(std::all_of(name.begin(), name.end(), [](char c) { return c >= 0x20 && c < 0x7f; }));
    check(name.size() <= ddump::kMaxInterfaceNameBytes ||
          (name.size() == ddump::kMaxInterfaceNameBytes + 3 &&
           name.compare(ddump::kMaxInterfaceNameBytes, 3, "...") == 0));
    list.push_back({{"index", index}, {"name", name}});
  }
  const auto again = ddump::parseInterfaceNames(list.dump());
  check(again.ok() && *again == names);
}

void checkDrops(std::string_view body, const std::string& id) {
  const auto drops = ddump::parseKernelDrops(body, id);
  if (!drops) return;
  if (!*drops) return;
  const nlohmann::json alone = {{"captures", {{{"id", id}, {"kernel_drops", **drops}}}}};
  const auto again = ddump::parseKernelDrops(alone.dump(), id);
  check(again.ok() && *again == *drops);
}

void run(std::string_view body) {
  const auto names = ddump::parseInterfaceNames(body);
  const auto drops = ddump::parseKernelDrops(body, "1");
  const bool namesNotJson = !names && names.error().message == kNotJson[0];
  const bool dropsNotJson = !drops && drops.error().message == kNotJson[1];
  check(namesNotJson == dropsNotJson);
  if (names) {
    check(!drops && drops.error().message == "/stats answer has no \"captures\" array");
    checkNames(*names);
  } else if (!namesNotJson) {
    check(names.error().message == "/interfaces answer is not a JSON array");
  }
  for (const char* id : {"2", "-1", "abc"}) {
    checkDrops(body, id);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // An exact-size copy: ASan sees any read past the body.
  const std::string body(reinterpret_cast<const char*>(data), size);
  try {
    run(body);
  } catch (const std::exception&) {
    __builtin_trap();  // the readers promise not to throw
  }
  return 0;
}
