#pragma once
// The k-way merge of live pcap streams into one time-ordered pcap.
//
// Pure: no threads, no I/O, no clock. The caller feeds decoded batches,
// passes "now" explicitly, and collects output bytes in a RecordBuffer.
//
// Each stream is a FIFO of its records (a stream's own order is never
// changed, exactly as mergecap keeps each file's order). A binary heap holds
// the head of every non-empty stream keyed by (timestamp, stream index), O(log k)
// per packet (merge_heap.h). The explicit tie-break is mergecap's, so a file merge is
// byte-identical to it: on equal timestamps the LATER stream goes first
// (wireshark's merge.c is_earlier() treats equal as earlier while scanning
// inputs in order, so the last equal input wins).
//
// Release rule: the heap's top may go out when every other open stream has
// shown a timestamp >= it (a queued record, or its high-water mark when its
// queue is empty) — or, for live streams only, once it has waited maxDelay so
// one idle host never stalls the output. A record that then arrives with a
// timestamp below what was already written is still written (never drop data)
// and counted as reordered. Open streams with empty queues are kept in an
// ordered set by high-water mark, so the check is O(log k) too.

#include <cstdint>
#include <deque>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "merge_heap.h"
#include "packet_batch.h"
#include "pcap_format.h"
#include "record_buffer.h"
#include "result.h"

namespace ddump {

// What pcapng and per-target output need to know of each record written
// (Merger::setRecordLog), in the order the records were appended.
struct RecordSource {
  uint32_t stream = 0;
  uint32_t interface = kNoInputInterface;  // RecordOrigin::interface
  uint32_t linkType = 0;                   // of the record as written
  uint32_t flags = 0;                      // epb_flags an input gave, 0: none
};
struct RecordLog {
  // A comment of the record `record`, or a block to write before it
  // (record == records.size(): after the last one).
  struct Note {
    uint32_t stream = 0;
    size_t record = 0;
    BatchNote::Kind kind = BatchNote::Kind::Comment;
    std::string bytes;
  };
  std::vector<RecordSource> records;
  std::vector<Note> notes;
  void clear() {
    records.clear();
    notes.clear();
  }
};

struct MergerOptions {
  uint64_t maxDelayNs = 500'000'000;  // --max-delay
  bool forceNano = false;             // --nano: nanosecond output even if all streams are µs
  // The header written when no stream ever produced one (every target failed):
  // the worker's default link type, so the output is still a valid pcap.
  uint32_t fallbackLinkType = kLinkTypeLinuxSll;
  // pcapng output: streams (and records) of any link types merge, each
  // keeping its own; pcap output holds one.
  bool mixedLinkTypes = false;
};

struct StreamStats {
  uint64_t packets = 0;        // records written
  uint64_t bytes = 0;          // captured bytes written (sum of caplen)
  uint64_t reordered = 0;      // written after a later timestamp had already gone out
  uint64_t unconvertible = 0;  // SLL2 records too short to convert (not writable)
};

class Merger {
 public:
  explicit Merger(MergerOptions options = {});

  // `live` streams may be overtaken after maxDelay; files never are (they are
  // merely slow, never idle), which keeps a file merge exact.
  size_t addStream(bool live) { return addStream(live, 0); }
  // A stream joining a running merge: it has shown `shownNs` (the moment it
  // was added, when its records cannot be older), so it holds back nothing
  // stamped before then while its first record is on its way.
  size_t addStream(bool live, uint64_t shownNs);
  size_t streamCount() const { return streams_.size(); }
  // Switches a stream between live and strict (never overtaken, as a file):
  // a worker's history is merged strictly until it is complete.
  void setLive(size_t stream, bool live);

  // Announces a stream's pcap global header (again after a reconnect). Fails
  // when it cannot be merged into the output already chosen; the stream is
  // then closed.
  Status setHeader(size_t stream, const GlobalHeader& header, uint64_t nowNs);
  // Queues a batch that arrived at `nowNs`. Returns false (and drops the
  // batch) when the stream is closed.
  bool push(size_t stream, PacketBatch&& batch, uint64_t nowNs);
  // No more records will come from this stream; its queue still drains.
  void close(size_t stream);
  bool isClosed(size_t stream) const { return streams_[stream].closed; }

