#pragma once
// The gate every request passes before cpp-httplib parses it. httplib 0.11
// reads a request head with no bound at all: it grows a line buffer for as
// long as a line goes on, keeps any number of header lines, and its read
// timeout holds per recv(), not for the whole head, so a client that
// trickles bytes holds a thread for ever. Its limits are compile-time macros
// of the shared library Debian ships. So the worker reads each head itself,
// through RequestHeadParser (common/request_head.h: bounded lines, fields
// and head) with one deadline for the whole head, and hands httplib only a
// head that passed. A head that did not pass is answered here, with the
// status RFC 9110 §15.5 gives it and a JSON error, and the connection is
// closed.
//
// A RequestGate is the state of one connection between two requests, driven
// by the listener's front (connection_front.h) from readiness events: it
// never blocks and never waits, it does one non-blocking recv(2) or send(2)
// per event and says what it needs next.
//
//   (Flush: the end of the previous response, if the client was slow)
//     --sent--> Idle --first byte--> Head --complete--> Dispatch (to a pool thread)
//                 |                   |--limit, malformed, deadline--> Answer --> Linger --> Close
//                 '--idle timeout, EOF, error--> Close

#include <chrono>
#include <cstddef>
#include <string>

#include "connection.h"
#include "gated_stream.h"
#include "request_head.h"

namespace ddump {

struct GateSettings {
  // A whole head must arrive within this time of its first byte (408).
  std::chrono::milliseconds requestTimeout{10000};
  // Before a request's first byte, keep-alive's idle time (RFC 9112 §9.3);
  // an idle client is then closed without an answer.
  std::chrono::milliseconds idleTimeout{5000};
  // The end of a response the client reads slowly must leave within this
  // (the server's write timeout).
  std::chrono::milliseconds writeTimeout{30000};
};

class RequestGate {
 public:
  using Clock = std::chrono::steady_clock;
  enum class Next {
    Read,      // wait until the socket is readable (or the deadline)
    Write,     // wait until the socket is writable (or the deadline)
    Dispatch,  // input.buffered() starts with a complete, valid request head
    Close,     // done: close the connection
  };

  explicit RequestGate(const GateSettings& settings) : settings_(settings) {}

  // Sends what is left of the previous response, then (unless the
  // connection is closing) waits for the next request; a head already
  // buffered (pipelined behind the previous request) is parsed at once.
  Next start(Connection& connection, Clock::time_point now);
  Next readable(Connection& connection, Clock::time_point now);
  Next writable(Connection& connection, Clock::time_point now);
  Next expired(Connection& connection, Clock::time_point now);
  // When expired() is due.
  Clock::time_point deadline() const { return deadline_; }
  // Sending the end of the previous response.
  bool flushing() const { return phase_ == Phase::Flush; }

 private:
  enum class Phase { Flush, Idle, Head, Answer, Linger };

  Next flushOutput(Connection& connection, Clock::time_point now);
  Next awaitRequest(ConnectionInput& input, Clock::time_point now);
  Next parse(ConnectionInput& input, Clock::time_point now);
  Next refuse(ConnectionInput& input, int status, const std::string& message,
              Clock::time_point now);
  Next sendAnswer(ConnectionInput& input, Clock::time_point now);
  Next drain(ConnectionInput& input);

  GateSettings settings_;
  Phase phase_ = Phase::Idle;
  RequestHeadParser parser_;
  size_t fed_ = 0;  // offset into input.buffered(): bytes the parser has seen
  Clock::time_point deadline_{};
  std::string answer_;
  size_t answered_ = 0;  // bytes of answer_ sent
  size_t drained_ = 0;   // bytes read and dropped after the answer
};

// The complete answer to a refused request or connection: status line, JSON
// content type and length, "Connection: close", `extraFields` (each line
// ending in CRLF), and {"error": message}.
std::string refusalResponse(int status, const std::string& message,
                            const std::string& extraFields = "");

}  // namespace ddump
