// The client's readers of the worker's /interfaces and /stats answers
// (common/worker_answers): real answers, wrong types, numbers past their
// range, missing fields, bodies that are not JSON, and bounds.
#include <catch2/catch.hpp>

#include <cstdint>
#include <map>
#include <string>

#include "worker_answers.h"

using namespace ddump;

namespace {

// GET /interfaces of a ddump-worker on a bookworm VM, as it answered.
const std::string kInterfaces =
    R"([{"addresses":[{"address":"192.0.2.2","family":"ipv4","netmask":"255.255.255.0"},)"
    R"({"address":"fe80::fc:ff:fe00:1","family":"ipv6","netmask":"ffff:ffff:ffff:ffff::"}],)"
    R"("description":"","index":4,"loopback":false,"name":"eth0","running":true,"up":true},)"
    R"({"addresses":[],"description":"Pseudo-device that captures on all interfaces","index":0,)"
    R"("loopback":false,"name":"any","running":true,"up":true},)"
    R"({"addresses":[{"address":"127.0.0.1","family":"ipv4","netmask":"255.0.0.0"}],)"
    R"("description":"","index":1,"loopback":true,"name":"lo","running":true,"up":true},)"
    R"({"addresses":[],"description":"","index":2,"loopback":false,"name":"ifb0","running":false,"up":false},)"
    R"({"addresses":[],"description":"Linux netfilter log (NFLOG) interface","index":0,)"
    R"("loopback":false,"name":"nflog","running":false,"up":false},)"
    R"({"addresses":[],"description":"D-Bus session bus","index":0,"loopback":false,)"
    R"("name":"dbus-session","running":false,"up":false}])";

// GET /stats of the same worker with one capture running.
const std::string kStats = R"({
  "captures": [
    {
      "bytes": 256,
      "filter": "icmp",
      "id": 2,
      "interface": "any",
      "kernel_drops": 17,
      "linktype": "LINUX_SLL",
      "packets": 2,
      "peer": "127.0.0.1:48808",
      "start_time_ns": 1796157099711514053
    }
  ],
  "captures_active": 1,
  "captures_finished": 1,
  "captures_of_others": 0,
  "captures_rejected": 0,
  "max_captures": 16,
  "uptime_seconds": 9.231182125
}
)";

std::map<uint32_t, std::string> namesOf(const std::string& body) {
  auto names = parseInterfaceNames(body);
  INFO(body.substr(0, 200));
  REQUIRE(names.ok());
  return *names;
}

std::optional<uint64_t> dropsOf(const std::string& body, const std::string& id) {
  auto drops = parseKernelDrops(body, id);
  INFO(body.substr(0, 200));
  REQUIRE(drops.ok());
  return *drops;
}

std::string statsWith(const std::string& capture) {
  return R"({"captures": [)" + capture + R"(], "captures_of_others": 0})";
}

}  // namespace

TEST_CASE("a worker's /interfaces answer gives index -> name, the first of an index",
          "[worker_answers]") {
  const std::map<uint32_t, std::string> expected = {
      {0, "any"}, {1, "lo"}, {2, "ifb0"}, {4, "eth0"}};
  CHECK(namesOf(kInterfaces) == expected);
  CHECK(namesOf("[]").empty());
}

TEST_CASE("/interfaces entries of the wrong types are skipped", "[worker_answers]") {
  const std::string body = R"([{"name": "ok", "index": 7},
    {"name": "str", "index": "8"}, {"name": "neg", "index": -1},
    {"name": "float", "index": 9.0}, {"name": "bool", "index": true},
    {"name": "null", "index": null}, {"name": 10, "index": 10},
    {"name": ["x"], "index": 11}, {"index": 12}, {"name": "noindex"},
    3, "eth0", null, [{"name": "nested", "index": 13}]])";
  const std::map<uint32_t, std::string> expected = {{7, "ok"}};
  CHECK(namesOf(body) == expected);
}

TEST_CASE("/interfaces indexes past 32 bits are skipped, not truncated", "[worker_answers]") {
  const std::string body = R"([{"name": "max", "index": 4294967295},
    {"name": "wraps-to-0", "index": 4294967296},
    {"name": "wraps-to-5", "index": 4294967301},
    {"name": "huge", "index": 18446744073709551615},
    {"name": "float", "index": 18446744073709551616}])";
  const std::map<uint32_t, std::string> expected = {{4294967295u, "max"}};
  CHECK(namesOf(body) == expected);
}

TEST_CASE("/interfaces names are printable ASCII and bounded", "[worker_answers]") {
  const std::string body = R"([{"name": "a\u0000b\nc\u001b[31m", "index": 1},
    {"name": "ethé", "index": 2}, {"name": ")" +
                           std::string(100, 'x') + R"(", "index": 3},
    {"name": ")" + std::string(64, 'y') +
                           R"(", "index": 4}])";
  const auto names = namesOf(body);
  REQUIRE(names.size() == 4);
  CHECK(names.at(1) == "a b c [31m");
  CHECK(names.at(2) == "eth  ");  // U+00E9 is two bytes
  CHECK(names.at(3) == std::string(64, 'x') + "...");
  CHECK(names.at(4) == std::string(64, 'y'));
}

