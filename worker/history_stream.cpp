#include "history_stream.h"

#include <httplib.h>

#include <algorithm>

#include "time_spec.h"

namespace ddump {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kAliveCheckInterval = std::chrono::milliseconds(100);
constexpr auto kWaitForRecords = std::chrono::milliseconds(10);
constexpr size_t kReadBytes = 1024 * 1024;  // copied out of the ring per read

}  // namespace

HistoryStream::HistoryStream(HistoryRecorder& recorder, HistoryQuery query, OfflineFilter filter,
                             std::unique_ptr<CaptureSlot> slot, StreamLimits limits,
                             const std::atomic<bool>& stopping, EventLog& log)
    : recorder_(recorder),
      cursor_(recorder.ring().seek(query.sinceNs)),
      query_(query),
      filter_(std::move(filter)),
      slot_(std::move(slot)),
      limits_(limits),
      stopping_(stopping),
      log_(log) {
  buffer_.reserve(256 * 1024);
  scratch_.reserve(kReadBytes + 64 * 1024);
}

HistoryStream::~HistoryStream() {
  auto& c = slot_->counters();
  log_.info("capture_end", {{"id", c.id},
                            {"peer", c.peer},
                            {"filter", c.filter},
                            {"reason", endReason_},
                            {"packets", c.packets.load()},
                            {"bytes", c.bytes.load()},
                            {"history_lost", lost_},
                            {"duration_s", std::chrono::duration<double>(Clock::now() - started_).count()}});
}

GlobalHeader HistoryStream::globalHeader() const {
  GlobalHeader header;
  header.linkType = query_.selection.linkType;
  header.snaplen = query_.selection.snaplen;
  header.precision = query_.selection.precision;
  header.byteOrder = hostByteOrder();
  return header;
}

bool HistoryStream::run(httplib::DataSink& sink) noexcept {
  buffer_.appendGlobalHeader(globalHeader());
  return runStream(*this, sink);
}

StreamFlow HistoryStream::step(httplib::DataSink& sink) {
  if (stopping_.load(std::memory_order_relaxed)) {
    endReason_ = "worker shutting down";
    return StreamFlow::Finished;
  }
  if (limitReached()) return StreamFlow::Finished;
  const HistoryRing& ring = recorder_.ring();
  scratch_.clear();
  const auto read = ring.read(cursor_, scratch_, kReadBytes);
  if (read.lost > 0) countLost(read.lost);
  const StreamFlow flow = take(scratch_);
  if (!buffer_.empty() && !flush(sink)) return StreamFlow::ClientGone;
  if (flow != StreamFlow::Continue) return flow;
  if (read.records > 0) return StreamFlow::Continue;
  // Caught up with the always-on capture.
  if (query_.untilNs && recorder_.completeBeforeNs() >= *query_.untilNs) {
    endReason_ = "until reached";
    return StreamFlow::Finished;
  }
  ring.waitForMore(cursor_, kWaitForRecords);
  if (const auto now = Clock::now(); now - lastAliveCheck_ >= kAliveCheckInterval) {
    lastAliveCheck_ = now;
    if (!sink.is_writable()) return StreamFlow::ClientGone;
  }
  return StreamFlow::Continue;
}

StreamFlow HistoryStream::take(const std::vector<uint8_t>& records) {
  HistoryRecords walk(records);
  while (auto record = walk.next()) {
    if (record->tsNs < query_.sinceNs) continue;
    if (query_.untilNs && record->tsNs >= *query_.untilNs) {
      endReason_ = "until reached";
      return StreamFlow::Finished;
    }
    auto header = selectHistoryRecord(query_.selection, *record, record_);
    if (!header || !filter_.matches(*header, record_)) continue;
    header->caplen = std::min(header->caplen, query_.selection.snaplen);
    buffer_.appendRecord(*header, std::span<const uint8_t>(record_).first(header->caplen));
    ++packets_;
    if (limits_.count && packets_ >= *limits_.count) {
      endReason_ = "count reached";
      return StreamFlow::Finished;
    }
  }
  return StreamFlow::Continue;
}

bool HistoryStream::limitReached() {
  const char* reason = limits_.reached(packets_, started_);
  if (reason != nullptr) endReason_ = reason;
  return reason != nullptr;
}

void HistoryStream::countLost(uint64_t lost) {
  // The reader fell behind the ring's eviction: those records are gone.
  lost_ += lost;
  auto& c = slot_->counters();
  c.historyLost.store(lost_, std::memory_order_relaxed);
  log_.warn("history_lost", {{"id", c.id}, {"peer", c.peer}, {"lost", lost}, {"history_lost", lost_}});
}

bool HistoryStream::flush(httplib::DataSink& sink) {
  auto& c = slot_->counters();
  const bool written = writeSlices(sink, buffer_.bytes(), c.bytes, [] {});
  buffer_.clear();
  if (!written) return false;
  c.packets.store(packets_, std::memory_order_relaxed);
  return true;
}

}  // namespace ddump
