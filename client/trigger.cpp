#include "trigger.h"

#include <signal.h>

#include <atomic>
#include <climits>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "clock.h"
#include "clock_offset.h"
#include "http_connection.h"
#include "log.h"
#include "small_request.h"
#include "stream_decoder.h"

namespace ddump {
namespace {

// The first record of a count=1 stream.
class FirstRecord : public DecoderSink {
 public:
  void onGlobalHeader(const GlobalHeader& header) override { header_ = header; }
  void onPacket(const PacketView& packet) override {
    if (hit_) return;
    const uint64_t perFrac = header_.precision == Precision::Nano ? 1 : 1000;
    TriggerHit hit;
    hit.tsNs = static_cast<int64_t>(uint64_t{packet.header.tsSec} * 1'000'000'000 +
                                    packet.header.tsFrac * perFrac);
    hit.linkType = header_.linkType & kLinkTypeMask;
    hit.data.assign(packet.data.begin(), packet.data.end());
    hit.len = packet.header.len;
    hit_ = std::move(hit);
  }
  std::optional<TriggerHit>& hit() { return hit_; }

 private:
  GlobalHeader header_;
  std::optional<TriggerHit> hit_;
};

std::string errorOf(const SmallReply& reply) {
  const auto json = nlohmann::json::parse(reply.body, nullptr, false);
  if (json.is_object() && json.contains("error") && json["error"].is_string()) {
    return json["error"].get<std::string>().substr(0, 1000);
  }
  return "HTTP " + std::to_string(reply.head.status);
}

class TriggerWatch {
 public:
  TriggerWatch(const std::vector<Target>& targets, const HttpSettings& settings,
               const std::string& expr)
      : targets_(targets), settings_(settings), expr_(expr), connections_(targets.size()) {}

  std::optional<TriggerHit> run();

 private:
  void watch(size_t index);
  Result<TriggerHit> watchOnce(size_t index, HttpConnection& connection);
  int64_t clockOffset(size_t index, HttpConnection& connection);
  void report(size_t index, std::optional<TriggerHit> hit);
  void stopAll();

  const std::vector<Target>& targets_;
  const HttpSettings& settings_;
  const std::string& expr_;
  std::vector<std::shared_ptr<HttpConnection>> connections_;  // guarded by mutex_
  std::mutex mutex_;
  std::condition_variable cv_;
  size_t ended_ = 0;
  bool stopped_ = false;
  std::optional<TriggerHit> first_;
};

int64_t TriggerWatch::clockOffset(size_t index, HttpConnection& connection) {
  const ClockOffsetSetting& setting = settings_.clockOffset;
  if (setting.mode == ClockOffsetMode::Manual) return setting.manualFor(targets_[index].host).value_or(0);
  if (setting.mode != ClockOffsetMode::Auto) return 0;
  ClockOffsetFilter filter;
  for (int i = 0; i < 5; ++i) {
    const int64_t sendNs = wallNowNs();
    auto reply = getSmall(connection, targets_[index], "/interfaces", true, 2000);
    const int64_t recvNs = wallNowNs();
    if (!reply || reply->head.status != 200) break;
    if (auto tw = parseWorkerTime(reply->head.field("X-Ddump-Time"))) filter.add({sendNs, *tw, recvNs});
  }
  return filter.best() ? filter.best()->offsetNs : 0;
}

Result<TriggerHit> TriggerWatch::watchOnce(size_t index, HttpConnection& connection) {
  const Target& target = targets_[index];
  const int timeoutMs = static_cast<int>(std::min(settings_.connectTimeoutSec * 1000.0, 1e9));
  if (Status s = connection.open(target, settings_.tlsContext.get(), timeoutMs); !s) return s.error();
  const int64_t offsetNs = clockOffset(index, connection);
  CaptureParams params = settings_.capture;
  params.filter = expr_;
  params.count = "1";
  // A match can take hours: no time limit but Ctrl-C or another match.
  auto reply = getSmall(connection, target, requestTarget(target, params), false, INT_MAX);
  if (!reply) return reply.error();
  if (reply->head.status != 200) return makeError(ErrorCode::Http, errorOf(*reply));
  StreamDecoder decoder;
  FirstRecord first;
  const auto* bytes = reinterpret_cast<const uint8_t*>(reply->body.data());
  if (Status s = decoder.feed({bytes, reply->body.size()}, first); !s) return s.error();
  if (!first.hit()) return makeError(ErrorCode::Http, "the stream ended without a match");
  first.hit()->target = index;
  first.hit()->tsNs -= offsetNs;
  return std::move(*first.hit());
}

void TriggerWatch::watch(size_t index) {
  auto connection = std::make_shared<HttpConnection>();
  {
    std::lock_guard lock(mutex_);
    if (stopped_) return report(index, std::nullopt);
    connections_[index] = connection;
  }
  auto hit = watchOnce(index, *connection);
  if (!hit) {
    bool stopped = false;
    {
      std::lock_guard lock(mutex_);
      stopped = stopped_;
    }
    if (!stopped) log::error(targets_[index].display() + ": trigger: " + hit.error().message);
    return report(index, std::nullopt);
  }
  report(index, std::move(*hit));
}

void TriggerWatch::report(size_t index, std::optional<TriggerHit> hit) {
  std::lock_guard lock(mutex_);
  connections_[index].reset();
  ++ended_;
  if (hit && !first_) first_ = std::move(hit);
  cv_.notify_all();
}

void TriggerWatch::stopAll() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  for (auto& c : connections_) {
    if (c) c->stop();
  }
}

std::optional<TriggerHit> TriggerWatch::run() {
  std::vector<std::thread> threads;
  size_t watched = 0;
  for (size_t i = 0; i < targets_.size(); ++i) {
    if (!targets_[i].isUrl()) continue;
    ++watched;
    threads.emplace_back([this, i] { watch(i); });
  }
  // SIGINT/SIGTERM are blocked here and taken by sigtimedwait: Ctrl-C while
  // waiting ends the wait with nothing written.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  bool interrupted = false;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (cv_.wait_for(lock, std::chrono::milliseconds(50),
                       [&] { return first_.has_value() || ended_ == watched; })) {
        break;
      }
    }
    const timespec zero{0, 0};
    if (sigtimedwait(&signals, nullptr, &zero) > 0) {
      interrupted = true;
      break;
    }
  }
  stopAll();
  for (auto& t : threads) t.join();
  pthread_sigmask(SIG_UNBLOCK, &signals, nullptr);
  if (interrupted) return std::nullopt;
  return std::move(first_);
}

}  // namespace

std::optional<TriggerHit> waitForTrigger(const std::vector<Target>& targets,
                                         const HttpSettings& settings, const std::string& expr) {
  return TriggerWatch(targets, settings, expr).run();
}

}  // namespace ddump
