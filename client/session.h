#pragma once
// One ddump run: targets resolved from the options, a reader thread per
// target, the merge written on the calling thread, signals, the summary and
// the exit status (0 all fine, 1 a target failed, 2 every target refused).

#include <memory>
#include <optional>
#include <vector>

#include "http_source.h"
#include "options.h"
#include "output.h"
#include "source.h"

namespace ddump {

struct Config {
  Options options;
  std::vector<Target> targets;
  HttpSettings http;
  std::optional<PacketComment> trigger;  // --trigger's match, noted in pcapng output
  std::vector<NameRecord> names;         // addresses named by k8s: targets (pcapng's NRB)
};

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

  Config config_;
  std::unique_ptr<Output> output_;
  std::unique_ptr<MergeHub> hub_;
  std::unique_ptr<BodyPump> pump_;  // outlives the sources that use it
  std::vector<std::unique_ptr<Source>> sources_;
  // Pulled file merges only. Declared after sources_ so that it is destroyed
  // first: its thread may still be reading their files.
  std::unique_ptr<ReadAhead> readAhead_;
};

}  // namespace ddump
