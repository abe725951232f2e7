#include "http_source.h"

#include <openssl/err.h>
#include <openssl/x509.h>

#include <algorithm>
#include <cctype>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>
#include <utility>

#include "clock.h"
#include "http_request.h"
#include "small_request.h"
#include "log.h"
#include "time_spec.h"
#include "worker_answers.h"

namespace ddump {
namespace {

constexpr size_t kErrorBodyLimit = 4096;
// One socket read: a whole 64 KiB worker slice or several, or a burst of
// small ones, per system call (httplib's compiled-in 4 KiB made recv and
// poll half of the client's CPU time on a fast stream).
constexpr size_t kReadBufferBytes = 256 * 1024;

// Untrusted text for one stderr line: printable ASCII only, bounded.
std::string printable(const std::string& text, size_t limit = 300) {
  std::string out;
  for (const char c : text) {
    if (out.size() >= limit) {
      out += "...";
      break;
    }
    out += (c >= 0x20 && c < 0x7f) ? c : ' ';
  }
  return out;
}

// What a capture may be served as: the format itself is told by its magic
// (capture_decoder.h), whatever the server says.
bool captureContentType(const std::string& type) {
  for (const char* accepted : {kPcapContentType, kPcapngContentType, "application/octet-stream"}) {
    const size_t n = std::strlen(accepted);
    const bool same = type.size() >= n && std::equal(accepted, accepted + n, type.begin(), [](char a, char b) {
      return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
    });
    if (same &&
        (type.size() == n || type[n] == ';' || type[n] == ' ')) {
      return true;
    }
  }
  return false;
}

}  // namespace

HttpSource::HttpSource(size_t stream, Target target, MergeHub& hub, const HttpSettings& settings)
    : Source(stream, std::move(target), hub), settings_(settings), params_(settings.capture),
      buffer_(new uint8_t[kReadBufferBytes]) {
  if (settings_.pump != nullptr) {
    // On the writer's thread, once this stream has room in the merge again.
    hub.setRoomCallback(stream, [this] {
      if (const BodyPump::Ticket ticket = pumpTicket_) settings_.pump->resume(ticket);
    });
  }
}

std::string HttpSource::summaryNote() const {
  const int64_t from = historyFromNs_;
  if (from == 0) return "";
  return ", history from " + formatRfc3339(from - offsetNs_, 6) + " (after the start of the window)";
}

void HttpSource::onResponse(const HttpResponseHead& head, const HttpConnection& connection) {
  responseNs_ = wallNowNs();
  workerTime_ = head.field("X-Ddump-Time");
  status_ = head.status;
  contentType_ = head.field("Content-Type");
  {
    std::lock_guard<std::mutex> lock(clientMutex_);
    captureId_ = head.field("X-Ddump-Capture-Id");
  }
  if (status_ != 200) return;  // the caller reads the (bounded) body for the error text
  if (const auto from = parseWorkerTime(head.field("X-Ddump-History-From")); from && historyFromNs_ == 0) {
    historyFromNs_ = *from;
  }
  streaming_ = true;
  state_ = TargetState::Streaming;
  if (!captureContentType(contentType_)) {
    streamError_ = "unexpected Content-Type '" + printable(contentType_, 80) + "' (expected " +
                   kPcapContentType + ", " + kPcapngContentType +
                   " or application/octet-stream): not a capture";
    return;
  }
  if (!log::verbose()) return;
  std::string line = target_.display() + ": connected to " + connection.peerAddress() + " port " +
                     std::to_string(target_.port);
  if (const std::string tls = connection.tlsDescription(); !tls.empty()) line += " (" + tls + ")";
  line += ", worker host '" + printable(head.field("X-Ddump-Host"), 80) + "'";
  // Whole: the worker's exclusions come first, so a cut would hide the
  // user's own filter (at most 4096 bytes, plus the exclusions).
  line += ", filter '" + printable(head.field("X-Ddump-Filter"), 16384) + "'";
  line += ", link type " + printable(head.field("X-Ddump-Linktype"), 40);
  if (const auto workerNs = parseWorkerTime(workerTime_)) {
    char offset[64];
    std::snprintf(offset, sizeof offset, "%+.3f s", static_cast<double>(*workerNs - wallNowNs()) / 1e9);
    line += ", clock offset " + std::string(offset);
  }
  log::detail(line);
}

std::string HttpSource::statusError() const {
  std::string text = "HTTP " + std::to_string(status_);
  if (contentType_.find("json") != std::string::npos) {
    if (const std::string error = errorText(); !error.empty()) {
      return text + ": " + printable(error, 1000) + credentialsHint();
    }
  }
  if (contentType_.find("html") != std::string::npos) {
    return text + " with an HTML page (a proxy or web server, not a ddump worker)" + credentialsHint();
  }
  if (errorBody_.empty()) return text + credentialsHint();
  return text + ": " + printable(errorBody_, 200) + credentialsHint();
}

// A 401 (RFC 9110 §15.5.2) comes from the proxy in front of the worker: say
// which of the basic-auth credentials were missing, since ddump never prompts.
std::string HttpSource::credentialsHint() const {
  if (status_ != 401) return "";
  if (!target_.hasUser) return " (no user given: --user USER with DDUMP_PASSWORD, or USER@ in the URL)";
  if (!target_.hasPassword) return " (no password for " + target_.user + ": set DDUMP_PASSWORD)";
  return " (user " + target_.user + " and its password were refused)";
}

std::string HttpSource::transportError(const Error& error) const {
  const std::string& reason = error.message;
  if (timedOut_) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g", 2 * settings_.connectTimeoutSec);
    if (status_ == 200) {
      return std::string("response headers, then no pcap header within ") + seconds +
             " s (a worker sends it at once)";
    }
    return std::string("no response headers within ") + seconds + " s";
  }
  if (error.code == ErrorCode::Http) return reason;  // connected, but the answer is not HTTP
  if (status_ == 200) return "connection lost mid-stream: " + reason;
  if (!connected_) return "cannot connect to " + target_.authority() + ": " + reason;
  // Connected, then no HTTP answer: often an https server asked for http://.
  const char* hint = target_.kind == TargetKind::Http ? " (is it an https:// server?)" : "";
  return "no HTTP response from " + target_.authority() + ": " + reason + hint;
}

