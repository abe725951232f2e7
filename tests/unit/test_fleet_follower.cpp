// How a fleet target's members follow its resolutions: who joins, who is
// retired and when, with a fake resolver and fake streams (no threads: the
// test calls refreshAll() and settleReplacements() as the follower's thread
// would).
#include <catch2/catch.hpp>

#include <deque>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "fleet_follower.h"
#include "log.h"

using namespace ddump;

namespace {

struct FakeStream {
  std::string key;
  TargetState state = TargetState::Connecting;
  int retired = 0;
  bool refused = false;
};

ResolvedTarget member(const std::string& address, const std::string& label,
                      const std::string& filter = "") {
  std::string url = "http://" + address + ":8475/capture";
  if (!filter.empty()) url += "?filter=" + filter;
  auto target = parseTarget(url);
  REQUIRE(target);
  return ResolvedTarget{*target, label, {}, {}};
}

// One fleet target whose next resolution the test sets (or makes fail).
struct Fleet {
  std::vector<ResolvedTarget> next;
  bool fail = false;
  bool ending = false;  // the run is ending: joins are refused
  bool capped = false;  // this run takes no more streams
  std::deque<std::unique_ptr<FakeStream>> streams;
  std::vector<std::string> joins;  // keys, in order

  FakeStream* stream(const std::string& key) {
    for (auto it = streams.rbegin(); it != streams.rend(); ++it) {
      if ((*it)->key == key) return it->get();
    }
    return nullptr;
  }
  MemberStream handle(FakeStream& s) {
    return {[&s] { return s.state; }, [&s] { return s.refused; }, [&s] { ++s.retired; }};
  }
  FleetFollower follower() {
    return FleetFollower(
        {"dns:workers.test"},
        [this](size_t, const std::atomic<bool>&) {
          if (fail)
            throw std::runtime_error("dns:workers.test: cannot resolve workers.test: timeout");
          return next;
        },
        [this](ResolvedTarget m) -> JoinOutcome {
          if (ending) return {std::nullopt, true};
          if (capped) return {};
          joins.push_back(m.target.display());
          streams.push_back(std::make_unique<FakeStream>(FakeStream{m.target.display()}));
          return {handle(*streams.back()), false};
        },
        1.0);
  }
  // A member resolved at start, already streaming.
  void start(FleetFollower& f, const ResolvedTarget& m) {
    streams.push_back(
        std::make_unique<FakeStream>(FakeStream{m.target.display(), TargetState::Streaming}));
    f.track(0, m, handle(*streams.back()));
  }
};

// node-a's member before and after its selected pods changed (its filter).
struct FilterChange {
  ResolvedTarget before = member("10.0.0.1", "node-a", "host 10.1.0.1");
  ResolvedTarget after = member("10.0.0.1", "node-a", "host 10.1.0.3");
  std::string oldKey = before.target.display();
  std::string newKey = after.target.display();
};

const std::string kA = "http://10.0.0.1:8475/capture";
const std::string kB = "http://10.0.0.2:8475/capture";

}  // namespace

TEST_CASE("a member that appears joins once; one that is gone is retired", "[unit][fleet]") {
  log::configure(true, false);
  Fleet fleet;
  FleetFollower f = fleet.follower();
  fleet.start(f, member("10.0.0.1", "a"));
  fleet.next = {member("10.0.0.1", "a"), member("10.0.0.2", "b")};
  f.refreshAll();
  REQUIRE(fleet.joins == std::vector<std::string>{kB});
  f.refreshAll();  // the same answer: nothing new
  REQUIRE(fleet.joins.size() == 1);
  fleet.next = {member("10.0.0.2", "b")};
  f.refreshAll();
  CHECK(fleet.stream(kA)->retired == 1);
  CHECK(fleet.stream(kB)->retired == 0);
  f.refreshAll();  // retired once, not at every refresh
  CHECK(fleet.stream(kA)->retired == 1);
  CHECK(fleet.joins.size() == 1);
}

TEST_CASE("a member whose stream ended joins again while it is still there", "[unit][fleet]") {
  log::configure(true, false);
  Fleet fleet;
  FleetFollower f = fleet.follower();
  fleet.start(f, member("10.0.0.1", "a"));
  fleet.next = {member("10.0.0.1", "a")};
  fleet.stream(kA)->state = TargetState::Failed;  // the worker restarted
  f.refreshAll();
  REQUIRE(fleet.joins == std::vector<std::string>{kA});
  CHECK(fleet.streams.size() == 2);
  CHECK(fleet.streams.front()->retired == 0);  // ended already: nothing to retire
  fleet.stream(kA)->state = TargetState::Streaming;
  f.refreshAll();
  CHECK(fleet.joins.size() == 1);
}

TEST_CASE("a failed resolution keeps every member; a refused join stops the refresh",
          "[unit][fleet]") {
  log::configure(true, false);
  Fleet fleet;
  FleetFollower f = fleet.follower();
  fleet.start(f, member("10.0.0.1", "a"));
  fleet.fail = true;
  f.refreshAll();
  f.refreshAll();
  CHECK(fleet.stream(kA)->retired == 0);
  CHECK(fleet.joins.empty());
  fleet.fail = false;
  fleet.ending = true;
  fleet.next = {member("10.0.0.2", "b")};
  f.refreshAll();
  CHECK(fleet.stream(kA)->retired == 0);  // the run is ending: nothing changes
  CHECK(fleet.joins.empty());
}

