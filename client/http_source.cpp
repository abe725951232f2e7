#include "http_source.h"

#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509.h>
#include <sys/ioctl.h>

#include <chrono>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

#include "log.h"

namespace ddump {
namespace {

constexpr size_t kErrorBodyLimit = 4096;
// A live stream may be silent for hours; httplib's per-read timeout must not
// end it. Below 2^31 ms so httplib's int conversion cannot overflow.
constexpr time_t kIdleForeverSec = 2'000'000;

uint64_t steadyNowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

int64_t wallNowNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

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

std::string resolvedAddress(const Target& target) {
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* result = nullptr;
  if (getaddrinfo(target.host.c_str(), nullptr, &hints, &result) != 0 || !result) return "?";
  char host[NI_MAXHOST] = "?";
  getnameinfo(result->ai_addr, result->ai_addrlen, host, sizeof host, nullptr, 0, NI_NUMERICHOST);
  freeaddrinfo(result);
  return host;
}

}  // namespace

HttpSource::HttpSource(size_t stream, Target target, MergeHub& hub, const HttpSettings& settings)
    : Source(stream, std::move(target), hub), settings_(settings) {}

void HttpSource::onTlsInfo(const SSL* ssl, int where, int /*ret*/) {
  if ((where & SSL_CB_HANDSHAKE_DONE) == 0) return;
  auto* self = static_cast<HttpSource*>(SSL_CTX_get_app_data(SSL_get_SSL_CTX(ssl)));
  if (self) self->tlsVersion_.store(SSL_get_version(ssl));
}

std::unique_ptr<httplib::ClientImpl> HttpSource::makeClient(std::string& why) {
  std::unique_ptr<httplib::ClientImpl> client;
  if (target_.kind == TargetKind::Https) {
    auto tls = std::make_unique<httplib::SSLClient>(target_.host, target_.port);
    SSL_CTX* ctx = tls->ssl_context();
    if (!ctx || !installClientChain(ctx, settings_.tls, why)) return nullptr;
    tls->enable_server_certificate_verification(!settings_.tls.insecure);
    if (!settings_.tls.caFile.empty()) tls->set_ca_cert_path(settings_.tls.caFile);
    SSL_CTX_set_app_data(ctx, this);
    SSL_CTX_set_info_callback(ctx, &HttpSource::onTlsInfo);
    client = std::move(tls);
  } else {
    client = std::make_unique<httplib::ClientImpl>(target_.host, target_.port);
  }
  const auto timeout = settings_.connectTimeoutSec;
  const auto sec = static_cast<time_t>(timeout);
  const auto usec = static_cast<time_t>((timeout - static_cast<double>(sec)) * 1e6);
  client->set_connection_timeout(sec, usec);
  client->set_write_timeout(sec, usec);
  client->set_read_timeout(kIdleForeverSec, 0);
  client->set_keep_alive(false);
  client->set_socket_options([this](socket_t sock) { socket_ = sock; });
  client->set_follow_location(false);
  if (target_.hasUser) client->set_basic_auth(target_.user, target_.password);
  return client;
}

bool HttpSource::onResponse(const httplib::Response& response) {
  headerDeadlineNs_ = 0;
  responseNs_ = wallNowNs();
  workerTime_ = response.get_header_value("X-Ddump-Time");
  status_ = response.status;
  contentType_ = response.get_header_value("Content-Type");
  {
    std::lock_guard<std::mutex> lock(clientMutex_);
    captureId_ = response.get_header_value("X-Ddump-Capture-Id");
  }
  if (status_ != 200) return true;  // read the (bounded) body for the error text
  streaming_ = true;
  state_ = TargetState::Streaming;
  if (contentType_.rfind(kPcapContentType, 0) != 0) {
    streamError_ = "unexpected Content-Type '" + printable(contentType_, 80) +
                   "' (expected " + kPcapContentType + "): not a ddump worker stream";
    return false;
  }
  if (log::verbose()) {
    std::string line = target_.display() + ": connected to " + resolvedAddress(target_) + " port " +
                       std::to_string(target_.port);
    if (const char* version = tlsVersion_.load()) line += std::string(" (") + version + ")";
    line += ", worker host '" + printable(response.get_header_value("X-Ddump-Host"), 80) + "'";
    line += ", filter '" + printable(response.get_header_value("X-Ddump-Filter"), 200) + "'";
    line += ", link type " + printable(response.get_header_value("X-Ddump-Linktype"), 40);
    const std::string workerTime = response.get_header_value("X-Ddump-Time");
    char* end = nullptr;
    const long long workerNs = std::strtoll(workerTime.c_str(), &end, 10);
    if (!workerTime.empty() && end && *end == '\0') {
      char offset[64];
      std::snprintf(offset, sizeof offset, "%+.3f s",
                    static_cast<double>(workerNs - wallNowNs()) / 1e9);
      line += ", clock offset " + std::string(offset);
    }
    log::detail(line);
  }
  return true;
}

bool HttpSource::onBody(const char* data, size_t size, StreamFeeder& feeder) {
  if (aborted_) return false;
  if (status_ != 200) {
    errorBody_.append(data, std::min(size, kErrorBodyLimit - errorBody_.size()));
    return errorBody_.size() < kErrorBodyLimit;
  }
  // httplib hands the body over in 4 KiB pieces; while more bytes already
  // wait on the socket, records are gathered into bigger batches (one merge
  // hand-off and wake-up per 64 KiB instead of per piece). Nothing waits on
  // an idle socket: with no byte pending the batch goes out at once.
  int pending = 0;
  const bool more = socket_ >= 0 && ::ioctl(socket_, FIONREAD, &pending) == 0 && pending > 0;
  const Status status = feeder.feedCoalescing({reinterpret_cast<const uint8_t*>(data), size}, more);
  if (!status) {
    streamError_ = status.error().message;
    return false;
  }
  return !feeder.stopped();
}

std::string HttpSource::statusError() const {
  std::string text = "HTTP " + std::to_string(status_);
  if (contentType_.find("json") != std::string::npos) {
    const auto json = nlohmann::json::parse(errorBody_, nullptr, false);
    if (json.is_object() && json.contains("error") && json["error"].is_string()) {
      return text + ": " + printable(json["error"].get<std::string>(), 1000);
    }
  }
  if (contentType_.find("html") != std::string::npos) {
    return text + " with an HTML page (a proxy or web server, not a ddump worker)";
  }
  if (errorBody_.empty()) return text;
  return text + ": " + printable(errorBody_, 200);
}

std::string HttpSource::transportError(httplib::Error error, long verifyResult,
                                       const std::string& tlsDetail) const {
  if (timedOut_) {
    char seconds[32];
    std::snprintf(seconds, sizeof seconds, "%g", settings_.connectTimeoutSec);
    return std::string("no response headers within ") + seconds + " s";
  }
  std::string text;
  switch (error) {
    case httplib::Error::Connection: text = "connection failed (refused or unreachable)"; break;
    case httplib::Error::ConnectionTimeout: text = "connect timed out"; break;
    case httplib::Error::Read: text = "connection closed or read failed"; break;
    case httplib::Error::Write: text = "write failed"; break;
    case httplib::Error::SSLConnection: text = "TLS handshake failed"; break;
    case httplib::Error::SSLLoadingCerts: text = "cannot load CA certificates"; break;
    case httplib::Error::SSLServerVerification:
      text = verifyResult != X509_V_OK
                 ? std::string("server certificate not trusted: ") +
                       X509_verify_cert_error_string(verifyResult)
                 : "server certificate does not match host name " + target_.host;
      break;
    default: text = httplib::to_string(error); break;
  }
  if (!tlsDetail.empty() && error == httplib::Error::SSLConnection) text += ": " + tlsDetail;
  if (status_ == 200) return "connection lost mid-stream: " + text;
  return "cannot connect to " + target_.authority() + ": " + text;
}

HttpSource::Attempt HttpSource::attempt(StreamFeeder& feeder) {
  status_ = 0;
  contentType_.clear();
  errorBody_.clear();
  streamError_.clear();
  timedOut_ = false;
  std::string why;
  auto client = makeClient(why);
  if (!client) {
    fail(why);
    return Attempt::Failed;
  }
  httplib::ClientImpl* raw = client.get();
  {
    std::lock_guard<std::mutex> lock(clientMutex_);
    if (aborted_) return Attempt::Stopped;
    client_ = std::move(client);
  }
  const httplib::Headers headers = {{"Accept", kPcapContentType},
                                    {"Host", target_.authority()},
                                    {"User-Agent", "ddump/0.1"}};
  // Covers connect, TLS handshake and response headers.
  headerDeadlineNs_ = steadyNowNs() + static_cast<uint64_t>(settings_.connectTimeoutSec * 2e9);
  const std::string path = requestTarget(target_, settings_.capture);
  ERR_clear_error();
  const int64_t sendNs = wallNowNs();
  auto result = raw->Get(
      path, headers,
      [this, &feeder, sendNs](const httplib::Response& r) {
        if (!onResponse(r)) return false;
        if (status_ == 200) {
          addClockSample(sendNs, workerTime_, responseNs_);
          applyClockOffset(feeder);
        }
        return true;
      },
      [this, &feeder](const char* data, size_t size) { return onBody(data, size, feeder); });
  feeder.flush();  // records gathered before the body ended (or failed) still go out
  socket_ = -1;
  headerDeadlineNs_ = 0;
  streaming_ = false;
  // OpenSSL keeps errors per thread: read the handshake's reason right here.
  const std::string tlsDetail = ERR_peek_last_error() != 0 ? openSslError() : "";
  long verifyResult = X509_V_OK;
  if (target_.kind == TargetKind::Https) {
    verifyResult = static_cast<httplib::SSLClient*>(raw)->get_openssl_verify_result();
  }
  {
    std::lock_guard<std::mutex> lock(clientMutex_);
    client_.reset();
  }
  if (aborted_ || feeder.stopped()) return Attempt::Stopped;
  if (!streamError_.empty()) {
    fail(streamError_);
    return Attempt::Failed;
  }
  if (!result) {
    lastError_ = transportError(result.error(), verifyResult, tlsDetail);
    return Attempt::Failed;
  }
  if (status_ != 200) {
    lastError_ = statusError();
    return status_ >= 400 && status_ < 500 ? Attempt::Refused : Attempt::Failed;
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
    if (const auto ms = setting.manualFor(target_.host)) feeder.setClockOffset(*ms);
    return;
  }
  const auto best = clock_.best();
  if (!best) return;
  if (setting.mode == ClockOffsetMode::Auto) feeder.setClockOffset(best->offsetNs);
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
  std::string why;
  auto client = makeClient(why);
  if (!client) return;  // the capture attempt reports the reason
  client->set_read_timeout(static_cast<time_t>(settings_.connectTimeoutSec) + 1, 0);
  client->set_keep_alive(true);  // later samples measure the round trip, not the connect
  const int rounds = sampleClock ? 5 : 1;
  for (int i = 0; i < rounds && !aborted_; ++i) {
    const int64_t sendNs = wallNowNs();
    auto result = client->Get("/interfaces", {{"Host", target_.authority()}});
    const int64_t recvNs = wallNowNs();
    if (!result || result->status != 200) return;
    addClockSample(sendNs, result->get_header_value("X-Ddump-Time"), recvNs);
    if (i > 0 || !settings_.output) continue;
    const auto json = nlohmann::json::parse(result->body, nullptr, false);
    if (!json.is_array()) continue;
    std::map<uint32_t, std::string> names;
    for (const auto& item : json) {
      if (item.is_object() && item.contains("name") && item["name"].is_string() &&
          item.contains("index") && item["index"].is_number_unsigned()) {
        names[item["index"].get<uint32_t>()] = printable(item["name"].get<std::string>(), 64);
      }
    }
    settings_.output->setInterfaces(stream_, std::move(names));
  }
}

void HttpSource::run() {
  StreamFeeder feeder(stream_, hub_);
  probeWorker();
  applyClockOffset(feeder);
  for (int tries = 0;; ++tries) {
    lastError_.clear();
    const Attempt outcome = attempt(feeder);
    if (outcome == Attempt::Done || outcome == Attempt::Stopped) break;
    if (outcome == Attempt::Refused) {
      fail(lastError_, true);
      break;
    }
    if (failed_ || tries >= settings_.retry) {
      if (!lastError_.empty()) fail(lastError_);
      break;
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
    if (aborted_) break;
    feeder.reset();
  }
  if (!failed_) state_ = TargetState::Done;
  hub_.onEnd(stream_, refused_);
}

void HttpSource::abort() {
  aborted_ = true;
  std::lock_guard<std::mutex> lock(clientMutex_);
  if (client_) client_->stop();
}

void HttpSource::watchdog(uint64_t steadyNowNs) {
  const uint64_t deadline = headerDeadlineNs_;
  if (deadline == 0 || steadyNowNs < deadline) return;
  headerDeadlineNs_ = 0;
  timedOut_ = true;
  std::lock_guard<std::mutex> lock(clientMutex_);
  if (client_) client_->stop();
}

void HttpSource::fetchKernelDrops() {
  std::string captureId;
  {
    std::lock_guard<std::mutex> lock(clientMutex_);
    captureId = captureId_;
  }
  if (captureId.empty() || failed_ || !streaming_) return;  // the worker lists live captures only
  std::string why;
  auto client = makeClient(why);
  if (!client) return;
  client->set_connection_timeout(1, 0);
  client->set_read_timeout(1, 0);
  auto result = client->Get("/stats", {{"Host", target_.authority()}});
  if (!result || result->status != 200) return;
  const auto json = nlohmann::json::parse(result->body, nullptr, false);
  if (!json.is_object() || !json.contains("captures") || !json["captures"].is_array()) return;
  for (const auto& capture : json["captures"]) {
    if (!capture.is_object() || !capture.contains("id") || !capture.contains("kernel_drops")) continue;
    const auto& id = capture["id"];
    const std::string idText = id.is_string() ? id.get<std::string>() : id.dump();
    if (idText == captureId && capture["kernel_drops"].is_number_unsigned()) {
      kernelDrops_ = capture["kernel_drops"].get<uint64_t>();
      dropsKnown_ = true;
    }
  }
}

}  // namespace ddump