TEST_CASE("/interfaces reads at most 65536 entries", "[worker_answers]") {
  std::string body = "[";
  for (uint32_t i = 0; i < kMaxWorkerInterfaces + 2; ++i) {
    body += (i ? ",{\"name\":\"i\",\"index\":" : "{\"name\":\"i\",\"index\":") + std::to_string(i) +
            "}";
  }
  body += "]";
  const auto names = namesOf(body);
  CHECK(names.size() == 65536);
  CHECK(names.rbegin()->first == 65535u);
}

TEST_CASE("/interfaces answers that are not a JSON array are errors", "[worker_answers]") {
  for (const std::string body : {"", "not json", "[", R"([{"name": "eth0", "index": 1})", "\xff",
                                 "<html>502 Bad Gateway</html>"}) {
    auto names = parseInterfaceNames(body);
    INFO(body);
    REQUIRE_FALSE(names.ok());
    CHECK(names.error().message == "/interfaces answer is not JSON");
  }
  for (const std::string body :
       {"{}", R"({"name": "eth0", "index": 1})", "1", "\"eth0\"", "null"}) {
    auto names = parseInterfaceNames(body);
    INFO(body);
    REQUIRE_FALSE(names.ok());
    CHECK(names.error().message == "/interfaces answer is not a JSON array");
  }
}

TEST_CASE("a worker's /stats answer gives a capture's kernel drops", "[worker_answers]") {
  CHECK(dropsOf(kStats, "2") == std::optional<uint64_t>(17));
  CHECK(dropsOf(kStats, "1") == std::nullopt);
  CHECK(dropsOf(kStats, "") == std::nullopt);
  CHECK(dropsOf(statsWith(""), "2") == std::nullopt);
  // An id in a string, as the header carries it; a negative one too.
  CHECK(dropsOf(statsWith(R"({"id": "abc", "kernel_drops": 3})"), "abc") ==
        std::optional<uint64_t>(3));
  CHECK(dropsOf(statsWith(R"({"id": -4, "kernel_drops": 3})"), "-4") == std::optional<uint64_t>(3));
  // Listed twice: the last one.
  CHECK(dropsOf(statsWith(R"({"id": 5, "kernel_drops": 1}, {"id": 5, "kernel_drops": 2})"), "5") ==
        std::optional<uint64_t>(2));
}

TEST_CASE("/stats kernel_drops of the wrong type or range are not known", "[worker_answers]") {
  CHECK(dropsOf(statsWith(R"({"id": 2, "kernel_drops": 18446744073709551615})"), "2") ==
        std::optional<uint64_t>(UINT64_MAX));
  for (const std::string drops :
       {"18446744073709551616", "-1", "1.5", "2.0", "\"12\"", "null", "true", "[1]", "{}"}) {
    INFO(drops);
    CHECK(dropsOf(statsWith(R"({"id": 2, "kernel_drops": )" + drops + "}"), "2") == std::nullopt);
  }
  // Ids with no header form never match.
  for (const std::string id : {"2.0", "[2]", "{\"n\": 2}", "true", "null"}) {
    INFO(id);
    CHECK(dropsOf(statsWith(R"({"id": )" + id + R"(, "kernel_drops": 1})"), "2") == std::nullopt);
    CHECK(dropsOf(statsWith(R"({"id": )" + id + R"(, "kernel_drops": 1})"), id) == std::nullopt);
  }
  // Missing fields, entries that are not objects.
  CHECK(dropsOf(statsWith(R"({"kernel_drops": 1}, {"id": 2}, 2, "2", null, [2, 1])"), "2") ==
        std::nullopt);
}

TEST_CASE("/stats with a deeply nested id is read without recursion", "[worker_answers]") {
  // 200 KB, well within the 1 MiB the client reads of an answer: printing
  // such an id recursively overflowed the stack.
  const std::string nested = std::string(100000, '[') + std::string(100000, ']');
  CHECK(dropsOf(statsWith(R"({"id": )" + nested + R"(, "kernel_drops": 1})"), "2") == std::nullopt);
  CHECK(dropsOf(statsWith(R"({"id": 2, "kernel_drops": 9, "x": )" + nested + "}"), "2") ==
        std::optional<uint64_t>(9));
  CHECK(namesOf("[" + nested + R"(, {"name": "lo", "index": 1}])").at(1) == "lo");
}

TEST_CASE("/stats answers without a captures array are errors", "[worker_answers]") {
  for (const std::string body : {"", "{", "captures", "\xff\xfe"}) {
    auto drops = parseKernelDrops(body, "1");
    INFO(body);
    REQUIRE_FALSE(drops.ok());
    CHECK(drops.error().message == "/stats answer is not JSON");
  }
  for (const std::string body : {"{}", "[]", R"({"captures": {}})", R"({"captures": null})",
                                 R"({"Captures": []})", R"([{"id": 1, "kernel_drops": 1}])"}) {
    auto drops = parseKernelDrops(body, "1");
    INFO(body);
    REQUIRE_FALSE(drops.ok());
    CHECK(drops.error().message == "/stats answer has no \"captures\" array");
  }
}
