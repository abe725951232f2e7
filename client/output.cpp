#include "output.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <cstring>
#include <set>
#include <tuple>
#include <utility>

#include "clock.h"
#include "log.h"
#include "packet_fields.h"
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

std::span<const uint8_t> asBytes(const std::string& bytes) {
  return {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()};
}

}  // namespace

std::string Output::commentFor(size_t stream, uint64_t tsNs, std::span<const uint8_t> data) {
  if (!comment_ || stream != comment_->stream) return {};
  // Its own clock-offset estimate may differ from the stream's by a little.
  constexpr uint64_t kSlackNs = 5'000'000;
  const uint64_t d = tsNs > comment_->tsNs ? tsNs - comment_->tsNs : comment_->tsNs - tsNs;
  if (d > kSlackNs ||
      !std::equal(data.begin(), data.end(), comment_->data.begin(), comment_->data.end())) {
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

  WriteResult add(const RecordSource& source, const RecordHeader& rec,
                  std::span<const uint8_t> data, std::span<const std::string> comments) {
    if (WriteResult r = rotateIfDue(); r != WriteResult::Ok) return r;
    const size_t before = pendingSize();
    if (config_.format == OutputFormat::Pcap) {
      pcap_.appendRecord(rec, data);
    } else {
      const uint64_t ts = timestampNs(rec, header_.precision);
      std::string trigger = owner_.commentFor(source.stream, ts, data);
      if (!trigger.empty()) {
        commentScratch_.assign(comments.begin(), comments.end());
        commentScratch_.push_back(std::move(trigger));
        comments = commentScratch_;
      }
      const uint32_t flags = source.flags != 0 ? source.flags : epbFlagsFor(source.linkType, data);
      const uint32_t id = interfaceFor(source, data);
      if (id < otherIds_.size() && otherIds_[id]) ++owner_.inputOtherPackets_[source.stream];
      ng_.appendPacket(id, ts, rec.len, data, {}, flags, comments);
    }
    size_ += pendingSize() - before;
    return WriteResult::Ok;
  }

  // An NRB or DSB of an input (pcapng output only).
  WriteResult addBlock(std::span<const uint8_t> block) {
    if (config_.format != OutputFormat::Pcapng) return WriteResult::Ok;
    if (WriteResult r = rotateIfDue(); r != WriteResult::Ok) return r;
    ng_.appendRawBlock(block);
    size_ += block.size();
    return WriteResult::Ok;
  }

  WriteResult flush() {
    const auto bytes = config_.format == OutputFormat::Pcap ? pcap_.bytes() : ng_.bytes();
    if (fd_ < 0) {
      // A file that could not be created (said once): what was meant for
      // it goes nowhere rather than pile up.
      pcap_.clear();
      ng_.clear();
      return WriteResult::Ok;
    }
    if (bytes.empty()) return WriteResult::Ok;
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
  WriteResult rotateIfDue() {
    if (!config_.rotation.enabled()) return WriteResult::Ok;
    const RotationAction action = plan_.beforeWrite(size_, wallNowSec());
    if (action == RotationAction::Stop) return WriteResult::Stop;
    if (action == RotationAction::Rotate) {
      if (WriteResult r = close(); r != WriteResult::Ok) return r;
      if (WriteResult r = openFile(plan_.currentName()); r != WriteResult::Ok) return r;
    }
    return WriteResult::Ok;
  }

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
    podInterfaces_.clear();
    inputInterfaces_.clear();
    otherIds_.clear();
    streamsSeen_.clear();
    if (config_.format == OutputFormat::Pcap) {
      pcap_.appendGlobalHeader(header_);
    } else {
      ng_.appendSectionHeader({"ddump 0.1.0", owner_.sectionComment(), ""});
      ng_.allowMixedLinkTypes();  // only pcapng inputs or mixed targets make use of it
      // Names ddump learnt (a k8s: target's pods), for every file.
      if (!owner_.nameBlock_.empty()) ng_.appendRawBlock(owner_.nameBlock_);
    }
    size_ = pendingSize();
    return flush();  // a new file is a valid (empty) capture at once
  }

  // The IDB of (stream, interface), written the first time it is needed.
  // Keys: the SLL2 interface index, kNoIndex for a record without one, and
  // kOtherIndex for the indexes past the stream's cap (interface_cap.h).
  uint32_t interfaceFor(const RecordSource& source, std::span<const uint8_t> data) {
    static constexpr int64_t kNoIndex = int64_t{1} << 32;
    static constexpr int64_t kOtherIndex = kNoIndex + 1;
    const uint32_t stream = source.stream;
    if (source.interface != kNoInputInterface) return inputInterfaceFor(source);
    if (const std::string* pod = owner_.podOf(stream, source.linkType, data)) {
      return podInterfaceFor(source, *pod);
    }
    const auto ifindex = sll2InterfaceIndex(source.linkType, data);
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
    idb.linkType = source.linkType;
    idb.snaplen = header_.snaplen;
    idb.precision = owner_.streamPrecision(stream).value_or(header_.precision);
    interfaces_[key] = {appendInterface(idb), stream, !streamSeen(stream)};
    markSeen(stream);
    return interfaces_[key].id;
  }

  // A k8s: target's pod: an interface of its own, NODE/POD.
  uint32_t podInterfaceFor(const RecordSource& source, const std::string& pod) {
    const auto key = std::make_pair(source.stream, pod);
    if (const auto it = podInterfaces_.find(key); it != podInterfaces_.end()) return it->second.id;
    PcapngInterface idb;
    const StreamLabel& label = owner_.label(source.stream);
    idb.name = label.name + "/" + pod;
    idb.description = label.description;
    idb.linkType = source.linkType;
    idb.snaplen = header_.snaplen;
    idb.precision = owner_.streamPrecision(source.stream).value_or(header_.precision);
    const InterfaceInfo info{appendInterface(idb), source.stream, !streamSeen(source.stream)};
    markSeen(source.stream);
    podInterfaces_[key] = info;
    return info.id;
  }

  // A pcapng input's interface keeps its name, description, comments, link
  // type and snaplen (a name it lacks becomes LABEL:KEY). Interfaces past
  // the stream's cap share one LABEL:other per link type.
  uint32_t inputInterfaceFor(const RecordSource& source) {
    const InputKey key{source.stream, source.interface, source.linkType};
    if (const auto it = inputInterfaces_.find(key); it != inputInterfaces_.end())
      return it->second.id;
    const StreamLabel& label = owner_.label(source.stream);
    const auto input = owner_.inputInterface(source.stream, source.interface);
    const InputKey bucket =
        input ? key : InputKey{source.stream, kNoInputInterface, source.linkType};
    if (const auto it = inputInterfaces_.find(bucket); it != inputInterfaces_.end()) {
      inputInterfaces_[key] = it->second;
      return it->second.id;
    }
    PcapngInterface idb;
    if (input) {
      idb = input->interface;
      if (idb.name.empty()) idb.name = label.name + ":" + std::to_string(source.interface);
      if (idb.description.empty()) idb.description = label.description;
    } else {
      idb.name = label.name + ":other";
      idb.description = label.description;
      idb.linkType = source.linkType;
      idb.precision = Precision::Nano;
    }
    const InputInfo info{appendInterface(idb)};
    if (!input) {
      otherIds_.resize(info.id + 1, false);
      otherIds_[info.id] = true;
    }
    markSeen(source.stream);
    inputInterfaces_[bucket] = info;
    inputInterfaces_[key] = info;
    return info.id;
  }

  // Mixed link types are allowed (openFile), so this cannot fail.
  uint32_t appendInterface(const PcapngInterface& idb) { return ng_.appendInterface(idb).value(); }
  bool streamSeen(uint32_t stream) const {
    return stream < streamsSeen_.size() && streamsSeen_[stream];
  }
  void markSeen(uint32_t stream) {
    if (streamsSeen_.size() <= stream) streamsSeen_.resize(stream + 1, false);
    streamsSeen_[stream] = true;
  }

  void appendStatistics(const std::vector<std::optional<uint64_t>>* drops) {
    if (fd_ < 0) return;
    std::set<uint32_t> done;
    for (const auto& [key, info] : inputInterfaces_) {
      // The input's own latest counters (4.6), once per interface written.
      if (std::get<1>(key) == kNoInputInterface || done.contains(info.id)) continue;
      const auto input = owner_.inputInterface(std::get<0>(key), std::get<1>(key));
      if (!input || !input->statistics) continue;
      done.insert(info.id);
      ng_.appendStatistics(info.id, *input->statistics);
    }
    for (const auto& [key, info] : interfaces_) appendOwnStatistics(info, drops);
    for (const auto& [key, info] : podInterfaces_) appendOwnStatistics(info, drops);
  }

  struct InterfaceInfo {
    uint32_t id;
    uint32_t stream;
    bool first;
  };

  void appendOwnStatistics(const InterfaceInfo& info,
                           const std::vector<std::optional<uint64_t>>* drops) {
    PcapngStatistics st;
    st.timestampNs = static_cast<uint64_t>(wallNowNs());
    // Kernel drops are per capture: on the stream's first interface only,
    // so that summing the file's statistics counts them once.
    if (drops && info.first && info.stream < drops->size()) st.dropped = (*drops)[info.stream];
    ng_.appendStatistics(info.id, st);
  }

  void runPostRotate() {
    // tcpdump's compress_savefile(): execlp(CMD, CMD, FILE) in a child.
    std::vector<char*> argv{const_cast<char*>(config_.postRotate.c_str()),
                            const_cast<char*>(name_.c_str()), nullptr};
    pid_t pid = 0;
    owner_.reapChildren(false);  // a long -G run must not pile up zombies
    if (posix_spawnp(&pid, config_.postRotate.c_str(), nullptr, nullptr, argv.data(), environ) ==
        0) {
      owner_.children_.push_back(pid);
    } else {
      log::error("-z: cannot run " + config_.postRotate);
    }
  }

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
  std::map<std::pair<uint32_t, std::string>, InterfaceInfo> podInterfaces_;  // (stream, pod)
  using InputKey = std::tuple<uint32_t, uint32_t, uint32_t>;  // stream, input key, link type
  struct InputInfo {
    uint32_t id;
  };
  std::map<InputKey, InputInfo> inputInterfaces_;
  std::vector<bool> otherIds_;  // by IDB id: a LABEL:other of input interfaces
  std::vector<std::string> commentScratch_;
  std::vector<bool> streamsSeen_;  // streams with an interface in this file
};

Output::Output(OutputConfig config, std::vector<StreamLabel> labels)
    : config_(std::move(config)),
      labels_(std::move(labels)),
      passThrough_(config_.format == OutputFormat::Pcap && !config_.perTarget &&
                   !config_.rotation.enabled() && config_.postRotate.empty()),
      summary_(isCaptureFormat(config_.format) ? nullptr
                                               : std::make_unique<SummaryOutput>(*this, [this] {
                                                   SummaryConfig c = config_.summary;
                                                   c.kind = config_.format == OutputFormat::Text ? SummaryKind::Text
                                                            : config_.format == OutputFormat::Ndjson
                                                                ? SummaryKind::Ndjson
                                                                : SummaryKind::Flows;
                                                   return c;
                                                 }())),
      interfaces_(labels_.size()),
      inputs_(labels_.size()),
      precisions_(labels_.size()),
      interfaceCaps_(labels_.size()),
      inputOtherPackets_(labels_.size(), 0) {}

Output::~Output() = default;

void Output::setNameRecords(const std::vector<NameRecord>& pods,
                            const std::vector<NameRecord>& services) {
  names_.clear();
  newNames(pods);
  newNames(services);
  nameBlock_ = names_.empty() ? std::vector<uint8_t>{} : encodeNameResolutionBlock(names_);
  if (summary_) summary_->setNameRecords(pods);
}

std::vector<NameRecord> Output::newNames(const std::vector<NameRecord>& names) {
  std::vector<NameRecord> added;
  for (const NameRecord& n : names) {
    const bool known = std::any_of(names_.begin(), names_.end(), [&](const NameRecord& k) {
      return k.address == n.address && k.name == n.name;
    });
    if (known) continue;
    names_.push_back(n);
    added.push_back(n);
  }
  return added;
}

namespace {

// An address as a packet carries it: 4 bytes (IPv4) or 16 (IPv6); empty if
// the text is neither.
std::string addressBytes(const std::string& text) {
  uint8_t address[16];
  if (inet_pton(AF_INET, text.c_str(), address) == 1) {
    return std::string(reinterpret_cast<const char*>(address), 4);
  }
  if (inet_pton(AF_INET6, text.c_str(), address) == 1) {
    return std::string(reinterpret_cast<const char*>(address), 16);
  }
  return "";
}

}  // namespace

void Output::setStreamNames(size_t stream, const std::vector<NameRecord>& names) {
  if (names.empty()) return;
  if (streamPods_.size() <= stream) streamPods_.resize(stream + 1);
  for (const NameRecord& n : names) {
    if (std::string bytes = addressBytes(n.address); !bytes.empty()) {
      streamPods_[stream][std::move(bytes)] = n.name;
    }
  }
}

const std::string* Output::podOf(size_t stream, uint32_t linkType,
                                 std::span<const uint8_t> data) const {
  if (stream >= streamPods_.size() || streamPods_[stream].empty()) return nullptr;
  const PacketFields fields = dissectPacket(linkType, data);
  if (fields.ipVersion != 4 && fields.ipVersion != 6) return nullptr;
  const size_t bytes = fields.ipVersion == 4 ? 4 : 16;
  const auto& pods = streamPods_[stream];
  for (const auto* address : {&fields.ipSrc, &fields.ipDst}) {
    const auto found = pods.find(std::string(reinterpret_cast<const char*>(address->data()), bytes));
    if (found != pods.end()) return &found->second;
  }
  return nullptr;
}

WriteResult Output::addStream(StreamLabel label, const std::vector<NameRecord>& names,
                              const std::vector<NameRecord>& serviceNames) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    labels_.push_back(std::move(label));
    interfaces_.emplace_back();
    inputs_.emplace_back();
    precisions_.emplace_back();
  }
  interfaceCaps_.emplace_back();
  inputOtherPackets_.push_back(0);
  setStreamNames(labels_.size() - 1, names);
  // Its file first: files_ must hold one per stream whatever happens next.
  WriteResult result = WriteResult::Ok;
  if (config_.perTarget && header_) {
    files_.push_back(std::make_unique<CaptureFile>(
        *this, config_.path + perTargetFileNames(labels_.size()).back(), *header_));
    result = files_.back()->open();
  }
  const std::vector<NameRecord> pods = newNames(names);
  std::vector<NameRecord> added = pods;
  for (NameRecord& n : newNames(serviceNames)) added.push_back(std::move(n));
  if (!added.empty()) {
    nameBlock_ = encodeNameResolutionBlock(names_);
    if (summary_) summary_->setNameRecords(pods);
    // draft-ietf-opsawg-pcapng §4.5: an NRB may come anywhere in its section;
    // a reader applies it to the packets after it.
    const std::vector<uint8_t> block = encodeNameResolutionBlock(added);
    for (auto& f : files_) {
      if (WriteResult r = f->addBlock(block); r != WriteResult::Ok) result = r;
    }
  }
  return result;
}

