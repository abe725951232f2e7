#include "output.h"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <chrono>
#include <cstring>
#include <utility>

#include "clock.h"
#include "log.h"
#include "pcapng_writer.h"
#include "record_buffer.h"
#include "unique_fd.h"

extern char** environ;

namespace ddump {
namespace {

int64_t wallNowSec() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// false: the reader or the disk is gone (errno tells which).
bool writeAll(int fd, const uint8_t* p, size_t left) {
  while (left > 0) {
    const ssize_t n = ::write(fd, p, left);
    if (n > 0) {
      p += n;
      left -= static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && errno == EAGAIN) {
      pollfd pfd{fd, POLLOUT, 0};
      ::poll(&pfd, 1, -1);
    } else {
      return false;
    }
  }
  return true;
}

// writeAll for pieces; `iov` is consumed (advanced past what was written).
bool writevAll(int fd, std::span<iovec> iov) {
  while (!iov.empty()) {
    const int count = static_cast<int>(std::min<size_t>(iov.size(), IOV_MAX));
    const ssize_t n = ::writev(fd, iov.data(), count);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno == EAGAIN) {
      pollfd pfd{fd, POLLOUT, 0};
      ::poll(&pfd, 1, -1);
      continue;
    }
    if (n <= 0) return false;
    auto left = static_cast<size_t>(n);
    while (!iov.empty() && left >= iov.front().iov_len) {  // whole pieces written
      left -= iov.front().iov_len;
      iov = iov.subspan(1);
    }
    if (left > 0) {  // a piece written in part
      iov.front().iov_base = static_cast<uint8_t*>(iov.front().iov_base) + left;
      iov.front().iov_len -= left;
    }
  }
  return true;
}

}  // namespace

std::string Output::commentFor(size_t stream, uint64_t tsNs, std::span<const uint8_t> data) {
  if (!comment_ || stream != comment_->stream) return {};
  // Its own clock-offset estimate may differ from the stream's by a little.
  constexpr uint64_t kSlackNs = 5'000'000;
  const uint64_t d = tsNs > comment_->tsNs ? tsNs - comment_->tsNs : comment_->tsNs - tsNs;
  if (d > kSlackNs || !std::equal(data.begin(), data.end(), comment_->data.begin(), comment_->data.end())) {
    return {};
  }
  std::string text = std::move(comment_->text);
  comment_.reset();
  return text;
}

// One destination: a file (rotated or not) or stdout, in one format.
class CaptureFile {
 public:
  CaptureFile(Output& owner, std::string pattern, const GlobalHeader& header)
      : owner_(owner),
        config_(owner.config_),
        plan_(std::move(pattern), owner.config_.rotation),
        header_(header) {}

  WriteResult open() { return openFile(plan_.start(wallNowSec())); }

  WriteResult add(uint32_t stream, const RecordHeader& rec, std::span<const uint8_t> data) {
    if (config_.rotation.enabled()) {
      const RotationAction action = plan_.beforeWrite(size_, wallNowSec());
      if (action == RotationAction::Stop) return WriteResult::Stop;
      if (action == RotationAction::Rotate) {
        if (WriteResult r = close(); r != WriteResult::Ok) return r;
        if (WriteResult r = openFile(plan_.currentName()); r != WriteResult::Ok) return r;
      }
    }
    const size_t before = pendingSize();
    if (config_.format == OutputFormat::Pcap) {
      pcap_.appendRecord(rec, data);
    } else {
      const uint64_t ts = timestampNs(rec, header_.precision);
      ng_.appendPacket(interfaceFor(stream, data), ts, rec.len, data, {},
                       epbFlagsFor(header_.linkType, data), owner_.commentFor(stream, ts, data));
    }
    size_ += pendingSize() - before;
    return WriteResult::Ok;
  }

