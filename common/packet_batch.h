#pragma once
// A run of decoded records from one stream, stored contiguously so that a
// reader thread can decode a whole network chunk outside any lock and hand it
// to the merger with one move (no per-packet allocation, no per-packet lock).
// Records are kept encoded as pcap records in host byte order with the
// stream's precision (timestamps already on our clock), so when the output
// has the same precision the merger copies a record whole.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pcap_format.h"
#include "record_buffer.h"
#include "stream_decoder.h"

namespace ddump {

// 16 bytes: the merge reads one per record, so every byte counts. The
// original length is in the encoded record's header (recordLen) for the
// rare writer that needs it.
struct BatchEntry {
  uint64_t tsNs;    // timestamp normalised to nanoseconds since the epoch
  uint32_t offset;  // of the encoded record (header first): in the batch's buffer,
                    // or with kViewBit set, from the batch's view base
  uint32_t caplen;
};
static_assert(sizeof(BatchEntry) == 16);

inline constexpr uint32_t kViewBit = 1u << 31;

// Where a record from a pcapng input came from, for pcapng output to keep
// (draft-ietf-opsawg-pcapng 4.2, 4.3): the input interface, numbered per
// stream across its sections and connections, its link type and the
// packet's epb_flags.
inline constexpr uint32_t kNoInputInterface = 0xFFFFFFFF;
struct RecordOrigin {
  uint32_t interface = kNoInputInterface;
  uint32_t flags = 0;
  uint32_t linkType = 0;
};

// Something a pcapng input carries besides packets, kept in its place
// between them: a packet's opt_comment, or an NRB/DSB (already in host
// byte order) to write before the record `entry` (== size(): after the last).
struct BatchNote {
  enum class Kind : uint8_t { Comment, Block };
  uint32_t entry = 0;
  Kind kind = Kind::Comment;
  std::string bytes;
};

class PacketBatch {
 public:
  // Only caplen/len are taken from `header`: its timestamp is written from
  // tsNs in this batch's precision, so the two can never disagree.
  void add(uint64_t tsNs, const RecordHeader& header, std::span<const uint8_t> data);
  // A record as decoded, its timestamp in this batch's precision: stored as
  // is (the per-packet path of a stream with no clock offset).
  void addDecoded(RecordHeader header, std::span<const uint8_t> data) {
    header.caplen = static_cast<uint32_t>(data.size());
    append(timestampNs(header, precision), header, data);
  }
  // A record left where it is (no copy): `record` is its 16-byte header, in
  // host byte order with this batch's precision, followed by its data, all
  // inside memory that starts at `base` and outlives the batch. Every view
  // record of a batch shares one base. Returns false (nothing added) when the
  // record cannot be a view of `base`; the caller then copies it.
  bool addView(const uint8_t* base, const uint8_t* record, const RecordHeader& header) {
    if (view_ != nullptr && view_ != base) return false;
    const auto distance = static_cast<size_t>(record - base);
    if (record < base || distance >= kViewBit) return false;
    view_ = base;
    const uint64_t tsNs = timestampNs(header, precision);
    entries_.push_back(BatchEntry{tsNs, static_cast<uint32_t>(distance) | kViewBit, header.caplen});
    if (tsNs > maxTsNs_) maxTsNs_ = tsNs;
    return true;
  }
  // Empties the batch but keeps its memory, so batches can be recycled.
  void clear();

  size_t size() const { return entries_.size(); }
  bool empty() const { return entries_.empty(); }
  // Bytes held, entries and pcapng extras included: what the merger counts
  // against its budget (so a stream of comments or NRBs is bounded too).
  size_t memoryBytes() const {
    return records_.size() + entries_.size() * sizeof(BatchEntry) +
           origins_.size() * sizeof(RecordOrigin) + notesBytes_;
  }

  // pcapng input only: the last record's origin, and notes (see above).
  void setLastOrigin(RecordOrigin origin);
  void addComment(std::string text);  // the last record's
  void addBlock(std::string block);   // before the next record
  bool hasOrigins() const { return !origins_.empty(); }
  RecordOrigin origin(size_t i) const { return i < origins_.size() ? origins_[i] : RecordOrigin{}; }
  const std::vector<BatchNote>& notes() const { return notes_; }
  const BatchEntry& entry(size_t i) const { return entries_[i]; }
  uint64_t maxTsNs() const { return maxTsNs_; }
  std::span<const uint8_t> data(size_t i) const { return record(i).subspan(kRecordHeaderSize); }
  // The whole encoded record: 16-byte header (host order) + data.
  std::span<const uint8_t> record(size_t i) const { return record(entries_[i]); }
  std::span<const uint8_t> record(const BatchEntry& e) const {
    const uint8_t* at = (e.offset & kViewBit) != 0 ? view_ + (e.offset & ~kViewBit)
                                                   : records_.bytes().data() + e.offset;
    return {at, kRecordHeaderSize + e.caplen};
  }
  // The record's original length, from its encoded header (host order).
  uint32_t recordLen(const BatchEntry& e) const {
    return load32(record(e).data() + 12, hostByteOrder());
  }
  // Left where it was decoded (addView) rather than copied into the batch.
  static bool isView(const BatchEntry& e) { return (e.offset & kViewBit) != 0; }
  // The entries in order, for a reader that walks them by pointer.
  const BatchEntry* begin() const { return entries_.data(); }
  const BatchEntry* end() const { return entries_.data() + entries_.size(); }

