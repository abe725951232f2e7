// The worker's request head gate (common/request_head.h): golden heads fed at
// every split point and pair of split points, every limit at its boundary,
// and hostile heads refused with the status and reason, however they are cut.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "request_head.h"

using namespace ddump;
using Progress = RequestHeadParser::Progress;

namespace {

std::span<const uint8_t> bytesOf(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

struct Outcome {
  Progress progress = Progress::NeedMore;
  size_t headBytes = 0;
  size_t leadingBytes = 0;
  size_t fields = 0;
  int status = 0;
  std::string message;
};

bool operator==(const Outcome& a, const Outcome& b) {
  return a.progress == b.progress && a.headBytes == b.headBytes &&
         a.leadingBytes == b.leadingBytes && a.fields == b.fields && a.status == b.status &&
         a.message == b.message;
}

std::ostream& operator<<(std::ostream& out, const Outcome& o) {
  return out << "{progress " << static_cast<int>(o.progress) << ", head " << o.headBytes
             << ", leading " << o.leadingBytes << ", fields " << o.fields << ", " << o.status
             << " '" << o.message << "'}";
}

// Feeds `wire` in pieces cut at `cuts` (ascending), as socket reads would,
// including the pieces after the head ended (which must change nothing).
Outcome feedSplit(const std::string& wire, const std::vector<size_t>& cuts = {}) {
  RequestHeadParser parser;
  const auto all = bytesOf(wire);
  size_t from = 0;
  for (const size_t cut : cuts) {
    parser.feed(all.subspan(from, cut - from));
    from = cut;
  }
  parser.feed(all.subspan(from));
  Outcome o{parser.progress(), parser.headBytes(), parser.leadingBytes(), parser.fields(), 0, ""};
  if (parser.progress() == Progress::Failed) {
    o.status = parser.refusal().status;
    o.message = parser.refusal().message;
  }
  return o;
}

// The same outcome whole, at every split point, at pairs of split points
// (`pairStride` apart, to keep large inputs quick) and one byte at a time.
void requireSameAtEverySplit(const std::string& wire, size_t stride = 1, size_t pairStride = 3) {
  const Outcome whole = feedSplit(wire);
  for (size_t cut = 0; cut <= wire.size(); cut += stride) {
    INFO("split at " << cut);
    REQUIRE(feedSplit(wire, {cut}) == whole);
  }
  for (size_t a = 0; a <= wire.size(); a += pairStride) {
    for (size_t b = a; b <= wire.size(); b += pairStride + 2) {
      INFO("split at " << a << " and " << b);
      REQUIRE(feedSplit(wire, {a, b}) == whole);
    }
  }
  RequestHeadParser parser;
  for (const uint8_t c : bytesOf(wire)) parser.feed(std::span<const uint8_t>(&c, 1));
  CHECK(parser.headBytes() == whole.headBytes);
  CHECK(parser.progress() == whole.progress);
}

Outcome complete(size_t headBytes, size_t fields, size_t leadingBytes = 0) {
  return {Progress::Complete, headBytes, leadingBytes, fields, 0, ""};
}

// A request line of exactly `size` bytes, CRLF included.
std::string requestLineOf(size_t size) {
  const std::string prefix = "GET /healthz?pad=";
  const std::string suffix = " HTTP/1.1\r\n";
  return prefix + std::string(size - prefix.size() - suffix.size(), 'a') + suffix;
}

// A field line of exactly `size` bytes, CRLF included.
std::string fieldLineOf(size_t size) {
  return "X-Pad: " + std::string(size - 9, 'b') + "\r\n";
}

std::string fieldsOf(size_t count) {
  std::string out;
  for (size_t i = 1; i <= count; ++i) out += "X-Field-" + std::to_string(i) + ": 1\r\n";
  return out;
}

}  // namespace

TEST_CASE("request heads pass at every split point and stop where they end",
          "[http][request_head]") {
  const std::string curl =
      "GET /capture?filter=icmp HTTP/1.1\r\nHost: 10.0.0.1:8475\r\nUser-Agent: curl/7.88.1\r\n"
      "Accept: */*\r\n\r\n";
  requireSameAtEverySplit(curl);
  CHECK(feedSplit(curl) == complete(curl.size(), 3));

  // What follows the head (a pipelined request, a body) is not read.
  const std::string next = "GET /stats HTTP/1.1\r\nHost: w\r\n\r\n";
  requireSameAtEverySplit(curl + next);
  CHECK(feedSplit(curl + next) == complete(curl.size(), 3));

  // Field values: empty, tabs inside and around, obs-text, any visible bytes.
  const std::string values =
      "GET / HTTP/1.1\r\nHost: w\r\nX-Empty:\r\nX-Tab:\tone\ttwo\t\r\nX-Text: caf\xc3\xa9\r\n"
      "X-Visible: !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~\r\n\r\n";
  requireSameAtEverySplit(values);
  CHECK(feedSplit(values) == complete(values.size(), 5));

  // Other request-target forms (RFC 9112 §3.2) and HTTP/1.0 without fields.
  CHECK(feedSplit("OPTIONS * HTTP/1.1\r\nHost: w\r\n\r\n") == complete(31, 1));
  CHECK(feedSplit("GET http://w:8475/healthz HTTP/1.1\r\n\r\n") == complete(38, 0));
  CHECK(feedSplit("GET / HTTP/1.0\r\n\r\n") == complete(18, 0));
}

TEST_CASE("empty lines before the request line are skipped, not refused", "[http][request_head]") {
  // RFC 9112 §2.2: a server SHOULD ignore at least one empty line there.
  const std::string wire = "\r\n\r\nGET / HTTP/1.1\r\nHost: w\r\n\r\n";
  requireSameAtEverySplit(wire);
  CHECK(feedSplit(wire) == complete(wire.size(), 1, 4));
}

TEST_CASE("every limit holds at its boundary and fails one byte past it", "[http][request_head]") {
  using P = RequestHeadParser;
  SECTION("request line: 8192 bytes with its CRLF") {
    const std::string ok = requestLineOf(P::kMaxRequestLineBytes) + "\r\n";
    CHECK(feedSplit(ok) == complete(ok.size(), 0));
    const std::string over = requestLineOf(P::kMaxRequestLineBytes + 1) + "\r\n";
    const Outcome refused{Progress::Failed, 8193, 0, 0, 414, "request line longer than 8192 bytes"};
    CHECK(feedSplit(over) == refused);
    requireSameAtEverySplit(over, 97, 1031);
  }
  SECTION("a field line: 8192 bytes with its CRLF") {
    const std::string head = "GET / HTTP/1.1\r\n";
    const std::string ok = head + fieldLineOf(P::kMaxFieldLineBytes) + "\r\n";
    CHECK(feedSplit(ok) == complete(ok.size(), 1));
    const std::string over = head + "Host: w\r\n" + fieldLineOf(P::kMaxFieldLineBytes + 1) + "\r\n";
    const Outcome refused{Progress::Failed,
                          head.size() + 9 + 8193,
                          0,
                          2,
                          431,
                          "header field 2 longer than 8192 bytes"};
    CHECK(feedSplit(over) == refused);
    requireSameAtEverySplit(over, 97, 1031);
  }
  SECTION("100 header fields") {
    const std::string ok = "GET / HTTP/1.1\r\n" + fieldsOf(P::kMaxFields) + "\r\n";
    CHECK(feedSplit(ok) == complete(ok.size(), 100));
    const std::string over = "GET / HTTP/1.1\r\n" + fieldsOf(P::kMaxFields + 1) + "\r\n";
    const Outcome refused{
        Progress::Failed, ok.size() - 2 + 1, 0, 101, 431, "more than 100 header fields"};
    CHECK(feedSplit(over) == refused);
    requireSameAtEverySplit(over, 7, 211);
  }
  SECTION("the whole head: 65536 bytes with the empty line") {
    // 16 fields of 4096 bytes, the last one shortened to land on the limit.
    std::string ok = "GET / HTTP/1.1\r\n";
    while (ok.size() + 4096 + 2 <= P::kMaxHeadBytes) ok += fieldLineOf(4096);
    ok += fieldLineOf(P::kMaxHeadBytes - ok.size() - 2) + "\r\n";
    REQUIRE(ok.size() == P::kMaxHeadBytes);
    CHECK(feedSplit(ok) == complete(P::kMaxHeadBytes, 16));
    const std::string over = "\r\n" + ok;  // one leading empty line more
    const Outcome refused{
        Progress::Failed, 65537, 2, 16, 431, "request head longer than 65536 bytes"};
    CHECK(feedSplit(over) == refused);
    requireSameAtEverySplit(over, 1021, 8191);
  }
}

TEST_CASE("a flood of header lines is refused after a few hundred bytes", "[http][request_head]") {
  // One connection sending 40 MB of "X:1\r\n": the parser stops at field 101
  // and ignores everything after, storing nothing.
  RequestHeadParser parser;
  const std::string start = "GET /healthz HTTP/1.1\r\n";
  std::string lines;
  for (int i = 0; i < 13107; ++i) lines += "X:1\r\n";  // 64 KiB of them
  CHECK(parser.feed(bytesOf(start)) == Progress::NeedMore);
  for (int i = 0; i < 640; ++i) parser.feed(bytesOf(lines));
  CHECK(parser.progress() == Progress::Failed);
  CHECK(parser.headBytes() == start.size() + 100 * 5 + 1);
  CHECK(parser.refusal().violation == HeadViolation::TooManyFields);
  CHECK(parser.refusal().message == "more than 100 header fields");

  // One endless field line: refused at its 8193rd byte.
  RequestHeadParser line;
  line.feed(bytesOf(start + "X: "));
  for (int i = 0; i < 640; ++i) line.feed(bytesOf(std::string(65536, 'a')));
  CHECK(line.refusal().violation == HeadViolation::FieldLineTooLong);
  CHECK(line.headBytes() == start.size() + 8193);
}

TEST_CASE("malformed heads are refused with 400 and the reason, however cut",
          "[http][request_head]") {
  struct Case {
    std::string wire;
    std::string message;
  };
  const std::string get = "GET / HTTP/1.1\r\n";
  const std::vector<Case> cases = {
      // RFC 9112 §5.2: obsolete line folding.
      {get + "X-A: one\r\n two\r\n\r\n", "obsolete line folding after header field 1"},
      {get + "X-A: one\r\n\ttwo\r\n\r\n", "obsolete line folding after header field 1"},
      // §2.2: whitespace before the first field.
      {get + " Host: w\r\n\r\n", "whitespace between the request line and the first header field"},
      // §2.2: bare CR, anywhere.
      {get + "X-A: one\rtwo\r\n\r\n", "bare CR in header field 1"},
      {"GET / HTTP/1.1\rHost: w\r\n\r\n", "bare CR in the request line"},
      {get + "\rX", "bare CR in the empty line that ends the head"},
      {"\rGET / HTTP/1.1\r\n\r\n", "bare CR before the request line"},
      {"GET /a\rb HTTP/1.1\r\n\r\n", "request line has no HTTP version"},
      // CRLF only (see request_head.h).
      {"GET / HTTP/1.1\nHost: w\n\n", "a line ends in a bare LF instead of CRLF"},
      {get + "Host: w\n\r\n", "a line ends in a bare LF instead of CRLF"},
      {get + "Host: w\r\n\n", "a line ends in a bare LF instead of CRLF"},
      // NUL and other controls (RFC 9110 §5.5).
      {get + std::string("X-A: a\0b\r\n\r\n", 12), "NUL byte in the request head"},
      {std::string("GET /\0 HTTP/1.1\r\n\r\n", 19), "NUL byte in the request head"},
      {get + "X-A: a\x01z\r\n\r\n", "control character 0x01 in header field 1"},
      {get + "X-A: a\x7fz\r\n\r\n", "control character 0x7f in header field 1"},
      {"GET /a\x1b HTTP/1.1\r\n\r\n", "control character 0x1b in the request target"},
      // Field names (RFC 9112 §5.1, RFC 9110 §5.1).
      {get + "Host : w\r\n\r\n", "whitespace before the colon of header field 1"},
      {get + "Host\t: w\r\n\r\n", "whitespace before the colon of header field 1"},
      {get + ": w\r\n\r\n", "header field 1 has an empty name"},
      {get + "Host: w\r\nNo-Colon\r\n\r\n", "header field 2 has no colon"},
      {get + "X(A): w\r\n\r\n", "header field 1 name holds byte 0x28, not a token"},
      {get + "\x80: w\r\n\r\n", "header field 1 name holds byte 0x80, not a token"},
      // The request line (RFC 9112 §3).
      {"\x16\x03\x01\x02", "method holds byte 0x16, not a token"},  // a TLS ClientHello
      {"G(T / HTTP/1.1\r\n\r\n", "method holds byte 0x28, not a token"},
      {" GET / HTTP/1.1\r\n\r\n", "request line starts with a space"},
      {"GET  / HTTP/1.1\r\n\r\n", "two spaces after the method in the request line"},
      {"GET\r\n\r\n", "request line has no request target"},
      {"GET /\r\n\r\n", "request line has no HTTP version"},
      {"GET / http/1.1\r\n\r\n", "HTTP version is not HTTP/DIGIT.DIGIT"},
      {"GET / HTTP/1.x\r\n\r\n", "HTTP version is not HTTP/DIGIT.DIGIT"},
      {"GET / HTTP/11\r\n\r\n", "HTTP version is not HTTP/DIGIT.DIGIT"},
      {"GET / HTTP/1.1 \r\n\r\n", "request line goes on after the HTTP version"},
      {"GET / HTTP/1.1 extra\r\n\r\n", "request line goes on after the HTTP version"},
  };
  for (const auto& c : cases) {
    INFO("wire: " << c.wire);
    const Outcome o = feedSplit(c.wire);
    CHECK(o.progress == Progress::Failed);
    CHECK(o.status == 400);
    CHECK(o.message == "malformed request head: " + c.message);
    requireSameAtEverySplit(c.wire);
  }
}

TEST_CASE("a head cut short needs more and is never complete", "[http][request_head]") {
  const std::string wire = "GET /healthz HTTP/1.1\r\nHost: w\r\n\r\n";
  for (size_t n = 0; n < wire.size(); ++n) {
    INFO("first " << n << " bytes");
    const Outcome o = feedSplit(wire.substr(0, n));
    CHECK(o.progress == Progress::NeedMore);
    CHECK(o.headBytes == n);
  }
}

TEST_CASE("refusals name their limit and status", "[http][request_head]") {
  RequestHeadParser parser;
  parser.feed(bytesOf(requestLineOf(9000)));
  CHECK(parser.refusal().violation == HeadViolation::RequestLineTooLong);
  CHECK(parser.refusal().status == 414);
  // Nothing after a refusal changes it.
  CHECK(parser.feed(bytesOf("\r\n\r\n")) == Progress::Failed);
  CHECK(parser.headBytes() == 8193);
  CHECK(parser.refusal().message == "request line longer than 8192 bytes");
}
