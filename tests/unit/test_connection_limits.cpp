// The worker's connection caps (common/connection_limits.h): the total over
// every listener, the cap per peer, refusals counted by the cap they met and
// holding nothing, releases giving places back (and never wrapping), from
// several threads at once.
#include <catch2/catch.hpp>

#include <string>
#include <thread>
#include <vector>

#include "connection_limits.h"

using namespace ddump;

TEST_CASE("the per-peer cap refuses a peer's connection past it, others go on", "[unit][limits]") {
  ConnectionLimits limits(10, 3);
  for (int i = 0; i < 3; ++i) REQUIRE(limits.admit("10.0.0.1") == ConnectionRefusal::None);
  CHECK(limits.admit("10.0.0.1") == ConnectionRefusal::PerPeer);
  CHECK(limits.admit("10.0.0.1") == ConnectionRefusal::PerPeer);
  CHECK(limits.admit("10.0.0.2") == ConnectionRefusal::None);
  const ConnectionCounts c = limits.counts();
  CHECK(c.open == 4);
  CHECK(c.peers == 2);
  CHECK(c.admitted == 4);
  CHECK(c.refusedPerPeer == 2);
  CHECK(c.refusedTotal == 0);
  CHECK(limits.openFrom("10.0.0.1") == 3);
  // One closes: that peer gets exactly one place back.
  limits.release("10.0.0.1");
  CHECK(limits.admit("10.0.0.1") == ConnectionRefusal::None);
  CHECK(limits.admit("10.0.0.1") == ConnectionRefusal::PerPeer);
  CHECK(limits.counts().refusedPerPeer == 3);
}

TEST_CASE("the total cap refuses every peer, before the per-peer cap", "[unit][limits]") {
  ConnectionLimits limits(4, 3);
  CHECK(limits.admit("a") == ConnectionRefusal::None);
  CHECK(limits.admit("b") == ConnectionRefusal::None);
  CHECK(limits.admit("c") == ConnectionRefusal::None);
  CHECK(limits.admit("") == ConnectionRefusal::None);  // a unix socket's peer
  CHECK(limits.admit("d") == ConnectionRefusal::Total);
  CHECK(limits.admit("") == ConnectionRefusal::Total);
  CHECK(limits.admit("a") == ConnectionRefusal::Total);
  const ConnectionCounts c = limits.counts();
  CHECK(c.open == 4);
  CHECK(c.refusedTotal == 3);
  CHECK(c.refusedPerPeer == 0);
  CHECK(c.peers == 3);  // "" is counted in the total only
  limits.release("");
  CHECK(limits.admit("d") == ConnectionRefusal::None);
}

TEST_CASE("connections without a peer key and a per-peer cap of 0 meet only the total",
          "[unit][limits]") {
  ConnectionLimits perPeerOff(100, 0);
  for (int i = 0; i < 100; ++i) REQUIRE(perPeerOff.admit("10.0.0.1") == ConnectionRefusal::None);
  CHECK(perPeerOff.admit("10.0.0.1") == ConnectionRefusal::Total);
  ConnectionLimits unixPeers(5, 1);
  for (int i = 0; i < 5; ++i) REQUIRE(unixPeers.admit("") == ConnectionRefusal::None);
  CHECK(unixPeers.admit("") == ConnectionRefusal::Total);
  CHECK(unixPeers.counts().peers == 0);
}

TEST_CASE("a release without its admit changes nothing; peers are forgotten at zero",
          "[unit][limits]") {
  ConnectionLimits limits(2, 1);
  limits.release("never");
  limits.release("");
  CHECK(limits.counts().open == 0);
  REQUIRE(limits.admit("x") == ConnectionRefusal::None);
  limits.release("x");
  limits.release("x");
  const ConnectionCounts c = limits.counts();
  CHECK(c.open == 0);
  CHECK(c.peers == 0);
  CHECK(limits.openFrom("x") == 0);
  CHECK(limits.admit("x") == ConnectionRefusal::None);
  CHECK(limits.admit("y") == ConnectionRefusal::None);
  CHECK(limits.admit("z") == ConnectionRefusal::Total);
}

TEST_CASE("admits and releases from many threads keep exact counts", "[unit][limits]") {
  ConnectionLimits limits(1000, 50);
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&limits, t] {
      const std::string peer = "10.0.0." + std::to_string(t % 4);
      for (int i = 0; i < 10000; ++i) {
        if (limits.admit(peer) == ConnectionRefusal::None) limits.release(peer);
      }
    });
  }
  for (auto& t : threads) t.join();
  const ConnectionCounts c = limits.counts();
  CHECK(c.open == 0);
  CHECK(c.peers == 0);
  CHECK(c.admitted + c.refusedPerPeer == 80000);
  CHECK(c.refusedTotal == 0);
}
