#pragma once
// Reads regular files ahead of the merge on one background thread.
//
// When every target is a regular file the merging thread pulls them itself
// (MergeHub::runPulling), and read() then ran on that thread too: the
// kernel's copy out of the page cache was about a fifth of a small-record
// merge (perf, bench/merge). Here one thread keeps the next chunk of every
// file read into a ring of buffers, so that copy overlaps the merge on the
// other core, and the merging thread only takes chunks that are ready
// (bench/merge 4 x 1M x 40 B: 0.147 -> 0.115-0.12 s).
//
// A chunk stays untouched until the consumer asks for that file's next one:
// the merge keeps records as views into it (PacketBatch::addView) until then.
// Reads of one file happen in order (one thread, jobs in FIFO order), so the
// plain read() offset is the file's order.
//
// Every file is read through an InputReader: a gzip or zstd file (told by its
// first bytes) is decompressed here, on this thread, straight into the
// chunk buffers, so its records are views into stable decompressed chunks
// exactly as a plain file's are, and the merging thread does no more work.

#include <sys/types.h>

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "huge_buffer.h"
#include "input_reader.h"

namespace ddump {

class ReadAhead {
 public:
  // `files`: how many will be added; it sizes the buffers so that the whole
  // read-ahead stays within kMemoryBudget (beyond 2048 files the 16 KiB floor
  // wins: 32 KiB a file). A compressed file costs more: an input buffer no
  // larger than a chunk and the codec's state (zlib ~45 KiB; libzstd ~160
  // KiB plus the frame's window: at most 8 MiB up to zstd -19, 128 MiB for
  // --ultra or --long frames, refused beyond).
  explicit ReadAhead(size_t files);
  ~ReadAhead();  // waits for a read in progress, then stops the thread
  ReadAhead(const ReadAhead&) = delete;
  ReadAhead& operator=(const ReadAhead&) = delete;

  // Registers an open regular file (the caller keeps owning `fd` and must
  // call closeFile before closing it) and starts reading it. Returns its id.
  // Every file is added before the first next().
  size_t addFile(int fd);

  struct Chunk {
    std::span<const uint8_t> bytes;  // empty at the end of the file
    int error = 0;                   // errno of a failed read, else 0
    std::string damage;              // what was wrong with compressed data, else empty
  };
  // The file's next chunk, waiting for its read if it is not done yet. The
  // previous chunk of the file is given back to be read into: its bytes must
  // no longer be used. Valid until the next call for this file or closeFile.
  Chunk next(size_t id);
  // No more chunks of this file: waits until no read is using its buffers.
  void closeFile(size_t id);

  size_t bufferBytes() const { return bufferBytes_; }

  // One being merged, one being read. Small on purpose: every buffer in use
  // competes for the cache with the merge, and more or larger buffers
  // measured slower (bench/merge, 2 cores: 192 KiB x 2 beat 256 KiB x 3 and
  // 1 MiB x 2 by 5-40%).
  static constexpr size_t kBuffersPerFile = 2;
  static constexpr size_t kMaxBufferBytes = 192 * 1024;
  static constexpr size_t kMinBufferBytes = 16 * 1024;
  static constexpr size_t kMemoryBudget = 64 * 1024 * 1024;

 private:
  struct Slot {
    uint8_t* buffer = nullptr;  // bufferBytes_ inside one of arenas_
    bool done = false;          // its read finished (result below)
    InputReader::Got got;
  };
  struct File {
    std::unique_ptr<InputReader> reader;  // used by the reading thread only
    std::vector<Slot> slots;
    size_t next = 0;       // slot the consumer takes next
    bool holding = false;  // the consumer holds the slot before `next`
    bool ended = false;    // a read hit the end or an error: no more reads
    bool closed = false;
  };
  struct Job {
    size_t file;
    size_t slot;
  };

  void run();
  void queueRead(size_t id, size_t slot);  // mutex held
  std::unique_ptr<InputReader> readerFor(int fd) const;

  size_t bufferBytes_;
  // The buffers of many files in one area each (huge pages: a few faults,
  // not one per 4 KiB), at most kMemoryBudget per area.
  std::vector<HugeBuffer> arenas_;
  size_t arenaUsed_ = 0;  // bytes of arenas_.back() given to slots
  size_t filesExpected_;
  std::mutex mutex_;
  std::condition_variable jobsCv_;  // the reader waits for jobs
  std::condition_variable doneCv_;  // the consumer waits for a read
  std::deque<Job> jobs_;
  std::vector<File> files_;
  bool reading_ = false;  // the reader is inside read() for `readingFile_`
  size_t readingFile_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace ddump
