#pragma once
// Where the merged capture goes: stdout or `-w FILE` as pcap or
// pcapng (`-F`), rotated as tcpdump does (-C/-G/-W, `-z CMD` on each closed
// file), or `-w DIR/`: one unmerged file per target.
//
// The writer thread hands over what the Merger produced: pcap bytes (the
// global header once, then records in host byte order) and where each record
// came from (RecordLog: stream, input interface, link type, flags, and the
// comments and blocks of pcapng inputs). Plain pcap to one unrotated
// destination is passed through untouched; everything else is re-framed
// record by record. In pcapng output every interface of a pcapng input
// becomes an interface of its own (named as the input named it), and a
// stream without one gets an interface per SLL2 interface index, or one.

#include <sys/types.h>
#include <sys/uio.h>
#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "capture_decoder.h"
#include "interface_cap.h"
#include "merger.h"
#include "pcap_format.h"
#include "pcapng_names.h"
#include "record_buffer.h"
#include "rotation.h"
#include "summary_output.h"
#include "unique_fd.h"

namespace ddump {

// pcap and pcapng are captures (-F); text, ndjson and flows are lines for
// people and programs (-T, client/summary_output.h).
enum class OutputFormat { Pcap, Pcapng, Text, Ndjson, Flows };

inline bool isCaptureFormat(OutputFormat format) {
  return format == OutputFormat::Pcap || format == OutputFormat::Pcapng;
}

struct OutputConfig {
  OutputFormat format = OutputFormat::Pcap;
  SummaryConfig summary;  // text, ndjson, flows
  std::string path = "-";  // -w; "-" is stdout
  bool perTarget = false;  // -w DIR/
  RotationOptions rotation;
  std::string postRotate;  // -z CMD
};

struct StreamLabel {
  std::string name;         // HOST (HOST_PORT when shared), or a file's name
  std::string description;  // the target URL without credentials, or the file path
};

enum class WriteResult { Ok, Closed, Failed, Stop };

// One packet to annotate in pcapng output (opt_comment): the one a stream
// sent with these bytes at about this time (--trigger's match).
struct PacketComment {
  size_t stream = 0;
  uint64_t tsNs = 0;
  std::vector<uint8_t> data;
  std::string text;
};

class CaptureFile;

class Output {
 public:
  Output(OutputConfig config, std::vector<StreamLabel> labels);
  ~Output();
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  // Reader threads: facts about a stream, before its records arrive.
  void setInterfaces(size_t stream, std::map<uint32_t, std::string> names);
  void setStreamPrecision(size_t stream, Precision precision);
  // Reader threads, pcapng output: a pcapng input's interfaces (before the
  // records that name them) and its latest statistics per interface.
  void addInputInterfaces(size_t stream, std::vector<InputInterface> interfaces);
  void setInputStatistics(size_t stream, std::vector<InputStatistics> statistics);
  bool keepsOrigins() const { return config_.format != OutputFormat::Pcap; }
  // Before the run: the packet to annotate (pcapng), once.
  void setPacketComment(PacketComment comment) { comment_ = std::move(comment); }
  // pcapng: an NRB naming these addresses (pods', then Services'), after
  // each section header. Before the first write. Text, ndjson and flows
  // show the pods' packets under the pod's name.
  void setNameRecords(const std::vector<NameRecord>& pods, const std::vector<NameRecord>& services);
  // The writer thread, while the run goes on: a stream joins (a fleet
  // target that appeared) with the names of its addresses. -w DIR/ opens
  // its file now when the others are open already; pcapng files get an NRB
  // of the new names before their next record.
  WriteResult addStream(StreamLabel label, const std::vector<NameRecord>& names,
                        const std::vector<NameRecord>& serviceNames);
  // A k8s: target's stream: the pods its addresses belong to. In pcapng
  // output each pod gets an interface of its own, LABEL/POD (its node's
  // label). Before the run, or on the writer thread.
  void setStreamNames(size_t stream, const std::vector<NameRecord>& names);
  // The pod a record is attributed to (its source address's, else its
  // destination's), or null.
  const std::string* podOf(size_t stream, uint32_t linkType, std::span<const uint8_t> data) const;
  // The comment for this record, the first time it is written; else empty.
  std::string commentFor(size_t stream, uint64_t tsNs, std::span<const uint8_t> data);

