#include "request_head.h"

#include <cstdio>
#include <string_view>

namespace ddump {
namespace {

bool isDigit(uint8_t c) {
  return c >= '0' && c <= '9';
}

bool isAlpha(uint8_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

// tchar (RFC 9110 §5.6.2): what a method and a field name are made of.
bool isTchar(uint8_t c) {
  static constexpr std::string_view kSpecial = "!#$%&'*+-.^_`|~";
  return isAlpha(c) || isDigit(c) || kSpecial.find(static_cast<char>(c)) != std::string_view::npos;
}

// CTL (RFC 5234 B.1).
bool isCtl(uint8_t c) {
  return c < 0x20 || c == 0x7f;
}

std::string hexByte(uint8_t c) {
  char text[8];
  std::snprintf(text, sizeof text, "0x%02x", c);
  return text;
}

// HTTP-version = HTTP-name "/" DIGIT "." DIGIT, HTTP-name case-sensitive
// (RFC 9112 §2.3); '0' stands for any digit.
constexpr std::string_view kVersionShape = "HTTP/0.0";

}  // namespace

RequestHeadParser::Progress RequestHeadParser::feed(std::span<const uint8_t> bytes) {
  for (const uint8_t c : bytes) {
    if (progress_ != Progress::NeedMore) break;
    ++headBytes_;
    ++lineBytes_;
    if (withinLimits()) step(c);
  }
  return progress_;
}

// Checked before the byte is looked at, so a head is refused as soon as it is
// one byte too long, however it goes on.
bool RequestHeadParser::withinLimits() {
  const bool requestLine = state_ == State::Method || state_ == State::Target ||
                           state_ == State::Version || state_ == State::RequestLf;
  const bool fieldLine =
      state_ == State::FieldName || state_ == State::FieldValue || state_ == State::FieldLf;
  if (requestLine && lineBytes_ > kMaxRequestLineBytes) {
    return fail(HeadViolation::RequestLineTooLong,
                "request line longer than " + std::to_string(kMaxRequestLineBytes) + " bytes");
  }
  if (fieldLine && lineBytes_ > kMaxFieldLineBytes) {
    return fail(HeadViolation::FieldLineTooLong,
                fieldLabel() + " longer than " + std::to_string(kMaxFieldLineBytes) + " bytes");
  }
  if (headBytes_ > kMaxHeadBytes) {
    return fail(HeadViolation::HeadTooLarge,
                "request head longer than " + std::to_string(kMaxHeadBytes) + " bytes");
  }
  return true;
}

bool RequestHeadParser::step(uint8_t c) {
  const bool atLf = state_ == State::LeadingLf || state_ == State::RequestLf ||
                    state_ == State::FieldLf || state_ == State::FinalLf;
  // Line ends are CRLF only (RFC 9112 §2.2; see the header), and NUL is never
  // valid in a head (RFC 9110 §5.5).
  if (c == '\n' && !atLf) return malformed("a line ends in a bare LF instead of CRLF");
  if (c == 0) return malformed("NUL byte in the request head");
  switch (state_) {
    case State::LineStart:
      if (c == '\r') {
        state_ = State::LeadingLf;
        return true;
      }
      state_ = State::Method;
      return requestLine(c);
    case State::LeadingLf:
      if (c != '\n') return malformed("bare CR before the request line");
      leadingBytes_ = headBytes_;
      lineBytes_ = 0;
      state_ = State::LineStart;
      return true;
    case State::Method:
    case State::Target:
      return requestLine(c);
    case State::Version:
      return version(c);
    case State::RequestLf:
      return expectLf(c, State::FieldStart, "the request line");
    case State::FieldStart:
      return fieldStart(c);
    case State::FieldName:
      return fieldName(c);
    case State::FieldValue:
      return fieldValue(c);
    case State::FieldLf:
      return expectLf(c, State::FieldStart, fieldLabel().c_str());
    case State::FinalLf:
      if (c != '\n') return malformed("bare CR in the empty line that ends the head");
      progress_ = Progress::Complete;
      return true;
  }
  return malformed("unreachable parser state");
}

// method SP request-target SP (RFC 9112 §3): single spaces, a token method,
// a target of visible bytes (what it means is httplib's business).
bool RequestHeadParser::requestLine(uint8_t c) {
  const bool method = state_ == State::Method;
  if (c == ' ') {
    if (tokenBytes_ == 0) {
      return malformed(method ? "request line starts with a space"
                              : "two spaces after the method in the request line");
    }
    state_ = method ? State::Target : State::Version;
    tokenBytes_ = 0;
    return true;
  }
  if (c == '\r') {
    return malformed(method ? "request line has no request target"
                            : "request line has no HTTP version");
  }
  if (method && !isTchar(c)) return malformed("method holds byte " + hexByte(c) + ", not a token");
  if (!method && isCtl(c)) {
    return malformed("control character " + hexByte(c) + " in the request target");
  }
  ++tokenBytes_;
  return true;
}

bool RequestHeadParser::version(uint8_t c) {
  if (tokenBytes_ == kVersionShape.size()) {
    if (c != '\r') return malformed("request line goes on after the HTTP version");
    state_ = State::RequestLf;
    return true;
  }
  const char want = kVersionShape[tokenBytes_];
  if (want == '0' ? !isDigit(c) : c != static_cast<uint8_t>(want)) {
    return malformed("HTTP version is not HTTP/DIGIT.DIGIT");
  }
  ++tokenBytes_;
  return true;
}

bool RequestHeadParser::fieldStart(uint8_t c) {
  if (c == '\r') {
    state_ = State::FinalLf;
    return true;
  }
  if (c == ' ' || c == '\t') {
    // RFC 9112 §2.2 (before the first field) and §5.2 (obs-fold): a server
    // must refuse both or rewrite them; we refuse.
    return malformed(fields_ == 0 ? "whitespace between the request line and the first header field"
                                  : "obsolete line folding after " + fieldLabel());
  }
  ++fields_;
  if (fields_ > kMaxFields) {
    return fail(HeadViolation::TooManyFields,
                "more than " + std::to_string(kMaxFields) + " header fields");
  }
  if (c == ':') return malformed(fieldLabel() + " has an empty name");
  if (!isTchar(c))
    return malformed(fieldLabel() + " name holds byte " + hexByte(c) + ", not a token");
  state_ = State::FieldName;
  return true;
}

bool RequestHeadParser::fieldName(uint8_t c) {
  if (c == ':') {
    state_ = State::FieldValue;
    return true;
  }
  // RFC 9112 §5.1: whitespace between name and colon MUST be refused with 400.
  if (c == ' ' || c == '\t') return malformed("whitespace before the colon of " + fieldLabel());
  if (c == '\r') return malformed(fieldLabel() + " has no colon");
  if (!isTchar(c))
    return malformed(fieldLabel() + " name holds byte " + hexByte(c) + ", not a token");
  return true;
}

bool RequestHeadParser::fieldValue(uint8_t c) {
  if (c == '\r') {
    state_ = State::FieldLf;
    return true;
  }
  if (c != '\t' && isCtl(c)) {
    return malformed("control character " + hexByte(c) + " in " + fieldLabel());
  }
  return true;
}

bool RequestHeadParser::expectLf(uint8_t c, State next, const char* where) {
  // A CR not followed by LF (RFC 9112 §2.2: the element is invalid).
  if (c != '\n') return malformed(std::string("bare CR in ") + where);
  state_ = next;
  lineBytes_ = 0;
  tokenBytes_ = 0;
  return true;
}

bool RequestHeadParser::fail(HeadViolation violation, std::string message) {
  refusal_.violation = violation;
  refusal_.status = violation == HeadViolation::RequestLineTooLong ? 414
                    : violation == HeadViolation::Malformed        ? 400
                                                                   : 431;
  refusal_.message = std::move(message);
  progress_ = Progress::Failed;
  return false;
}

bool RequestHeadParser::malformed(const std::string& what) {
  return fail(HeadViolation::Malformed, "malformed request head: " + what);
}

std::string RequestHeadParser::fieldLabel() const {
  return "header field " + std::to_string(fields_);
}

}  // namespace ddump
