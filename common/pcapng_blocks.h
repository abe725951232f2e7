#pragma once
// What a pcapng reader reports, and decoders for the blocks it interprets,
// each from one whole block already framed and length-checked (type |
// total length | body | total length) in its section's byte order.
// Section numbers refer to draft-ietf-opsawg-pcapng (the current draft):
//   4.1 SHB  4.2 IDB  4.3 EPB  4.4 SPB  4.5 NRB  4.6 ISB  4.7 DSB
//   4.8 Custom Block  Appendix A: the obsolete Packet Block (PB)
// Views (spans, string_views) point into the block and are valid only as
// long as it is: during the sink callback that receives them.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "byte_order.h"
#include "pcapng_options.h"
#include "pcapng_time.h"
#include "pcapng_writer.h"  // kPcapngShbType, kPcapngIdbType, kPcapngIsbType, kPcapngEpbType
#include "result.h"

namespace ddump {

inline constexpr uint32_t kPcapngPbType = 0x00000002;            // Appendix A (obsolete)
inline constexpr uint32_t kPcapngSpbType = 0x00000003;           // 4.4
inline constexpr uint32_t kPcapngNrbType = 0x00000004;           // 4.5
inline constexpr uint32_t kPcapngDsbType = 0x0000000A;           // 4.7
inline constexpr uint32_t kPcapngCustomType = 0x00000BAD;        // 4.8, may be copied
inline constexpr uint32_t kPcapngCustomNoCopyType = 0x40000BAD;  // 4.8, must not be

// Block Type, Block Total Length and the trailing Block Total Length (3.1).
inline constexpr size_t kPcapngBlockHeaderSize = 8;
inline constexpr size_t kPcapngBlockOverhead = 12;

struct PcapngSectionInfo {
  ByteOrder byteOrder = ByteOrder::Little;  // from the byte-order magic
  uint16_t versionMajor = 1;
  uint16_t versionMinor = 0;              // 0, or 2 read as 0 (4.1)
  std::optional<uint64_t> sectionLength;  // absent when -1: not specified
  std::vector<std::string> comments;      // opt_comment
  std::string hardware;                   // shb_hardware
  std::string os;                         // shb_os
  std::string userAppl;                   // shb_userappl
};

// How an interface's timestamps become nanoseconds since 1970.
struct PcapngClock {
  PcapngTimeResolution resolution;  // if_tsresol; 10^-6 when absent
  int64_t offsetSeconds = 0;        // if_tsoffset; 0 when absent

  Result<uint64_t> toNs(uint64_t units) const {
    return pcapngTimestampNs(units, resolution, offsetSeconds);
  }
};

struct PcapngInterfaceInfo {
  uint32_t id = 0;          // Interface ID: this IDB's index in its section (4.2)
  uint32_t linkType = 0;    // the IDB's 16-bit LinkType
  uint32_t snaplen = 0;     // 0: no limit
  std::string name;         // if_name
  std::string description;  // if_description
  std::vector<std::string> comments;
  PcapngClock clock;
  std::optional<uint8_t> fcsLength;  // if_fcslen, as written
};

struct PcapngPacketView {
  uint32_t blockType = kPcapngEpbType;  // EPB, SPB or PB
  uint32_t interfaceId = 0;
  uint32_t linkType = 0;         // the interface's
  std::optional<uint64_t> tsNs;  // absent for an SPB, which has no timestamp
  uint32_t caplen = 0;           // == data.size()
  uint32_t len = 0;              // original length, never below caplen
  std::span<const uint8_t> data;
  std::optional<uint32_t> flags;               // epb_flags / pack_flags (4.3.1)
  std::optional<uint64_t> dropCount;           // epb_dropcount, or a PB's Drops Count unless 0xFFFF
  std::span<const std::string_view> comments;  // opt_comment, in block order
};

struct PcapngStatisticsView {
  uint32_t interfaceId = 0;
  uint64_t tsNs = 0;
  std::optional<uint64_t> startNs;           // isb_starttime
  std::optional<uint64_t> endNs;             // isb_endtime
  std::optional<uint64_t> received;          // isb_ifrecv
  std::optional<uint64_t> interfaceDropped;  // isb_ifdrop
  std::optional<uint64_t> filterAccepted;    // isb_filteraccept
  std::optional<uint64_t> osDropped;         // isb_osdrop
  std::optional<uint64_t> delivered;         // isb_usrdeliv
  std::span<const std::string_view> comments;
};

// "EPB", "SHB", ... or "type 0x00000099" for a block this reader does not name.
std::string pcapngBlockLabel(uint32_t type);

// Bytes from the start of a block up to the end of its fixed fields (the
// header included), and so the least Block Total Length it can have with
// its trailer. kPcapngBlockHeaderSize for the types read only as raw bytes.
size_t pcapngFixedSize(uint32_t type);
inline size_t pcapngMinimumLength(uint32_t type) {
  return pcapngFixedSize(type) + 4;
}

// The Block Body (between the two length fields) of a whole block.
inline std::span<const uint8_t> pcapngBody(std::span<const uint8_t> block) {
  return block.subspan(kPcapngBlockHeaderSize, block.size() - kPcapngBlockOverhead);
}

Result<PcapngSectionInfo> decodePcapngSection(std::span<const uint8_t> block, ByteOrder order);
Result<PcapngInterfaceInfo> decodePcapngInterface(std::span<const uint8_t> block, ByteOrder order);

// The fixed fields of an EPB or PB (which names a 16-bit interface and has
// a 16-bit drops count), from at least pcapngFixedSize(type) bytes.
struct PcapngPacketHead {
  uint32_t interfaceId = 0;
  uint64_t tsUnits = 0;
  uint32_t caplen = 0;
  uint32_t len = 0;
  std::optional<uint64_t> dropCount;
};
PcapngPacketHead decodePcapngPacketHead(uint32_t type, std::span<const uint8_t> fixed,
                                        ByteOrder order);

// A packet block's options into `packet` (flags, drop count, comments kept
// in `comments`, which backs packet.comments).
Status decodePcapngPacketOptions(uint32_t type, std::span<const uint8_t> options, ByteOrder order,
                                 PcapngPacketView& packet, std::vector<std::string_view>& comments);

// An ISB whose interface's clock is `clock`; comments as above.
Result<PcapngStatisticsView> decodePcapngStatistics(std::span<const uint8_t> block, ByteOrder order,
                                                    const PcapngClock& clock,
                                                    std::vector<std::string_view>& comments);

}  // namespace ddump
