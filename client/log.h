#pragma once
// stderr messages, one whole line per call (threads never interleave halves):
// errors always, information unless -q, details only with -v.

#include <string>
#include <vector>

namespace ddump::log {

void configure(bool quiet, bool verbose);
bool verbose();
void error(const std::string& line);
void info(const std::string& line);
void detail(const std::string& line);

// The live progress table (a terminal only): drawn in place of the previous
// one; every message line first erases it and then redraws it below itself,
// so the two never interleave. hideFrame() erases it for good.
void showFrame(const std::vector<std::string>& lines);
void hideFrame();

}  // namespace ddump::log