  WriteResult flush() {
    const auto bytes = config_.format == OutputFormat::Pcap ? pcap_.bytes() : ng_.bytes();
    if (bytes.empty() || fd_ < 0) return WriteResult::Ok;
    const bool ok = writeAll(fd_, bytes.data(), bytes.size());
    owner_.bytesWritten_ += bytes.size();
    pcap_.clear();
    ng_.clear();
    if (ok) return WriteResult::Ok;
    if (fd_ == STDOUT_FILENO) return WriteResult::Closed;
    log::error("cannot write " + name_ + ": " + std::strerror(errno));
    return WriteResult::Failed;
  }

  // Statistics blocks (pcapng), flush, close, -z.
  WriteResult close(const std::vector<std::optional<uint64_t>>* drops = nullptr) {
    if (config_.format == OutputFormat::Pcapng) appendStatistics(drops);
    const WriteResult r = flush();
    file_.reset();
    fd_ = -1;
    if (!config_.postRotate.empty() && name_ != "-") runPostRotate();
    return r;
  }

 private:
  size_t pendingSize() const {
    return config_.format == OutputFormat::Pcap ? pcap_.size() : ng_.size();
  }

  WriteResult openFile(const std::string& name) {
    name_ = name;
    if (name == "-") {
      fd_ = STDOUT_FILENO;
    } else {
      file_.reset(::open(name.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
      fd_ = file_.get();
      if (fd_ < 0) {
        log::error("cannot create " + name + ": " + std::strerror(errno));
        return WriteResult::Failed;
      }
    }
    interfaces_.clear();
    streamsSeen_.clear();
    if (config_.format == OutputFormat::Pcap) {
      pcap_.appendGlobalHeader(header_);
    } else {
      ng_.appendSectionHeader({"ddump 0.1.0", owner_.sectionComment(), ""});
    }
    size_ = pendingSize();
    return flush();  // a new file is a valid (empty) capture at once
  }

  // The IDB of (stream, interface), written the first time it is needed.
  // Keys: the SLL2 interface index, kNoIndex for a record without one, and
  // kOtherIndex for the indexes past the stream's cap (interface_cap.h).
  uint32_t interfaceFor(uint32_t stream, std::span<const uint8_t> data) {
    static constexpr int64_t kNoIndex = int64_t{1} << 32;
    static constexpr int64_t kOtherIndex = kNoIndex + 1;
    const auto ifindex = sll2InterfaceIndex(header_.linkType, data);
    int64_t key = (int64_t{stream} << 33) | (ifindex ? int64_t{*ifindex} : kNoIndex);
    auto it = interfaces_.find(key);
    if (it != interfaces_.end()) return it->second.id;
    const bool other = ifindex && !owner_.interfaceCaps_[stream].admit(*ifindex);
    if (other) {
      key = (int64_t{stream} << 33) | kOtherIndex;
      it = interfaces_.find(key);
      if (it != interfaces_.end()) return it->second.id;
    }
    PcapngInterface idb;
    const StreamLabel& label = owner_.label(stream);
    idb.name = other     ? label.name + ":other"
               : ifindex ? label.name + ":" + owner_.interfaceName(stream, *ifindex)
                         : label.name;
    idb.description = label.description;
    idb.linkType = header_.linkType;
    idb.snaplen = header_.snaplen;
    idb.precision = owner_.streamPrecision(stream).value_or(header_.precision);
    // Every IDB takes the output's one link type, so this cannot fail.
    const uint32_t id = ng_.appendInterface(idb).value();
    if (streamsSeen_.size() <= stream) streamsSeen_.resize(stream + 1, false);
    const bool first = !streamsSeen_[stream];
    streamsSeen_[stream] = true;
    interfaces_[key] = {id, stream, first};
    return id;
  }

  void appendStatistics(const std::vector<std::optional<uint64_t>>* drops) {
    if (fd_ < 0) return;
    for (const auto& [key, info] : interfaces_) {
      PcapngStatistics st;
      st.timestampNs = static_cast<uint64_t>(wallNowNs());
      // Kernel drops are per capture: on the stream's first interface only,
      // so that summing the file's statistics counts them once.
      if (drops && info.first && info.stream < drops->size()) st.dropped = (*drops)[info.stream];
      ng_.appendStatistics(info.id, st);
    }
  }

  void runPostRotate() {
    // tcpdump's compress_savefile(): execlp(CMD, CMD, FILE) in a child.
    std::vector<char*> argv{const_cast<char*>(config_.postRotate.c_str()),
                            const_cast<char*>(name_.c_str()), nullptr};
    pid_t pid = 0;
    owner_.reapChildren(false);  // a long -G run must not pile up zombies
    if (posix_spawnp(&pid, config_.postRotate.c_str(), nullptr, nullptr, argv.data(), environ) == 0) {
      owner_.children_.push_back(pid);
    } else {
      log::error("-z: cannot run " + config_.postRotate);
    }
  }

  struct InterfaceInfo {
    uint32_t id;
    uint32_t stream;
    bool first;
  };

  Output& owner_;
  const OutputConfig& config_;
  RotationPlan plan_;
  GlobalHeader header_;
  std::string name_;
  UniqueFd file_;  // a created file; stdout ("-") is borrowed, not owned
  int fd_ = -1;    // what is written: file_ or STDOUT_FILENO
  uint64_t size_ = 0;
  RecordBuffer pcap_;
  PcapngWriter ng_;
  std::map<int64_t, InterfaceInfo> interfaces_;
  std::vector<bool> streamsSeen_;  // streams with an interface in this file
};

Output::Output(OutputConfig config, std::vector<StreamLabel> labels)
    : config_(std::move(config)),
      labels_(std::move(labels)),
      passThrough_(config_.format == OutputFormat::Pcap && !config_.perTarget &&
                   !config_.rotation.enabled() && config_.postRotate.empty()),
      interfaces_(labels_.size()),
      precisions_(labels_.size()),
      interfaceCaps_(labels_.size()) {}

Output::~Output() = default;

void Output::setInterfaces(size_t stream, std::map<uint32_t, std::string> names) {
  std::lock_guard<std::mutex> lock(mutex_);
  interfaces_[stream] = std::move(names);
}

void Output::setStreamPrecision(size_t stream, Precision precision) {
  std::lock_guard<std::mutex> lock(mutex_);
  precisions_[stream] = precision;
}

std::string Output::interfaceName(size_t stream, uint32_t ifindex) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = interfaces_[stream].find(ifindex);
  return it != interfaces_[stream].end() ? it->second : "if" + std::to_string(ifindex);
}

std::optional<Precision> Output::streamPrecision(size_t stream) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return precisions_[stream];
}

