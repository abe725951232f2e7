#include <catch2/catch.hpp>

#include "capture_request.h"

using namespace ddump;

TEST_CASE("capture parameters parse with tcpdump's defaults", "[capture_request]") {
  auto r = parseCaptureRequest({});
  REQUIRE(r.ok());
  CHECK(r->filter.empty());
  CHECK(r->interface == "any");
  CHECK(requestedLinkType(*r) == kLinkTypeLinuxSll);
  CHECK(r->precision == Precision::Micro);
  CHECK_FALSE(r->count);
  CHECK_FALSE(r->durationSeconds);

  auto full = parseCaptureRequest({{"filter", "icmp or udp port 53"},
                                   {"interface", "eth0"},
                                   {"linktype", "sll2"},
                                   {"snaplen", "128"},
                                   {"count", "10"},
                                   {"duration", "2.5"},
                                   {"precision", "nano"},
                                   {"direction", "out"}});
  REQUIRE(full.ok());
  CHECK(full->filter == "icmp or udp port 53");
  CHECK(full->interface == "eth0");
  CHECK(requestedLinkType(*full) == kLinkTypeLinuxSll2);
  CHECK(*full->snaplen == 128u);
  CHECK(*full->count == 10u);
  CHECK(*full->durationSeconds == 2.5);
  CHECK(full->precision == Precision::Nano);
  CHECK(full->direction == Direction::Out);
}

TEST_CASE("a named interface keeps its own link type unless asked", "[capture_request]") {
  CHECK(requestedLinkType(*parseCaptureRequest({{"interface", "eth0"}})) == 0u);
  CHECK(requestedLinkType(*parseCaptureRequest({{"interface", "eth0"}, {"linktype", "sll"}})) ==
        kLinkTypeLinuxSll);
  CHECK(requestedLinkType(*parseCaptureRequest({{"linktype", "native"}})) == 0u);
}

TEST_CASE("bad capture parameters are refused with their name", "[capture_request]") {
  auto message = [](QueryParams params) {
    auto r = parseCaptureRequest(params);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::InvalidArgument);
    return r.error().message;
  };
  CHECK(message({{"bogus", "1"}}).rfind("unknown parameter \"bogus\"", 0) == 0);
  CHECK(message({{"count", "-5"}}) == "count must be a non-negative integer, got \"-5\"");
  CHECK(message({{"count", "ten"}}) == "count must be a non-negative integer, got \"ten\"");
  CHECK(message({{"count", "0"}}) == "count must be between 1 and 18446744073709551615, got 0");
  CHECK(message({{"duration", "-1"}}) ==
        "duration must be a non-negative number of seconds, got \"-1\"");
  CHECK(message({{"duration", "0"}}) == "duration must be more than 0 seconds (omit it for no limit)");
  CHECK(message({{"duration", "0.0"}}) == "duration must be more than 0 seconds (omit it for no limit)");
  CHECK(message({{"duration", "nan"}}) ==
        "duration must be a non-negative number of seconds, got \"nan\"");
  CHECK(message({{"snaplen", "0"}}) == "snaplen must be between 1 and 262144, got 0");
  CHECK(message({{"snaplen", "300000"}}) == "snaplen must be between 1 and 262144, got 300000");
  CHECK(message({{"linktype", "ether"}}) == "linktype must be sll, sll2 or native, got \"ether\"");
  CHECK(message({{"precision", "pico"}}) == "precision must be micro or nano, got \"pico\"");
  CHECK(message({{"direction", "up"}}) == "direction must be in, out or inout, got \"up\"");
  CHECK(message({{"interface", "../etc"}}) == "invalid interface name \"../etc\"");
  CHECK(message({{"filter", std::string(4097, 'x')}}) ==
        "filter is 4097 bytes, longer than the 4096-byte limit");
  CHECK(message({{"filter", "icmp"}, {"filter", "udp"}}) == "parameter \"filter\" given twice");
  CHECK(parseCaptureRequest({{"filter", std::string(4096, ' ')}}).ok());
}

TEST_CASE("refusals show at most 64 printable bytes of what was sent", "[capture_request]") {
  auto message = [](QueryParams params) {
    auto r = parseCaptureRequest(params);
    REQUIRE_FALSE(r.ok());
    return r.error().message;
  };
  CHECK(message({{"linktype", "sll\r\nX-Injected: 1"}}) ==
        "linktype must be sll, sll2 or native, got \"sll??X-Injected: 1\"");
  CHECK(message({{"interface", std::string(8000, 'e')}}) ==
        "invalid interface name \"" + std::string(64, 'e') + "...\"");
  CHECK(message({{"bogus\n", "1"}}).rfind("unknown parameter \"bogus?\" (known: ", 0) == 0);
  CHECK(message({{"count", "1\x1b[2J"}}) == "count must be a non-negative integer, got \"1?[2J\"");
  CHECK(message({{"snaplen", std::string(100, '9')}}) ==
        "snaplen must be between 1 and 262144, got " + std::string(64, '9') + "...");
  CHECK(message({{"duration", "\xff\x01"}}) ==
        "duration must be a non-negative number of seconds, got \"??\"");
  CHECK(message({{"precision", "\xc3\xa9"}}) == "precision must be micro or nano, got \"??\"");
  CHECK(message({{"direction", std::string("in\0", 3)}}) ==
        "direction must be in, out or inout, got \"in?\"");
}
