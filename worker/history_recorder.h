#pragma once
// The worker's history: one always-on capture on `any` (LINUX_SLL2, so each
// record keeps its interface index and direction; nanosecond timestamps)
// feeding a HistoryRing, on its own thread, from start-up to shutdown.
// Capture requests with since= read the ring (history_stream.h).

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "capture.h"
#include "event_log.h"
#include "history_ring.h"

namespace ddump {

struct HistorySettings {
  uint64_t bytes = 0;
  uint32_t snaplen = 0;
  int bufferSizeKiB = 0;
  std::string filter;  // `not (exclusions) and (--history-filter)`
};

class HistoryRecorder : private PacketHandler {
 public:
  // Opens the capture (errors: start-up, thrown by the caller) and starts
  // the recording thread.
  static Result<std::unique_ptr<HistoryRecorder>> start(const HistorySettings& settings,
                                                        EventLog& log);
  ~HistoryRecorder() override;  // stops and joins the thread

  HistoryRing& ring() { return ring_; }
  const HistoryRing& ring() const { return ring_; }
  // Every record with a timestamp before this is in the ring (or was
  // dropped by the kernel): the capture has delivered everything the kernel
  // had timestamped by then. ns since the epoch.
  int64_t completeBeforeNs() const { return completeBeforeNs_.load(std::memory_order_acquire); }
  // When recording began (ns since the epoch): no history is older.
  int64_t startedNs() const { return startedNs_; }
  uint64_t kernelDrops();
  uint32_t snaplen() const { return snaplen_; }
  // The ring for /stats ("history": {...}) and /metrics (ddump_history_*).
  nlohmann::json statsJson();
  std::string metricsText();

 private:
  HistoryRecorder(Capture capture, const HistorySettings& settings, EventLog& log);
  void run();
  void onPacket(const RecordHeader& header, std::span<const uint8_t> data) noexcept override;

  Capture capture_;
  HistoryRing ring_;
  EventLog& log_;
  const uint32_t snaplen_;
  const int64_t startedNs_;
  std::atomic<int64_t> completeBeforeNs_;
  int64_t lastTsNs_ = 0;  // newest timestamp delivered (recording thread)
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

}  // namespace ddump