  // The link type of every record in the batch (a stream may reconnect to a
  // worker with another link type, so it travels with the data).
  uint32_t linkType = kLinkTypeEthernet;
  Precision precision = Precision::Micro;  // of the encoded record headers

 private:
  void append(uint64_t tsNs, const RecordHeader& encoded, std::span<const uint8_t> data) {
    const auto offset = static_cast<uint32_t>(records_.size());
    records_.appendRecord(encoded, data);
    entries_.push_back(BatchEntry{tsNs, offset, encoded.caplen});
    if (tsNs > maxTsNs_) maxTsNs_ = tsNs;
  }

  RecordBuffer records_{hostByteOrder()};
  const uint8_t* view_ = nullptr;  // base of the view records, if any
  std::vector<BatchEntry> entries_;
  uint64_t maxTsNs_ = 0;
  std::vector<RecordOrigin> origins_;  // for the first records, or none
  std::vector<BatchNote> notes_;       // by entry
  size_t notesBytes_ = 0;
};

// A DecoderSink that collects one stream's records into batches. `final`
// and onPacket inline: StreamDecoder::feed then runs it inside its
// per-record loop without a virtual call.
class BatchCollector final : public DecoderSink {
 public:
  void onGlobalHeader(const GlobalHeader& header) override;
  void onPacket(const PacketView& packet) override {
    // A record whose 16 header bytes precede its data inside the stable input
    // (not one the decoder reassembled in its own buffer) is kept in place.
    // Compared as integers: the two may point into unrelated buffers.
    const auto data = reinterpret_cast<uintptr_t>(packet.data.data());
    if (viewable_ && clockOffsetNs_ == 0 && data >= stableBegin_ + kRecordHeaderSize &&
        data + packet.data.size() <= stableEnd_ &&
        batch_.addView(stableInput_.data(), packet.data.data() - kRecordHeaderSize,
                       packet.header)) {
      return;
    }
    copy(packet);
  }

  // A pcapng packet kept with its origin and comments (pcapng output). Its
  // data never precedes a pcap record header, so it is always copied.
  void onOriginPacket(const PacketView& packet, RecordOrigin origin,
                      std::span<const std::string_view> comments) {
    copy(packet);
    batch_.setLastOrigin(origin);
    for (const std::string_view comment : comments) batch_.addComment(std::string(comment));
  }
  // An NRB or DSB (host byte order), written before the next packet.
  void onBlock(std::string block) { batch_.addBlock(std::move(block)); }
  bool hasNotes() const { return !batch_.notes().empty(); }

  // The global header, once, right after the decoder produced it.
  std::optional<GlobalHeader> takeHeader();
  PacketBatch takeBatch();
  // Gives the collector a spent batch to fill next (its memory is reused).
  void adopt(PacketBatch&& spent);
  bool hasPackets() const { return !batch_.empty(); }
  size_t batchBytes() const { return batch_.memoryBytes(); }
  // Worker clock minus ours (--clock-offset): subtracted from every timestamp
  // so that the merge orders records on one clock (see clock_offset.h).
  void setClockOffset(int64_t offsetNs) { clockOffsetNs_ = offsetNs; }
  // The input about to be decoded, when it stays untouched until every batch
  // made from it has been merged (a file pulled by the merging thread): its
  // records are then kept as views instead of copies. Empty: always copy.
  void setStableInput(std::span<const uint8_t> input) {
    stableInput_ = input;
    stableBegin_ = reinterpret_cast<uintptr_t>(input.data());
    stableEnd_ = stableBegin_ + input.size();  // empty: no record fits between
  }

 private:
  void copy(const PacketView& packet);

  GlobalHeader header_;
  std::span<const uint8_t> stableInput_;
  uintptr_t stableBegin_ = 0;
  uintptr_t stableEnd_ = 0;
  bool viewable_ = false;  // the stream's records are host order, unshifted
  int64_t clockOffsetNs_ = 0;
  bool headerPending_ = false;
  PacketBatch batch_;
};

}  // namespace ddump
