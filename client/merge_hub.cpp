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

MergeHub::MergeHub(MergerOptions options, size_t streamLimitBytes, int outFd)
    : merger_(options), streamLimit_(streamLimitBytes), outFd_(outFd) {}

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

bool MergeHub::writeAll(const RecordBuffer& out) const {
  const char* p = out.data();
  size_t left = out.size();
  while (left > 0) {
    const ssize_t n = ::write(outFd_, p, left);
    if (n > 0) {
      p += n;
      left -= static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      pollfd pfd{outFd_, POLLOUT, 0};
      ::poll(&pfd, 1, -1);
    } else {
      return false;  // EPIPE and every other error: the reader is gone
    }
  }
  return true;
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
      const bool ok = writeAll(out);
      out.clear();
      lock.lock();
      if (!ok) return HubOutcome::StdoutClosed;
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
  if (!out.empty() && !writeAll(out)) return HubOutcome::StdoutClosed;
  return outcome;
}

}  // namespace ddump
