#pragma once
// --trigger EXPR: before the capture, every worker is asked for
// filter=EXPR&count=1, live. Nothing else crosses the network until one of
// them matches; the first match (its own timestamp, on our clock when
// --clock-offset applies) is the trigger, and the others are stopped.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "http_source.h"
#include "target.h"

namespace ddump {

struct TriggerHit {
  size_t target = 0;      // index into the targets
  int64_t tsNs = 0;       // the matching packet's timestamp, on our clock
  uint32_t linkType = 0;  // of the record below
  std::vector<uint8_t> data;
  uint32_t len = 0;
};

// Waits for the first match on any URL target. Targets that refuse or fail
// are reported (one line each) and left out; nullopt when none is left, or
// on SIGINT/SIGTERM.
std::optional<TriggerHit> waitForTrigger(const std::vector<Target>& targets,
                                         const HttpSettings& settings, const std::string& expr);

}  // namespace ddump
