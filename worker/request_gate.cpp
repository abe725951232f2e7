#include "request_gate.h"

#include <sys/socket.h>

#include <array>
#include <cerrno>
#include <cstdio>
#include <nlohmann/json.hpp>

namespace ddump {
namespace {

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
// Reads per readiness event while lingering, so that one client sending
// fast cannot keep the front from the other connections.
constexpr int kDrainReadsPerEvent = 4;

bool wouldBlock(int err) {
  return err == EAGAIN || err == EWOULDBLOCK || err == EINTR;
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
    case 503:
      return "Service Unavailable";
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

RequestGate::Next RequestGate::start(Connection& connection, Clock::time_point now) {
  if (connection.output().empty()) {
    if (connection.closing()) return Next::Close;
    return awaitRequest(connection.input(), now);
  }
  phase_ = Phase::Flush;
  deadline_ = now + settings_.writeTimeout;
  return flushOutput(connection, now);
}

RequestGate::Next RequestGate::flushOutput(Connection& connection, Clock::time_point now) {
  switch (connection.output().flush(connection.fd())) {
    case ConnectionOutput::Flush::Blocked:
      return Next::Write;
    case ConnectionOutput::Flush::Failed:
      return Next::Close;
    case ConnectionOutput::Flush::Done:
      break;
  }
  if (connection.closing()) return Next::Close;
  return awaitRequest(connection.input(), now);
}

RequestGate::Next RequestGate::awaitRequest(ConnectionInput& input, Clock::time_point now) {
  parser_ = RequestHeadParser();
  fed_ = 0;
  if (input.buffered().empty()) {
    phase_ = Phase::Idle;
    deadline_ = now + settings_.idleTimeout;
    return Next::Read;
  }
  phase_ = Phase::Head;
  deadline_ = now + settings_.requestTimeout;
  return parse(input, now);
}

RequestGate::Next RequestGate::readable(Connection& connection, Clock::time_point now) {
  ConnectionInput& input = connection.input();
  if (phase_ == Phase::Linger) return drain(input);
  if (phase_ == Phase::Answer || phase_ == Phase::Flush) return Next::Write;
  const ssize_t n = input.receive(kReadChunk, MSG_DONTWAIT);
  if (n < 0) return wouldBlock(errno) ? Next::Read : Next::Close;
  if (n == 0) {
    // A client that half-closed after part of a head may still read.
    if (phase_ == Phase::Idle) return Next::Close;
    return refuse(input, 400, "malformed request head: connection closed before its end", now);
  }
  if (phase_ == Phase::Idle) {
    phase_ = Phase::Head;
    deadline_ = now + settings_.requestTimeout;
  }
  return parse(input, now);
}

RequestGate::Next RequestGate::writable(Connection& connection, Clock::time_point now) {
  if (phase_ == Phase::Flush) return flushOutput(connection, now);
  if (phase_ == Phase::Answer) return sendAnswer(connection.input(), now);
  return Next::Read;
}

RequestGate::Next RequestGate::expired(Connection& connection, Clock::time_point now) {
  if (phase_ != Phase::Head) return Next::Close;
  // RFC 9110 §15.5.9: the request did not arrive in the time we wait.
  return refuse(connection.input(), 408,
                "request head not complete within " + secondsText(settings_.requestTimeout) +
                    " (--request-timeout)",
                now);
}

RequestGate::Next RequestGate::parse(ConnectionInput& input, Clock::time_point now) {
  const auto progress = parser_.feed(input.buffered().subspan(fed_));
  fed_ = input.buffered().size();
  if (progress == RequestHeadParser::Progress::NeedMore) return Next::Read;
  if (progress == RequestHeadParser::Progress::Failed) {
    return refuse(input, parser_.refusal().status, parser_.refusal().message, now);
  }
  input.consume(parser_.leadingBytes());
  return Next::Dispatch;
}

RequestGate::Next RequestGate::refuse(ConnectionInput& input, int status,
                                      const std::string& message, Clock::time_point now) {
  answer_ = refusalResponse(status, message);
  answered_ = 0;
  phase_ = Phase::Answer;
  deadline_ = now + kRefusalSendTime;
  return sendAnswer(input, now);
}

RequestGate::Next RequestGate::sendAnswer(ConnectionInput& input, Clock::time_point now) {
  while (answered_ < answer_.size()) {
    const ssize_t n = send(input.fd(), answer_.data() + answered_, answer_.size() - answered_,
                           MSG_NOSIGNAL | MSG_DONTWAIT);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return wouldBlock(errno) ? Next::Write : Next::Close;
    answered_ += static_cast<size_t>(n);
  }
  shutdown(input.fd(), SHUT_WR);
  phase_ = Phase::Linger;
  deadline_ = now + kLingerTime;
  drained_ = 0;
  return drain(input);
}

RequestGate::Next RequestGate::drain(ConnectionInput& input) {
  std::array<char, 16 * 1024> discard;
  for (int i = 0; i < kDrainReadsPerEvent; ++i) {
    const ssize_t n = recv(input.fd(), discard.data(), discard.size(), MSG_DONTWAIT);
    if (n == 0) return Next::Close;
    if (n < 0) return wouldBlock(errno) ? Next::Read : Next::Close;
    drained_ += static_cast<size_t>(n);
    if (drained_ >= kLingerBytes) return Next::Close;
  }
  return Next::Read;
}

std::string refusalResponse(int status, const std::string& message,
                            const std::string& extraFields) {
  const nlohmann::json error = {{"error", message}};
  const std::string body =
      error.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  return "HTTP/1.1 " + std::to_string(status) + " " + reasonPhrase(status) +
         "\r\n"
         "Content-Type: application/json\r\n"
         "Content-Length: " +
         std::to_string(body.size()) +
         "\r\n"
         "Connection: close\r\n" +
         extraFields + "\r\n" + body;
}

}  // namespace ddump
