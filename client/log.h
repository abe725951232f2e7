#pragma once
// stderr messages, one whole line per call (threads never interleave halves):
// errors always, information unless -q, details only with -v.

#include <string>

namespace ddump::log {

void configure(bool quiet, bool verbose);
bool verbose();
void error(const std::string& line);
void info(const std::string& line);
void detail(const std::string& line);

}  // namespace ddump::log
