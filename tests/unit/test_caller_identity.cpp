#include <catch2/catch.hpp>

#include "caller_identity.h"

using ddump::identifyCaller;

TEST_CASE("a direct client is its address; proxy fields from it are ignored", "[unit][caller]") {
  const auto v4 = identifyCaller("10.0.0.5:41234", "alice", "CN=alice", "192.0.2.1");
  CHECK(v4.user.empty());
  CHECK(v4.clientCert.empty());
  CHECK(v4.forwardedFor.empty());
  CHECK(v4.owner() == "10.0.0.5");
  CHECK(identifyCaller("[2001:db8::1]:80", "", "", "").owner() == "[2001:db8::1]");
  CHECK(identifyCaller("[::1]:41234", "", "", "").owner() == "[::1]");
}

TEST_CASE("behind the proxy the caller is who the proxy says", "[unit][caller]") {
  const auto alice = identifyCaller("unix", "alice", "CN=alice,O=ops", "198.51.100.7");
  CHECK(alice.user == "alice");
  CHECK(alice.clientCert == "CN=alice,O=ops");
  CHECK(alice.forwardedFor == "198.51.100.7");
  CHECK(alice.owner() == "user=alice\ncert=CN=alice,O=ops");
  // The same user with another certificate is someone else.
  CHECK(identifyCaller("unix", "alice", "CN=bob", "").owner() != alice.owner());
  // A user name cannot pose as a certificate: the two fields stay apart.
  CHECK(identifyCaller("unix", "x\ncert=y", "", "").owner() !=
        identifyCaller("unix", "x", "y", "").owner());
  // Without auth at the proxy everyone is the proxy.
  CHECK(identifyCaller("unix", "", "", "203.0.113.9").owner() == "unix");
}

TEST_CASE("proxy fields are bounded and printable", "[unit][caller]") {
  const auto c =
      identifyCaller("unix", std::string(1000, 'a'), std::string("CN=\x01\x7f\n", 6), "");
  CHECK(c.user.size() == 256);
  CHECK(c.clientCert == "CN=???");
}
