#pragma once
// The ddump command line: tcpdump-style flags, targets, and an optional
// trailing filter expression (common/filter_expression.h tells them apart).
// Parsing throws UsageError (start-up only; main turns it into exit status 2).

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "clock_offset.h"
#include "output.h"
#include "target.h"

namespace ddump {

class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct Options {
  std::vector<std::string> targetTexts;  // positional targets and --targets lines
  std::optional<std::string> targetsFile;
  CaptureParams capture;  // -f/-i/-s/--linktype/--nano, for URL targets
  bool nano = false;
  std::optional<std::string> user;  // --user USER[:PASS]
  std::string caFile;
  std::string certFile;
  std::string keyFile;
  bool insecure = false;
  bool allowInsecureAuth = false;  // --allow-insecure-auth: basic auth over plain http
  uint64_t count = 0;            // -c, 0 = unlimited
  double durationSec = 0;        // --duration, 0 = unlimited
  uint64_t maxDelayMs = 500;     // --max-delay
  int retry = 0;                 // --retry N reconnect attempts per target
  double connectTimeoutSec = 10; // --connect-timeout: connect, TLS and response headers
  OutputConfig output;            // -F, -T, -w, -C, -G, -W, -z, --utc, --flow-interval, --max-flows
  std::optional<std::string> type;  // -T as given
  bool formatGiven = false;         // -F was given
  bool pathGiven = false;           // -w was given (even "-w -": binary to stdout)
  ClockOffsetSetting clockOffset; // --clock-offset
  // --since/--until (ns since the epoch, our clock), resolved at start-up
  // against startNs, when the run began.
  std::optional<int64_t> sinceNs;
  std::optional<int64_t> untilNs;
  int64_t startNs = 0;
  // --trigger EXPR: wait for its first match on any worker, then capture
  // [match - before, match + after] on all of them.
  std::optional<std::string> trigger;
  std::optional<int64_t> beforeNs;  // --before (default 30 s)
  std::optional<int64_t> afterNs;   // --after (default 10 s)
  // dns: and k8s: targets (client/fleet_resolver.h)
  std::string kubectl = "kubectl";            // --kubectl PATH
  std::optional<std::string> context;         // --context NAME
  std::optional<std::string> workerScheme;    // --worker-scheme http|https
  std::optional<uint16_t> workerPort;         // --worker-port N
  std::optional<std::string> workerSelector;  // --worker-selector [NS/]SELECTOR
  std::optional<std::string> viaApiServer;    // --via-apiserver URL
  double refreshSec = 30;                     // --refresh SEC: dns: and k8s: resolved again (0: never)
  bool quiet = false;
  bool verbose = false;
  bool help = false;
  bool version = false;
};

Options parseOptions(int argc, char** argv);
std::string usageText();

}  // namespace ddump