Status HttpSource::readHead(HttpConnection& connection, HttpHeadParser& parser,
                            std::span<const uint8_t>& bodyStart) {
  size_t received = 0;
  while (!parser.complete()) {
    auto got = connection.read(buffer_.get(), kReadBufferBytes);
    if (received > 0 && (!got || *got == 0)) {
      // The parser refuses a first line that is not HTTP/1.x at once: what
      // came was the start of an HTTP answer, which then broke off.
      return makeError(ErrorCode::Http, "response headers cut short after " + std::to_string(received) +
                                            " bytes: " + (got ? "connection closed" : got.error().message));
    }
    if (!got) return got.error();
    if (*got == 0) return makeError(ErrorCode::Network, "connection closed before the response headers");
    received += *got;
    auto used = parser.feed({buffer_.get(), *got});
    if (!used) return used.error();
    bodyStart = std::span<const uint8_t>(buffer_.get(), *got).subspan(*used);
  }
  return Status::success();
}

bool HttpSource::consume(HttpBodyDecoder& body, std::span<const uint8_t> bytes, const PieceSink& onPiece) {
  while (!bytes.empty() && !body.done()) {
    auto step = body.next(bytes);
    if (!step) {
      streamError_ = step.error().message;  // a hostile or broken stream: not retried
      return false;
    }
    bytes = bytes.subspan(step->consumed);
    if (!step->data.empty() && !onPiece(step->data)) return false;
  }
  return true;
}

Status HttpSource::pumpBody(HttpConnection& connection, HttpBodyDecoder& body,
                            std::span<const uint8_t> bytes, const PieceSink& onPiece,
                            const std::function<void()>& onDrained) {
  for (;;) {
    if (!consume(body, bytes, onPiece) || body.done()) return Status::success();
    if (!connection.pending()) onDrained();
    auto got = connection.read(buffer_.get(), kReadBufferBytes);
    if (!got) return got.error();
    if (*got == 0) return body.endOfInput();
    bytes = {buffer_.get(), *got};
  }
}

