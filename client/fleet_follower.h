#pragma once
// Keeps fleet targets (dns:, k8s:) current while a capture runs: every
// --refresh seconds each one is resolved again (fleet_resolver.h).
//
//   a member that appeared      joins the run as a new stream
//   a member that is gone       is retired: its stream ends quietly
//   a member whose stream ended joins again while it is still there (a
//                               worker that restarted), after 1, 2, 4 ... 64
//                               refreshes as it keeps ending; one the worker
//                               refused (a 4xx) does not
//   a failed resolution         keeps the members as they are; its line is
//                               printed once until the error changes
//
// A member is known by its URL with the query, so a node of a k8s: target
// whose selected pods changed is a new member (its filter differs) under the
// same label. The old stream is then retired only once the new one streams
// (make before break): nothing of the pods that stayed is lost in between,
// and the moment both capture may hold a packet twice.

#include <atomic>
#include <chrono>
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

// What the follower needs of a member's stream (a Source).
struct MemberStream {
  std::function<TargetState()> state;
  std::function<bool()> refused;  // the worker refused the request (4xx)
  std::function<void()> retire;
};

// Join's answer: a stream, or none because this member may not join (the
// run's cap), or none because the run is ending.
struct JoinOutcome {
  std::optional<MemberStream> stream;
  bool ending = false;
};

class FleetFollower {
 public:
  // The current members of fleet target `fleet`; throws (ConfigError) on
  // failure. A resolution in progress should end soon once `stop` is set.
  using Resolve =
      std::function<std::vector<ResolvedTarget>(size_t fleet, const std::atomic<bool>& stop)>;
  // Starts a stream for a new member.
  using Join = std::function<JoinOutcome(ResolvedTarget member)>;

  FleetFollower(std::vector<std::string> fleetNames, Resolve resolve, Join join, double refreshSec);
  ~FleetFollower();
  FleetFollower(const FleetFollower&) = delete;
  FleetFollower& operator=(const FleetFollower&) = delete;

  // A member resolved at start-up, before start().
  void track(size_t fleet, const ResolvedTarget& member, MemberStream stream);
  void start();  // refreshes every refreshSec on its own thread
  void stop();   // prompt: a resolution under way is cut short

  // One refresh of every fleet target now (the thread's work; tests call it).
  void refreshAll();
  // Retires the streams that new ones replace, once these stream.
  void settleReplacements();
  bool replacing() const { return !replacements_.empty(); }

 private:
  using Clock = std::chrono::steady_clock;
  struct Member {
    std::string label;
    MemberStream stream;
    unsigned rejoins = 0;         // in a row, its stream ending each time
    Clock::time_point notBefore;  // the next rejoin
  };
  struct Replacement {
    size_t fleet;
    std::string key;  // the old member's
    Member old;
    MemberStream successor;
  };
  void refresh(size_t fleet);
  void rejoinOrKeep(size_t fleet, const std::string& key, ResolvedTarget& resolved,
                    std::map<std::string, MemberStream>& joinedByLabel);
  void retireGone(size_t fleet, const std::map<std::string, MemberStream>& joinedByLabel,
                  const std::vector<std::string>& current);
  bool reclaimReplaced(size_t fleet, const std::string& key);
  void loop();

  std::vector<std::string> fleetNames_;
  Resolve resolve_;
  Join join_;
  double refreshSec_;
  std::vector<std::map<std::string, Member>> members_;  // by key, per fleet target
  std::vector<std::string> lastErrors_;                 // per fleet target
  std::vector<Replacement> replacements_;
  std::atomic<bool> stop_{false};
  std::mutex mutex_;  // with cv_: the thread's sleep
  std::condition_variable cv_;
  std::thread thread_;
};

}  // namespace ddump