TEST_CASE("a node whose filter changed: the new stream first, the old one retired once it streams",
          "[unit][fleet]") {
  log::configure(true, false);
  Fleet fleet;
  FleetFollower f = fleet.follower();
  const auto [before, after, oldKey, newKey] = FilterChange{};
  REQUIRE(oldKey != newKey);
  fleet.start(f, before);
  fleet.next = {after};
  f.refreshAll();
  REQUIRE(fleet.joins == std::vector<std::string>{newKey});
  CHECK(f.replacing());
  f.settleReplacements();  // the successor is still connecting
  CHECK(fleet.stream(oldKey)->retired == 0);
  fleet.stream(newKey)->state = TargetState::Retrying;
  f.settleReplacements();
  CHECK(fleet.stream(oldKey)->retired == 0);
  fleet.stream(newKey)->state = TargetState::Streaming;
  f.settleReplacements();
  CHECK(fleet.stream(oldKey)->retired == 1);
  CHECK_FALSE(f.replacing());
  f.refreshAll();
  CHECK(fleet.joins.size() == 1);
  CHECK(fleet.stream(newKey)->retired == 0);
}

TEST_CASE("a successor that fails leaves the old stream on, and is tried again", "[unit][fleet]") {
  log::configure(true, false);
  Fleet fleet;
  FleetFollower f = fleet.follower();
  const auto [before, after, oldKey, newKey] = FilterChange{};
  fleet.start(f, before);
  fleet.next = {after};
  f.refreshAll();
  fleet.stream(newKey)->state = TargetState::Failed;
  f.settleReplacements();
  CHECK(fleet.stream(oldKey)->retired == 0);
  CHECK_FALSE(f.replacing());
  f.refreshAll();  // tried again; the old one waits for it again
  REQUIRE(fleet.joins == std::vector<std::string>{newKey, newKey});
  CHECK(f.replacing());
  fleet.stream(newKey)->state = TargetState::Streaming;
  f.settleReplacements();
  CHECK(fleet.stream(oldKey)->retired == 1);
}

TEST_CASE("a member gone while another of its label appears elsewhere is only replaced",
          "[unit][fleet]") {
  log::configure(true, false);
  Fleet fleet;
  FleetFollower f = fleet.follower();
  fleet.start(f, member("10.0.0.1", "a"));
  fleet.start(f, member("10.0.0.2", "b"));
  fleet.next = {member("10.0.0.3", "a")};  // a moved to a new address, b is gone
  f.refreshAll();
  CHECK(fleet.stream(kB)->retired == 1);
  CHECK(fleet.stream(kA)->retired == 0);
  fleet.stream("http://10.0.0.3:8475/capture")->state = TargetState::Streaming;
  f.settleReplacements();
  CHECK(fleet.stream(kA)->retired == 1);
}

TEST_CASE("a stream that keeps ending rejoins after more and more refreshes; a refused one never",
          "[unit][fleet]") {
  log::configure(true, false);
  Fleet fleet;
  FleetFollower f = fleet.follower();
  fleet.start(f, member("10.0.0.1", "a"));
  fleet.start(f, member("10.0.0.2", "b"));
  fleet.next = {member("10.0.0.1", "a"), member("10.0.0.2", "b")};
  fleet.stream(kA)->state = TargetState::Failed;
  fleet.stream(kB)->state = TargetState::Failed;
  fleet.stream(kB)->refused = true;  // a 4xx: asking again is refused again
  f.refreshAll();
  REQUIRE(fleet.joins == std::vector<std::string>{kA});
  // Ended again at once: the next rejoin waits (half a refresh at least),
  // so a refresh now leaves it.
  fleet.stream(kA)->state = TargetState::Failed;
  f.refreshAll();
  f.refreshAll();
  CHECK(fleet.joins.size() == 1);
  CHECK(fleet.stream(kB)->retired == 0);  // still a member: neither rejoined nor retired
}

TEST_CASE("a run that takes no more streams still retires members that are gone", "[unit][fleet]") {
  log::configure(true, false);
  Fleet fleet;
  FleetFollower f = fleet.follower();
  fleet.start(f, member("10.0.0.1", "a"));
  fleet.capped = true;
  fleet.next = {member("10.0.0.2", "b"), member("10.0.0.3", "c")};
  f.refreshAll();
  CHECK(fleet.joins.empty());
  CHECK(fleet.stream(kA)->retired == 1);
}

TEST_CASE("a member about to be replaced that comes back stays, once", "[unit][fleet]") {
  log::configure(true, false);
  Fleet fleet;
  FleetFollower f = fleet.follower();
  const auto [before, after, oldKey, newKey] = FilterChange{};
  fleet.start(f, before);
  fleet.next = {after};
  f.refreshAll();  // the successor connects (slowly)
  fleet.next = {before};
  f.refreshAll();  // the old filter is back: no second stream for it
  CHECK(fleet.joins == std::vector<std::string>{newKey});
  CHECK_FALSE(f.replacing());
  CHECK(fleet.stream(newKey)->retired == 1);  // the successor is gone now
  fleet.stream(newKey)->state = TargetState::Done;
  f.settleReplacements();
  f.refreshAll();
  CHECK(fleet.stream(oldKey)->retired == 0);
  CHECK(fleet.joins.size() == 1);
}
