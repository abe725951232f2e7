#include "read_ahead.h"

#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace ddump {

ReadAhead::ReadAhead(size_t files)
    : bufferBytes_(std::clamp(kMemoryBudget / (std::max<size_t>(files, 1) * kBuffersPerFile),
                              kMinBufferBytes, kMaxBufferBytes)),
      filesExpected_(files) {
  files_.reserve(files);
  thread_ = std::thread([this] { run(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  jobsCv_.notify_all();
  thread_.join();
}

size_t ReadAhead::addFile(int fd) {
  std::lock_guard<std::mutex> lock(mutex_);
  const size_t id = files_.size();
  File& file = files_.emplace_back();
  file.reader = readerFor(fd);
  file.slots.resize(kBuffersPerFile);
  const size_t perFile = kBuffersPerFile * bufferBytes_;
  if (arenas_.empty() || arenaUsed_ + perFile > arenas_.back().size()) {
    const size_t filesLeft = std::max<size_t>(filesExpected_ > id ? filesExpected_ - id : 0, 1);
    arenas_.emplace_back(
        std::clamp(filesLeft * perFile, perFile, std::max(perFile, kMemoryBudget)));
    arenaUsed_ = 0;
  }
  for (size_t s = 0; s < kBuffersPerFile; ++s) {
    // Never zeroed by us: read() fills what is used.
    file.slots[s].buffer = arenas_.back().data() + arenaUsed_;
    arenaUsed_ += bufferBytes_;
    queueRead(id, s);
  }
  return id;
}

// A regular file's reads never wait, so each fills its whole chunk. The
// compressed input is read in pieces no larger than a chunk: with many
// files the chunks shrink within the budget, and so does this.
std::unique_ptr<InputReader> ReadAhead::readerFor(int fd) const {
  auto readFd = [fd](uint8_t* into, size_t size) -> ssize_t {
    const ssize_t n = ::read(fd, into, size);
    return n < 0 ? -errno : n;
  };
  return std::make_unique<InputReader>(readFd, true,
                                       std::min(bufferBytes_, InputReader::kInputBytes));
}

void ReadAhead::queueRead(size_t id, size_t slot) {
  files_[id].slots[slot].done = false;
  jobs_.push_back(Job{id, slot});
  jobsCv_.notify_one();
}

ReadAhead::Chunk ReadAhead::next(size_t id) {
  std::unique_lock<std::mutex> lock(mutex_);
  File& file = files_[id];
  if (file.closed) return {};
  const size_t n = file.slots.size();
  if (file.holding && !file.ended) queueRead(id, (file.next + n - 1) % n);
  file.holding = false;
  doneCv_.wait(lock, [&] { return file.slots[file.next].done; });
  Slot& slot = file.slots[file.next];
  Chunk chunk;
  if (slot.got.bytes > 0) {
    chunk.bytes = {slot.buffer, slot.got.bytes};
  } else {
    chunk.error = slot.got.error;
    chunk.damage = std::move(slot.got.damage);
    file.ended = true;  // reads already queued behind it are harmless
  }
  file.holding = true;
  file.next = (file.next + 1) % n;
  return chunk;
}

void ReadAhead::closeFile(size_t id) {
  std::unique_lock<std::mutex> lock(mutex_);
  File& file = files_[id];
  file.closed = true;
  file.ended = true;
  std::erase_if(jobs_, [id](const Job& job) { return job.file == id; });
  doneCv_.wait(lock, [&] { return !(reading_ && readingFile_ == id); });
  file.slots.clear();
  file.reader.reset();  // a decompressor's state and input buffer
}

void ReadAhead::run() {
  std::unique_lock<std::mutex> lock(mutex_);
  while (true) {
    jobsCv_.wait(lock, [this] { return stop_ || !jobs_.empty(); });
    if (stop_) return;
    const Job job = jobs_.front();
    jobs_.pop_front();
    // The reader object does not move when files_ grows (it is on the heap).
    InputReader* reader = files_[job.file].reader.get();
    uint8_t* buffer = files_[job.file].slots[job.slot].buffer;
    reading_ = true;
    readingFile_ = job.file;
    lock.unlock();
    InputReader::Got got = reader->read({buffer, bufferBytes_});
    lock.lock();
    reading_ = false;
    Slot& slot = files_[job.file].slots[job.slot];
    slot.got = std::move(got);
    slot.done = true;
    doneCv_.notify_all();
  }
}

}  // namespace ddump
