// libFuzzer target: the request head parser must survive any bytes in any
// chunking, never read past what it is given, and keep its own promises: it
// stops where the head ends (or at the first byte that breaks a rule), never
// past one of its limits, and a complete head really ends in CRLF CRLF.
// The last input byte picks the chunk size, so split points are fuzzed too
// (the last byte, so that whole request heads make useful seeds).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>

#include "request_head.h"

namespace {

using ddump::RequestHeadParser;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const size_t chunk = size_t{data[size - 1]} + 1;
  const std::span<const uint8_t> input(data, size - 1);
  std::span<const uint8_t> rest = input;
  RequestHeadParser parser;
  while (!rest.empty() && parser.progress() == RequestHeadParser::Progress::NeedMore) {
    const auto piece = rest.first(std::min(chunk, rest.size()));
    parser.feed(piece);
    rest = rest.subspan(piece.size());
  }
  const size_t head = parser.headBytes();
  check(head <= input.size());
  check(head <= RequestHeadParser::kMaxHeadBytes + 1);
  check(parser.fields() <= RequestHeadParser::kMaxFields + 1);
  check(parser.leadingBytes() <= head);
  switch (parser.progress()) {
    case RequestHeadParser::Progress::NeedMore:
      check(head == input.size());
      break;
    case RequestHeadParser::Progress::Complete:
      check(head <= RequestHeadParser::kMaxHeadBytes && head >= 4);
      check(input[head - 4] == '\r' && input[head - 3] == '\n' && input[head - 2] == '\r' &&
            input[head - 1] == '\n');
      check(std::find(input.begin(), input.begin() + static_cast<std::ptrdiff_t>(head), 0) ==
            input.begin() + static_cast<std::ptrdiff_t>(head));
      break;
    case RequestHeadParser::Progress::Failed: {
      const int status = parser.refusal().status;
      check(status == 400 || status == 414 || status == 431);
      check(!parser.refusal().message.empty());
      break;
    }
  }
  // Fed whole, the same bytes give the same answer.
  RequestHeadParser whole;
  whole.feed(input);
  check(whole.progress() == parser.progress() && whole.headBytes() == head);
  return 0;
}
