#pragma once
// Output file naming: tcpdump's rotation by size (-C), time (-G) and
// file count (-W), and the per-target names of `-w DIR/`.
//
// tcpdump(1) and its MakeFilename()/dump_packet_and_trunc(), reproduced:
//   -C SIZE  before writing a packet, if the current file is larger than SIZE
//            it is closed and the next one opened. SIZE is in units of
//            1,000,000 bytes, or KiB/MiB/GiB with a k/m/g suffix (either case).
//            Files are named NAME, NAME1, NAME2, ...
//   -W N     with -C: a ring of N files, numbered with as many digits as N-1
//            has, zero-padded from 0: NAME0 .. NAME(N-1), then NAME0 again.
//            With -G and no -C: stop after N files.
//   -G SEC   a new file every SEC seconds; NAME goes through strftime(3) with
//            the local time the file was opened. With -C too, the size count
//            restarts at 0 in each period.
//
// Pure: the caller passes the file's size and the wall clock, and opens and
// closes the files the plan names.

#include <cstdint>
#include <ctime>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace ddump {

struct RotationOptions {
  uint64_t maxBytes = 0;   // -C in bytes, 0: off
  uint64_t periodSec = 0;  // -G, 0: off
  uint32_t fileCount = 0;  // -W, 0: off
  bool utc = false;        // strftime with UTC instead of local time (tests)

  bool enabled() const { return maxBytes != 0 || periodSec != 0; }
};

// -C SIZE as tcpdump reads it: "10" = 10,000,000 bytes, "10k" = 10,240.
Result<uint64_t> parseFileSize(std::string_view text);
// -G SEC and -W N: positive integers.
Result<uint64_t> parsePositive(std::string_view text, const char* flag, uint64_t max);

// tcpdump's getWflagChars(): digits needed to write N-1 (0 when N <= 1).
int fileNumberDigits(uint32_t fileCount);
// tcpdump's MakeFilename(): NAME (strftime'd when `when` is given) followed by
// `count` zero-padded to `digits`, or by nothing when both are 0.
std::string makeFileName(const std::string& pattern, uint32_t count, int digits,
                         const std::tm* when);

enum class RotationAction { Keep, Rotate, Stop };

class RotationPlan {
 public:
  RotationPlan(std::string pattern, RotationOptions options);

  // The first file's name, opened at wall clock `nowSec`.
  const std::string& start(int64_t nowSec);
  // Before writing a record to the current file of `fileBytes` bytes: Keep
  // writing, Rotate (close the file, open currentName()), or Stop (-G -W: the
  // last file is done; close it and end the capture).
  RotationAction beforeWrite(uint64_t fileBytes, int64_t nowSec);
  const std::string& currentName() const { return current_; }
  uint32_t filesOpened() const { return opened_; }

 private:
  std::string nameFor(uint32_t count, int digits, int64_t openedSec) const;

  std::string pattern_;
  RotationOptions options_;
  int digits_;
  std::string current_;
  uint32_t sizeCount_ = 0;   // tcpdump's Cflag_count
  uint32_t periodCount_ = 0; // tcpdump's Gflag_count
  int64_t periodStart_ = 0;  // tcpdump's Gflag_time
  uint32_t opened_ = 0;
};

// `-w DIR/`: one file per target, named after its host ("HOST.pcap"), or
// "HOST_PORT.pcap" for every target whose host another target shares; a name
// still taken after that gets "_2", "_3"... Characters other than letters,
// digits, '.', '-' and '_' become '_' (an IPv6 literal's colons, a path's
// slashes). `hosts` and `ports` are parallel; a port of 0 means none (a file).
std::vector<std::string> perTargetFileNames(const std::vector<std::string>& hosts,
                                            const std::vector<uint16_t>& ports,
                                            const std::string& extension);

}  // namespace ddump