  // The writer thread. False from wantsStreams(): the stream list may be empty.
  bool wantsStreams() const { return !passThrough_; }
  WriteResult write(std::span<const uint8_t> pcap, const RecordLog& log);
  // Pass-through only: the merged bytes as pieces (own bytes and records
  // referenced where they lie, RecordBuffer::forEachPiece), in one writev
  // per IOV_MAX pieces instead of a copy of every big record.
  WriteResult writeGathered(const RecordBuffer& merged);
  // At the end: interface statistics (pcapng), files closed, -z run and waited for.
  void finish(const std::vector<std::optional<uint64_t>>& kernelDrops);

  uint64_t bytesWritten() const { return bytesWritten_; }

  // Facts the files need, under the lock.
  std::string interfaceName(size_t stream, uint32_t ifindex) const;
  // A pcapng input's interface (keys are never reused within a stream), or
  // none past the stream's kMaxInterfacesPerStream.
  struct InputIdb {
    PcapngInterface interface;
    std::optional<PcapngStatistics> statistics;  // the latest ISB's
  };
  std::optional<InputIdb> inputInterface(size_t stream, uint32_t key) const;
  std::optional<Precision> streamPrecision(size_t stream) const;
  const StreamLabel& label(size_t stream) const { return labels_[stream]; }
  std::string sectionComment() const;

  // -T flows: flows handed out early because --max-flows were tracked.
  uint64_t flowsEvicted() const { return summary_ ? summary_->flowsEvicted() : 0; }

  // pcapng: what went to a stream's "other" interface (interface_cap.h), for
  // the summary; empty when nothing did. The writer thread only, or after it.
  std::string interfaceOverflow(size_t stream) const;

 private:
  WriteResult passThrough(std::span<const uint8_t> bytes);
  WriteResult writeSummaries(std::span<const uint8_t> pcap, const RecordLog& log);
  WriteResult flushSummaries();
  int passThroughFd();
  WriteResult passThroughFailed() const;
  std::vector<iovec> pieces_;  // writeGathered's, kept for reuse
  WriteResult openAll();
  std::vector<std::string> perTargetFileNames(size_t streams) const;
  CaptureFile& fileFor(uint32_t stream);

  OutputConfig config_;
  std::vector<StreamLabel> labels_;
  bool passThrough_;  // plain pcap to stdout or one file: merged bytes as they are
  UniqueFd direct_;   // pass-through's -w FILE
  std::optional<GlobalHeader> header_;
  std::vector<std::unique_ptr<CaptureFile>> files_;  // one, or one per stream
  std::unique_ptr<SummaryOutput> summary_;           // -T text, ndjson, flows
  std::atomic<uint64_t> bytesWritten_{0};
  mutable std::mutex mutex_;
  std::vector<std::map<uint32_t, std::string>> interfaces_;
  std::vector<std::map<uint32_t, InputIdb>> inputs_;  // pcapng inputs' interfaces by key
  std::vector<std::optional<Precision>> precisions_;
  std::optional<PacketComment> comment_;  // the writer thread's
  std::vector<NameRecord> names_;         // every name given, in order
  // By stream: address (4 or 16 bytes) to pod name; the writer thread's.
  std::vector<std::unordered_map<std::string, std::string>> streamPods_;
  std::vector<uint8_t> nameBlock_;        // their NRB (after each SHB), or empty
  // Appends the names not given yet to names_, and returns them.
  std::vector<NameRecord> newNames(const std::vector<NameRecord>& names);
  std::vector<std::string> comments_;     // write()'s, kept for reuse
  // The writer thread's: which interface indexes of each stream have
  // interfaces of their own, in every file (rotated or per target) alike.
  std::vector<InterfaceCap> interfaceCaps_;
  std::vector<uint64_t> inputOtherPackets_;  // past the cap of a pcapng input's interfaces
  // Reaps finished -z commands; with `wait`, waits for all of them.
  void reapChildren(bool wait);
  std::vector<pid_t> children_;  // -z commands
  friend class CaptureFile;
};

}  // namespace ddump
