#include "source.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include "log.h"

namespace ddump {

Status StreamFeeder::feed(std::span<const uint8_t> bytes, bool stable) {
  return forward(bytes, stable, false);
}

Status StreamFeeder::feedCoalescing(std::span<const uint8_t> bytes, bool morePending) {
  return forward(bytes, false, morePending);
}

Status StreamFeeder::forward(std::span<const uint8_t> bytes, bool stable, bool mayHold) {
  // Only pcap records carry their own header in the input: pcapng packets
  // are copied into the batch (once, by the collector), never kept as views.
  stable = stable && decoder_.recordsInPlace(bytes);
  if (stable) collector_.setStableInput(bytes);
  const Status decoded = decoder_.feed(bytes, collector_);
  if (stable) collector_.setStableInput({});
  if (auto header = collector_.takeHeader()) {
    // A savefile's header may understate its records' caplen (see
    // stream_decoder.h): the snaplen announced covers every record decoded
    // with it, i.e. the whole first chunk, so the output's header does too.
    header->snaplen = decoder_.globalHeader().snaplen;
    if (headerHook_) headerHook_();
    if (Status merged = hub_.onHeader(stream_, *header); !merged) return merged;
    headerForwarded_ = true;
  }
  forwardInterfaces();
  // Records decoded before a failure are whole and valid: they still go out.
  if (!decoded || !mayHold || collector_.batchBytes() >= kCoalesceBytes) flush();
  return decoded;
}

void StreamFeeder::forwardInterfaces() {
  if (auto interfaces = decoder_.takeInterfaces(); !interfaces.empty()) {
    hub_.onInterfaces(stream_, std::move(interfaces));
  }
  if (auto statistics = decoder_.takeStatistics(); !statistics.empty()) {
    hub_.onStatistics(stream_, std::move(statistics));
  }
}

Status StreamFeeder::finish() {
  const Status status = decoder_.finish();
  forwardInterfaces();
  // Blocks after the last packet travel in a batch of their own.
  if (collector_.hasNotes() && !collector_.hasPackets()) {
    PacketBatch batch = collector_.takeBatch();
    if (!hub_.onBatch(stream_, batch)) stopped_ = true;
    collector_.adopt(std::move(batch));
  }
  return status;
}

void StreamFeeder::flush() {
  if (!collector_.hasPackets()) return;
  PacketBatch batch = collector_.takeBatch();
  newestNs_ = std::max(newestNs_, batch.maxTsNs());
  if (!offering_) {
    if (!hub_.onBatch(stream_, batch)) stopped_ = true;
  } else {
    switch (hub_.offerBatch(stream_, batch)) {
      case MergeHub::Offer::Queued: break;
      case MergeHub::Offer::Full: full_ = true; break;
      case MergeHub::Offer::Stop: stopped_ = true; break;
    }
  }
  collector_.adopt(std::move(batch));  // the hub swapped in a spent batch
}

void StreamFeeder::reset() {
  const uint32_t keys = decoder_.interfacesSeen();
  decoder_ = CaptureDecoder{input_};
  if (hub_.keepsOrigins()) decoder_.keepOrigins();
  decoder_.startKeysAt(keys);
  collector_ = BatchCollector{};
  collector_.setClockOffset(clockOffsetNs_);
  headerForwarded_ = false;
}

void Source::fail(const std::string& reason, bool refused) {
  if (failed_.exchange(true)) return;
  refused_ = refused;
  state_ = TargetState::Failed;
  log::error(target_.display() + ": " + reason);
}

bool FileSource::open(ReadAhead* readAhead) {
  const bool isStdin = target_.kind == TargetKind::Stdin;
  if (!isStdin) file_.reset(::open(target_.file.c_str(), O_RDONLY | O_CLOEXEC));
  fd_ = isStdin ? STDIN_FILENO : file_.get();
  if (fd_ < 0) {
    fail(std::string("cannot open: ") + std::strerror(errno));
    ended_ = true;
    hub_.onEnd(stream_, false);
    return false;
  }
  feeder_ = std::make_unique<StreamFeeder>(stream_, hub_, PcapInput::Savefile);
  if (readAhead != nullptr) {
    readAhead_ = readAhead;
    readAheadId_ = readAhead->addFile(fd_);
  } else {
    buffer_.resize(256 * 1024);
    // A FIFO or a pipe on stdin waits for its writer: hand out what there
    // is. A regular file (here when other targets are not files) never waits.
    struct stat st {};
    const bool regular = ::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode);
    const int fd = fd_;
    reader_ = std::make_unique<InputReader>(
        [fd](uint8_t* into, size_t size) -> ssize_t {
          const ssize_t n = ::read(fd, into, size);
          return n < 0 ? -errno : n;
        },
        regular);
  }
  state_ = TargetState::Streaming;
  return true;
}

bool FileSource::pump() {
  if (ended_) return false;
  if (feeder_->stopped()) {
    end();
    return false;
  }
  const ReadAhead::Chunk chunk = readChunk();
  if (chunk.error != 0) {
    fail(std::string("read error: ") + std::strerror(chunk.error));
  } else if (!chunk.damage.empty()) {
    fail(chunk.damage);  // the records before it went out with earlier chunks
  } else if (chunk.bytes.empty()) {
    if (Status s = feeder_->finish(); !s) fail(s.error().message);
  } else if (Status s = feeder_->feed(chunk.bytes, readAhead_ != nullptr); !s) {
    fail(s.error().message);
  } else {
    return true;
  }
  end();
  return false;
}

ReadAhead::Chunk FileSource::readChunk() {
  if (readAhead_ != nullptr) return readAhead_->next(readAheadId_);
  InputReader::Got got = reader_->read(buffer_);
  return {{buffer_.data(), got.bytes}, got.error, std::move(got.damage)};
}

void FileSource::end() {
  ended_ = true;
  if (feeder_) drops_ = feeder_->interfaceDrops();
  if (readAhead_ != nullptr) readAhead_->closeFile(readAheadId_);  // before its fd closes
  file_.reset();
  fd_ = -1;
  if (!failed_) state_ = TargetState::Done;
  hub_.onEnd(stream_, false);
}

void FileSource::run() {
  if (!open()) return;
  while (pump()) {
  }
}

}  // namespace ddump
