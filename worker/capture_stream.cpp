#include "capture_stream.h"

#include <httplib.h>

namespace ddump {
namespace {

using Clock = std::chrono::steady_clock;
// An idle stream checks this often whether its client is still there, so a
// capture whose filter matches nothing is freed soon after the client leaves.
constexpr auto kAliveCheckInterval = std::chrono::milliseconds(100);
constexpr int kPollTimeoutMs = 10;
constexpr auto kStatsInterval = std::chrono::seconds(1);

}  // namespace

CaptureStream::CaptureStream(Capture capture, std::unique_ptr<CaptureSlot> slot,
                             StreamLimits limits, const std::atomic<bool>& stopping,
                             EventLog& log)
    : capture_(std::move(capture)),
      slot_(std::move(slot)),
      limits_(limits),
      stopping_(stopping),
      log_(log) {
  buffer_.reserve(256 * 1024);
}

CaptureStream::~CaptureStream() {
  refreshStats();
  auto& c = slot_->counters();
  log_.info("capture_end", {{"id", c.id},
                            {"peer", c.peer},
                            {"filter", c.filter},
                            {"reason", endReason_},
                            {"packets", c.packets.load()},
                            {"bytes", c.bytes.load()},
                            {"kernel_drops", c.kernelDrops.load()},
                            {"duration_s", std::chrono::duration<double>(Clock::now() - started_).count()}});
}

bool CaptureStream::run(httplib::DataSink& sink) noexcept {
  // pcap-savefile(5) global header first, before any packet, so readers
  // (tcpdump -r -, Wireshark) start at once.
  buffer_.appendGlobalHeader(capture_.globalHeader());
  if (!flush(sink)) return false;
  Flow flow = Flow::Continue;
  while (flow == Flow::Continue) flow = step(sink);
  if (flow == Flow::ClientGone) {
    endReason_ = "client disconnected";
    return false;
  }
  if (!flush(sink)) return false;
  sink.done();  // the terminating zero-length chunk (RFC 9112 section 7.1)
  return true;
}

CaptureStream::Flow CaptureStream::step(httplib::DataSink& sink) {
  if (stopping_.load(std::memory_order_relaxed)) {
    endReason_ = "worker shutting down";
    return Flow::Finished;
  }
  if (limitReached()) return Flow::Finished;
  const int want = limits_.count ? static_cast<int>(std::min<uint64_t>(*limits_.count - packets_, 1 << 30)) : -1;
  capture_.waitReadable(kPollTimeoutMs);
  auto outcome = capture_.dispatch(want, *this);
  if (!outcome) {
    endReason_ = outcome.error().message;
    log_.error("capture_error", {{"id", slot_->counters().id}, {"error", outcome.error().message}});
    return Flow::Finished;
  }
  const auto now = Clock::now();
  if (!buffer_.empty()) {
    if (!flush(sink)) return Flow::ClientGone;
  } else if (now - lastAliveCheck_ >= kAliveCheckInterval) {
    lastAliveCheck_ = now;
    if (!sink.is_writable()) return Flow::ClientGone;
  }
  if (now - lastStats_ >= kStatsInterval) {
    lastStats_ = now;
    refreshStats();
  }
  return Flow::Continue;
}

bool CaptureStream::limitReached() {
  if (limits_.count && packets_ >= *limits_.count) {
    endReason_ = "count reached";
    return true;
  }
  if (limits_.duration && Clock::now() - started_ >= *limits_.duration) {
    endReason_ = "duration reached";
    return true;
  }
  return false;
}

void CaptureStream::onPacket(const RecordHeader& header, std::span<const uint8_t> data) noexcept {
  if (limits_.count && packets_ >= *limits_.count) return;
  ++packets_;
  buffer_.appendRecord(header, data);
}

bool CaptureStream::flush(httplib::DataSink& sink) {
  if (buffer_.empty()) return true;
  auto& c = slot_->counters();
  const bool ok = sink.write(buffer_.data(), buffer_.size());
  if (ok) {
    c.bytes.fetch_add(buffer_.size(), std::memory_order_relaxed);
    c.packets.store(packets_, std::memory_order_relaxed);
  }
  buffer_.clear();
  return ok;
}

void CaptureStream::refreshStats() {
  if (auto st = capture_.stats()) {
    slot_->counters().kernelDrops.store(st->dropped, std::memory_order_relaxed);
  }
}

}  // namespace ddump
