#include "merge_hub.h"

#include <poll.h>
#include <unistd.h>

#include <cerrno>

namespace ddump {
namespace {

// Output leaves in writes of about this size: big enough for throughput,
// small enough that a live packet is not held behind a long merge.
constexpr size_t kWriteChunk = 256 * 1024;

}  // namespace

MergeHub::MergeHub(MergerOptions options, size_t streamLimitBytes, Output& output)
    : merger_(options), streamLimit_(streamLimitBytes), output_(output) {
  if (output_.wantsStreams()) merger_.setStreamLog(&streamLog_);
}

uint64_t MergeHub::nowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now().time_since_epoch())
                                   .count());
}

size_t MergeHub::addStream(bool live) {
  std::lock_guard<std::mutex> lock(mutex_);
  return merger_.addStream(live);
}

Status MergeHub::onHeader(size_t stream, const GlobalHeader& header) {
  output_.setStreamPrecision(stream, header.precision);
  Status status;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    status = merger_.setHeader(stream, header, nowNs());
  }
  writerCv_.notify_one();
  return status;
}

bool MergeHub::onBatch(size_t stream, PacketBatch& batch) {
  bool accepted = false;
  {
    std::unique_lock<std::mutex> lock(mutex_);
    readersCv_.wait(lock, [&] {
      return stop_ || merger_.isClosed(stream) || merger_.queuedBytes(stream) < streamLimit_;
    });
    if (stop_) return false;
    accepted = merger_.push(stream, std::move(batch), nowNs());
    auto spent = merger_.takeSpentBatch();
    batch = spent ? std::move(*spent) : PacketBatch{};
  }
  writerCv_.notify_one();
  return accepted;
}

void MergeHub::onEnd(size_t stream, bool refused) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    merger_.close(stream);
    if (refused) ++refused_;
  }
  writerCv_.notify_one();
}

bool MergeHub::stopping() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return stop_;
}

void MergeHub::requestStop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  writerCv_.notify_all();
  readersCv_.notify_all();
}

StreamStats MergeHub::stats(size_t stream) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return merger_.stats(stream);
}

uint64_t MergeHub::written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return written_;
}

HubOutcome MergeHub::toOutcome(WriteResult result) {
  switch (result) {
    case WriteResult::Closed: return HubOutcome::StdoutClosed;
    case WriteResult::Failed: return HubOutcome::OutputFailed;
    default: return HubOutcome::Finished;  // Stop: -G -W wrote its last file
  }
}

HubOutcome MergeHub::run(uint64_t count) {
  RecordBuffer out(hostByteOrder());
  out.reserve(kWriteChunk + 2 * kMaxSnaplen);
  std::unique_lock<std::mutex> lock(mutex_);
  HubOutcome outcome = HubOutcome::Finished;
  while (!stop_) {
    if (refused_ > 0 && refused_ == merger_.streamCount()) {
      outcome = HubOutcome::AllRefused;
      break;
    }
    const uint64_t remaining = count == 0 ? Merger::kUnlimited : count - written_;
    written_ += merger_.release(nowNs(), out, remaining, kWriteChunk);
    if (!out.empty()) {
      lock.unlock();
      readersCv_.notify_all();  // queues shrank: blocked readers may go on
      const WriteResult result = output_.write(out.bytes(), streamLog_);
      out.clear();
      streamLog_.clear();
      lock.lock();
      if (result != WriteResult::Ok) {
        stop_ = true;
        readersCv_.notify_all();
        return toOutcome(result);
      }
      continue;
    }
    if ((count != 0 && written_ >= count) || merger_.idle()) break;
    const auto deadline = merger_.nextDeadline();
    if (deadline) {
      const auto at = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(*deadline));
      writerCv_.wait_until(lock, at);
    } else {
      writerCv_.wait(lock);
    }
  }
  // Stop, count reached or everything ended: write what is queued, in order.
  stop_ = true;
  readersCv_.notify_all();
  const uint64_t remaining = count == 0 ? Merger::kUnlimited : count - written_;
  written_ += merger_.drain(out, remaining);
  lock.unlock();
  if (!out.empty()) {
    const WriteResult result = output_.write(out.bytes(), streamLog_);
    streamLog_.clear();
    if (result != WriteResult::Ok) return toOutcome(result);
  }
  return outcome;
}

}  // namespace ddump
