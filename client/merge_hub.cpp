#include "merge_hub.h"

#include <utility>

#include "clock.h"
#include "log.h"

namespace ddump {
namespace {

// Output leaves in writes of about this size: big enough for throughput,
// small enough that a live packet is not held behind a long merge.
constexpr size_t kWriteChunk = 256 * 1024;
// Records from this size on are written from where they were read rather
// than copied (runPulling): a 1500-byte record copies in ~100 ns, an iovec
// costs the kernel a fraction of that.
constexpr size_t kReferenceMin = 512;

}  // namespace

MergeHub::MergeHub(MergerOptions options, size_t streamLimitBytes, Output& output)
    : merger_(options), streamLimit_(streamLimitBytes), output_(output) {
  if (output_.wantsStreams()) merger_.setRecordLog(&log_);
}

uint64_t MergeHub::nowNs() {
  return steadyNowNs();
}

size_t MergeHub::addStream(bool live) {
  std::lock_guard<std::mutex> lock(mutex_);
  views_.emplace_back();
  waiting_.push_back(0);
  offered_.push_back(0);
  onRoom_.emplace_back();
  headerVerdicts_.emplace_back();
  verdicts_.emplace_back();
  judged_.push_back(false);
  joined_ = views_.size();
  return merger_.addStream(live);
}

std::optional<size_t> MergeHub::joinStream(StreamLabel label, std::vector<NameRecord> names,
                                           std::vector<NameRecord> serviceNames) {
  std::unique_lock<std::mutex> lock(mutex_);
  if (stop_) return std::nullopt;
  // Room under the lock for the readers' side now; the writer's side (the
  // merger, the output) grows when it applies the Join, in inbox order, so
  // the indexes agree.
  const size_t stream = views_.size();
  views_.emplace_back();
  waiting_.push_back(0);
  offered_.push_back(0);
  onRoom_.emplace_back();
  headerVerdicts_.emplace_back();
  Event join{Event::Kind::Join, stream, {}, {}, nowNs()};
  join.label = std::move(label);
  join.names = std::move(names);
  join.serviceNames = std::move(serviceNames);
  inbox_.push_back(std::move(join));
  writerCv_.notify_one();
  readersCv_.wait(lock, [&] { return stop_ || joined_ > stream; });
  if (stop_ || joined_ <= stream) return std::nullopt;
  return stream;
}

Status MergeHub::onHeader(size_t stream, const GlobalHeader& header) {
  output_.setStreamPrecision(stream, header.precision);
  if (pulling_) return merger_.setHeader(stream, header, nowNs());
  std::unique_lock<std::mutex> lock(mutex_);
  headerVerdicts_[stream].reset();
  inbox_.push_back(Event{Event::Kind::Header, stream, header, {}, nowNs()});
  writerCv_.notify_one();
  readersCv_.wait(lock, [&] { return stop_ || headerVerdicts_[stream].has_value(); });
  if (!headerVerdicts_[stream]) return Status::success();  // stopping: nothing to judge
  return *headerVerdicts_[stream];
}

bool MergeHub::mayQueue(size_t stream) const {
  const StreamView& v = views_[stream];
  return stop_ || v.closed || v.inboxBytes + v.mergerBytes < streamLimit_;
}

bool MergeHub::onBatch(size_t stream, PacketBatch& batch) {
  if (pulling_) {
    if (!merger_.push(stream, std::move(batch), nowNs())) return false;
    batch = merger_.takeSpentBatch().value_or(PacketBatch{});
    return true;
  }
  {
    std::unique_lock<std::mutex> lock(mutex_);
    if (!mayQueue(stream)) {
      waiting_[stream] = 1;  // the writer now publishes this stream's queue every round
      ++waitingCount_;
      // The view may predate the writer's last release: ask for a fresh one,
      // or a drained stream could wait on a writer that has nothing to do.
      refreshWanted_ = true;
      writerCv_.notify_one();
      readersCv_.wait(lock, [&] { return mayQueue(stream); });
      waiting_[stream] = 0;
      --waitingCount_;
    }
    if (stop_) return false;
    if (views_[stream].closed) return false;
    queueLocked(stream, batch);
  }
  writerCv_.notify_one();
  return true;
}

void MergeHub::queueLocked(size_t stream, PacketBatch& batch) {
  views_[stream].inboxBytes += batch.memoryBytes();
  inbox_.push_back(Event{Event::Kind::Batch, stream, {}, std::move(batch), nowNs()});
  if (!spare_.empty()) {
    batch = std::move(spare_.back());
    spare_.pop_back();
  } else {
    batch = PacketBatch{};
  }
}

void MergeHub::setRoomCallback(size_t stream, std::function<void()> onRoom) {
  std::lock_guard<std::mutex> lock(mutex_);
  onRoom_[stream] = std::move(onRoom);
}

MergeHub::Offer MergeHub::offerBatch(size_t stream, PacketBatch& batch) {
  Offer offer = Offer::Queued;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (stop_ || views_[stream].closed) return Offer::Stop;
    queueLocked(stream, batch);
    // Full whenever the stream is past its share, not only the first time:
    // a resume meant for an earlier Full may start the reader again before
    // the stream has room, and it must stop again after that one read.
    if (!mayQueue(stream)) offer = Offer::Full;
    if (offer == Offer::Full && !offered_[stream]) {
      // As a blocked reader: its view is refreshed every round, and the
      // writer wakes even if it has nothing else to do.
      offered_[stream] = 1;
      waiting_[stream] = 1;
      ++waitingCount_;
      refreshWanted_ = true;
      wake = true;
    }
  }
  if (wake) writerCv_.notify_one();
  return offer;
}

