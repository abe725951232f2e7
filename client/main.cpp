// ddump: many workers' live captures merged into one time-ordered pcap on stdout.
#include <cstdio>
#include <exception>

#include "log.h"
#include "options.h"
#include "session.h"
#include "tls.h"

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
  return Session(std::move(config)).run();
}
