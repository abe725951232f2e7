// The client's HTTP/1.1 pieces: chunked decoding (RFC 9112 §7.1) fed at every
// split point, hostile chunk framing, the response head parser, body framing
// (§6.3) and the request it sends.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "chunked_decoder.h"
#include "http_body.h"
#include "http_request.h"
#include "http_response_head.h"

using namespace ddump;
using namespace std::string_literals;

namespace {

std::span<const uint8_t> bytesOf(const std::string& text) {
  return {reinterpret_cast<const uint8_t*>(text.data()), text.size()};
}

struct Decoded {
  std::string payload;
  bool done = false;
  std::string error;
};

// Feeds `wire` to a body decoder in pieces cut at `cuts`, as socket reads would.
Decoded decodeSplit(HttpBodyDecoder body, const std::string& wire, const std::vector<size_t>& cuts) {
  Decoded out;
  size_t from = 0;
  std::vector<size_t> ends = cuts;
  ends.push_back(wire.size());
  for (const size_t end : ends) {
    std::span<const uint8_t> piece = bytesOf(wire).subspan(from, end - from);
    from = end;
    while (!piece.empty() && !body.done()) {
      auto step = body.next(piece);
      if (!step) {
        out.error = step.error().message;
        return out;
      }
      REQUIRE(step->consumed <= piece.size());
      // A data view lies inside the bytes it was given and ends the step.
      if (!step->data.empty()) {
        REQUIRE(step->data.data() + step->data.size() == piece.data() + step->consumed);
      }
      out.payload.append(reinterpret_cast<const char*>(step->data.data()), step->data.size());
      piece = piece.subspan(step->consumed);
    }
  }
  out.done = body.done();
  if (!out.done) {
    if (Status s = body.endOfInput(); !s) out.error = s.error().message;
  }
  return out;
}

std::string framingName(BodyFraming framing) {
  switch (framing) {
    case BodyFraming::None: return "none";
    case BodyFraming::Chunked: return "chunked";
    case BodyFraming::ContentLength: return "content-length";
    case BodyFraming::UntilClose: return "until-close";
  }
  return "?";
}

Decoded decodeChunked(const std::string& wire, const std::vector<size_t>& cuts = {}) {
  return decodeSplit(HttpBodyDecoder(BodyFraming::Chunked, 0), wire, cuts);
}

const std::string kWire =
    "4\r\nWiki\r\n"
    "6;name=value;flag\r\npedia \r\n"
    "E\r\nin \r\n\r\nchunks.\r\n"
    "10  ;x\r\n0123456789abcdef\r\n"
    "0\r\nExpires: never\r\nX-Trailer: 1\r\n\r\n";
const std::string kPayload = "Wikipedia in \r\n\r\nchunks.0123456789abcdef";

}  // namespace

TEST_CASE("chunked body decodes the same at every split point and pair of split points",
          "[http]") {
  const Decoded whole = decodeChunked(kWire);
  CHECK(whole.error.empty());
  CHECK(whole.done);
  CHECK(whole.payload == kPayload);
  for (size_t a = 0; a <= kWire.size(); ++a) {
    for (size_t b = a; b <= kWire.size(); b += 7) {
      const Decoded split = decodeChunked(kWire, {a, b});
      INFO("cuts at " << a << " and " << b);
      REQUIRE(split.error.empty());
      REQUIRE(split.done);
      REQUIRE(split.payload == kPayload);
    }
  }
}

TEST_CASE("bytes after the last chunk are not consumed", "[http]") {
  ChunkedDecoder decoder;
  const std::string wire = "3\r\nabc\r\n0\r\n\r\nGARBAGE";
  size_t used = 0;
  std::string payload;
  while (used < wire.size() && !decoder.done()) {
    auto step = decoder.next(bytesOf(wire).subspan(used));
    REQUIRE(step);
    payload.append(reinterpret_cast<const char*>(step->data.data()), step->data.size());
    used += step->consumed;
  }
  CHECK(payload == "abc");
  CHECK(used == wire.size() - 7);
  CHECK(decoder.dataBytes() == 3);
}