  // Appends every record the release rule allows (at most `maxPackets`, and
  // stopping once `out` holds `maxBytes`), writing the global header first
  // when the output format is settled. Returns the records appended.
  size_t release(uint64_t nowNs, RecordBuffer& out, uint64_t maxPackets = kUnlimited,
                 size_t maxBytes = kUnlimited);
  // Shutdown: writes the header if still missing and everything queued, in
  // merge order, ignoring the release rule.
  size_t drain(RecordBuffer& out, uint64_t maxPackets = kUnlimited);

  // When release() could next make progress by the max-delay rule alone.
  std::optional<uint64_t> nextDeadline() const;
  // A batch whose records have all been written, kept for reuse so that
  // readers do not allocate (and fault in) fresh memory for every chunk.
  std::optional<PacketBatch> takeSpentBatch();
  size_t queuedBytes(size_t stream) const { return streams_[stream].queuedBytes; }
  size_t totalQueuedBytes() const { return totalQueued_; }
  bool idle() const;  // every stream closed and nothing queued
  bool headerWritten() const { return headerWritten_; }
  const StreamStats& stats(size_t stream) const { return streams_[stream].stats; }
  // When set, where every record appended to an output buffer came from is
  // appended here too, in the same order, with the comments and blocks of
  // pcapng inputs (pcapng and per-target output).
  void setRecordLog(RecordLog* log) { log_ = log; }

  static constexpr uint64_t kUnlimited = std::numeric_limits<uint64_t>::max();

 private:
  struct Stream {
    // Move-only (batches own buffers): vector growth must move, not copy.
    Stream() = default;
    Stream(Stream&&) = default;
    Stream& operator=(Stream&&) = default;
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;

    bool live = false;
    bool closed = false;
    std::optional<GlobalHeader> header;
    uint64_t headerArrivalNs = 0;
    std::deque<PacketBatch> queue;
    std::deque<uint64_t> arrivals;  // arrival time of each queued batch
    // The next record of queue.front() and the end of its entries: emitTop
    // walks a batch by pointer instead of going through the deque and the
    // batch's vector for every record. Deque elements never move while
    // queued (push_back and pop_front keep references to the others valid).
    const BatchEntry* cursor = nullptr;
    const BatchEntry* cursorEnd = nullptr;
    size_t nextNote = 0;  // of queue.front().notes()
    size_t queuedBytes = 0;
    uint64_t highWater = 0;  // largest timestamp seen
    StreamStats stats;
  };
  using Mark = std::pair<uint64_t, size_t>;  // (high-water mark, stream index)

  bool settleHeader(uint64_t nowNs, bool force, RecordBuffer& out);
  bool fileHeaderMissing() const;
  void chooseOutput(bool allKnown);
  Status checkCompatible(const GlobalHeader& header) const;
  bool mayRelease(const HeapKey& top, uint64_t nowNs) const;
  // Both return false when the record could not be written (an SLL2 record
  // too short to convert): it is counted, not written, and not counted by -c.
  bool emitTop(RecordBuffer& out);
  bool writeRecord(Stream& s, const PacketBatch& batch, const BatchEntry& e, RecordBuffer& out);
  bool writeConverted(Stream& s, const PacketBatch& batch, const BatchEntry& e, RecordBuffer& out,
                      bool toSll);
  void startFront(Stream& s);
  void countWritten(Stream& s, uint64_t tsNs, uint32_t caplen);
  void logRecord(Stream& s, const PacketBatch& batch, const BatchEntry& e, uint32_t linkType);
  void logNotes(Stream& s, const PacketBatch& batch, size_t entry, bool written);
  void logNote(size_t stream, const BatchNote& note, size_t record);
  void retireBatch(Stream& s);
  void markEmpty(size_t index);
  void unmarkEmpty(size_t index);

  MergerOptions options_;
  std::vector<Stream> streams_;
  MergeHeap heap_;
  // Open streams with an empty queue, by high-water mark; split by liveness.
  std::set<Mark> emptyLive_;
  std::set<Mark> emptyFiles_;
  std::optional<uint32_t> linkType_;  // agreed by the headers accepted so far
  GlobalHeader output_;
  bool headerWritten_ = false;
  uint64_t lastWrittenNs_ = 0;
  size_t totalQueued_ = 0;
  std::vector<PacketBatch> spent_;
  RecordLog* log_ = nullptr;
};

}  // namespace ddump
