// libFuzzer target: the client's HTTP/1.1 response head parser
// (common/http_response_head) over any bytes, fed in pieces as socket reads
// would hand them over. The last input byte picks the piece sizes (0: one
// piece), so split points are fuzzed too and whole responses make seeds.
// Each piece is copied into a buffer of exactly its size: a read past it is
// an ASan report. Invariants:
//   * fed in pieces or whole, the same outcome: bytes used, head or error;
//   * a complete head ends in CRLF CRLF (RFC 9112 §2.1) at the bytes used,
//     its status is 200-999 (1xx interim heads skipped, RFC 9110 §15.2), its
//     field names are tokens and no value or reason phrase holds CR, LF or
//     NUL (RFC 9110 §5.5, RFC 9112 §4) or starts or ends with whitespace;
//   * an error is one printable line naming the response;
//   * bodyFraming of a complete head is consistent with its fields.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "http_response_head.h"

namespace {

using ddump::BodyFraming;
using ddump::HttpHeadParser;
using ddump::HttpResponseHead;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool printableLine(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

bool hasBreak(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos;
}

bool trimmed(std::string_view text) {
  return text.empty() ||
         (text.front() != ' ' && text.front() != '\t' && text.back() != ' ' && text.back() != '\t');
}

bool isTokenChar(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool isStatusLineError(const std::string& error) {
  return error.rfind("bad HTTP response: status line '", 0) == 0 && error.size() >= 17 &&
         error.compare(error.size() - 17, 17, "' is not HTTP/1.x") == 0;
}

struct Outcome {
  size_t used = 0;
  bool complete = false;
  std::string error;
  HttpResponseHead head;
};

// Piece sizes from `seed`: 0 means one piece, else a walk over 1..seed.
class Pieces {
 public:
  explicit Pieces(uint8_t seed) : seed_(seed), state_(seed) {}
  size_t next(size_t left) {
    if (seed_ == 0) return left;
    state_ = state_ * 1103515245u + 12345u;
    return std::min<size_t>(left, 1 + (state_ >> 16) % seed_);
  }

 private:
  uint32_t seed_;
  uint32_t state_;
};

Outcome parse(std::span<const uint8_t> input, uint8_t seed) {
  Outcome out;
  HttpHeadParser parser;
  Pieces pieces(seed);
  size_t at = 0;
  while (at < input.size() && !parser.complete()) {
    const size_t size = pieces.next(input.size() - at);
    const std::vector<uint8_t> piece(input.begin() + static_cast<std::ptrdiff_t>(at),
                                     input.begin() + static_cast<std::ptrdiff_t>(at + size));
    at += size;
    auto used = parser.feed(piece);
    if (!used) {
      out.error = used.error().message;
      return out;
    }
    check(*used <= piece.size());
    // Until the head is complete every byte given belongs to it.
    check(parser.complete() || *used == piece.size());
    out.used += *used;
  }
  out.complete = parser.complete();
  if (out.complete) out.head = parser.head();
  return out;
}

void checkHead(std::span<const uint8_t> input, const Outcome& out) {
  check(out.used >= 16 && out.used <= input.size());
  check(std::string_view(reinterpret_cast<const char*>(input.data()) + out.used - 4, 4) ==
        "\r\n\r\n");
  const HttpResponseHead& head = out.head;
  check(head.status >= 200 && head.status <= 999);
  check(!hasBreak(head.reason) && trimmed(head.reason));
  for (const auto& [name, value] : head.fields) {
    check(!name.empty() && std::all_of(name.begin(), name.end(), isTokenChar));
    check(!hasBreak(value) && trimmed(value));
    check(head.has(name));
  }
  uint64_t length = 0;
  const auto framing = ddump::bodyFraming(head, length);
  if (!framing) {
    check(printableLine(framing.error().message));
    check(framing.error().message.rfind("bad HTTP response: ", 0) == 0);
    return;
  }
  const bool noBody = head.status == 204 || head.status == 304;
  check((*framing == BodyFraming::None) == noBody);
  if (*framing == BodyFraming::Chunked) check(head.has("Transfer-Encoding"));
  if (*framing == BodyFraming::ContentLength) {
    check(!head.has("Transfer-Encoding") && head.has("Content-Length"));
    check(length < 1'000'000'000'000'000'000u);
  }
  if (*framing == BodyFraming::UntilClose) {
    check(!head.has("Transfer-Encoding") && !head.has("Content-Length"));
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> input(data, size - 1);
  const Outcome split = parse(input, data[size - 1]);
  const Outcome whole = parse(input, 0);
  check(split.complete == whole.complete && split.error.empty() == whole.error.empty());
  // What is not HTTP is refused as soon as it shows, quoting the status line
  // as far as it has arrived: only that message may depend on the pieces.
  check(split.error == whole.error ||
        (isStatusLineError(split.error) && isStatusLineError(whole.error)));
  if (!split.error.empty()) {
    check(printableLine(split.error));
    check(split.error.rfind("bad HTTP response: ", 0) == 0 && split.error.size() <= 200);
    return 0;
  }
  if (!split.complete) {
    check(split.used == input.size() && whole.used == input.size());
    return 0;
  }
  check(split.used == whole.used && split.head.status == whole.head.status &&
        split.head.reason == whole.head.reason && split.head.fields == whole.head.fields);
  checkHead(input, split);
  return 0;
}