Status HttpSource::pumpCapture(HttpConnection& connection, HttpBodyDecoder& body,
                               std::span<const uint8_t> bytes, StreamFeeder& feeder,
                               const PieceSink& onPiece) {
  // The merge judges the header while this reader waits (and may wait on a
  // writer blocked by its output): never on a pump thread that reads others.
  while (!feeder.headerForwarded()) {
    if (!consume(body, bytes, onPiece) || body.done()) return Status::success();
    if (feeder.headerForwarded()) break;
    auto got = connection.read(buffer_.get(), kReadBufferBytes);
    if (!got) return got.error();
    if (*got == 0) return body.endOfInput();
    bytes = {buffer_.get(), *got};
  }
  feeder.flush();
  feeder.offerBatches(true);
  Status outcome = Status::success();
  const BodyPump::Reader reader = [&](uint8_t* buffer, size_t capacity) {
    bool wantWrite = false;
    auto got = connection.readNow(buffer, capacity, wantWrite);
    if (!got) {
      outcome = got.error();
      return BodyPump::Step::Done;
    }
    if (!*got) {  // drained: what was gathered goes to the merge now
      feeder.flush();
      if (feeder.stopped()) return BodyPump::Step::Done;
      if (feeder.takeFull()) return BodyPump::Step::Pause;
      return wantWrite ? BodyPump::Step::ReadOnWrite : BodyPump::Step::Read;
    }
    if (**got == 0) {
      outcome = body.endOfInput();
      return BodyPump::Step::Done;
    }
    if (!consume(body, {buffer, **got}, onPiece) || body.done()) return BodyPump::Step::Done;
    if (!connection.pending()) feeder.flush();
    if (feeder.stopped()) return BodyPump::Step::Done;
    return feeder.takeFull() ? BodyPump::Step::Pause : BodyPump::Step::Read;
  };
  const bool completed = settings_.pump->run(connection.socketFd(), connection.stopFd(), reader,
                                             [this](BodyPump::Ticket t) { pumpTicket_ = t; });
  pumpTicket_ = 0;
  feeder.offerBatches(false);
  if (!completed) return makeError(ErrorCode::Network, "stopped");
  return outcome;
}

Status HttpSource::exchange(HttpConnection& connection, StreamFeeder& feeder) {
  const int timeoutMs = connectTimeoutMs();
  std::optional<Endpoint> pin;
  {
    // Only right after the probe: a retry resolves the name again (the
    // worker may have moved, e.g. a rescheduled pod).
    std::lock_guard<std::mutex> lock(clientMutex_);
    if (std::exchange(pinCapture_, false)) pin = endpoint_;
  }
  if (Status s = connection.open(target_, settings_.tlsContext.get(), timeoutMs, pin ? &*pin : nullptr); !s) {
    return s;
  }
  connected_ = true;
  {
    std::lock_guard<std::mutex> lock(clientMutex_);
    endpoint_ = connection.endpoint();
  }
  GetRequest request{target_.hostField(),
                     requestTarget(target_, params_),
                     {{"Accept", std::string(kPcapContentType) + ", " + kPcapngContentType},
                      {"User-Agent", kUserAgent}},
                     target_.hasUser,
                     target_.user,
                     target_.password};
  auto bytes = formatGetRequest(request);
  if (!bytes) return bytes.error();
  const int64_t sendNs = wallNowNs();
  if (Status s = connection.writeAll(*bytes, timeoutMs); !s) return s;
  HttpHeadParser parser;
  std::span<const uint8_t> bodyStart;
  if (Status s = readHead(connection, parser, bodyStart); !s) return s;
  onResponse(parser.head(), connection);
  if (!streamError_.empty()) return Status::success();
  uint64_t contentLength = 0;
  auto framing = bodyFraming(parser.head(), contentLength);
  if (!framing && status_ == 200) {
    streamError_ = framing.error().message;  // like a broken chunk: not retried
    return Status::success();
  }
  if (!framing) return framing.error();
  HttpBodyDecoder body(*framing, contentLength);
  if (status_ != 200) {
    return pumpBody(
        connection, body, bodyStart,
        [this](std::span<const uint8_t> piece) {
          errorBody_.append(reinterpret_cast<const char*>(piece.data()),
                            std::min(piece.size(), kErrorBodyLimit - errorBody_.size()));
          return errorBody_.size() < kErrorBodyLimit;
        },
        [] {});
  }
  addClockSample(sendNs, workerTime_, responseNs_);
  applyClockOffset(feeder);
  // Records from one socket read wait in the collector (up to its 64 KiB
  // batch) only while more bytes are already there to be read; once the
  // socket is drained they go to the merge at once, so an idle or dying
  // stream never holds records back.
  const PieceSink onPiece = [this, &feeder](std::span<const uint8_t> piece) {
    if (aborted_) return false;
    if (const Status status = feeder.feedCoalescing(piece, true); !status) {
      streamError_ = status.error().message;
      return false;
    }
    return !feeder.stopped();
  };
  if (settings_.pump != nullptr) return pumpCapture(connection, body, bodyStart, feeder, onPiece);
  return pumpBody(connection, body, bodyStart, onPiece, [&feeder] { feeder.flush(); });
}

