#pragma once
// Keeps fleet targets (dns:, k8s:) current while a capture runs: every
// --refresh seconds each one is resolved again (fleet_resolver.h).
//
//   a member that appeared      joins the run as a new stream
//   a member that is gone       is retired: its stream ends quietly
//   a member whose stream ended joins again if it is still there (a worker
//                               that restarted, a node that came back)
//   a failed resolution         keeps the members as they are; its line is
//                               printed once until the error changes
//
// A member is known by its URL with the query, so a node of a k8s: target
// whose selected pods changed is a new member (its filter differs) under the
// same label. The old stream is then retired only once the new one streams
// (make before break): nothing of the pods that stayed is lost in between,
// and the moment both capture may hold a packet twice.

#include <condition_variable>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "fleet_resolver.h"
#include "progress_table.h"

namespace ddump {

// What the follower needs of a member's stream (a Source: its state and retire()).
struct MemberStream {
  std::function<TargetState()> state;
  std::function<void()> retire;
};

class FleetFollower {
 public:
  // The current members of fleet target `fleet`; throws (ConfigError) on failure.
  using Resolve = std::function<std::vector<ResolvedTarget>(size_t fleet)>;
  // Starts a stream for a new member; none when the run is ending.
  using Join = std::function<std::optional<MemberStream>(ResolvedTarget member)>;

  FleetFollower(std::vector<std::string> fleetNames, Resolve resolve, Join join, double refreshSec);
  ~FleetFollower();
  FleetFollower(const FleetFollower&) = delete;
  FleetFollower& operator=(const FleetFollower&) = delete;

  // A member resolved at start-up, before start().
  void track(size_t fleet, const ResolvedTarget& member, MemberStream stream);
  void start();  // refreshes every refreshSec on its own thread
  void stop();

  // One refresh of every fleet target now (the thread's work; tests call it).
  void refreshAll();
  // Retires the streams that new ones replace, once these stream.
  void settleReplacements();
  bool replacing() const { return !replacements_.empty(); }

 private:
  struct Member {
    std::string label;
    MemberStream stream;
  };
  struct Replacement {
    size_t fleet;
    std::string key;  // the old member's
    Member old;
    MemberStream successor;
  };
  void refresh(size_t fleet);
  void loop();

  std::vector<std::string> fleetNames_;
  Resolve resolve_;
  Join join_;
  double refreshSec_;
  std::vector<std::map<std::string, Member>> members_;  // by key, per fleet target
  std::vector<std::string> lastErrors_;                 // per fleet target
  std::vector<Replacement> replacements_;
  std::mutex mutex_;  // stop_
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ddump
