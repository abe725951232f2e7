#pragma once
// Live progress on stderr: on a terminal (and not -q) a table per
// target, redrawn at most 4 times a second (see common/progress_table.h);
// otherwise one plain line per state change ("db1:8475: streaming").

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "merge_hub.h"
#include "output.h"
#include "progress_table.h"
#include "source_list.h"

namespace ddump {

class ProgressReporter {
 public:
  ProgressReporter(const SourceList& sources, const MergeHub& hub, const Output& output,
                   bool terminal);
  ~ProgressReporter();
  ProgressReporter(const ProgressReporter&) = delete;
  ProgressReporter& operator=(const ProgressReporter&) = delete;

  void start();
  void stop();  // erases the table

 private:
  void loop();
  void tick(double nowSec);
  ProgressSnapshot snapshot(double nowSec);

  // Rows for sources that joined since the last tick.
  const std::vector<Source*>& current();

  const SourceList& list_;
  std::vector<Source*> sources_;  // the progress thread's snapshot
  const MergeHub& hub_;
  const Output& output_;
  bool terminal_;
  std::vector<std::string> names_;
  std::vector<RateMeter> rates_;
  std::vector<TargetState> lastStates_;
  RateMeter outputRate_;
  std::chrono::steady_clock::time_point started_;
  double lastDropsPoll_ = 0;
  std::atomic<bool> done_{false};
  std::thread thread_;
};

}  // namespace ddump