int HttpSource::connectTimeoutMs() const {
  // --connect-timeout may be huge; poll() takes an int of milliseconds.
  return static_cast<int>(std::min(settings_.connectTimeoutSec * 1000.0, 1e9));
}

HttpSource::Attempt HttpSource::attempt(StreamFeeder& feeder) {
  status_ = 0;
  contentType_.clear();
  errorBody_.clear();
  streamError_.clear();
  timedOut_ = false;
  connected_ = false;
  auto connection = std::make_unique<HttpConnection>();
  HttpConnection* raw = connection.get();
  {
    std::lock_guard<std::mutex> lock(clientMutex_);
    if (aborted_) return Attempt::Stopped;
    connection_ = std::move(connection);
  }
  // Covers connect, TLS handshake, response headers, and then an error body
  // or the capture's header.
  headerDeadlineNs_ = steadyNowNs() + 2 * static_cast<uint64_t>(connectTimeoutMs()) * 1'000'000;
  const Status outcome = exchange(*raw, feeder);
  feeder.flush();  // records gathered before the body ended (or failed) still go out
  headerDeadlineNs_ = 0;
  // A stream the merge refused (another link type) is also "stopped": its
  // error is still this target's one line, and nothing waits for abort().
  if (feeder.stopped() && status_ == 200 && streamError_.empty()) {
    // The merge is over (Ctrl-C, -c) but the session may still ask the worker
    // for this capture's kernel drops, and /stats lists live captures only:
    // the connection stays open until abort().
    std::unique_lock<std::mutex> lock(clientMutex_);
    abortCv_.wait(lock, [this] { return aborted_.load(); });
  }
  streaming_ = false;
  {
    std::lock_guard<std::mutex> lock(clientMutex_);
    connection_.reset();
  }
  if (!streamError_.empty()) {
    fail(streamError_);
    return Attempt::Failed;
  }
  if (aborted_ || feeder.stopped()) return Attempt::Stopped;
  if (status_ != 0 && status_ != 200) {
    lastError_ = statusError();
    return status_ >= 400 && status_ < 500 ? Attempt::Refused : Attempt::Failed;
  }
  if (!outcome) {
    lastError_ = transportError(outcome.error());
    return Attempt::Failed;
  }
  if (Status s = feeder.finish(); !s) {
    lastError_ = s.error().message;
    return Attempt::Failed;
  }
  return Attempt::Done;
}

void HttpSource::addClockSample(int64_t sendNs, const std::string& workerTime, int64_t recvNs) {
  if (const auto tw = parseWorkerTime(workerTime)) clock_.add({sendNs, *tw, recvNs});
}

void HttpSource::applyClockOffset(StreamFeeder& feeder) {
  const ClockOffsetSetting& setting = settings_.clockOffset;
  if (setting.mode == ClockOffsetMode::Manual) {
    if (const auto ms = setting.manualFor(target_.host)) {
      feeder.setClockOffset(*ms);
      offsetNs_ = *ms;
    }
    return;
  }
  const auto best = clock_.best();
  if (!best) return;
  if (setting.mode == ClockOffsetMode::Auto) {
    feeder.setClockOffset(best->offsetNs);
    offsetNs_ = best->offsetNs;
  }
  if (!clockReported_ && log::verbose()) {
    clockReported_ = true;
    log::detail(target_.display() + ": estimated clock offset " + formatOffset(*best) +
                " (best of " + std::to_string(clock_.samples()) + " samples)" +
                (setting.mode == ClockOffsetMode::Auto ? ", applied" : ", not applied"));
  }
}