TEST_CASE("hostile chunk framing fails with the reason and the byte", "[http]") {
  struct Case {
    std::string wire;
    std::string error;
  };
  const std::vector<Case> cases = {
      {"zz\r\n", "bad chunked encoding: chunk size is not a hex number at byte 0 of the body"},
      {"\r\n", "chunk size is not a hex number at byte 0"},
      {"-1\r\n", "chunk size is not a hex number at byte 0"},
      {"4x\r\nabcd\r\n", "chunk size is not a hex number at byte 1"},
      {"1000000000000000\r\n", "chunk size too large at byte 15"},
      {"4\nabcd\r\n", "chunk size is not a hex number at byte 1"},
      {"4\r\nabcdef\r\n", "chunk data not followed by CRLF (chunk size wrong?) at byte 7"},
      {"4\r\nabcd\r\r", "chunk data not followed by CRLF (chunk size wrong?) at byte 8"},
      {"4;" + std::string(5000, 'e') + "\r\n", "chunk extension too long"},
      {"4;a\nb\r\n", "chunk extension too long or holds a line feed at byte 3"},
      {"0\r\nX: " + std::string(5000, 't') + "\r\n\r\n", "trailer field too long"},
      {"0\r\n\r\r", "chunked body not ended by CRLF at byte 4"},
      {"0\r\nX: 1\n", "trailer field too long or holds a line feed at byte 7"},
  };
  for (const auto& c : cases) {
    INFO(c.wire.substr(0, 40));
    const Decoded out = decodeChunked(c.wire);
    CHECK_FALSE(out.done);
    CHECK_THAT(out.error, Catch::Contains(c.error));
  }
  // Leading zeros are not significant digits.
  const Decoded zeros = decodeChunked(std::string(40, '0') + "4\r\nabcd\r\n0000\r\n\r\n");
  CHECK(zeros.error.empty());
  CHECK(zeros.payload == "abcd");
  // Many small trailer fields: bounded as a whole.
  std::string trailers = "0\r\n";
  for (int i = 0; i < 2000; ++i) trailers += "X-Field: 1234\r\n";
  CHECK_THAT(decodeChunked(trailers + "\r\n").error, Catch::Contains("trailer section too long"));
  // Once failed it stays failed.
  ChunkedDecoder decoder;
  CHECK_FALSE(decoder.next(bytesOf("q")));
  CHECK_FALSE(decoder.next(bytesOf("4\r\nabcd\r\n")));
  CHECK(decoder.state() == ChunkedDecoder::State::Failed);
}

TEST_CASE("a body cut short is an error; one ended by the connection is not", "[http]") {
  CHECK(decodeChunked("4\r\nab").error == "connection closed before the chunked body ended");
  CHECK(decodeChunked("4\r\nabcd\r\n").error == "connection closed before the chunked body ended");
  const Decoded sized = decodeSplit(HttpBodyDecoder(BodyFraming::ContentLength, 10), "abcd", {2});
  CHECK(sized.error == "connection closed after 4 of 10 body bytes");
  const Decoded exact = decodeSplit(HttpBodyDecoder(BodyFraming::ContentLength, 4), "abcdEXTRA", {1});
  CHECK(exact.done);
  CHECK(exact.payload == "abcd");
  const Decoded closed = decodeSplit(HttpBodyDecoder(BodyFraming::UntilClose, 0), "abcdef", {3});
  CHECK(closed.error.empty());
  CHECK(closed.payload == "abcdef");
  CHECK(HttpBodyDecoder(BodyFraming::None, 0).done());
}

TEST_CASE("response heads parse at every split point, interim 1xx skipped", "[http]") {
  const std::string head =
      "HTTP/1.1 100 Continue\r\n\r\n"
      "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.tcpdump.pcap\r\n"
      "transfer-encoding:  chunked \r\nX-Ddump-Host: w1\r\nX-Empty:\r\n\r\n";
  const std::string wire = head + "BODY";
  for (size_t cut = 0; cut <= wire.size(); ++cut) {
    HttpHeadParser parser;
    auto first = parser.feed(bytesOf(wire).first(cut));
    REQUIRE(first);
    size_t used = *first;
    if (!parser.complete()) {
      REQUIRE(used == cut);
      auto second = parser.feed(bytesOf(wire).subspan(cut));
      REQUIRE(second);
      used += *second;
    }
    REQUIRE(parser.complete());
    CHECK(used == head.size());
    const HttpResponseHead& h = parser.head();
    CHECK(h.status == 200);
    CHECK(h.reason == "OK");
    CHECK(h.field("content-type") == "application/vnd.tcpdump.pcap");
    CHECK(h.field("X-DDUMP-HOST") == "w1");
    CHECK(h.has("X-Empty"));
    CHECK_FALSE(h.has("X-Missing"));
    uint64_t length = 0;
    auto framing = bodyFraming(h, length);
    REQUIRE(framing);
    CHECK(*framing == BodyFraming::Chunked);
  }
}