std::string Output::interfaceOverflow(size_t stream) const {
  return interfaceCapSummary(interfaceCaps_[stream], labels_[stream].name + ":other");
}

std::string Output::sectionComment() const {
  std::string text = "ddump capture of " + std::to_string(labels_.size()) + " targets:";
  for (const auto& l : labels_) text += " " + l.description;
  return text;
}

// Stdout, or `-w FILE` created at the first write (as the per-record path
// creates it when the first header arrives).
int Output::passThroughFd() {
  if (config_.path == "-") return STDOUT_FILENO;
  if (!direct_.valid()) {
    direct_.reset(::open(config_.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!direct_.valid()) log::error("cannot create " + config_.path + ": " + std::strerror(errno));
  }
  return direct_.get();
}

// A closed stdout is the reader going away (tcpdump quit): a quiet end. A
// file that cannot be written is an error worth a line.
WriteResult Output::passThroughFailed() const {
  if (config_.path == "-") return WriteResult::Closed;
  log::error("cannot write " + config_.path + ": " + std::strerror(errno));
  return WriteResult::Failed;
}

WriteResult Output::passThrough(std::span<const uint8_t> bytes) {
  const int fd = passThroughFd();
  if (fd < 0) return WriteResult::Failed;
  if (!writeAll(fd, bytes.data(), bytes.size())) return passThroughFailed();
  bytesWritten_ += bytes.size();
  return WriteResult::Ok;
}

WriteResult Output::writeGathered(const RecordBuffer& merged) {
  pieces_.clear();
  size_t bytes = 0;
  merged.forEachPiece([&](const uint8_t* data, size_t size) {
    pieces_.push_back(iovec{const_cast<uint8_t*>(data), size});  // writev only reads them
    bytes += size;
  });
  const int fd = passThroughFd();
  if (fd < 0) return WriteResult::Failed;
  if (!writevAll(fd, pieces_)) return passThroughFailed();
  bytesWritten_ += bytes;
  return WriteResult::Ok;
}

WriteResult Output::openAll() {
  if (!config_.perTarget) {
    files_.push_back(std::make_unique<CaptureFile>(*this, config_.path, *header_));
    return files_.back()->open();
  }
  const std::vector<std::string> names = [this] {
    std::vector<std::string> hosts;
    for (const auto& l : labels_) hosts.push_back(l.name);
    return perTargetFileNames(hosts, std::vector<uint16_t>(hosts.size(), 0),
                              config_.format == OutputFormat::Pcapng ? ".pcapng" : ".pcap");
  }();
  for (const auto& name : names) {
    files_.push_back(std::make_unique<CaptureFile>(*this, config_.path + name, *header_));
    if (WriteResult r = files_.back()->open(); r != WriteResult::Ok) return r;
  }
  return WriteResult::Ok;
}

CaptureFile& Output::fileFor(uint32_t stream) {
  return config_.perTarget ? *files_[stream] : *files_.front();
}

WriteResult Output::write(std::span<const uint8_t> pcap, std::span<const uint32_t> streams) {
  if (passThrough_) return passThrough(pcap);
  size_t at = 0;
  if (!header_) {
    if (pcap.size() < kGlobalHeaderSize) return WriteResult::Ok;
    auto header = decodeGlobalHeader(pcap.first<kGlobalHeaderSize>());
    if (!header) return WriteResult::Failed;  // the Merger's own header: cannot happen
    header_ = *header;
    at = kGlobalHeaderSize;
    if (WriteResult r = openAll(); r != WriteResult::Ok) return r;
  }
  const ByteOrder order = header_->byteOrder;
  for (size_t i = 0; i < streams.size() && at + kRecordHeaderSize <= pcap.size(); ++i) {
    const RecordHeader rec =
        decodeRecordHeader(std::span<const uint8_t, kRecordHeaderSize>(pcap.data() + at, kRecordHeaderSize),
                           order);
    const auto data = pcap.subspan(at + kRecordHeaderSize, rec.caplen);
    at += kRecordHeaderSize + rec.caplen;
    if (WriteResult r = fileFor(streams[i]).add(streams[i], rec, data); r != WriteResult::Ok) return r;
  }
  for (auto& f : files_) {
    if (WriteResult r = f->flush(); r != WriteResult::Ok) return r;
  }
  return WriteResult::Ok;
}

void Output::finish(const std::vector<std::optional<uint64_t>>& kernelDrops) {
  if (!passThrough_ && !header_) {
    // No stream ever produced a header: nothing was written. Leave the
    // destination empty rather than guess a format.
    return;
  }
  for (auto& f : files_) (void)f->close(&kernelDrops);
  direct_.reset();
  reapChildren(true);
}

void Output::reapChildren(bool wait) {
  // Each -z child is waited for by its pid only: ddump has other children
  // nowhere, but a blanket waitpid(-1) would be wrong if it ever did.
  std::erase_if(children_, [wait](pid_t pid) {
    int status = 0;
    pid_t done = 0;
    while ((done = ::waitpid(pid, &status, wait ? 0 : WNOHANG)) < 0 && errno == EINTR) {
    }
    return done != 0;  // reaped, or not ours any more (ECHILD)
  });
}

}  // namespace ddump
