#include "request_gate.h"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <string_view>

namespace ddump {
namespace {

using Clock = std::chrono::steady_clock;

// How often a wait looks whether the server is stopping, so that shutting
// down never waits for an idle or a slow client.
constexpr auto kStopCheck = std::chrono::milliseconds(100);
// A head is read in the pieces httplib's own SocketStream reads: at most this
// much past the end of a head (or past a limit) is ever buffered.
constexpr size_t kReadChunk = 4096;
// After a refusal, how long the answer may take to leave, and how long (and
// how much) we go on reading what the client still sends before closing. A
// close with unread bytes makes the kernel send a reset, which can destroy
// the answer before the client read it: RFC 9112 §9.6 closes in stages
// (half-close, read until the client closes too, then close).
constexpr auto kRefusalSendTime = std::chrono::seconds(1);
constexpr auto kLingerTime = std::chrono::seconds(1);
constexpr size_t kLingerBytes = 1024 * 1024;

bool alwaysRunning() {
  return true;
}

// Waits for `events` until `deadline`, in slices that look at `running()`:
// > 0 ready, 0 the deadline passed, < 0 an error or the server stops.
int waitUntil(int fd, short events, Clock::time_point deadline,
              const std::function<bool()>& running) {
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return 0;
    const int ready = pollSocket(fd, events, static_cast<int>(std::min(left, kStopCheck).count()));
    if (ready != 0) return ready;
    if (!running()) return -1;
  }
}

void sendAll(int fd, std::string_view bytes) {
  const auto deadline = Clock::now() + kRefusalSendTime;
  while (!bytes.empty() && waitUntil(fd, POLLOUT, deadline, alwaysRunning) > 0) {
    const ssize_t n = send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return;
    if (n > 0) bytes.remove_prefix(static_cast<size_t>(n));
  }
}

void drainUntilClosed(int fd) {
  const auto deadline = Clock::now() + kLingerTime;
  std::array<char, 16 * 1024> discard;
  size_t drained = 0;
  while (drained < kLingerBytes && waitUntil(fd, POLLIN, deadline, alwaysRunning) > 0) {
    const ssize_t n = recv(fd, discard.data(), discard.size(), MSG_DONTWAIT);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) return;
    if (n > 0) drained += static_cast<size_t>(n);
  }
}

GateOutcome refuse(ConnectionInput& input, int status, const std::string& message) {
  sendAll(input.fd(), refusalResponse(status, message));
  shutdown(input.fd(), SHUT_WR);
  drainUntilClosed(input.fd());
  return GateOutcome::Refused;
}

const char* reasonPhrase(int status) {
  switch (status) {
    case 400:
      return "Bad Request";
    case 408:
      return "Request Timeout";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    default:
      return "Error";
  }
}

std::string secondsText(std::chrono::milliseconds duration) {
  char text[32];
  std::snprintf(text, sizeof text, "%g s", static_cast<double>(duration.count()) / 1000.0);
  return text;
}

}  // namespace

bool awaitRequest(ConnectionInput& input, std::chrono::milliseconds idle,
                  const std::function<bool()>& running) {
  if (!running()) return false;
  if (!input.buffered().empty()) return true;
  return waitUntil(input.fd(), POLLIN, Clock::now() + idle, running) > 0;
}

GateOutcome passRequestHead(ConnectionInput& input, std::chrono::milliseconds timeout,
                            const std::function<bool()>& running) {
  const auto deadline = Clock::now() + timeout;
  RequestHeadParser parser;
  size_t fed = 0;  // offset into input.buffered(): bytes the parser has seen
  while (parser.feed(input.buffered().subspan(fed)) == RequestHeadParser::Progress::NeedMore) {
    fed = input.buffered().size();
    const int ready = waitUntil(input.fd(), POLLIN, deadline, running);
    if (ready == 0) {
      // RFC 9110 §15.5.9: the request did not arrive in the time we wait.
      return refuse(
          input, 408,
          "request head not complete within " + secondsText(timeout) + " (--request-timeout)");
    }
    if (ready < 0) return GateOutcome::Closed;
    const ssize_t n = input.receive(kReadChunk, MSG_DONTWAIT);
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) return GateOutcome::Closed;
    if (n == 0) {
      // A client that half-closed after part of a head may still read.
      if (fed == 0) return GateOutcome::Closed;
      return refuse(input, 400, "malformed request head: connection closed before its end");
    }
  }
  if (parser.progress() == RequestHeadParser::Progress::Failed) {
    return refuse(input, parser.refusal().status, parser.refusal().message);
  }
  input.consume(parser.leadingBytes());
  return GateOutcome::Passed;
}

std::string refusalResponse(int status, const std::string& message) {
  const nlohmann::json error = {{"error", message}};
  const std::string body =
      error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + reasonPhrase(status) +
         "\r\n"
         "Content-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) +
         "\r\n"
         "Connection: close\r\n"
         "\r\n" +
         body;
}

}  // namespace ddump