TEST_CASE("hostile response heads are refused with the reason", "[http]") {
  auto headError = [](const std::string& wire) {
    HttpHeadParser parser;
    auto used = parser.feed(bytesOf(wire));
    return used ? std::string(parser.complete() ? "complete" : "incomplete") : used.error().message;
  };
  CHECK(headError("<html>hello</html>\r\n\r\n") ==
        "bad HTTP response: status line '<html>hello</html>' is not HTTP/1.x");
  CHECK(headError("HTTP/1.1 2000 OK\r\n\r\n") ==
        "bad HTTP response: status line 'HTTP/1.1 2000 OK' is not HTTP/1.x");
  CHECK(headError("HTTP/1.1 099 Low\r\n\r\n") == "bad HTTP response: status code 099");
  CHECK(headError("HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n") ==
        "bad HTTP response: malformed header line 'Bad Name: x'");
  CHECK(headError("HTTP/1.1 200 OK\r\nName : x\r\n\r\n") ==
        "bad HTTP response: malformed header line 'Name : x'");
  CHECK(headError("HTTP/1.1 101 Switching Protocols\r\n\r\n") ==
        "bad HTTP response: unexpected 101 Switching Protocols");
  // Not HTTP at all: refused at once, without waiting for a blank line.
  CHECK(headError("SSH-2.0-OpenSSH_9.2\r\n") ==
        "bad HTTP response: status line 'SSH-2.0-OpenSSH_9.2' is not HTTP/1.x");
  CHECK(headError("\x16\x03\x01") == "bad HTTP response: status line '\x3f\x3f\x3f' is not HTTP/1.x");
  CHECK(headError("HTTP/1.1 200 OK\nA: 1\n\n") ==
        "bad HTTP response: status line 'HTTP/1.1 200 OK' is not HTTP/1.x");
  CHECK(headError("HT") == "incomplete");
  CHECK(headError("HTTP/1.1 200 OK\r\nA: 1\r\n") == "incomplete");
  CHECK(headError("HTTP/1.1 200\r\n\r\n") == "complete");
  const std::string huge = "HTTP/1.1 200 OK\r\nX: " + std::string(70000, 'a');
  CHECK(headError(huge) == "bad HTTP response: header section larger than 65536 bytes");
  // A bare CR, a NUL or another control byte in the reason phrase (RFC 9112
  // §4, §2.2), as in a field value.
  CHECK(headError(std::string("HTTP/1.1 200 O\rK\r\n\r\n")) ==
        "bad HTTP response: control character in the reason phrase of 'HTTP/1.1 200 O?K'");
  CHECK(headError("HTTP/1.1 200 \0\0OK\x7f\r\n\r\n"s) ==
        "bad HTTP response: control character in the reason phrase of 'HTTP/1.1 200 ??OK?'");
  CHECK(headError("HTTP/1.1 200 \tOK\t\xc3\xa9\r\n\r\n") == "complete");
  // The error names a field by at most 60 bytes of it, on one line.
  const std::string longName(5000, 'N');
  CHECK(headError("HTTP/1.1 200 OK\r\n" + longName + ": a\0b\r\n\r\n"s) ==
        "bad HTTP response: control character in header '" + longName.substr(0, 60) + "...'");
  CHECK(headError("HTTP/1.1 200 OK\r\nA: 1\r\n b\0\r\n\r\n"s) ==
        "bad HTTP response: control character in header 'A'");
}

