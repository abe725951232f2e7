#pragma once
// The thread-safe meeting point of the reader threads (one per target) and the
// writer (the main thread): a Merger behind one mutex, output written to a
// file descriptor in batches with the lock released, and backpressure — a
// reader blocks while its stream has more than its share queued, so a slow
// stdout pauses the sockets instead of growing memory.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <optional>

#include "merger.h"
#include "output.h"

namespace ddump {

enum class HubOutcome { Finished, StdoutClosed, AllRefused, OutputFailed };

class MergeHub {
 public:
  MergeHub(MergerOptions options, size_t streamLimitBytes, Output& output);

  size_t addStream(bool live);  // before any reader starts

  // Reader side, any thread.
  Status onHeader(size_t stream, const GlobalHeader& header);
  // Queues `batch` and hands back a spent one in its place (or an empty one).
  bool onBatch(size_t stream, PacketBatch& batch);  // false: stop reading
  void onEnd(size_t stream, bool refused);           // refused: a 4xx answer
  bool stopping() const;

  void requestStop();  // signals, --duration: drain and finish

  // Writer: runs until every stream ended, -c COUNT, a stop, or stdout closed.
  HubOutcome run(uint64_t count);
  StreamStats stats(size_t stream) const;
  uint64_t written() const;

 private:
  static uint64_t nowNs();
  static HubOutcome toOutcome(WriteResult result);

  mutable std::mutex mutex_;
  std::condition_variable writerCv_;
  std::condition_variable readersCv_;
  Merger merger_;
  size_t streamLimit_;
  Output& output_;
  std::vector<uint32_t> streamLog_;  // writer thread: stream of each record in `out`
  bool stop_ = false;
  size_t refused_ = 0;
  uint64_t written_ = 0;
};

}  // namespace ddump