void HttpSource::probeWorker() {
  const bool sampleClock = settings_.clockOffset.mode == ClockOffsetMode::Auto;
  if (!settings_.wantInterfaces && !sampleClock) return;
  auto connection = std::make_unique<HttpConnection>();
  HttpConnection* raw = connection.get();
  {
    std::lock_guard<std::mutex> lock(clientMutex_);
    if (aborted_) return;
    connection_ = std::move(connection);  // abort() can stop it
  }
  // The whole probe fits in one --connect-timeout: a slow worker delays
  // its capture by that much at most.
  const int timeoutMs = connectTimeoutMs();
  const uint64_t deadlineNs = steadyNowNs() + static_cast<uint64_t>(timeoutMs) * 1'000'000;
  auto msLeft = [deadlineNs] {
    const uint64_t now = steadyNowNs();
    return now < deadlineNs ? static_cast<int>((deadlineNs - now) / 1'000'000) : 0;
  };
  // Later samples reuse the connection: they measure the round trip, not the connect.
  const int rounds = sampleClock ? 5 : 1;
  if (raw->open(target_, settings_.tlsContext.get(), timeoutMs)) {  // else the capture attempt reports it
    {
      std::lock_guard<std::mutex> lock(clientMutex_);
      endpoint_ = raw->endpoint();
      pinCapture_ = true;
    }
    for (int i = 0; i < rounds && !aborted_; ++i) {
      const int64_t sendNs = wallNowNs();
      auto reply = getSmall(*raw, target_, "/interfaces", i + 1 < rounds, msLeft());
      const int64_t recvNs = wallNowNs();
      if (!reply || reply->head.status != 200) break;
      addClockSample(sendNs, reply->head.field("X-Ddump-Time"), recvNs);
      if (i == 0 && settings_.output) {
        if (auto names = parseInterfaceNames(reply->body)) {
          settings_.output->setInterfaces(stream_, std::move(*names));
        }
      }
    }
  }
  std::lock_guard<std::mutex> lock(clientMutex_);
  connection_.reset();
}

void HttpSource::run() {
  StreamFeeder feeder(stream_, hub_);
  // A worker writes the capture's header with the response headers; only
  // once it is here may the stream be silent for hours.
  feeder.onHeaderDecoded([this] { headerDeadlineNs_.exchange(0); });
  probeWorker();
  applyClockOffset(feeder);
  std::vector<WindowPhase> phases = windowPhases(settings_.window);
  for (size_t i = 0; i < phases.size() && !aborted_ && !failed_; ++i) {
    if (i > 0) feeder.reset();
    hub_.setLive(stream_, !phases[i].history);
    const PhaseEnd end = runPhase(feeder, phases[i]);
    if (end == PhaseEnd::Stopped) break;
    if (end == PhaseEnd::HistoryOff) {
      phases = livePhases(settings_.window);
      log::info(target_.display() + ": history is off on this worker; " +
                (phases.empty() ? std::string("nothing to capture in the window")
                                : std::string("capturing live from now")));
      i = static_cast<size_t>(-1);  // the loop's ++i starts the live phases
      feeder.reset();
    }
  }
  // An ended stream of a long followed fleet keeps nothing big.
  buffer_.reset();
  if (!failed_) state_ = TargetState::Done;
  hub_.onEnd(stream_, refused_);
}

void HttpSource::setPhase(const WindowPhase& phase) {
  params_ = settings_.capture;
  params_.since = workerTime(phase.sinceNs, offsetNs_);
  params_.until = workerTime(phase.untilNs, offsetNs_);
}

std::string HttpSource::errorText() const {
  const auto json = nlohmann::json::parse(errorBody_, nullptr, false);
  if (json.is_object() && json.contains("error") && json["error"].is_string()) {
    return json["error"].get<std::string>();
  }
  return "";
}

