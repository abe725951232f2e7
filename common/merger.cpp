#include "merger.h"

#include <algorithm>

#include "sll.h"

namespace ddump {
namespace {

bool isSllFamily(uint32_t linkType) {
  return linkType == kLinkTypeLinuxSll || linkType == kLinkTypeLinuxSll2;
}

}  // namespace

Merger::Merger(MergerOptions options) : options_(options) {}

size_t Merger::addStream(bool live, uint64_t shownNs) {
  streams_.emplace_back();
  streams_.back().live = live;
  streams_.back().highWater = shownNs;
  const size_t index = streams_.size() - 1;
  markEmpty(index);
  return index;
}

void Merger::setLive(size_t stream, bool live) {
  Stream& s = streams_[stream];
  if (s.live == live) return;
  const bool marked = !s.closed && s.queue.empty();
  if (marked) unmarkEmpty(stream);
  s.live = live;
  if (marked) markEmpty(stream);
}

Status Merger::checkCompatible(const GlobalHeader& header) const {
  const uint32_t link = header.linkType & kLinkTypeMask;
  if (!linkType_ || link == *linkType_ || options_.mixedLinkTypes) return Status::success();
  // SLL2 can always be rewritten as SLL (it only drops the interface index);
  // before the output is written, an SLL stream can still pull SLL2 ones down.
  if (link == kLinkTypeLinuxSll2 && *linkType_ == kLinkTypeLinuxSll) return Status::success();
  if (!headerWritten_ && isSllFamily(link) && isSllFamily(*linkType_)) return Status::success();
  return makeError(ErrorCode::Incompatible, "link type " + linkTypeName(link) +
                                                " cannot be merged into " +
                                                linkTypeName(*linkType_) + " output");
}

Status Merger::setHeader(size_t stream, const GlobalHeader& header, uint64_t nowNs) {
  Stream& s = streams_[stream];
  if (s.closed) return makeError(ErrorCode::InvalidArgument, "stream already closed");
  if (Status ok = checkCompatible(header); !ok) {
    close(stream);
    return ok;
  }
  const uint32_t link = header.linkType & kLinkTypeMask;
  if (!linkType_ || (!headerWritten_ && link == kLinkTypeLinuxSll)) linkType_ = link;
  s.header = header;
  s.headerArrivalNs = nowNs;
  return Status::success();
}

bool Merger::push(size_t stream, PacketBatch&& batch, uint64_t nowNs) {
  Stream& s = streams_[stream];
  if (s.closed) return false;
  if (batch.empty()) {
    // Blocks a pcapng input ended with, after its last packet: written now,
    // still before every later packet of this stream.
    if (log_ != nullptr && headerWritten_) {
      for (const BatchNote& note : batch.notes()) logNote(stream, note, log_->records.size());
    }
    return true;
  }
  const bool wasEmpty = s.queue.empty();
  if (wasEmpty) unmarkEmpty(stream);  // keyed by the old high-water mark
  s.highWater = std::max(s.highWater, batch.maxTsNs());
  const size_t bytes = batch.memoryBytes();
  s.queuedBytes += bytes;
  totalQueued_ += bytes;
  s.queue.push_back(std::move(batch));
  s.arrivals.push_back(nowNs);
  if (wasEmpty) {
    startFront(s);
    heap_.push({s.cursor->tsNs, static_cast<uint32_t>(stream)});
  }
  return true;
}

void Merger::close(size_t stream) {
  Stream& s = streams_[stream];
  if (s.closed) return;
  if (s.queue.empty()) unmarkEmpty(stream);
  s.closed = true;
}

void Merger::markEmpty(size_t index) {
  const Stream& s = streams_[index];
  (s.live ? emptyLive_ : emptyFiles_).insert({s.highWater, index});
}

void Merger::unmarkEmpty(size_t index) {
  const Stream& s = streams_[index];
  (s.live ? emptyLive_ : emptyFiles_).erase({s.highWater, index});
}

bool Merger::fileHeaderMissing() const {
  return std::any_of(streams_.begin(), streams_.end(),
                     [](const Stream& s) { return !s.header && !s.closed && !s.live; });
}

bool Merger::settleHeader(uint64_t nowNs, bool force, RecordBuffer& out) {
  bool anyHeader = false;
  bool allKnown = true;
  uint64_t earliest = kUnlimited;
  for (const Stream& s : streams_) {
    if (s.header) {
      anyHeader = true;
      earliest = std::min(earliest, s.headerArrivalNs);
    } else if (!s.closed) {
      allKnown = false;
    }
  }
  const bool fileMissing = fileHeaderMissing();
  if (!force) {
    if (!anyHeader) return false;
    // A live stream that has not answered yet may hold the header back for
    // maxDelay at most; a file always answers.
    if (!allKnown && (fileMissing || nowNs < earliest || nowNs - earliest < options_.maxDelayNs)) {
      return false;
    }
  }
  chooseOutput(allKnown);
  out.appendGlobalHeader(output_);
  headerWritten_ = true;
  return true;
}

void Merger::chooseOutput(bool allKnown) {
  output_ = GlobalHeader{};
  output_.byteOrder = hostByteOrder();
  output_.linkType = linkType_.value_or(options_.fallbackLinkType);
  bool nano = options_.forceNano;
  uint32_t snaplen = 0;
  for (const Stream& s : streams_) {
    if (!s.header) continue;
    nano = nano || s.header->precision == Precision::Nano;  // the finest wins
    snaplen = s.header->snaplen == 0 ? kMaxSnaplen : std::max(snaplen, s.header->snaplen);
  }
  output_.precision = nano ? Precision::Nano : Precision::Micro;
  // A stream still to come may capture more than the ones known now.
  output_.snaplen = allKnown && snaplen != 0 ? snaplen : kMaxSnaplen;
}

bool Merger::mayRelease(const HeapKey& top, uint64_t nowNs) const {
  const uint64_t files = emptyFiles_.empty() ? kUnlimited : emptyFiles_.begin()->first;
  if (files < top.tsNs) return false;  // a file is never idle, only behind
  const uint64_t live = emptyLive_.empty() ? kUnlimited : emptyLive_.begin()->first;
  if (live >= top.tsNs) return true;
  const uint64_t arrived = streams_[top.stream].arrivals.front();
  return nowNs >= arrived && nowNs - arrived >= options_.maxDelayNs;
}

std::optional<uint64_t> Merger::nextDeadline() const {
  std::optional<uint64_t> deadline;
  if (!headerWritten_) {
    // A file (or FIFO) always answers: until it has, only its header event can
    // make progress, and that wakes the writer; a deadline would only spin.
    if (fileHeaderMissing()) return std::nullopt;
    for (const Stream& s : streams_) {
      if (!s.header) continue;
      const uint64_t at = s.headerArrivalNs + options_.maxDelayNs;
      if (!deadline || at < *deadline) deadline = at;
    }
    return deadline;
  }
  if (heap_.empty()) return std::nullopt;
  const HeapKey& top = heap_.top();
  if (!emptyFiles_.empty() && emptyFiles_.begin()->first < top.tsNs) return std::nullopt;
  return streams_[top.stream].arrivals.front() + options_.maxDelayNs;
}

size_t Merger::release(uint64_t nowNs, RecordBuffer& out, uint64_t maxPackets, size_t maxBytes) {
  if (!headerWritten_ && !settleHeader(nowNs, false, out)) return 0;
  size_t written = 0;
  while (written < maxPackets && out.size() < maxBytes && !heap_.empty() &&
         mayRelease(heap_.top(), nowNs)) {
    if (emitTop(out)) ++written;
  }
  return written;
}

size_t Merger::drain(RecordBuffer& out, uint64_t maxPackets) {
  if (!headerWritten_) settleHeader(0, true, out);
  size_t written = 0;
  while (written < maxPackets && !heap_.empty()) {
    if (emitTop(out)) ++written;
  }
  return written;
}

std::optional<PacketBatch> Merger::takeSpentBatch() {
  if (spent_.empty()) return std::nullopt;
  PacketBatch batch = std::move(spent_.back());
  spent_.pop_back();
  return batch;
}

bool Merger::idle() const {
  return heap_.empty() &&
         std::all_of(streams_.begin(), streams_.end(), [](const Stream& s) { return s.closed; });
}

// Inline: runs once per record written.
inline void Merger::countWritten(Stream& s, uint64_t tsNs, uint32_t caplen) {
  if (tsNs < lastWrittenNs_) {
    ++s.stats.reordered;
  } else {
    lastWrittenNs_ = tsNs;
  }
  ++s.stats.packets;
  s.stats.bytes += caplen;
}

void Merger::logRecord(Stream& s, const PacketBatch& batch, const BatchEntry& e,
                       uint32_t linkType) {
  const auto stream = static_cast<uint32_t>(&s - streams_.data());
  const RecordOrigin origin = batch.origin(static_cast<size_t>(&e - batch.begin()));
  const bool input = origin.interface != kNoInputInterface;
  log_->records.push_back(
      RecordSource{stream, origin.interface, input ? origin.linkType : linkType, origin.flags});
}

void Merger::logNote(size_t stream, const BatchNote& note, size_t record) {
  log_->notes.push_back(
      RecordLog::Note{static_cast<uint32_t>(stream), record, note.kind, note.bytes});
}

// The notes of entry `entry` of the front batch, around its record: blocks
// before it (already logged when this is called after the record), its
// comments after. `written`: the record made it into the log.
void Merger::logNotes(Stream& s, const PacketBatch& batch, size_t entry, bool written) {
  const auto& notes = batch.notes();
  const size_t stream = static_cast<size_t>(&s - streams_.data());
  while (s.nextNote < notes.size() && notes[s.nextNote].entry <= entry) {
    const BatchNote& note = notes[s.nextNote++];
    if (note.kind == BatchNote::Kind::Block) {
      // Before the record just logged (or where it would have been).
      logNote(stream, note, log_->records.size() - (written ? 1 : 0));
    } else if (written && note.entry == entry) {
      logNote(stream, note, log_->records.size() - 1);
    }
  }
}

// The top stream's next record (or next batch's first) replaces it in the
// heap with one sift-down; only a stream that ran dry leaves the heap.
bool Merger::emitTop(RecordBuffer& out) {
  const uint32_t index = heap_.top().stream;
  Stream& s = streams_[index];
  const PacketBatch& front = s.queue.front();
  const bool written = writeRecord(s, front, *s.cursor, out);
  if (log_ != nullptr && !front.notes().empty()) [[unlikely]] {
    logNotes(s, front, static_cast<size_t>(s.cursor - front.begin()), written);
  }
  if (++s.cursor != s.cursorEnd) {
    heap_.replaceTop({s.cursor->tsNs, index});
    return written;
  }
  retireBatch(s);
  if (!s.queue.empty()) {
    startFront(s);
    heap_.replaceTop({s.cursor->tsNs, index});
  } else {
    heap_.pop();
    if (!s.closed) markEmpty(index);
  }
  return written;
}

void Merger::startFront(Stream& s) {
  s.cursor = s.queue.front().begin();
  s.cursorEnd = s.queue.front().end();
}

bool Merger::writeRecord(Stream& s, const PacketBatch& batch, const BatchEntry& e,
                         RecordBuffer& out) {
  // A record with an input interface keeps that interface's link type.
  const bool toSll = output_.linkType == kLinkTypeLinuxSll &&
                     batch.linkType == kLinkTypeLinuxSll2 && !batch.hasOrigins();
  if (log_ != nullptr) logRecord(s, batch, e, toSll ? kLinkTypeLinuxSll : batch.linkType);
  if (batch.precision == output_.precision && !toSll) [[likely]] {
    // The batch holds the record already encoded in host order with this
    // precision (and any clock offset applied): one copy, no re-encoding.
    // A view may not even be copied (see RecordBuffer::setReferenceMin).
    if (PacketBatch::isView(e)) {
      out.appendStable(batch.record(e));
    } else {
      out.appendEncoded(batch.record(e));
    }
    countWritten(s, e.tsNs, e.caplen);
    return true;
  }
  return writeConverted(s, batch, e, out, toSll);
}

bool Merger::writeConverted(Stream& s, const PacketBatch& batch, const BatchEntry& e,
                            RecordBuffer& out, bool toSll) {
  const auto data = batch.record(e).subspan(kRecordHeaderSize);
  RecordHeader header{0, 0, e.caplen, batch.recordLen(e)};
  setTimestamp(header, e.tsNs, output_.precision);
  if (!toSll) {
    out.appendRecord(header, data);
    countWritten(s, e.tsNs, e.caplen);
    return true;
  }
  const auto sll = convertSll2RecordToSll(header, data);
  if (!sll) {
    ++s.stats.unconvertible;
    if (log_ != nullptr) log_->records.pop_back();
    return false;
  }
  out.appendRecord(sll->header, sll->sll, sll->payload);
  countWritten(s, e.tsNs, sll->header.caplen);  // the SLL header is shorter
  return true;
}

void Merger::retireBatch(Stream& s) {
  if (log_ != nullptr) {
    // Blocks after the batch's last record.
    const auto& notes = s.queue.front().notes();
    const size_t stream = static_cast<size_t>(&s - streams_.data());
    for (; s.nextNote < notes.size(); ++s.nextNote)
      logNote(stream, notes[s.nextNote], log_->records.size());
  }
  s.nextNote = 0;
  const size_t bytes = s.queue.front().memoryBytes();
  s.queuedBytes -= bytes;
  totalQueued_ -= bytes;
  if (spent_.size() < 2 * streams_.size() + 2) spent_.push_back(std::move(s.queue.front()));
  s.queue.pop_front();
  s.arrivals.pop_front();
  s.cursor = nullptr;
  s.cursorEnd = nullptr;
}

}  // namespace ddump
