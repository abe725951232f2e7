#pragma once
// Any capture a user may hand ddump: pcap (pcap-savefile(5), every magic
// StreamDecoder reads) or pcapng (draft-ietf-opsawg-pcapng), told apart by
// the first four bytes, whatever a server's Content-Type or a file's name
// says. Both come out as the same DecoderSink events, so everything after
// the decoder (batches, merge, outputs) stays one path.
//
// pcapng becomes one pcap-like stream: the global header comes from the
// first interface (its link type and snaplen; nanosecond precision when its
// if_tsresol is finer than microseconds), every packet's timestamp is
// converted with its own interface's if_tsresol and if_tsoffset, and a
// packet block without a timestamp (SPB) takes its predecessor's. A pcap
// output holds one link type: an interface of another link type is refused
// with one line. ISB drop counts are summed for the summary.
//
// For pcapng output (keepOrigins) more is kept, as mergecap keeps it: every
// interface (numbered per stream across sections, its name, description,
// comments, link type: several link types are then accepted), every
// packet's interface, epb_flags and comments, NRBs and DSBs in their place
// between packets (re-encoded in host byte order) and ISB counters.

#include <algorithm>
#include <array>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <utility>
#include <vector>

#include "packet_batch.h"
#include "pcapng_reader.h"
#include "result.h"
#include "stream_decoder.h"

namespace ddump {

// An input interface as pcapng output keeps it; `key` numbers a stream's
// interfaces across its sections (RecordOrigin::interface).
struct InputInterface {
  uint32_t key = 0;
  PcapngInterface interface;
};
struct InputStatistics {
  uint32_t key = 0;
  PcapngStatistics statistics;
};

// What an input's interface texts may take: far above real names, and a
// bound on what a hostile file's IDBs make the output keep.
inline constexpr size_t kMaxInterfaceText = 1024;
inline constexpr size_t kMaxInterfaceComments = 16;

// The pcapng events as DecoderSink events (see above). A packet's data is
// handed on where it lies, in the input or the reader's buffer: the 16 bytes
// before it are its block's fields, not a pcap record header, so unlike
// StreamDecoder's records none may be kept in place (see recordsInPlace).
class PcapngToPcap final : public PcapngSink {
 public:
  void bind(DecoderSink& sink) {
    sink_ = &sink;
    collector_ = nullptr;
  }
  // A BatchCollector is called directly (it is final and its onPacket
  // inline), not through DecoderSink's virtual call, once per packet.
  void bind(BatchCollector& collector) {
    sink_ = &collector;
    collector_ = &collector;
  }
  void onSection(const PcapngSectionInfo& section) override;
  void onInterface(const PcapngInterfaceInfo& interface) override;
  void onPacket(const PcapngPacketView& packet) override;
  void onStatistics(const PcapngStatisticsView& stats) override;
  void onRawBlock(uint32_t type, std::span<const uint8_t> block) override;
  void onSkippedBlock(uint32_t, uint32_t) override {}

  // Keeps what pcapng output needs (see above); before the first byte.
  void keepOrigins() { keep_ = true; }
  // Interfaces read so far; a decoder that replaces this one (a reconnect)
  // numbers its own from there, so a stream never reuses a key.
  uint32_t interfacesSeen() const { return sectionBase_ + sectionInterfaces_; }
  void startKeysAt(uint32_t first) { sectionBase_ = first; }
  // Interfaces and statistics read since the last call.
  std::vector<InputInterface> takeInterfaces() { return std::exchange(newInterfaces_, {}); }
  std::vector<InputStatistics> takeStatistics() { return std::exchange(newStatistics_, {}); }
  // NRBs and DSBs that could not be kept (malformed inside).
  uint64_t blocksDropped() const { return blocksDropped_; }

  const std::optional<GlobalHeader>& header() const { return header_; }
  // The first refusal (another link type), if any: the stream stops there.
  const std::optional<Error>& error() const { return error_; }
  uint64_t drops() const;

 private:
  DecoderSink* sink_ = nullptr;
  BatchCollector* collector_ = nullptr;  // sink_, when it is one
  std::optional<GlobalHeader> header_;
  uint32_t sections_ = 0;
  uint64_t lastTsNs_ = 0;
  std::map<std::pair<uint32_t, uint32_t>, uint64_t> drops_;  // (section, interface) -> isb_ifdrop
  std::optional<Error> error_;

