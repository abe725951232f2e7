#include "log.h"

#include <unistd.h>

#include <atomic>
#include <mutex>

namespace ddump::log {
namespace {

std::atomic<bool> gQuiet{false};
std::atomic<bool> gVerbose{false};
std::mutex gMutex;

void emit(const std::string& line) {
  std::string text = "ddump: " + line + "\n";
  std::lock_guard<std::mutex> lock(gMutex);
  // write(2) directly: stdio's stderr buffer is not ours to share with exit paths.
  const char* p = text.data();
  size_t left = text.size();
  while (left > 0) {
    const ssize_t n = ::write(STDERR_FILENO, p, left);
    if (n <= 0) return;
    p += n;
    left -= static_cast<size_t>(n);
  }
}

}  // namespace

void configure(bool quiet, bool verbose) {
  gQuiet = quiet;
  gVerbose = verbose && !quiet;
}
bool verbose() { return gVerbose; }
void error(const std::string& line) { emit(line); }
void info(const std::string& line) {
  if (!gQuiet) emit(line);
}
void detail(const std::string& line) {
  if (gVerbose) emit(line);
}

}  // namespace ddump::log