// Writer thread, lock held: pumped streams that have room again read on.
void MergeHub::wakeOffered() {
  for (size_t s = 0; s < offered_.size(); ++s) {
    if (!offered_[s] || !mayQueue(s)) continue;
    offered_[s] = 0;
    waiting_[s] = 0;
    --waitingCount_;
    if (onRoom_[s]) onRoom_[s]();
  }
}

void MergeHub::onEnd(size_t stream, bool refused) {
  if (pulling_) {
    merger_.close(stream);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    inbox_.push_back(Event{Event::Kind::End, stream, {}, {}, nowNs()});
    if (refused) ++refused_;
  }
  writerCv_.notify_one();
}

void MergeHub::onInterfaces(size_t stream, std::vector<InputInterface> interfaces) {
  output_.addInputInterfaces(stream, std::move(interfaces));
}

void MergeHub::onStatistics(size_t stream, std::vector<InputStatistics> statistics) {
  output_.setInputStatistics(stream, std::move(statistics));
}

void MergeHub::setLive(size_t stream, bool live) {
  if (pulling_) {
    merger_.setLive(stream, live);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    inbox_.push_back(
        Event{live ? Event::Kind::Live : Event::Kind::Strict, stream, {}, {}, nowNs()});
  }
  writerCv_.notify_one();
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
  return views_[stream].stats;
}

uint64_t MergeHub::written() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return written_;
}

HubOutcome MergeHub::toOutcome(WriteResult result) {
  switch (result) {
    case WriteResult::Closed:
      return HubOutcome::StdoutClosed;
    case WriteResult::Failed:
      return HubOutcome::OutputFailed;
    default:
      return HubOutcome::Finished;  // Stop: -G -W wrote its last file
  }
}

