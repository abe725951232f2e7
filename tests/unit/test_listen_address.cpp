#include <catch2/catch.hpp>

#include "listen_address.h"

using namespace ddump;

TEST_CASE("listen addresses parse like a daemon's", "[listen]") {
  auto a = parseListenAddress("127.0.0.1:8475");
  REQUIRE(a.ok());
  CHECK(a->kind == ListenAddress::Kind::Tcp);
  CHECK(a->host == "127.0.0.1");
  CHECK(a->port == 8475);
  CHECK_FALSE(a->wildcard());

  auto any = parseListenAddress(":9000");
  REQUIRE(any.ok());
  CHECK(any->wildcard());
  CHECK(any->port == 9000);

  auto v6 = parseListenAddress("[::1]:0");
  REQUIRE(v6.ok());
  CHECK(v6->host == "::1");
  CHECK(v6->port == 0);
  CHECK(v6->toString() == "[::1]:0");

  auto unix = parseListenAddress("unix:/run/ddump/worker.sock");
  REQUIRE(unix.ok());
  CHECK(unix->kind == ListenAddress::Kind::Unix);
  CHECK(unix->path == "/run/ddump/worker.sock");
  CHECK(unix->toString() == "unix:/run/ddump/worker.sock");
}

TEST_CASE("bad listen addresses name what is wrong", "[listen]") {
  CHECK(parseListenAddress("8475").error().message ==
        "bad listen address \"8475\": expected HOST:PORT, :PORT or unix:/path");
  CHECK(parseListenAddress("::1:80").error().message ==
        "bad listen address \"::1:80\": put an IPv6 address in brackets, e.g. [::1]:8475");
  CHECK(parseListenAddress("host:99999").error().message ==
        "bad listen address \"host:99999\": port must be between 0 and 65535, got 99999");
  CHECK(parseListenAddress("host:http").error().message ==
        "bad listen address \"host:http\": port must be a non-negative integer, got \"http\"");
  CHECK(parseListenAddress("unix:").error().message == "bad listen address \"unix:\": empty socket path");
  CHECK_FALSE(parseListenAddress("[::1:80").ok());
}

TEST_CASE("unsigned numbers are parsed strictly", "[listen]") {
  CHECK(*parseUnsigned("42", 0, 100, "n") == 42u);
  CHECK_FALSE(parseUnsigned("-1", 0, 100, "n").ok());
  CHECK_FALSE(parseUnsigned("+1", 0, 100, "n").ok());
  CHECK_FALSE(parseUnsigned(" 1", 0, 100, "n").ok());
  CHECK_FALSE(parseUnsigned("1x", 0, 100, "n").ok());
  CHECK_FALSE(parseUnsigned("", 0, 100, "n").ok());
  CHECK(parseUnsigned("99999999999999999999999", 0, 100, "n").error().message ==
        "n must be between 0 and 100, got 99999999999999999999999");
}

TEST_CASE("the worker's own listeners are excluded from every capture", "[listen]") {
  const std::vector<BoundListener> listeners = {{"", 8475}, {"127.0.0.1", 9000}};
  const std::string excl = exclusionFilter(listeners, {"tcp port 8443"});
  CHECK(excl == "(tcp port 8475) or (host 127.0.0.1 and tcp port 9000) or (tcp port 8443)");
  // The exclusions first: nothing in the user's filter can shift their offsets.
  CHECK(combineFilters("icmp", excl) ==
        "not ((tcp port 8475) or (host 127.0.0.1 and tcp port 9000) or (tcp port 8443)) and (icmp)");
  CHECK(combineFilters("pppoes or len >= 0", "(tcp port 1)") ==
        "not ((tcp port 1)) and (pppoes or len >= 0)");
  CHECK(combineFilters("", "(tcp port 1)") == "not ((tcp port 1))");
  CHECK(combineFilters("udp", "") == "udp");
  CHECK(exclusionFilter({}, {}).empty());
}

TEST_CASE("an IPv4-mapped listener is excluded by its IPv4 address", "[listen]") {
  // Its packets are IPv4 on the wire: `host ::ffff:127.0.0.1` would test IPv6 headers.
  CHECK(exclusionFilter({{"::ffff:127.0.0.1", 9000}}, {}) == "(host 127.0.0.1 and tcp port 9000)");
  CHECK(exclusionFilter({{"::ffff:7f00:1", 9000}}, {}) == "(host 127.0.0.1 and tcp port 9000)");
  CHECK(exclusionFilter({{"0:0:0:0:0:ffff:10.1.2.3", 1}}, {}) == "(host 10.1.2.3 and tcp port 1)");
  CHECK(exclusionFilter({{"::1", 9000}}, {}) == "(host ::1 and tcp port 9000)");
  CHECK(exclusionFilter({{"::127.0.0.1", 9000}}, {}) == "(host ::127.0.0.1 and tcp port 9000)");
  CHECK(exclusionFilter({{"fe80::1", 9000}}, {}) == "(host fe80::1 and tcp port 9000)");
}
