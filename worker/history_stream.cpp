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
constexpr size_t kWriteSlice = 64 * 1024;

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

HistoryStream::Flow HistoryStream::step(httplib::DataSink& sink) {
  if (stopping_.load(std::memory_order_relaxed)) {
    endReason_ = "worker shutting down";
    return Flow::Finished;
  }
  if (limitReached()) return Flow::Finished;
  const HistoryRing& ring = recorder_.ring();
  scratch_.clear();
  const auto read = ring.read(cursor_, scratch_, kReadBytes);
  if (read.lost > 0) countLost(read.lost);
  const Flow flow = take(scratch_);
  if (!buffer_.empty() && !flush(sink)) return Flow::ClientGone;
  if (flow != Flow::Continue) return flow;
  if (read.records > 0) return Flow::Continue;
  // Caught up with the always-on capture.
  if (query_.untilNs && recorder_.completeBeforeNs() >= *query_.untilNs) {
    endReason_ = "until reached";
    return Flow::Finished;
  }
  ring.waitForMore(cursor_, kWaitForRecords);
  if (const auto now = Clock::now(); now - lastAliveCheck_ >= kAliveCheckInterval) {
    lastAliveCheck_ = now;
    if (!sink.is_writable()) return Flow::ClientGone;
  }
  return Flow::Continue;
}

HistoryStream::Flow HistoryStream::take(const std::vector<uint8_t>& records) {
  HistoryRecords walk(records);
  while (auto record = walk.next()) {
    if (record->tsNs < query_.sinceNs) continue;
    if (query_.untilNs && record->tsNs >= *query_.untilNs) {
      endReason_ = "until reached";
      return Flow::Finished;
    }
    auto header = selectHistoryRecord(query_.selection, *record, record_);
    if (!header || !filter_.matches(*header, record_)) continue;
    header->caplen = std::min(header->caplen, query_.selection.snaplen);
    buffer_.appendRecord(*header, std::span<const uint8_t>(record_).first(header->caplen));
    ++packets_;
    if (limits_.count && packets_ >= *limits_.count) {
      endReason_ = "count reached";
      return Flow::Finished;
    }
  }
  return Flow::Continue;
}

bool HistoryStream::limitReached() {
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

void HistoryStream::countLost(uint64_t lost) {
  // The reader fell behind the ring's eviction: those records are gone.
  lost_ += lost;
  auto& c = slot_->counters();
  c.historyLost.store(lost_, std::memory_order_relaxed);
  log_.warn("history_lost", {{"id", c.id}, {"peer", c.peer}, {"lost", lost}, {"history_lost", lost_}});
}

bool HistoryStream::flush(httplib::DataSink& sink) {
  auto& c = slot_->counters();
  const auto bytes = buffer_.bytes();
  for (size_t at = 0; at < bytes.size(); at += kWriteSlice) {
    const size_t n = std::min(kWriteSlice, bytes.size() - at);
    if (!sink.write(reinterpret_cast<const char*>(bytes.data() + at), n)) {
      buffer_.clear();
      return false;
    }
    c.bytes.fetch_add(n, std::memory_order_relaxed);
  }
  c.packets.store(packets_, std::memory_order_relaxed);
  buffer_.clear();
  return true;
}

}  // namespace ddump
