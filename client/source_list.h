#pragma once
// The run's sources. Fleet targets that appear while it runs are appended
// (client/fleet_follower.h) as the progress, watchdog and main threads read
// the list, so readers take a snapshot. Sources are never removed before the
// run ends, so the pointers in a snapshot stay valid.

#include <memory>
#include <mutex>
#include <vector>

#include "source.h"

namespace ddump {

class SourceList {
 public:
  Source& add(std::unique_ptr<Source> source) {
    std::lock_guard<std::mutex> lock(mutex_);
    sources_.push_back(std::move(source));
    return *sources_.back();
  }
  std::vector<Source*> snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::vector<Source*> out;
    out.reserve(sources_.size());
    for (const auto& s : sources_) out.push_back(s.get());
    return out;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::unique_ptr<Source>> sources_;
};

}  // namespace ddump