// Writer thread, lock NOT held: events in arrival order, so a stream's header
// comes before its batches and its end after them.
void MergeHub::applyEvents(std::vector<Event>& events, bool joins) {
  for (Event& e : events) {
    if (e.kind == Event::Kind::Join && !joins) continue;
    touched_.push_back(e.stream);
    switch (e.kind) {
      case Event::Kind::Header:
        verdicts_[e.stream] = merger_.setHeader(e.stream, e.header, e.arrivalNs);
        judged_[e.stream] = true;
        break;
      case Event::Kind::Batch:
        merger_.push(e.stream, std::move(e.batch), e.arrivalNs);
        break;
      case Event::Kind::End:
        merger_.close(e.stream);
        break;
      case Event::Kind::Live:
      case Event::Kind::Strict:
        merger_.setLive(e.stream, e.kind == Event::Kind::Live);
        break;
      case Event::Kind::Join:
        // Its capture starts after this moment: nothing older waits for it.
        merger_.addStream(true, static_cast<uint64_t>(wallNowNs()));
        verdicts_.emplace_back();
        judged_.push_back(false);
        if (output_.addStream(std::move(e.label), e.names, e.serviceNames) != WriteResult::Ok) {
          log::error(output_.label(e.stream).name + ": cannot open its output file");
        }
        joinedRound_ = true;
        break;
    }
  }
}

void MergeHub::publishStream(size_t s) {
  if (s >= merger_.streamCount()) return;  // joining: the writer has not added it yet
  StreamView& v = views_[s];
  v.mergerBytes = merger_.queuedBytes(s);
  v.closed = merger_.isClosed(s);
  v.stats = merger_.stats(s);
}

// Writer thread, lock held: readers learn queue sizes, closures, verdicts
// and statistics; spent batches go back to them for reuse. Per round only the
// streams that had events or whose reader waits are refreshed (200 streams
// refreshed per packet made the writer the bottleneck); everything every
// 100 ms for the progress table, and at the end.
void MergeHub::publish(bool everything) {
  const auto now = std::chrono::steady_clock::now();
  if (everything || now - lastFullPublish_ >= std::chrono::milliseconds(100)) {
    lastFullPublish_ = now;
    for (size_t s = 0; s < views_.size(); ++s) publishStream(s);
  } else {
    for (size_t s : touched_) publishStream(s);
    if (waitingCount_ > 0) {
      for (size_t s = 0; s < views_.size(); ++s) {
        if (waiting_[s] || offered_[s]) publishStream(s);
      }
    }
  }
  bool anyVerdict = false;
  for (size_t s : touched_) {
    if (judged_[s]) {
      headerVerdicts_[s] = verdicts_[s];
      judged_[s] = false;
      anyVerdict = true;
    }
  }
  touched_.clear();
  refreshWanted_ = false;
  if (joinedRound_) {
    joined_ = merger_.streamCount();
    joinedRound_ = false;
    anyVerdict = true;  // wakes the joining thread
  }
  while (auto spent = merger_.takeSpentBatch()) spare_.push_back(std::move(*spent));
  if (waitingCount_ > 0) wakeOffered();
  if (anyVerdict || waitingCount_ > 0) readersCv_.notify_all();
}

HubOutcome MergeHub::run(uint64_t count) {
  RecordBuffer out(hostByteOrder());
  out.reserve(kWriteChunk + 2 * kMaxSnaplen);
  std::vector<Event> events;
  std::unique_lock<std::mutex> lock(mutex_);
  HubOutcome outcome = HubOutcome::Finished;
  while (true) {
    events.swap(inbox_);
    for (const Event& e : events) {
      if (e.kind != Event::Kind::Batch) continue;
      // The batch moves to the merger: count it there until the next
      // publish() reads the merger's real figure, or for that long a reader
      // would see room for another full share (the stream could reach twice
      // its limit).
      views_[e.stream].inboxBytes -= e.batch.memoryBytes();
      views_[e.stream].mergerBytes += e.batch.memoryBytes();
    }
    const bool stopping = stop_;
    const uint64_t remaining = count == 0 ? Merger::kUnlimited : count - written_;
    lock.unlock();
    const uint64_t now = nowNs();
    applyEvents(events);
    events.clear();
    uint64_t released = 0;
    if (!stopping) released = merger_.release(now, out, remaining, kWriteChunk);
    lock.lock();
    written_ += released;
    publish(false);
    if (stop_) break;
    if (refused_ > 0 && refused_ == merger_.streamCount()) {
      outcome = HubOutcome::AllRefused;
      break;
    }
    if (!out.empty()) {
      lock.unlock();
      const WriteResult result = flush(out);
      lock.lock();
      if (result != WriteResult::Ok) {
        stop_ = true;
        readersCv_.notify_all();
        return toOutcome(result);
      }
      continue;
    }
    if ((count != 0 && written_ >= count) || (inbox_.empty() && merger_.idle())) break;
    if (!inbox_.empty() || refreshWanted_) continue;
    const auto deadline = merger_.nextDeadline();
    if (deadline) {
      const auto at = std::chrono::steady_clock::time_point(std::chrono::nanoseconds(*deadline));
      writerCv_.wait_until(lock, at, [&] { return stop_ || !inbox_.empty() || refreshWanted_; });
    } else {
      writerCv_.wait(lock, [&] { return stop_ || !inbox_.empty() || refreshWanted_; });
    }
  }
  lock.unlock();
  return finish(count, out, outcome);
}

