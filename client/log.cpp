#include "log.h"

#include <unistd.h>

#include <atomic>
#include <mutex>

#include "progress_table.h"

namespace ddump::log {
namespace {

std::atomic<bool> gQuiet{false};
std::atomic<bool> gVerbose{false};
std::mutex gMutex;
std::vector<std::string> gFrame;  // the table on screen, guarded by gMutex

void writeText(const std::string& text) {
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

void emit(const std::string& line) {
  std::string text = "ddump: " + line + "\n";
  std::lock_guard<std::mutex> lock(gMutex);
  if (!gFrame.empty()) text = clearFrame(gFrame.size()) + text + progressFrame(gFrame, 0);
  writeText(text);
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

void showFrame(const std::vector<std::string>& lines) {
  std::lock_guard<std::mutex> lock(gMutex);
  writeText(progressFrame(lines, gFrame.size()));
  gFrame = lines;
}

void hideFrame() {
  std::lock_guard<std::mutex> lock(gMutex);
  if (gFrame.empty()) return;
  writeText(clearFrame(gFrame.size()));
  gFrame.clear();
}

}  // namespace ddump::log
