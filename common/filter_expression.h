#pragma once
// Which command-line words are targets and which are the filter expression.
//
// tcpdump takes as its expression every argument left after the options,
// joined with spaces, so users write it quoted whole ('tcp port 80'), split
// (tcp port 80) or both ('tcp port' 80). ddump's positionals start with the
// targets, so the expression is:
//   * every word after "--", and otherwise
//   * the first word whose first token starts a pcap-filter(7) expression
//     (startsFilterExpression), with every word after it.
// The words are joined with spaces, as tcpdump joins them (blank ones left
// out). A word with a space that does not start an expression (a file
// "my trace.pcap") stays a target.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace ddump {

struct PositionalWords {
  std::vector<std::string> targets;
  std::optional<std::string> expression;           // joined; absent when none or only blanks
  std::optional<std::string> firstExpressionWord;  // the word that started it, for messages
};

// `firstAfterDashDash`: index in `words` of the first word that followed
// "--" (words.size() when "--" came last); nullopt when there was no "--".
PositionalWords splitPositionals(const std::vector<std::string>& words,
                                 std::optional<size_t> firstAfterDashDash);

// True when the word's first token is a filter keyword (tcp, host, not,
// ...; also as in "tcp[13]&2!=0" or "len<=64"), or it starts with '(' or '!'.
bool startsFilterExpression(std::string_view word);

// -f and a trailing expression are two ways to give the one filter.
Result<std::optional<std::string>> chooseFilter(const std::optional<std::string>& flagFilter,
                                                const std::optional<std::string>& expression);

}  // namespace ddump
