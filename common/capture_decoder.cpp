#include "capture_decoder.h"

#include "byte_order.h"
#include "pcapng_block_order.h"

namespace ddump {

namespace {

std::string bounded(std::string_view text) {
  return std::string(text.substr(0, kMaxInterfaceText));
}

Precision precisionOf(const PcapngClock& clock) {
  // Finer than microseconds stays finer (pcap's nanosecond format).
  return clock.resolution.unitsPerSecond > 1'000'000 ? Precision::Nano : Precision::Micro;
}

}  // namespace

void PcapngToPcap::onSection(const PcapngSectionInfo& section) {
  ++sections_;
  // Interface IDs start again from 0 in every section (4.2); keys go on.
  sectionBase_ += sectionInterfaces_;
  sectionInterfaces_ = 0;
  sectionOrder_ = section.byteOrder;
}

void PcapngToPcap::onInterface(const PcapngInterfaceInfo& interface) {
  if (error_) return;
  const uint32_t key = sectionBase_ + sectionInterfaces_++;
  if (keep_) {
    InputInterface kept{key, {}};
    kept.interface.name = bounded(interface.name);
    kept.interface.description = bounded(interface.description);
    for (size_t i = 0; i < interface.comments.size() && i < kMaxInterfaceComments; ++i) {
      kept.interface.comments.push_back(bounded(interface.comments[i]));
    }
    kept.interface.linkType = interface.linkType;
    kept.interface.snaplen = interface.snaplen;
    kept.interface.precision = precisionOf(interface.clock);
    newInterfaces_.push_back(std::move(kept));
  }
  if (!header_) {
    GlobalHeader header;
    header.linkType = interface.linkType;
    header.snaplen = interface.snaplen == 0 ? kMaxSnaplen : interface.snaplen;
    // Kept origins: every interface keeps its own resolution in the output,
    // so the records carry the finest.
    header.precision = keep_ ? Precision::Nano : precisionOf(interface.clock);
    header.byteOrder = hostByteOrder();
    header_ = header;
    sink_->onGlobalHeader(header);
    return;
  }
  if (!keep_ && interface.linkType != header_->linkType) {
    error_ = makeError(ErrorCode::Incompatible,
                       "pcapng interface " + std::to_string(interface.id) + " of section " +
                           std::to_string(sections_) + " has link type " +
                           linkTypeName(interface.linkType) + ", the first one " +
                           linkTypeName(header_->linkType) +
                           ": one input of several link types cannot be merged");
  }
}

void PcapngToPcap::onPacket(const PcapngPacketView& packet) {
  if (error_ || !header_) return;
  // An SPB has no timestamp (4.4): it keeps its place after its predecessor.
  const uint64_t ts = packet.tsNs.value_or(lastTsNs_);
  lastTsNs_ = ts;
  RecordHeader header;
  setTimestamp(header, ts, header_->precision);
  header.caplen = packet.caplen;
  header.len = packet.len;
  // The span rebuilt from its pointer and caplen (== its size): copied
  // whole, it is one 16-byte load of two 8-byte stores just made, which
  // stalls on store forwarding (a tenth of this function's time).
  const PacketView view{header, {packet.data.data(), packet.caplen}};
  if (keep_ && collector_ != nullptr) {
    collector_->onOriginPacket(
        view, {sectionBase_ + packet.interfaceId, packet.flags.value_or(0), packet.linkType},
        packet.comments);
  } else if (collector_ != nullptr) {
    collector_->onPacket(view);
  } else {
    sink_->onPacket(view);
  }
}

void PcapngToPcap::onStatistics(const PcapngStatisticsView& stats) {
  // isb_ifdrop counts from the start of the capture: the latest one counts.
  if (stats.interfaceDropped) drops_[{sections_, stats.interfaceId}] = *stats.interfaceDropped;
  if (keep_) {
    newStatistics_.push_back(
        {sectionBase_ + stats.interfaceId, {stats.tsNs, stats.received, stats.interfaceDropped}});
  }
}

void PcapngToPcap::onRawBlock(uint32_t type, std::span<const uint8_t> block) {
  if (!keep_ || collector_ == nullptr || error_) return;
  auto reordered = reorderPcapngBlock(type, block, sectionOrder_, hostByteOrder());
  if (!reordered) {
    ++blocksDropped_;
    return;
  }
  collector_->onBlock(std::string(reordered->begin(), reordered->end()));
}

uint64_t PcapngToPcap::drops() const {
  uint64_t total = 0;
  for (const auto& [key, value] : drops_) total += value;
  return total;
}

bool CaptureDecoder::recordsInPlace(std::span<const uint8_t> next) const {
  if (format_ != Format::Unknown) return format_ == Format::Pcap;
  std::array<uint8_t, 4> magic = magic_;
  const size_t take = std::min(magic.size() - magicFill_, next.size());
  std::copy_n(next.begin(), take, magic.begin() + static_cast<ptrdiff_t>(magicFill_));
  return magicFill_ + take == magic.size() && !PcapngReader::isPcapngMagic(magic);
}

Status CaptureDecoder::feedPcapng(std::span<const uint8_t> bytes, DecoderSink& sink) {
  adapter_.bind(sink);
  return feedBoundPcapng(bytes);
}

Status CaptureDecoder::feedPcapng(std::span<const uint8_t> bytes, BatchCollector& sink) {
  adapter_.bind(sink);
  return feedBoundPcapng(bytes);
}

Status CaptureDecoder::feedBoundPcapng(std::span<const uint8_t> bytes) {
  if (adapter_.error()) return *adapter_.error();
  Status status = pcapng_->feed(bytes, adapter_);
  if (adapter_.error()) return *adapter_.error();
  return status;
}

Status CaptureDecoder::finish() {
  switch (format_) {
    case Format::Pcap:
      return pcap_.finish();
    case Format::Pcapng:
      if (adapter_.error()) return *adapter_.error();
      return pcapng_->finish();
    case Format::Unknown:
      break;
  }
  if (magicFill_ == 0) return pcap_.finish();  // nothing at all: the decoder's own message
  return makeError(ErrorCode::Truncated, "stream ended after " + std::to_string(magicFill_) +
                                             " bytes, before a pcap or pcapng header");
}

}  // namespace ddump
