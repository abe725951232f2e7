#pragma once
// A capture request that starts in the past (since=): the records of the
// history ring from `since` on, then, from the same ring, every record the
// always-on capture goes on appending. One cursor walks one sequence of
// records, so the seam between history and live neither loses nor repeats a
// packet. The request's filter runs on each record through libpcap's
// pcap_offline_filter (OfflineFilter), after its interface, direction and
// link type were applied (HistorySelection).

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "capture.h"
#include "capture_registry.h"
#include "capture_stream.h"
#include "event_log.h"
#include "history_recorder.h"
#include "history_selection.h"
#include "record_buffer.h"
#include "stream_flow.h"

namespace httplib {
class DataSink;
}

namespace ddump {

struct HistoryQuery {
  HistorySelection selection;
  int64_t sinceNs = 0;
  std::optional<int64_t> untilNs;
};

class HistoryStream {
 public:
  HistoryStream(HistoryRecorder& recorder, HistoryQuery query, OfflineFilter filter,
                std::unique_ptr<CaptureSlot> slot, StreamLimits limits,
                const std::atomic<bool>& stopping, EventLog& log);
  ~HistoryStream();

  // As CaptureStream::run: true when a limit, until or shutdown ended it.
  bool run(httplib::DataSink& sink) noexcept;
  GlobalHeader globalHeader() const;

  // For runStream (stream_flow.h).
  StreamFlow step(httplib::DataSink& sink);
  bool flush(httplib::DataSink& sink);
  void clientGone() { endReason_ = "client disconnected"; }

 private:
  // Filters and appends one batch read from the ring; Finished at until or
  // the count.
  StreamFlow take(const std::vector<uint8_t>& records);
  bool limitReached();
  void countLost(uint64_t lost);

  HistoryRecorder& recorder_;
  HistoryRing::Cursor cursor_;
  HistoryQuery query_;
  OfflineFilter filter_;
  std::unique_ptr<CaptureSlot> slot_;
  StreamLimits limits_;
  const std::atomic<bool>& stopping_;
  EventLog& log_;
  RecordBuffer buffer_;
  std::vector<uint8_t> scratch_;  // records copied out of the ring
  std::vector<uint8_t> record_;   // one record as the request wants it
  uint64_t packets_ = 0;
  uint64_t lost_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point lastAliveCheck_ = started_;
  std::string endReason_ = "client disconnected";
};

}  // namespace ddump
