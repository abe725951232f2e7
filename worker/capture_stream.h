#pragma once
// One capture streamed to one HTTP client: the pcap global header at once, then
// records batched per pcap_dispatch (one write per kernel block, so heavy
// traffic leaves in large writes and light traffic leaves within ~10 ms).

#include <atomic>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "capture.h"
#include "capture_registry.h"
#include "event_log.h"
#include "record_buffer.h"
#include "stream_flow.h"

namespace httplib {
class DataSink;
}

namespace ddump {

class CaptureStream : public PacketHandler {
 public:
  CaptureStream(Capture capture, std::unique_ptr<CaptureSlot> slot, StreamLimits limits,
                const std::atomic<bool>& stopping, EventLog& log);
  ~CaptureStream() override;

  // Streams until a limit, shutdown or a capture error ends it cleanly (true),
  // or the client goes away (false). Never throws.
  bool run(httplib::DataSink& sink) noexcept;

  void onPacket(const RecordHeader& header, std::span<const uint8_t> data) noexcept override;

  // For runStream (stream_flow.h).
  StreamFlow step(httplib::DataSink& sink);
  bool flush(httplib::DataSink& sink);
  void clientGone() { endReason_ = "client disconnected"; }

 private:
  bool limitReached();
  void refreshStats();  // thread-safe (see CaptureCounters::refreshDrops)

  Capture capture_;
  std::unique_ptr<CaptureSlot> slot_;
  StreamLimits limits_;
  const std::atomic<bool>& stopping_;
  EventLog& log_;
  RecordBuffer buffer_;
  uint64_t packets_ = 0;
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point lastAliveCheck_ = started_;
  bool busy_ = false;  // the last dispatch delivered packets (or was cut short)
  std::chrono::steady_clock::time_point lastStats_ = started_;
  // The kernel_drops warning: when last logged (steady ns) and the total then.
  std::atomic<int64_t> lastDropLogNs_{0};
  std::atomic<uint64_t> droppedLogged_{0};
  std::string endReason_ = "client disconnected";
};

}  // namespace ddump
