// ddump: many workers' live captures merged into one time-ordered pcap on stdout.
#include <cstdio>
#include <exception>

#include "log.h"
#include "options.h"
#include "session.h"
#include "time_spec.h"
#include "tls.h"
#include "trigger.h"
#include "packet_summary.h"

namespace {

// --trigger: waits for the first match, says so, and sets the capture window
// around it. False when no worker is left to wait on (or on Ctrl-C).
bool armTrigger(ddump::Config& config) {
  using namespace ddump;
  const Options& o = config.options;
  const auto hit = waitForTrigger(config.targets, config.http, *o.trigger);
  if (!hit) {
    log::error("trigger: no match (no worker left to wait on, or interrupted)");
    return false;
  }
  log::info("trigger on " + config.targets[hit->target].display() + " at " +
            formatRfc3339(hit->tsNs, 6) + ": " + summarizePacket(hit->linkType, hit->data, hit->len));
  const int64_t before = o.beforeNs.value_or(30'000'000'000);
  const int64_t after = o.afterNs.value_or(10'000'000'000);
  config.http.window = CaptureWindow{hit->tsNs - before, hit->tsNs + after, wallClockNs()};
  config.trigger = PacketComment{hit->target, static_cast<uint64_t>(hit->tsNs), hit->data,
                                 "ddump trigger (--trigger " + *o.trigger + ") on " +
                                     config.targets[hit->target].display()};
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace ddump;
  Config config;
  try {
    const Options options = parseOptions(argc, argv);
    if (options.help) {
      std::fputs(usageText().c_str(), stdout);
      return 0;
    }
    if (options.version) {
      std::puts("ddump 0.1.0");
      return 0;
    }
    log::configure(options.quiet, options.verbose);
    config = buildConfig(options);
  } catch (const UsageError& e) {
    log::error(e.what());
    return 2;
  } catch (const ConfigError& e) {
    log::error(e.what());
    return 2;
  } catch (const std::exception& e) {
    log::error(std::string("start-up failed: ") + e.what());
    return 2;
  }
  if (config.options.trigger && !armTrigger(config)) return 1;
  return Session(std::move(config)).run();
}
