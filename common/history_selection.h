#pragma once
// What one capture request takes from the history ring. The ring holds every
// record as LINUX_SLL2 with nanosecond timestamps (captured on `any`); a
// request selects by interface and direction, as a live capture would with
// interface= and pcap_setdirection(), and gets its own link type (SLL or
// SLL2), snaplen and precision.

#include <cstdint>
#include <optional>
#include <vector>

#include "capture_request.h"
#include "history_ring.h"
#include "pcap_format.h"

namespace ddump {

struct HistorySelection {
  uint32_t linkType = kLinkTypeLinuxSll;  // kLinkTypeLinuxSll or kLinkTypeLinuxSll2
  uint32_t interfaceIndex = 0;            // 0: every interface (`any`)
  Direction direction = Direction::InOut;
  uint32_t snaplen = kMaxSnaplen;  // applied by the caller, after its filter
  Precision precision = Precision::Micro;
};

// The record as the request wants it, or nullopt when the request does not
// select it (another interface or direction; a record too short to hold its
// SLL2 header). `out` is overwritten with the record's bytes (the cooked
// header, then the payload), whole: a live capture's filter sees the packet
// before the snaplen cuts it, so the caller filters first and cuts after.
std::optional<RecordHeader> selectHistoryRecord(const HistorySelection& selection,
                                                const HistoryRecord& record,
                                                std::vector<uint8_t>& out);

// A timestamp in ns since the epoch as a record header's seconds and
// fraction (µs or ns). Times before the epoch or past 2106 cannot be written
// to pcap and are clamped.
void setRecordTime(RecordHeader& header, int64_t tsNs, Precision precision);

}  // namespace ddump
