#pragma once
// The gate every connection passes before cpp-httplib parses a request.
// httplib 0.11 reads a request head with no bound at all: it grows a line
// buffer for as long as a line goes on, keeps any number of header lines, and
// its read timeout holds per recv(), not for the whole head, so a client that
// trickles bytes holds a pool thread for ever. Its limits are compile-time
// macros of the shared library Debian ships. So the worker reads each head
// itself, through RequestHeadParser (common/request_head.h: bounded lines,
// fields and head) with one deadline for the whole head, and hands httplib
// only a head that passed. A head that did not pass is answered here, with
// the status RFC 9110 §15.5 gives it and a JSON error, and the connection is
// closed.

#include <chrono>
#include <functional>
#include <string>

#include "gated_stream.h"
#include "request_head.h"

namespace ddump {

enum class GateOutcome {
  Passed,   // input.buffered() starts with a complete, valid request head
  Refused,  // the client was answered 400/408/414/431; close the connection
  Closed,   // the client left, or the server stops: nothing to answer
};

// Waits until the next request's first byte is there (or already buffered),
// at most `idle`; false when the time passed, the client left or `running()`
// turned false. Between requests of a keep-alive connection (RFC 9112 §9.3)
// and before the first one, an idle client is closed without an answer.
bool awaitRequest(ConnectionInput& input, std::chrono::milliseconds idle,
                  const std::function<bool()>& running);

// Reads the next request head into `input`, bounded by RequestHeadParser's
// limits and by `timeout` from now for the whole head. On Passed, empty lines
// before the request line have been dropped.
GateOutcome passRequestHead(ConnectionInput& input, std::chrono::milliseconds timeout,
                            const std::function<bool()>& running);

// The complete answer to a refused head: status line, JSON content type and
// length, "Connection: close", and {"error": message}.
std::string refusalResponse(int status, const std::string& message);

}  // namespace ddump
