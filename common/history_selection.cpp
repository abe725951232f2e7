#include "history_selection.h"

#include <algorithm>
#include <cstring>

#include "sll.h"

namespace ddump {

void setRecordTime(RecordHeader& header, int64_t tsNs, Precision precision) {
  constexpr int64_t kMaxNs = int64_t{UINT32_MAX} * 1'000'000'000;
  tsNs = std::clamp<int64_t>(tsNs, 0, kMaxNs);
  header.tsSec = static_cast<uint32_t>(tsNs / 1'000'000'000);
  const auto ns = static_cast<uint32_t>(tsNs % 1'000'000'000);
  header.tsFrac = precision == Precision::Nano ? ns : ns / 1000;
}

std::optional<RecordHeader> selectHistoryRecord(const HistorySelection& selection,
                                                const HistoryRecord& record,
                                                std::vector<uint8_t>& out) {
  const auto sll2 = parseSll2(record.data);
  if (!sll2 || record.len < kSll2HeaderSize) return std::nullopt;
  if (selection.interfaceIndex != 0 && sll2->interfaceIndex != selection.interfaceIndex) {
    return std::nullopt;
  }
  // libpcap's pcap_setdirection on Linux: "out" is PACKET_OUTGOING, "in" is
  // everything else (pcap-linux.c).
  const bool outgoing = sll2->packetType == static_cast<uint8_t>(SllPacketType::Outgoing);
  if ((selection.direction == Direction::In && outgoing) ||
      (selection.direction == Direction::Out && !outgoing)) {
    return std::nullopt;
  }
  RecordHeader header;
  setRecordTime(header, record.tsNs, selection.precision);
  const std::span<const uint8_t> payload = record.data.subspan(kSll2HeaderSize);
  const bool toSll = selection.linkType == kLinkTypeLinuxSll;
  const size_t cooked = toSll ? kSllHeaderSize : kSll2HeaderSize;
  out.resize(cooked + payload.size());
  if (toSll) {
    const auto sll = encodeSll(sll2ToSll(*sll2));
    std::memcpy(out.data(), sll.data(), kSllHeaderSize);
    header.len = record.len - static_cast<uint32_t>(kSll2ToSllShrink);
  } else {
    std::memcpy(out.data(), record.data.data(), kSll2HeaderSize);
    header.len = record.len;
  }
  if (!payload.empty()) std::memcpy(out.data() + cooked, payload.data(), payload.size());
  header.caplen = static_cast<uint32_t>(out.size());
  return header;
}

}  // namespace ddump
