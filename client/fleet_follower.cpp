#include "fleet_follower.h"

#include <algorithm>
#include <exception>
#include <utility>

#include "log.h"

namespace ddump {
namespace {

// While a replacement waits for its successor to stream, it is checked this often.
constexpr auto kSettleInterval = std::chrono::milliseconds(100);
// A member whose stream keeps ending rejoins after at most 2^(kMaxBackoff-1) refreshes.
constexpr unsigned kMaxBackoff = 7;

bool ended(const MemberStream& stream) {
  const TargetState state = stream.state();
  return state == TargetState::Done || state == TargetState::Failed;
}

std::string keyOf(const ResolvedTarget& member) {
  return member.target.display();
}

}  // namespace

FleetFollower::FleetFollower(std::vector<std::string> fleetNames, Resolve resolve, Join join,
                             double refreshSec)
    : fleetNames_(std::move(fleetNames)),
      resolve_(std::move(resolve)),
      join_(std::move(join)),
      refreshSec_(refreshSec),
      members_(fleetNames_.size()),
      lastErrors_(fleetNames_.size()) {}

FleetFollower::~FleetFollower() {
  stop();
}

void FleetFollower::track(size_t fleet, const ResolvedTarget& member, MemberStream stream) {
  members_[fleet][keyOf(member)] = Member{member.label, std::move(stream), 0, {}};
}

void FleetFollower::start() {
  if (refreshSec_ <= 0 || fleetNames_.empty()) return;
  thread_ = std::thread([this] { loop(); });
}

void FleetFollower::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void FleetFollower::loop() {
  const auto period =
      std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(refreshSec_));
  auto next = Clock::now() + period;
  while (!stop_) {
    {
      std::unique_lock<std::mutex> lock(mutex_);
      const auto wakeAt = replacing() ? std::min(next, Clock::now() + kSettleInterval) : next;
      cv_.wait_until(lock, wakeAt, [this] { return stop_.load(); });
    }
    if (stop_) break;
    if (Clock::now() >= next) {
      refreshAll();
      next = Clock::now() + period;
    }
    settleReplacements();
  }
}

void FleetFollower::refreshAll() {
  for (size_t fleet = 0; fleet < fleetNames_.size() && !stop_; ++fleet) refresh(fleet);
}

void FleetFollower::refresh(size_t fleet) {
  std::vector<ResolvedTarget> resolved;
  try {
    resolved = resolve_(fleet, stop_);
  } catch (const std::exception& e) {
    if (stop_) return;  // cut short by stop()
    // Kept as they are: a resolver that failed once (DNS timeout, API server
    // restarting) must not end every stream.
    if (lastErrors_[fleet] != e.what()) {
      log::error(std::string(e.what()) + " (its streams go on as they are)");
      lastErrors_[fleet] = e.what();
    }
    return;
  }
  lastErrors_[fleet].clear();
  std::vector<std::string> current;
  std::map<std::string, MemberStream> joinedByLabel;
  for (ResolvedTarget& member : resolved) {
    if (stop_) return;
    current.push_back(keyOf(member));
    rejoinOrKeep(fleet, current.back(), member, joinedByLabel);
  }
  if (!stop_) retireGone(fleet, joinedByLabel, current);
}

void FleetFollower::rejoinOrKeep(size_t fleet, const std::string& key, ResolvedTarget& resolved,
                                 std::map<std::string, MemberStream>& joinedByLabel) {
  auto& members = members_[fleet];
  const auto it = members.find(key);
  const auto now = Clock::now();
  if (it == members.end()) {
    if (reclaimReplaced(fleet, key)) return;
  } else {
    Member& m = it->second;
    if (!ended(m.stream)) {
      if (m.stream.state() == TargetState::Streaming) m.rejoins = 0;
      return;
    }
    // Refused for good (a 4xx): asking again would be refused again.
    if (m.stream.refused() || now < m.notBefore) return;
  }
  const std::string label = resolved.label;
  JoinOutcome outcome = join_(std::move(resolved));
  if (outcome.ending) stop_ = true;
  if (!outcome.stream) return;
  log::info(fleetNames_[fleet] + ": " + label + " joined (" + key + ")");
  Member& m = members[key];
  m.label = label;
  m.stream = *outcome.stream;
  if (it != members.end()) {
    // 1, 2, 4 ... refreshes until the next rejoin (half a period early, so
    // that the refresh it is meant for is never missed by a moment).
    m.rejoins = std::min(m.rejoins + 1, kMaxBackoff);
    const double periods = static_cast<double>(1u << (m.rejoins - 1)) - 0.5;
    m.notBefore = now + std::chrono::duration_cast<Clock::duration>(
                            std::chrono::duration<double>(periods * refreshSec_));
  }
  joinedByLabel[label] = m.stream;
}

void FleetFollower::retireGone(size_t fleet,
                               const std::map<std::string, MemberStream>& joinedByLabel,
                               const std::vector<std::string>& current) {
  auto& members = members_[fleet];
  for (auto it = members.begin(); it != members.end();) {
    if (std::find(current.begin(), current.end(), it->first) != current.end()) {
      ++it;
      continue;
    }
    Member& old = it->second;
    if (!ended(old.stream)) {
      const auto successor = joinedByLabel.find(old.label);
      if (successor != joinedByLabel.end()) {
        replacements_.push_back({fleet, it->first, old, successor->second});
      } else {
        log::info(fleetNames_[fleet] + ": " + old.label + " is gone (" + it->first + ")");
        old.stream.retire();
      }
    }
    it = members.erase(it);
  }
}

// A member that a pending replacement was to retire is current again: it
// stays, and the replacement is off (its successor is judged by this
// refresh like any other member).
bool FleetFollower::reclaimReplaced(size_t fleet, const std::string& key) {
  const auto it =
      std::find_if(replacements_.begin(), replacements_.end(),
                   [&](const Replacement& r) { return r.fleet == fleet && r.key == key; });
  if (it == replacements_.end()) return false;
  members_[fleet][key] = it->old;
  replacements_.erase(it);
  return true;
}

void FleetFollower::settleReplacements() {
  std::erase_if(replacements_, [this](Replacement& r) {
    const TargetState state = r.successor.state();
    if (state == TargetState::Connecting || state == TargetState::Retrying) return false;
    if (state == TargetState::Failed) {
      // The old stream stays on, a member again: it still captures the pods
      // that stayed, and the next refresh tries the new one once more.
      if (!members_[r.fleet].try_emplace(r.key, r.old).second) r.old.stream.retire();
    } else {
      r.old.stream.retire();
    }
    return true;
  });
}

}  // namespace ddump