void Output::setInterfaces(size_t stream, std::map<uint32_t, std::string> names) {
  std::lock_guard<std::mutex> lock(mutex_);
  interfaces_[stream] = std::move(names);
}

void Output::setStreamPrecision(size_t stream, Precision precision) {
  std::lock_guard<std::mutex> lock(mutex_);
  precisions_[stream] = precision;
}

void Output::addInputInterfaces(size_t stream, std::vector<InputInterface> interfaces) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& known = inputs_[stream];
  for (auto& input : interfaces) {
    // Past the cap the records share the stream's "other" interface.
    if (known.size() >= kMaxInterfacesPerStream) break;
    known[input.key].interface = std::move(input.interface);
  }
}

void Output::setInputStatistics(size_t stream, std::vector<InputStatistics> statistics) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& known = inputs_[stream];
  for (auto& stats : statistics) {
    // Counters run from the start of the capture: the latest ISB counts.
    if (const auto it = known.find(stats.key); it != known.end())
      it->second.statistics = stats.statistics;
  }
}

std::optional<Output::InputIdb> Output::inputInterface(size_t stream, uint32_t key) const {
  std::lock_guard<std::mutex> lock(mutex_);
  const auto it = inputs_[stream].find(key);
  if (it == inputs_[stream].end()) return std::nullopt;
  return it->second;
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
  std::string text = interfaceCapSummary(interfaceCaps_[stream], labels_[stream].name + ":other");
  if (inputOtherPackets_[stream] > 0) {
    if (!text.empty()) text += "; ";
    text += "more than " + std::to_string(kMaxInterfacesPerStream) +
            " interfaces in the input: " + std::to_string(inputOtherPackets_[stream]) +
            " packets of the further ones went to interface " + labels_[stream].name + ":other";
  }
  return text;
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
  for (const auto& name : perTargetFileNames(labels_.size())) {
    files_.push_back(std::make_unique<CaptureFile>(*this, config_.path + name, *header_));
    if (WriteResult r = files_.back()->open(); r != WriteResult::Ok) return r;
  }
  return WriteResult::Ok;
}

