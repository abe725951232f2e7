#pragma once
// The meeting point of the reader threads (one per target) and the writer (the
// main thread). Readers only append events (a header, a batch, an end) to an
// inbox under a short lock; the writer alone owns the Merger and merges and
// writes with the lock released, so decoding and merging run in parallel.
// Backpressure: a reader blocks while its stream has more than its share
// queued, so a slow stdout pauses the sockets instead of growing memory.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <vector>

#include "merger.h"
#include "output.h"

namespace ddump {

enum class HubOutcome { Finished, StdoutClosed, AllRefused, OutputFailed };

class MergeHub {
 public:
  MergeHub(MergerOptions options, size_t streamLimitBytes, Output& output);

  size_t addStream(bool live);  // before any reader starts
  // While run() runs, from any thread but the writer's: a live stream joins
  // the merge (a fleet target that appeared). Returns once the writer has
  // made room for it (merger, output), so its reader may start; nullopt when
  // the run is ending. It holds back nothing stamped before it joined.
  std::optional<size_t> joinStream(StreamLabel label, std::vector<NameRecord> names,
                                   std::vector<NameRecord> serviceNames);

  // Reader side, any thread. onHeader waits until the writer has judged the
  // header (a stream of another link type is refused with a reason).
  Status onHeader(size_t stream, const GlobalHeader& header);
  // Queues `batch` and hands back a spent one in its place (or an empty one).
  bool onBatch(size_t stream, PacketBatch& batch);  // false: stop reading
  // The same without ever blocking, for a thread that reads many streams
  // (BodyPump): the batch is always queued. Full: the stream now holds its
  // share, so read no more of it until `onRoom` (set before) is called, on
  // the writer's thread, once it has room again.
  // The writer is not woken for a Queued batch: call wakeWriter() after a
  // round of offers.
  enum class Offer { Queued, Full, Stop };
  Offer offerBatch(size_t stream, PacketBatch& batch);
  void wakeWriter() { writerCv_.notify_one(); }
  void setRoomCallback(size_t stream, std::function<void()> onRoom);
  void onEnd(size_t stream, bool refused);          // refused: a 4xx answer
  // A pcapng input's interfaces and statistics, for pcapng output: before
  // the batches whose records name them.
  void onInterfaces(size_t stream, std::vector<InputInterface> interfaces);
  void onStatistics(size_t stream, std::vector<InputStatistics> statistics);
  // pcapng output: streams keep their input interfaces (and link types).
  bool keepsOrigins() const { return output_.keepsOrigins(); }
  // The stream's next records are live (may be overtaken after --max-delay)
  // or strict (a worker's history: never overtaken). Ordered with its
  // header and batches.
  void setLive(size_t stream, bool live);

  void requestStop();  // signals, --duration: drain and finish

  // Writer: runs until every stream ended, -c COUNT, a stop, or stdout closed.
  HubOutcome run(uint64_t count);
  // The same, when every target is a regular file: no reader threads; the
  // calling thread pulls a stream's next chunk (pumps[stream](), which feeds
  // this hub and returns false once the stream ended) only when the merge has
  // run out of that stream's records. No locks, no wake-ups, no queue beyond a
  // chunk per file: a file merge runs at memory speed (measured by bench/merge).
  HubOutcome runPulling(uint64_t count, const std::vector<std::function<bool()>>& pumps);
  StreamStats stats(size_t stream) const;
  uint64_t written() const;

 private:
  struct Event {
    enum class Kind { Header, Batch, End, Live, Strict, Join } kind;
    size_t stream;
    GlobalHeader header;
    PacketBatch batch;
    uint64_t arrivalNs;
    StreamLabel label = {};            // Join
    std::vector<NameRecord> names = {};  // Join
    std::vector<NameRecord> serviceNames = {};
  };
  // What the writer tells readers after each round, under the lock.
  struct StreamView {
    size_t inboxBytes = 0;   // queued in the inbox
    size_t mergerBytes = 0;  // queued in the merger
    bool closed = false;
    StreamStats stats;
  };

  static uint64_t nowNs();
  static HubOutcome toOutcome(WriteResult result);
  // `joins`: false at the end, when a stream that would join now never gets a reader.
  void applyEvents(std::vector<Event>& events, bool joins = true);
  HubOutcome finish(uint64_t count, RecordBuffer& out, HubOutcome outcome);
  WriteResult flush(RecordBuffer& out);
  void publish(bool everything);
  void publishStream(size_t stream);
  bool mayQueue(size_t stream) const;
  void queueLocked(size_t stream, PacketBatch& batch);
  void wakeOffered();

  mutable std::mutex mutex_;
  std::condition_variable writerCv_;
  std::condition_variable readersCv_;
  // Guarded by mutex_.
  std::vector<Event> inbox_;
  std::vector<StreamView> views_;
  std::vector<PacketBatch> spare_;
  std::vector<std::optional<Status>> headerVerdicts_;
  std::vector<char> waiting_;  // a reader blocked by backpressure, by stream
  std::vector<char> offered_;  // of those, a pumped stream waiting for onRoom
  std::vector<std::function<void()>> onRoom_;
  size_t waitingCount_ = 0;
  bool refreshWanted_ = false;
  bool pulling_ = false;  // runPulling: readers call in on the writer thread  // a reader blocked
                          // on a possibly stale view
  bool stop_ = false;
  size_t refused_ = 0;
  size_t joined_ = 0;  // streams the writer has made room for
  uint64_t written_ = 0;
  // Writer thread only.
  Merger merger_;
  std::vector<Status> verdicts_;  // this round's header verdicts, by stream
  std::vector<bool> judged_;
  std::vector<size_t> touched_;  // streams with events this round
  bool joinedRound_ = false;     // a Join was applied this round
  std::chrono::steady_clock::time_point lastFullPublish_;
  size_t streamLimit_;
  Output& output_;
  RecordLog log_;  // where each record in `out` came from (re-framed output)
};

}  // namespace ddump
