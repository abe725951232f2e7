#include "history_recorder.h"

#include <chrono>
#include <cstdio>

#include "time_spec.h"

namespace ddump {
namespace {

constexpr int kPollTimeoutMs = 10;
// TPACKET_V3 hands a block to user space when it is full or when its retire
// timer (the 10 ms read timeout) fires, so a packet is readable at most about
// two timeouts after the kernel stamped it. Past this margin a timestamp the
// capture has not delivered is taken as one that will not come.
constexpr int64_t kDeliveryMarginNs = 50'000'000;

}  // namespace

Result<std::unique_ptr<HistoryRecorder>> HistoryRecorder::start(const HistorySettings& settings,
                                                               EventLog& log) {
  CaptureOptions options;
  options.interface = "any";
  options.linkType = kLinkTypeLinuxSll2;
  options.snaplen = settings.snaplen;
  options.precision = Precision::Nano;
  options.bufferSizeKiB = settings.bufferSizeKiB;
  options.filter = settings.filter;
  auto capture = Capture::open(options);
  if (!capture) return capture.error();
  return std::unique_ptr<HistoryRecorder>(new HistoryRecorder(std::move(*capture), settings, log));
}

HistoryRecorder::HistoryRecorder(Capture capture, const HistorySettings& settings, EventLog& log)
    : capture_(std::move(capture)),
      ring_(settings.bytes, capture_.globalHeader().snaplen),
      log_(log),
      snaplen_(capture_.globalHeader().snaplen),
      startedNs_(wallClockNs()),
      completeBeforeNs_(startedNs_) {
  thread_ = std::thread([this] { run(); });
}

HistoryRecorder::~HistoryRecorder() {
  stop_ = true;
  if (thread_.joinable()) thread_.join();
}

void HistoryRecorder::run() {
  int64_t newestNs = startedNs_;
  bool busy = false;
  while (!stop_.load(std::memory_order_relaxed)) {
    const int64_t before = wallClockNs();
    if (!busy) capture_.waitReadable(kPollTimeoutMs);
    auto outcome = capture_.dispatch(-1, *this);
    if (!outcome) {
      log_.error("history_error", {{"error", outcome.error().message}});
      return;
    }
    busy = *outcome != DispatchOutcome::Timeout;
    ring_.publish();
    // Nothing was waiting: everything stamped before this round is here.
    int64_t complete = before - kDeliveryMarginNs;
    if (busy) {
      // More may be waiting (the kernel ring holds a backlog): complete only
      // up to the newest record delivered so far.
      newestNs = std::max(newestNs, lastTsNs_);
      complete = std::min(before, newestNs) - kDeliveryMarginNs;
    }
    if (complete > completeBeforeNs_.load(std::memory_order_relaxed)) {
      completeBeforeNs_.store(complete, std::memory_order_release);
    }
  }
}

void HistoryRecorder::onPacket(const RecordHeader& header, std::span<const uint8_t> data) noexcept {
  // Nanosecond precision: tsFrac is nanoseconds (pcap-savefile(5)).
  const int64_t ts = int64_t{header.tsSec} * 1'000'000'000 + header.tsFrac;
  lastTsNs_ = std::max(lastTsNs_, ts);
  ring_.append(ts, header.len, data);
}

nlohmann::json HistoryRecorder::statsJson() {
  const auto stats = ring_.stats();
  nlohmann::json j = {{"capacity_bytes", ring_.capacity()},
                      {"bytes", stats.bytes},
                      {"packets", stats.packets},
                      {"evicted", stats.evicted},
                      {"kernel_drops", kernelDrops()},
                      {"snaplen", snaplen_},
                      {"recording_since_ns", startedNs_}};
  j["oldest_ns"] = stats.oldestNs ? nlohmann::json(*stats.oldestNs) : nlohmann::json();
  return j;
}

std::string HistoryRecorder::metricsText() {
  const auto stats = ring_.stats();
  std::string out;
  auto metric = [&out](const char* name, const char* type, const char* help, const std::string& value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + value + "\n";
  };
  // Prometheus text exposition format 0.0.4.
  metric("ddump_history_bytes", "gauge", "Bytes of records the history ring holds.",
         std::to_string(stats.bytes));
  metric("ddump_history_packets", "gauge", "Records the history ring holds.",
         std::to_string(stats.packets));
  char oldest[64] = "NaN";
  if (stats.oldestNs) std::snprintf(oldest, sizeof oldest, "%.9f", static_cast<double>(*stats.oldestNs) / 1e9);
  metric("ddump_history_oldest_seconds", "gauge",
         "Timestamp of the oldest record in the history ring (seconds since the epoch).", oldest);
  metric("ddump_history_evicted_total", "counter", "Records evicted from the history ring.",
         std::to_string(stats.evicted));
  metric("ddump_history_drops_total", "counter",
         "Packets the kernel dropped from the history capture (ring full).",
         std::to_string(kernelDrops()));
  return out;
}

uint64_t HistoryRecorder::kernelDrops() {
  auto st = capture_.stats();
  return st ? st->dropped : 0;
}

}  // namespace ddump