// -w DIR/: the first `streams` streams' files, named after their hosts (made
// unique in stream order, so a stream that joins later never renames an
// earlier one's file).
std::vector<std::string> Output::perTargetFileNames(size_t streams) const {
  std::vector<std::string> hosts;
  for (size_t i = 0; i < streams; ++i) hosts.push_back(labels_[i].name);
  return ddump::perTargetFileNames(hosts, std::vector<uint16_t>(hosts.size(), 0),
                                   config_.format == OutputFormat::Pcapng ? ".pcapng" : ".pcap");
}

CaptureFile& Output::fileFor(uint32_t stream) {
  return config_.perTarget ? *files_[stream] : *files_.front();
}

// -T text, ndjson, flows: every record through the SummaryOutput, then its
// lines in one write.
WriteResult Output::writeSummaries(std::span<const uint8_t> pcap, const RecordLog& log) {
  size_t at = 0;
  if (!header_) {
    if (pcap.size() < kGlobalHeaderSize) return WriteResult::Ok;
    auto header = decodeGlobalHeader(pcap.first<kGlobalHeaderSize>());
    if (!header) return WriteResult::Failed;  // the Merger's own header: cannot happen
    header_ = *header;
    at = kGlobalHeaderSize;
  }
  const ByteOrder order = header_->byteOrder;
  for (size_t i = 0; i < log.records.size() && at + kRecordHeaderSize <= pcap.size(); ++i) {
    const RecordHeader rec = decodeRecordHeader(
        std::span<const uint8_t, kRecordHeaderSize>(pcap.data() + at, kRecordHeaderSize), order);
    const auto data = pcap.subspan(at + kRecordHeaderSize, rec.caplen);
    at += kRecordHeaderSize + rec.caplen;
    summary_->add(log.records[i], timestampNs(rec, header_->precision), rec, data);
  }
  return flushSummaries();
}

