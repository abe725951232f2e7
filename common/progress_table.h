#pragma once
// The live progress display: a small per-target table drawn on
// stderr when it is a terminal, redrawn in place at most 4 times a second.
//
//   TARGET    STATE        PACKETS      BYTES         RATE    DROPS
//   db1:8475  streaming      12.3k    1.23 MB     120 kB/s        0
//   db2:8475  retrying           0        0 B        0 B/s        -
//   output 3.40 MB  2.10 MB/s  12.4k packets  00:01:23
//
// Pure rendering: the caller takes a snapshot of its counters, this turns it
// into lines no wider than the terminal, and into the escape sequences that
// replace the previous frame (ECMA-48: CUU "ESC [ n A" moves the cursor up,
// ED "ESC [ J" erases to the end of the screen; CR returns to column 0).

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace ddump {

enum class TargetState { Connecting, Streaming, Retrying, Failed, Done };

const char* toString(TargetState state);

struct TargetProgress {
  std::string name;
  TargetState state = TargetState::Connecting;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  double bytesPerSec = 0;
  std::optional<uint64_t> drops;  // kernel drops, when the worker reported them
};

struct ProgressSnapshot {
  std::vector<TargetProgress> targets;
  uint64_t outputPackets = 0;
  uint64_t outputBytes = 0;
  double outputBytesPerSec = 0;
  double elapsedSec = 0;
};

// "999", "12.3k", "4.56M", "7.89G".
std::string formatCount(uint64_t n);
// Decimal units as tcpdump/capinfos print them: "512 B", "1.2 kB", "3.4 MB".
std::string formatBytes(double bytes);
std::string formatRate(double bytesPerSec);
// "hh:mm:ss".
std::string formatElapsed(double seconds);

// The table's lines, each at most `width - 1` columns (a full-width line would
// leave the cursor in the terminal's pending-wrap state). At most `maxRows`
// targets are listed (then "... N more"), so the frame fits the screen.
std::vector<std::string> renderProgressTable(const ProgressSnapshot& snapshot, size_t width,
                                             size_t maxRows = 20);

// The bytes that replace a frame of `previousLines` lines by `lines`.
std::string progressFrame(const std::vector<std::string>& lines, size_t previousLines);
// The bytes that erase a frame of `previousLines` lines (before an error line
// is printed, so the two never interleave, and at exit).
std::string clearFrame(size_t previousLines);

// A smoothed rate from a growing total: exponential moving average of the
// per-interval rates, with a time constant of about `windowSec`.
class RateMeter {
 public:
  explicit RateMeter(double windowSec = 2.0) : window_(windowSec) {}
  double update(uint64_t total, double nowSec);
  double rate() const { return rate_; }

 private:
  double window_;
  bool started_ = false;
  uint64_t lastTotal_ = 0;
  double lastSec_ = 0;
  double rate_ = 0;
};

}  // namespace ddump
