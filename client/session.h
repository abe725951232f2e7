#pragma once
// One ddump run: targets resolved from the options, a reader thread per
// target, the merge written on the calling thread, signals, the summary and
// the exit status (0 all fine, 1 a target failed, 2 every target refused).

#include <memory>
#include <optional>
#include <vector>

#include <mutex>
#include <thread>

#include "fleet_follower.h"
#include "fleet_resolver.h"
#include "http_source.h"
#include "options.h"
#include "output.h"
#include "source.h"
#include "source_list.h"

namespace ddump {

struct Config {
  Options options;
  std::vector<Target> targets;
  HttpSettings http;
  std::optional<PacketComment> trigger;  // --trigger's match, noted in pcapng output
  std::vector<NameRecord> names;         // pods' addresses named by k8s: targets (pcapng's NRB)
  std::vector<NameRecord> serviceNames;  // and Services' (the NRB only)
  // dns: and k8s: targets, resolved again while the run goes on.
  std::vector<FleetTarget> fleets;
  FleetSettings fleetSettings;
  std::vector<std::optional<size_t>> fleetOf;  // by target: the fleet target it came from
  std::vector<std::vector<NameRecord>> targetNames;  // by target: its names (k8s:)
};

// A fleet target's members as the session uses them: labelled, with the
// credentials and checks every URL target gets. Throws ConfigError.
std::vector<ResolvedTarget> resolveMembers(const Options& options, const FleetTarget& fleet,
                                           const FleetSettings& settings);

// Throws UsageError / ConfigError (start-up only).
Config buildConfig(const Options& options);

class Session {
 public:
  explicit Session(Config config);
  int run();

 private:
  void printSummary() const;
  void fetchKernelDrops();

  std::vector<StreamLabel> streamLabels() const;
  StreamLabel joiningLabel(const Target& target) const;
  // A member that appeared in a fleet target: its stream and reader.
  JoinOutcome join(ResolvedTarget member);
  std::unique_ptr<FleetFollower> follow();

  Config config_;
  std::unique_ptr<Output> output_;
  std::unique_ptr<MergeHub> hub_;
  std::unique_ptr<BodyPump> pump_;  // outlives the sources that use it
  SourceList sources_;
  std::mutex joinedMutex_;
  // Readers of members that joined, guarded by it; those whose source ended
  // are joined as others join, so a fleet that churns for days holds no
  // finished threads.
  std::vector<std::pair<Source*, std::thread>> joinedReaders_;
  size_t joinedCount_ = 0;  // guarded by joinedMutex_
  // Pulled file merges only. Declared after sources_ so that it is destroyed
  // first: its thread may still be reading their files.
  std::unique_ptr<ReadAhead> readAhead_;
};

}  // namespace ddump