  bool keep_ = false;
  ByteOrder sectionOrder_ = ByteOrder::Little;
  uint32_t sectionBase_ = 0;        // key of the current section's interface 0
  uint32_t sectionInterfaces_ = 0;  // interfaces in the current section
  std::vector<InputInterface> newInterfaces_;
  std::vector<InputStatistics> newStatistics_;
  uint64_t blocksDropped_ = 0;
};

class CaptureDecoder {
 public:
  explicit CaptureDecoder(PcapInput input = PcapInput::Stream, uint32_t maxCaplen = kMaxSnaplen)
      : pcap_(input, maxCaplen), maxCaplen_(maxCaplen) {}

  template <class Sink>
  Status feed(std::span<const uint8_t> bytes, Sink& sink);
  Status finish();

  bool isPcapng() const { return format_ == Format::Pcapng; }
  // Whether the records decoded from `next`, the bytes about to be fed, may
  // be kept in place as StreamDecoder's PacketView allows: true for pcap,
  // false for pcapng. Before the format is known, the magic these bytes
  // complete decides (short of one, nothing is decoded from them).
  bool recordsInPlace(std::span<const uint8_t> next) const;
  // The header announced (a savefile's snaplen as StreamDecoder corrects it).
  GlobalHeader globalHeader() const {
    return isPcapng() ? adapter_.header().value_or(GlobalHeader{}) : pcap_.globalHeader();
  }
  uint64_t packets() const { return isPcapng() ? pcapng_->packets() : pcap_.packets(); }
  // Packets the capturing interfaces dropped, from pcapng ISBs (isb_ifdrop).
  uint64_t interfaceDrops() const { return isPcapng() ? adapter_.drops() : 0; }
  // pcapng output: keep interfaces, origins, comments and blocks (see above).
  void keepOrigins() { adapter_.keepOrigins(); }
  uint32_t interfacesSeen() const { return adapter_.interfacesSeen(); }
  void startKeysAt(uint32_t first) { adapter_.startKeysAt(first); }
  std::vector<InputInterface> takeInterfaces() { return adapter_.takeInterfaces(); }
  std::vector<InputStatistics> takeStatistics() { return adapter_.takeStatistics(); }

 private:
  enum class Format { Unknown, Pcap, Pcapng };
  Status feedPcapng(std::span<const uint8_t> bytes, DecoderSink& sink);
  Status feedPcapng(std::span<const uint8_t> bytes, BatchCollector& sink);
  Status feedBoundPcapng(std::span<const uint8_t> bytes);  // to the sink adapter_ is bound to

  Format format_ = Format::Unknown;
  std::array<uint8_t, 4> magic_{};
  size_t magicFill_ = 0;
  StreamDecoder pcap_;
  uint32_t maxCaplen_;
  std::unique_ptr<PcapngReader> pcapng_;
  PcapngToPcap adapter_;
};

template <class Sink>
Status CaptureDecoder::feed(std::span<const uint8_t> bytes, Sink& sink) {
  if (format_ == Format::Pcap) return pcap_.feed(bytes, sink);
  if (format_ == Format::Pcapng) return feedPcapng(bytes, sink);
  // The first four bytes decide; they may arrive one at a time.
  const size_t take = std::min(magic_.size() - magicFill_, bytes.size());
  std::copy_n(bytes.begin(), take, magic_.begin() + static_cast<ptrdiff_t>(magicFill_));
  magicFill_ += take;
  if (magicFill_ < magic_.size()) return Status::success();
  const std::span<const uint8_t> magic(magic_);
  const std::span<const uint8_t> rest = bytes.subspan(take);
  if (PcapngReader::isPcapngMagic(magic)) {
    format_ = Format::Pcapng;
    pcapng_ = std::make_unique<PcapngReader>(maxCaplen_);
    if (Status s = feedPcapng(magic, sink); !s) return s;
    return feedPcapng(rest, sink);
  }
  format_ = Format::Pcap;
  // Copied out first: the magic's bytes are not input a sink may keep.
  if (Status s = pcap_.feed(magic, sink); !s) return s;
  return pcap_.feed(rest, sink);
}

}  // namespace ddump
