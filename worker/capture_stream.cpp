#include "capture_stream.h"

#include <httplib.h>

#include <algorithm>

namespace ddump {
namespace {

using Clock = std::chrono::steady_clock;
// An idle stream checks this often whether its client is still there, so a
// capture whose filter matches nothing is freed soon after the client leaves.
constexpr auto kAliveCheckInterval = std::chrono::milliseconds(100);
constexpr int kPollTimeoutMs = 10;
constexpr size_t kMaxBatchBytes = 1024 * 1024;
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
  // /stats and /metrics re-read the drops through this, until the destructor
  // takes it back.
  slot_->setDropsRefresher([this] { refreshStats(); });
}

CaptureStream::~CaptureStream() {
  // No /stats request may call in while members are being destroyed (those
  // declared after slot_ go before it unregisters the capture).
  slot_->setDropsRefresher(nullptr);
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
  buffer_.appendGlobalHeader(capture_.globalHeader());
  return runStream(*this, sink);
}

StreamFlow CaptureStream::step(httplib::DataSink& sink) {
  if (stopping_.load(std::memory_order_relaxed)) {
    endReason_ = "worker shutting down";
    return StreamFlow::Finished;
  }
  if (limitReached()) return StreamFlow::Finished;
  const int want = limits_.count ? static_cast<int>(std::min<uint64_t>(*limits_.count - packets_, 1 << 30)) : -1;
  // Wait only when the last dispatch found nothing: under load the next
  // kernel block is usually ready, and a poll per block is a wasted syscall.
  if (!busy_) capture_.waitReadable(kPollTimeoutMs);
  auto outcome = capture_.dispatch(want, *this);
  if (!outcome) {
    endReason_ = outcome.error().message;
    log_.error("capture_error", {{"id", slot_->counters().id}, {"error", outcome.error().message}});
    return StreamFlow::Finished;
  }
  busy_ = *outcome != DispatchOutcome::Timeout;
  const auto now = Clock::now();
  if (!buffer_.empty()) {
    if (!flush(sink)) return StreamFlow::ClientGone;
  } else if (now - lastAliveCheck_ >= kAliveCheckInterval) {
    lastAliveCheck_ = now;
    if (!sink.is_writable()) return StreamFlow::ClientGone;
  }
  if (now - lastStats_ >= kStatsInterval) {
    lastStats_ = now;
    refreshStats();
  }
  return StreamFlow::Continue;
}

bool CaptureStream::limitReached() {
  const char* reason = limits_.reached(packets_, started_);
  if (reason != nullptr) endReason_ = reason;
  return reason != nullptr;
}

void CaptureStream::onPacket(const RecordHeader& header, std::span<const uint8_t> data) noexcept {
  if (limits_.count && packets_ >= *limits_.count) return;
  ++packets_;
  buffer_.appendRecord(header, data);
  // While traffic outpaces us, one pcap_dispatch could go on delivering for as
  // long as the kernel keeps filling blocks: cap the batch so memory stays
  // bounded and the kernel ring, not the worker, absorbs the excess.
  if (buffer_.size() >= kMaxBatchBytes) capture_.breakLoop();
}

bool CaptureStream::flush(httplib::DataSink& sink) {
  auto& c = slot_->counters();
  // Between slices a slow reader still lets the stream refresh its
  // kernel-drop count.
  const bool written = writeSlices(sink, buffer_.bytes(), c.bytes, [this] {
    if (const auto now = Clock::now(); now - lastStats_ >= kStatsInterval) {
      lastStats_ = now;
      refreshStats();
    }
  });
  buffer_.clear();
  if (!written) return false;
  c.packets.store(packets_, std::memory_order_relaxed);
  return true;
}

// Thread-safe: the stream's thread and /stats requests both call it.
void CaptureStream::refreshStats() {
  auto st = capture_.stats();
  if (!st) return;
  auto& c = slot_->counters();
  // Only ever upwards: two callers may finish in either order.
  uint64_t before = c.kernelDrops.load(std::memory_order_relaxed);
  while (st->dropped > before && !c.kernelDrops.compare_exchange_weak(before, st->dropped)) {
  }
  if (st->dropped <= before) return;
  // The reader is slower than the traffic: the kernel ring drops instead of
  // the worker buffering without bound. Say so, at most once a second.
  const int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                          Clock::now().time_since_epoch()).count();
  int64_t last = lastDropLogNs_.load(std::memory_order_relaxed);
  if (now - last < 1'000'000'000 || !lastDropLogNs_.compare_exchange_strong(last, now)) return;
  const uint64_t logged = std::min(droppedLogged_.exchange(st->dropped), st->dropped);
  log_.warn("kernel_drops", {{"id", c.id},
                             {"peer", c.peer},
                             {"dropped", st->dropped - logged},
                             {"kernel_drops", st->dropped}});
}

}  // namespace ddump