WriteResult MergeHub::flush(RecordBuffer& out) {
  const WriteResult result =
      out.hasReferences() ? output_.writeGathered(out) : output_.write(out.bytes(), log_);
  out.clear();
  log_.clear();
  return result;
}

// Stop, count reached or everything ended: write what is queued, in order.
HubOutcome MergeHub::finish(uint64_t count, RecordBuffer& out, HubOutcome outcome) {
  std::unique_lock<std::mutex> lock(mutex_);
  stop_ = true;
  readersCv_.notify_all();
  std::vector<Event> events;
  events.swap(inbox_);
  const uint64_t remaining = count == 0 ? Merger::kUnlimited : count - written_;
  lock.unlock();
  applyEvents(events, false);
  const uint64_t drained = merger_.drain(out, remaining);
  lock.lock();
  written_ += drained;
  publish(true);
  lock.unlock();
  if (!out.empty()) {
    if (const WriteResult result = flush(out); result != WriteResult::Ok) return toOutcome(result);
  }
  return outcome;
}

HubOutcome MergeHub::runPulling(uint64_t count, const std::vector<std::function<bool()>>& pumps) {
  RecordBuffer out(hostByteOrder());
  out.reserve(kWriteChunk + 2 * kMaxSnaplen);
  // A chunk's view records are not overwritten before `out` is flushed (the
  // loop flushes, then pumps), so plain pcap to stdout may reference big ones
  // instead of copying them. Re-framed output (pcapng, rotation, -w DIR/)
  // reads records one by one from contiguous bytes.
  if (!output_.wantsStreams()) out.setReferenceMin(kReferenceMin);
  pulling_ = true;
  uint64_t written = 0;
  auto lastPublish = std::chrono::steady_clock::now();
  while (true) {
    // Refill exactly the streams the merge is waiting for (a file's queue
    // empties before the merge may pass its last timestamp).
    bool pumped = false;
    for (size_t s = 0; s < pumps.size(); ++s) {
      if (!merger_.isClosed(s) && merger_.queuedBytes(s) == 0) {
        pumps[s]();
        pumped = true;
      }
    }
    const uint64_t remaining = count == 0 ? Merger::kUnlimited : count - written;
    const uint64_t released = merger_.release(nowNs(), out, remaining, kWriteChunk);
    written += released;
    const auto now = std::chrono::steady_clock::now();
    if (now - lastPublish >= std::chrono::milliseconds(100)) {  // progress table, -v
      lastPublish = now;
      std::lock_guard<std::mutex> lock(mutex_);
      written_ = written;
      for (size_t s = 0; s < views_.size(); ++s) publishStream(s);
      if (stop_) break;
    }
    if (!out.empty()) {
      if (const WriteResult result = flush(out); result != WriteResult::Ok) {
        std::lock_guard<std::mutex> lock(mutex_);
        written_ = written;
        stop_ = true;
        return toOutcome(result);
      }
    }
    if ((count != 0 && written >= count) || merger_.idle()) break;
    // Cannot happen by the release rule (a file stream with records queued
    // never blocks the merge); never spin if it somehow did.
    if (!pumped && released == 0) break;
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    written_ = written;
  }
  return finish(count, out, HubOutcome::Finished);
}

}  // namespace ddump
