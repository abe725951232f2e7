#pragma once
// The head of an HTTP/1.1 request (request line and header section, RFC 9112
// §2-§5), checked byte by byte as it arrives from an untrusted client, before
// any HTTP library sees it. It stores nothing but counters, so a hostile head
// costs no memory here, and it stops at the first byte that breaks a limit or
// the grammar:
//
//   request-line = method SP request-target SP HTTP-version CRLF   (§3)
//   field-line   = field-name ":" OWS field-value OWS CRLF         (§5)
//   head         = *CRLF request-line *( field-line ) CRLF          (§2.1, §2.2)
//
//   LineStart -CR-> LeadingLf -LF-> LineStart
//       \--tchar--> Method -SP-> Target -SP-> Version -CR-> RequestLf -LF-> FieldStart
//   FieldStart -tchar-> FieldName -:-> FieldValue -CR-> FieldLf -LF-> FieldStart
//       \--CR--> FinalLf -LF-> Complete
//   (every byte that breaks a limit or the grammar)                 ---> Failed
//
// Stricter than the RFC allows in two places, both so that the head means
// exactly what cpp-httplib will read from it afterwards: every line ends in
// CRLF (§2.2 lets a recipient accept a bare LF; httplib skips such field
// lines and would read on past our end of the head), and field values hold no
// control character but HTAB (RFC 9110 §5.5 requires refusing CR, LF and NUL,
// and allows refusing the others).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

namespace ddump {

// What a refused head broke; `status` is the answer RFC 9110 §15.5 gives it.
enum class HeadViolation {
  RequestLineTooLong,  // 414 URI Too Long
  FieldLineTooLong,    // 431 Request Header Fields Too Large
  TooManyFields,       // 431
  HeadTooLarge,        // 431
  Malformed,           // 400 Bad Request
};

struct HeadRefusal {
  HeadViolation violation = HeadViolation::Malformed;
  int status = 400;
  std::string message;  // one line; never quotes the client's bytes
};

class RequestHeadParser {
 public:
  // The worker's limits on every request head (README, "HTTP API"). Line
  // lengths count the CRLF, as cpp-httplib's own checks do, so no head we
  // pass is one that httplib would refuse for its length.
  static constexpr size_t kMaxRequestLineBytes = 8 * 1024;
  static constexpr size_t kMaxFieldLineBytes = 8 * 1024;
  static constexpr size_t kMaxFields = 100;
  static constexpr size_t kMaxHeadBytes = 64 * 1024;  // up to and including the empty line

  enum class Progress { NeedMore, Complete, Failed };

  // Reads the next bytes of the connection, up to the end of the head and not
  // one byte further. Once Complete or Failed, further calls change nothing.
  Progress feed(std::span<const uint8_t> bytes);

  Progress progress() const { return progress_; }
  // Bytes of the head read so far; when Complete, the offset (from the first
  // byte fed) of the first byte after the empty line that ends it.
  size_t headBytes() const { return headBytes_; }
  // Empty lines before the request line, which a server should ignore (RFC
  // 9112 §2.2): the head proper starts this many bytes in.
  size_t leadingBytes() const { return leadingBytes_; }
  size_t fields() const { return fields_; }
  // When Failed: which limit or rule, the status code and a one-line message.
  const HeadRefusal& refusal() const { return refusal_; }

 private:
  enum class State {
    LineStart,
    LeadingLf,
    Method,
    Target,
    Version,
    RequestLf,
    FieldStart,
    FieldName,
    FieldValue,
    FieldLf,
    FinalLf,
  };

  bool step(uint8_t c);
  bool withinLimits();
  bool requestLine(uint8_t c);
  bool version(uint8_t c);
  bool fieldStart(uint8_t c);
  bool fieldName(uint8_t c);
  bool fieldValue(uint8_t c);
  bool expectLf(uint8_t c, State next, const char* where);
  bool fail(HeadViolation violation, std::string message);
  bool malformed(const std::string& what);
  std::string fieldLabel() const;

  State state_ = State::LineStart;
  Progress progress_ = Progress::NeedMore;
  size_t headBytes_ = 0;
  size_t leadingBytes_ = 0;
  size_t lineBytes_ = 0;   // of the current line, its CR and LF included
  size_t tokenBytes_ = 0;  // of the method, target, version or field name being read
  size_t fields_ = 0;
  HeadRefusal refusal_;
};

}  // namespace ddump
