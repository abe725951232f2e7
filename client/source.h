#pragma once
// A target being read: a file, stdin or a worker URL. Each runs on its own
// thread, decodes only through CaptureDecoder (pcap or pcapng; the bytes are untrusted) and
// hands header and batches to the MergeHub. A failure ends this target alone
// with one stderr line naming it (credentials masked) and the reason.

#include <atomic>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "capture_decoder.h"
#include "input_reader.h"
#include "merge_hub.h"
#include "packet_batch.h"
#include "progress_table.h"
#include "read_ahead.h"
#include "stream_decoder.h"
#include "target.h"
#include "unique_fd.h"

namespace ddump {

// Decoder + batching for one stream, bound to its hub stream index.
// `input`: a worker's stream (strict) or a savefile (a file, FIFO or stdin,
// read as libpcap and wiretap read it; see stream_decoder.h).
class StreamFeeder {
 public:
  StreamFeeder(size_t stream, MergeHub& hub, PcapInput input = PcapInput::Stream)
      : stream_(stream), hub_(hub), input_(input), decoder_(input) {
    if (hub_.keepsOrigins()) decoder_.keepOrigins();
  }

  // Decodes and forwards; an error is the stream's (decoder or merge refusal).
  // `stable`: the bytes stay untouched until the batches made from them have
  // been merged, so records may be kept as views of them (see runPulling).
  Status feed(std::span<const uint8_t> bytes, bool stable = false);
  // The same, but the records may wait in the collector until it holds
  // kCoalesceBytes, while `morePending` (more bytes are already on the
  // socket, so another feed follows at once). One hand-off per many small
  // network reads instead of one each; flush() ends any wait.
  Status feedCoalescing(std::span<const uint8_t> bytes, bool morePending);
  void flush();  // hands any waiting records to the hub
  // On a thread that reads many streams: flush() offers batches without
  // blocking (MergeHub::offerBatch), and takeFull() says when the stream
  // then held its share (read no more until the hub has room).
  void offerBatches(bool on) { offering_ = on; }
  bool takeFull() { return std::exchange(full_, false); }
  // The capture's header has been decoded and judged by the merge.
  bool headerForwarded() const { return headerForwarded_; }
  // The end of the input: checks it ended cleanly and hands on what a
  // pcapng input kept after its last packet (blocks, statistics).
  Status finish();
  void reset();  // a new connection starts a new pcap stream
  // --clock-offset: worker clock minus ours, subtracted from its timestamps.
  void setClockOffset(int64_t offsetNs) {
    clockOffsetNs_ = offsetNs;
    collector_.setClockOffset(offsetNs);
  }
  bool stopped() const { return stopped_; }  // the hub wants no more
  // Called on the reader's thread as soon as the capture's header (a pcap
  // global header, or a pcapng section and interface) is decoded, before the
  // merge judges it (which may wait on a writer blocked by its output).
  void onHeaderDecoded(std::function<void()> hook) { headerHook_ = std::move(hook); }
  // The newest timestamp handed to the hub (our clock, ns; 0: none yet).
  uint64_t newestNs() const { return newestNs_; }
  uint64_t packets() const { return decoder_.packets(); }
  uint64_t interfaceDrops() const { return decoder_.interfaceDrops(); }  // pcapng ISBs

 private:
  size_t stream_;
  MergeHub& hub_;
  PcapInput input_;
  CaptureDecoder decoder_;  // pcap or pcapng, by the magic
  BatchCollector collector_;
  bool stopped_ = false;
  bool offering_ = false;
  bool full_ = false;
  bool headerForwarded_ = false;
  std::function<void()> headerHook_;
  uint64_t newestNs_ = 0;
  int64_t clockOffsetNs_ = 0;

  static constexpr size_t kCoalesceBytes = 64 * 1024;
  // Decodes, announces a new header, and hands the records on unless
  // `mayHold` and the batch is still small.
  Status forward(std::span<const uint8_t> bytes, bool stable, bool mayHold);
  void forwardInterfaces();
};

class Source {
 public:
  Source(size_t stream, Target target, MergeHub& hub)
      : stream_(stream), target_(std::move(target)), hub_(hub) {}
  virtual ~Source() = default;
  Source(const Source&) = delete;
  Source& operator=(const Source&) = delete;

  virtual void run() = 0;  // on the source's own thread; ends with hub.onEnd
  virtual void abort() {}  // from another thread: unblock run() soon
  virtual void watchdog(uint64_t /*steadyNowNs*/) {}  // periodic timeout check
  virtual uint64_t kernelDrops() const { return 0; }
  // More for the target's summary line (", history from ..."), or empty.
  virtual std::string summaryNote() const { return ""; }

  const Target& target() const { return target_; }
  size_t stream() const { return stream_; }
  // The target left its fleet (a dns: or k8s: target's member is gone): it
  // ends as a stop ends it, quietly and not as a failure.
  void retire() {
    retired_ = true;
    abort();
  }
  bool retired() const { return retired_; }
  bool failed() const { return failed_; }
  bool refused() const { return refused_; }
  TargetState state() const { return state_; }

 protected:
  // One stderr line now; the target counts as failed (exit status 1).
  void fail(const std::string& reason, bool refused = false);

  size_t stream_;
  Target target_;
  MergeHub& hub_;
  std::atomic<bool> failed_{false};
  std::atomic<bool> refused_{false};
  std::atomic<bool> retired_{false};
  std::atomic<TargetState> state_{TargetState::Connecting};
};

// A file, FIFO or stdin. run() reads it on its own thread; when every target
// is a regular file the hub instead pulls it chunk by chunk on the merging
// thread (open(), then pump() until it returns false). gzip and zstd inputs
// are decompressed as they are read (InputReader: by their first bytes).
class FileSource : public Source {
 public:
  using Source::Source;
  void run() override;

  // False (reported, stream ended) when the file cannot be opened. With
  // `readAhead` (pulled): pump() is called by the merging thread only once
  // every record of the previous chunk has been merged, and takes chunks the
  // read-ahead thread has read, so batches may point into its buffers.
  bool open(ReadAhead* readAhead = nullptr);
  // Reads and feeds one chunk; false once the stream has ended (EOF, a read or
  // decode error, or the hub wants no more), after telling the hub.
  bool pump();

  // Packets the capturing interfaces dropped, from a pcapng file's ISBs.
  uint64_t kernelDrops() const override { return drops_; }

 private:
  ReadAhead::Chunk readChunk();  // the next chunk, from the read-ahead or read here
  void end();
  std::atomic<uint64_t> drops_{0};

  UniqueFd file_;  // the opened file; stdin is borrowed, not owned
  int fd_ = -1;    // what is read: file_ or STDIN_FILENO
  bool ended_ = false;
  ReadAhead* readAhead_ = nullptr;  // pulled: chunks come from here
  size_t readAheadId_ = 0;
  std::unique_ptr<InputReader> reader_;  // not pulled: chunks come from here
  std::unique_ptr<StreamFeeder> feeder_;
  std::vector<uint8_t> buffer_;
};

}  // namespace ddump
