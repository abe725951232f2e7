#include "source.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "log.h"

namespace ddump {

Status StreamFeeder::feed(std::span<const uint8_t> bytes) {
  const Status decoded = decoder_.feed(bytes, collector_);
  // Records decoded before a failure are whole and valid: they still go out.
  if (auto header = collector_.takeHeader()) {
    if (Status merged = hub_.onHeader(stream_, *header); !merged) return merged;
  }
  if (collector_.hasPackets()) {
    PacketBatch batch = collector_.takeBatch();
    if (!hub_.onBatch(stream_, batch)) stopped_ = true;
    collector_.adopt(std::move(batch));  // the hub swapped in a spent batch
  }
  return decoded;
}

void StreamFeeder::reset() {
  decoder_ = StreamDecoder{};
  collector_ = BatchCollector{};
  collector_.setClockOffset(clockOffsetNs_);
}

void Source::fail(const std::string& reason, bool refused) {
  if (failed_.exchange(true)) return;
  refused_ = refused;
  state_ = TargetState::Failed;
  log::error(target_.display() + ": " + reason);
}

void FileSource::run() {
  const bool isStdin = target_.kind == TargetKind::Stdin;
  const int fd = isStdin ? STDIN_FILENO : ::open(target_.file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    fail(std::string("cannot open: ") + std::strerror(errno));
    hub_.onEnd(stream_, false);
    return;
  }
  StreamFeeder feeder(stream_, hub_);
  state_ = TargetState::Streaming;
  std::vector<uint8_t> buffer(256 * 1024);
  while (!feeder.stopped()) {
    const ssize_t n = ::read(fd, buffer.data(), buffer.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      fail(std::string("read error: ") + std::strerror(errno));
      break;
    }
    if (n == 0) {
      if (Status s = feeder.finish(); !s) fail(s.error().message);
      break;
    }
    if (Status s = feeder.feed(std::span<const uint8_t>(buffer.data(), static_cast<size_t>(n)));
        !s) {
      fail(s.error().message);
      break;
    }
  }
  if (!isStdin) ::close(fd);
  if (!failed_) state_ = TargetState::Done;
  hub_.onEnd(stream_, false);
}

}  // namespace ddump