TEST_CASE("obs-fold continues the previous field's value", "[http]") {
  HttpHeadParser parser;
  const std::string wire = "HTTP/1.1 200 OK\r\nA: 1\r\n folded\r\n\tagain\r\nB: 2\r\n\r\n";
  auto used = parser.feed(bytesOf(wire));
  REQUIRE(used);
  REQUIRE(parser.complete());
  CHECK(parser.head().field("A") == "1 folded again");
  CHECK(parser.head().field("B") == "2");

  // Folded onto an empty value, or an empty continuation: still trimmed.
  HttpHeadParser empty;
  const std::string folded =
      "HTTP/1.1 200 OK\r\nX-Ddump-Capture-Id:\r\n\t7\r\nA: 1\r\n \r\nB:\r\n \r\n\r\n";
  REQUIRE(empty.feed(bytesOf(folded)));
  REQUIRE(empty.complete());
  CHECK(empty.head().field("X-Ddump-Capture-Id") == "7");
  CHECK(empty.head().field("A") == "1");
  CHECK(empty.head().has("B"));
  CHECK(empty.head().field("B").empty());
}

TEST_CASE("body framing follows RFC 9112 section 6.3", "[http]") {
  auto framingOf = [](const std::string& fields, uint64_t& length) {
    HttpHeadParser parser;
    const std::string wire = "HTTP/1.1 200 OK\r\n" + fields + "\r\n";
    REQUIRE(parser.feed(bytesOf(wire)));
    REQUIRE(parser.complete());
    auto framing = bodyFraming(parser.head(), length);
    return framing ? framingName(*framing) : framing.error().message;
  };
  uint64_t length = 0;
  CHECK(framingOf("Content-Length: 42\r\n", length) ==
        "content-length");
  CHECK(length == 42);
  CHECK(framingOf("Content-Length: 42\r\nContent-Length: 42\r\n", length) ==
        "content-length");
  CHECK(framingOf("", length) == "until-close");
  CHECK(framingOf("Transfer-Encoding: chunked\r\nContent-Length: 5\r\n", length) ==
        "chunked");
  CHECK(framingOf("Content-Length: 42\r\nContent-Length: 43\r\n", length) ==
        "bad HTTP response: conflicting Content-Length fields");
  CHECK(framingOf("Content-Length: -1\r\n", length) == "bad HTTP response: bad Content-Length '-1'");
  CHECK(framingOf("Content-Length: 99999999999999999999\r\n", length) ==
        "bad HTTP response: bad Content-Length '99999999999999999999'");
  CHECK(framingOf("Content-Length: 42, 42\r\n", length) == "content-length");
  CHECK(framingOf("Content-Length: 42, 43\r\n", length) ==
        "bad HTTP response: conflicting Content-Length fields");
  CHECK(framingOf("Transfer-Encoding: chunked\r\nTransfer-Encoding: gzip\r\n", length) ==
        "bad HTTP response: unsupported Transfer-Encoding 'chunked, gzip'");
  CHECK(framingOf("Transfer-Encoding: gzip, chunked\r\n", length) ==
        "bad HTTP response: unsupported Transfer-Encoding 'gzip, chunked'");
}

TEST_CASE("the GET request carries host, credentials and a safe target", "[http]") {
  GetRequest request{"[::1]:8475", "/capture?filter=tcp%20port%2080", {{"Accept", "x/y"}}, true,
                     "alice", "s3cret:x"};
  auto bytes = formatGetRequest(request);
  REQUIRE(bytes);
  CHECK(*bytes ==
        "GET /capture?filter=tcp%20port%2080 HTTP/1.1\r\nHost: [::1]:8475\r\nAccept: x/y\r\n"
        "Authorization: Basic YWxpY2U6czNjcmV0Ong=\r\nConnection: close\r\n\r\n");
  request.requestTarget = "/a b\r\nX-Evil: 1";
  request.basicAuth = false;
  CHECK(formatGetRequest(request)->rfind("GET /a%20b%0D%0AX-Evil:%201 HTTP/1.1\r\n", 0) == 0);
  request.keepAlive = true;
  CHECK(formatGetRequest(request)->find("Connection") == std::string::npos);  // 1.1 default
  request.headers = {{"Accept", "x\r\nX-Evil: 1"}};
  CHECK_FALSE(formatGetRequest(request));
  // RFC 4648 §10 test vectors.
  CHECK(base64Encode("") == "");
  CHECK(base64Encode("f") == "Zg==");
  CHECK(base64Encode("fo") == "Zm8=");
  CHECK(base64Encode("foo") == "Zm9v");
  CHECK(base64Encode("foob") == "Zm9vYg==");
  CHECK(base64Encode("fooba") == "Zm9vYmE=");
  CHECK(base64Encode("foobar") == "Zm9vYmFy");
}