WriteResult Output::flushSummaries() {
  std::string& lines = summary_->pending();
  if (lines.empty()) return WriteResult::Ok;
  const WriteResult result = passThrough({reinterpret_cast<const uint8_t*>(lines.data()), lines.size()});
  lines.clear();
  return result;
}

WriteResult Output::write(std::span<const uint8_t> pcap, const RecordLog& log) {
  if (passThrough_) return passThrough(pcap);
  if (summary_) return writeSummaries(pcap, log);
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
  auto note = log.notes.begin();
  for (size_t i = 0; i < log.records.size() && at + kRecordHeaderSize <= pcap.size(); ++i) {
    const RecordSource& source = log.records[i];
    // Blocks before this record, then the record with its comments.
    comments_.clear();
    for (; note != log.notes.end() && note->record <= i; ++note) {
      if (note->kind == BatchNote::Kind::Comment) {
        if (note->record == i) comments_.push_back(note->bytes);
      } else if (WriteResult r = fileFor(note->stream).addBlock(asBytes(note->bytes));
                 r != WriteResult::Ok) {
        return r;
      }
    }
    const RecordHeader rec = decodeRecordHeader(
        std::span<const uint8_t, kRecordHeaderSize>(pcap.data() + at, kRecordHeaderSize), order);
    const auto data = pcap.subspan(at + kRecordHeaderSize, rec.caplen);
    at += kRecordHeaderSize + rec.caplen;
    if (WriteResult r = fileFor(source.stream).add(source, rec, data, comments_);
        r != WriteResult::Ok)
      return r;
  }
  for (; note != log.notes.end(); ++note) {  // after the last record
    if (note->kind != BatchNote::Kind::Block) continue;
    if (WriteResult r = fileFor(note->stream).addBlock(asBytes(note->bytes)); r != WriteResult::Ok)
      return r;
  }
  for (auto& f : files_) {
    if (WriteResult r = f->flush(); r != WriteResult::Ok) return r;
  }
  return WriteResult::Ok;
}

void Output::finish(const std::vector<std::optional<uint64_t>>& kernelDrops) {
  if (summary_) {
    summary_->finish();
    (void)flushSummaries();
    direct_.reset();
    return;
  }
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
