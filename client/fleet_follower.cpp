#include "fleet_follower.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <set>
#include <utility>

#include "log.h"

namespace ddump {
namespace {

// While a replacement waits for its successor to stream, it is checked this often.
constexpr auto kSettleInterval = std::chrono::milliseconds(100);

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
  members_[fleet][keyOf(member)] = Member{member.label, std::move(stream)};
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
  const auto period = std::chrono::duration_cast<std::chrono::steady_clock::duration>(
      std::chrono::duration<double>(refreshSec_));
  auto next = std::chrono::steady_clock::now() + period;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    const auto wakeAt =
        replacing() ? std::min(next, std::chrono::steady_clock::now() + kSettleInterval) : next;
    cv_.wait_until(lock, wakeAt, [this] { return stop_; });
    if (stop_) break;
    lock.unlock();
    if (std::chrono::steady_clock::now() >= next) {
      refreshAll();
      next = std::chrono::steady_clock::now() + period;
    }
    settleReplacements();
    lock.lock();
  }
}

void FleetFollower::refreshAll() {
  for (size_t fleet = 0; fleet < fleetNames_.size(); ++fleet) refresh(fleet);
}

void FleetFollower::refresh(size_t fleet) {
  std::vector<ResolvedTarget> resolved;
  try {
    resolved = resolve_(fleet);
  } catch (const std::exception& e) {
    // Kept as they are: a resolver that failed once (DNS timeout, API server
    // restarting) must not end every stream.
    if (lastErrors_[fleet] != e.what()) {
      log::error(std::string(e.what()) + " (its streams go on as they are)");
      lastErrors_[fleet] = e.what();
    }
    return;
  }
  lastErrors_[fleet].clear();
  auto& members = members_[fleet];
  std::set<std::string> current;
  std::map<std::string, MemberStream> joinedByLabel;
  for (ResolvedTarget& member : resolved) {
    const std::string key = keyOf(member);
    current.insert(key);
    const auto it = members.find(key);
    if (it != members.end() && !ended(it->second.stream)) continue;
    const std::string label = member.label;
    std::optional<MemberStream> stream = join_(std::move(member));
    if (!stream) return;  // the run is ending
    log::info(fleetNames_[fleet] + ": " + label + " joined (" + key + ")");
    members[key] = Member{label, *stream};
    joinedByLabel[label] = *stream;
  }
  for (auto it = members.begin(); it != members.end();) {
    if (current.count(it->first) != 0) {
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

void FleetFollower::settleReplacements() {
  std::erase_if(replacements_, [this](Replacement& r) {
    const TargetState state = r.successor.state();
    if (state == TargetState::Connecting || state == TargetState::Retrying) return false;
    if (state == TargetState::Failed) {
      // The old stream stays on, a member again: it still captures the pods
      // that stayed, and the next refresh tries the new one once more.
      members_[r.fleet][r.key] = r.old;
    } else {
      r.old.stream.retire();
    }
    return true;
  });
}

}  // namespace ddump