HttpSource::PhaseEnd HttpSource::runPhase(StreamFeeder& feeder, const WindowPhase& phase) {
  setPhase(phase);
  for (int tries = 0;; ++tries) {
    lastError_.clear();
    const uint64_t newestBefore = feeder.newestNs();
    const Attempt outcome = attempt(feeder);
    // --retry counts failures in a row: a connection that delivered packets
    // before it broke starts the count (and the backoff) again, so a capture
    // that runs for days survives more than N worker restarts.
    if (outcome == Attempt::Failed && status_ == 200 && feeder.newestNs() > newestBefore) tries = 0;
    if (outcome == Attempt::Done) return PhaseEnd::Done;
    if (outcome == Attempt::Stopped) return PhaseEnd::Stopped;
    if (outcome == Attempt::Refused) {
      if (params_.since && isHistoryOff(status_, errorText())) return PhaseEnd::HistoryOff;
      fail(lastError_, true);
      return PhaseEnd::Stopped;
    }
    if (failed_ || tries >= settings_.retry) {
      if (!lastError_.empty()) fail(lastError_);
      return PhaseEnd::Stopped;
    }
    // Exponential backoff 0.5, 1, 2 ... 10 s; stop requests cut it short.
    const auto backoff = std::chrono::milliseconds(std::min(10'000, 500 << std::min(tries, 5)));
    log::info(target_.display() + ": " + lastError_ + "; retrying in " +
              std::to_string(backoff.count()) + " ms");
    state_ = TargetState::Retrying;
    const auto until = std::chrono::steady_clock::now() + backoff;
    while (!aborted_ && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (aborted_) return PhaseEnd::Stopped;
    resumeAfter(feeder, phase);
    feeder.reset();
  }
}

void HttpSource::resumeAfter(const StreamFeeder& feeder, const WindowPhase& phase) {
  // A capture from the ring, asked again from its start, would repeat what
  // was merged already: the retry starts just after the newest record
  // handed on (records of that same instant not yet received are lost).
  if (!phase.sinceNs || feeder.newestNs() == 0) return;
  const auto next = static_cast<int64_t>(feeder.newestNs()) + 1;
  if (next > *phase.sinceNs) params_.since = workerTime(next, offsetNs_);
}

void HttpSource::abort() {
  aborted_ = true;
  std::lock_guard<std::mutex> lock(clientMutex_);
  if (connection_) connection_->stop();
  abortCv_.notify_all();
}

void HttpSource::watchdog(uint64_t steadyNowNs) {
  uint64_t deadline = headerDeadlineNs_;
  if (deadline == 0 || steadyNowNs < deadline) return;
  // Only if the headers did not clear the deadline meanwhile: a stream that
  // has just started must not be stopped as "no response headers".
  if (!headerDeadlineNs_.compare_exchange_strong(deadline, 0)) return;
  timedOut_ = true;
  std::lock_guard<std::mutex> lock(clientMutex_);
  if (connection_) connection_->stop();
}

void fetchAllKernelDrops(const std::vector<HttpSource*>& sources) {
  std::atomic<size_t> next{0};
  std::vector<std::thread> askers(std::min<size_t>(sources.size(), 32));
  for (auto& asker : askers) {
    asker = std::thread([&] {
      for (size_t i = next++; i < sources.size(); i = next++) sources[i]->fetchKernelDrops();
    });
  }
  for (auto& asker : askers) asker.join();
}

void HttpSource::fetchKernelDrops() {
  std::string captureId;
  Endpoint endpoint;
  {
    std::lock_guard<std::mutex> lock(clientMutex_);
    captureId = captureId_;
    endpoint = endpoint_;
  }
  if (captureId.empty() || failed_ || !streaming_) return;  // the worker lists live captures only
  // Its own connection: this runs on the progress or main thread.
  HttpConnection connection;
  if (!connection.open(target_, settings_.tlsContext.get(), 1000, &endpoint)) return;
  auto reply = getSmall(connection, target_, "/stats", false, 1000);
  if (!reply || reply->head.status != 200) return;
  const auto drops = parseKernelDrops(reply->body, captureId);
  if (drops && *drops) {
    kernelDrops_ = **drops;
    dropsKnown_ = true;
  }
}

}  // namespace ddump
