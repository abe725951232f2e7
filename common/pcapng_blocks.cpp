#include "pcapng_blocks.h"

#include <cstdio>

namespace ddump {
namespace {

// Option codes (3.5 and the tables of 4.1, 4.2, 4.3, 4.6, Appendix A).
constexpr uint16_t kShbHardware = 2;
constexpr uint16_t kShbOs = 3;
constexpr uint16_t kShbUserAppl = 4;
constexpr uint16_t kIfName = 2;
constexpr uint16_t kIfDescription = 3;
constexpr uint16_t kIfTsresol = 9;
constexpr uint16_t kIfFcslen = 13;
constexpr uint16_t kIfTsoffset = 14;
constexpr uint16_t kEpbFlags = 2;      // pack_flags in a PB
constexpr uint16_t kEpbDropCount = 4;  // EPB only
constexpr uint16_t kIsbStartTime = 2;
constexpr uint16_t kIsbEndTime = 3;
constexpr uint16_t kIsbIfRecv = 4;
constexpr uint16_t kIsbIfDrop = 5;
constexpr uint16_t kIsbFilterAccept = 6;
constexpr uint16_t kIsbOsDrop = 7;
constexpr uint16_t kIsbUsrDeliv = 8;

// Where each block's options begin (after its fixed fields).
constexpr size_t kShbFixed = 24;     // + magic(4) versions(4) section length(8)
constexpr size_t kIdbFixed = 16;     // + linktype(2) reserved(2) snaplen(4)
constexpr size_t kPacketFixed = 28;  // EPB, PB: + id(4) timestamp(8) caplen(4) len(4)
constexpr size_t kSpbFixed = 12;     // + original length(4)
constexpr size_t kIsbFixed = 20;     // + id(4) timestamp(8)

// A PB's Drops Count when the information is not available (Appendix A).
constexpr uint16_t kPbDropsUnknown = 0xFFFF;

std::span<const uint8_t> optionsOf(std::span<const uint8_t> block, size_t fixed) {
  return block.subspan(fixed, block.size() - fixed - 4);
}

void setString(std::string& field, const PcapngOption& option) {
  // Options that may appear once: the first one counts, as in Wireshark.
  if (field.empty()) field = pcapngString(option.value);
}

// Stores a single-valued option unless one was already seen.
template <class T>
Status setOnce(std::optional<T>& field, Result<T> value) {
  if (!value) return value.error();
  if (!field) field = *value;
  return Status::success();
}

Status decodeClockOption(const PcapngOption& option, ByteOrder order, PcapngClock& clock,
                         bool& sawResolution, bool& sawOffset) {
  // Two of either would make every timestamp ambiguous: refused, as libpcap does.
  if (option.code == kIfTsresol) {
    if (sawResolution)
      return makeError(ErrorCode::DecoderFailed, "more than one if_tsresol option");
    sawResolution = true;
    auto raw = pcapngU8(option, "if_tsresol");
    if (!raw) return raw.error();
    auto resolution = pcapngTimeResolution(*raw);
    if (!resolution) return resolution.error();
    clock.resolution = *resolution;
    return Status::success();
  }
  if (sawOffset) return makeError(ErrorCode::DecoderFailed, "more than one if_tsoffset option");
  sawOffset = true;
  auto offset = pcapngU64(option, order, "if_tsoffset");
  if (!offset) return offset.error();
  clock.offsetSeconds = static_cast<int64_t>(*offset);  // a signed 64-bit integer (4.2)
  return Status::success();
}

}  // namespace

std::string pcapngBlockLabel(uint32_t type) {
  switch (type) {
    case kPcapngShbType:
      return "SHB";
    case kPcapngIdbType:
      return "IDB";
    case kPcapngPbType:
      return "PB";
    case kPcapngSpbType:
      return "SPB";
    case kPcapngNrbType:
      return "NRB";
    case kPcapngIsbType:
      return "ISB";
    case kPcapngEpbType:
      return "EPB";
    case kPcapngDsbType:
      return "DSB";
    case kPcapngCustomType:
    case kPcapngCustomNoCopyType:
      return "custom block";
    default:
      break;
  }
  char text[24];
  std::snprintf(text, sizeof text, "type 0x%08x", type);
  return text;
}

size_t pcapngFixedSize(uint32_t type) {
  switch (type) {
    case kPcapngShbType:
      return kShbFixed;
    case kPcapngIdbType:
      return kIdbFixed;
    case kPcapngPbType:
    case kPcapngEpbType:
      return kPacketFixed;
    case kPcapngSpbType:
      return kSpbFixed;
    case kPcapngIsbType:
      return kIsbFixed;
    default:
      return kPcapngBlockHeaderSize;
  }
}

Result<PcapngSectionInfo> decodePcapngSection(std::span<const uint8_t> block, ByteOrder order) {
  PcapngSectionInfo section;
  section.byteOrder = order;
  section.versionMajor = load16(&block[12], order);
  section.versionMinor = load16(&block[14], order);
  // 4.1: readers MUST treat 1.2 as 1.0; any other version is a format this
  // reader does not know. libpcap refuses it too (sf-pcapng.c).
  if (section.versionMajor != 1 || (section.versionMinor != 0 && section.versionMinor != 2)) {
    return makeError(ErrorCode::UnsupportedVersion,
                     "unsupported pcapng version " + std::to_string(section.versionMajor) + "." +
                         std::to_string(section.versionMinor) + " (1.0 and 1.2 are read)");
  }
  // Section Length: -1 (not specified) or, 4.1 says, a multiple of 4. It is
  // not used to skip anything, so only its form is checked.
  const auto length = static_cast<int64_t>(load64(&block[16], order));
  if (length != -1) {
    if (length < 0 || length % 4 != 0) {
      return makeError(ErrorCode::DecoderFailed,
                       "section length " + std::to_string(length) +
                           " is neither -1 nor a non-negative multiple of 4");
    }
    section.sectionLength = static_cast<uint64_t>(length);
  }
  Status status = walkPcapngOptions(optionsOf(block, kShbFixed), order, [&](const PcapngOption& o) {
    switch (o.code) {
      case kPcapngOptComment:
        section.comments.emplace_back(pcapngString(o.value));
        break;
      case kShbHardware:
        setString(section.hardware, o);
        break;
      case kShbOs:
        setString(section.os, o);
        break;
      case kShbUserAppl:
        setString(section.userAppl, o);
        break;
      default:
        break;  // custom and local options, and codes from later drafts
    }
    return Status::success();
  });
  if (!status) return status.error();
  return section;
}

Result<PcapngInterfaceInfo> decodePcapngInterface(std::span<const uint8_t> block, ByteOrder order) {
  PcapngInterfaceInfo info;
  info.linkType = load16(&block[8], order);  // then 16 reserved bits, ignored (4.2)
  info.snaplen = load32(&block[12], order);
  bool sawResolution = false;
  bool sawOffset = false;
  Status status = walkPcapngOptions(optionsOf(block, kIdbFixed), order, [&](const PcapngOption& o) {
    switch (o.code) {
      case kPcapngOptComment:
        info.comments.emplace_back(pcapngString(o.value));
        break;
      case kIfName:
        setString(info.name, o);
        break;
      case kIfDescription:
        setString(info.description, o);
        break;
      case kIfTsresol:
      case kIfTsoffset:
        return decodeClockOption(o, order, info.clock, sawResolution, sawOffset);
      case kIfFcslen:
        return setOnce(info.fcsLength, pcapngU8(o, "if_fcslen"));
      default:
        break;  // if_filter, addresses, speeds, ...: not needed to read packets
    }
    return Status::success();
  });
  if (!status) return status.error();
  return info;
}

PcapngPacketHead decodePcapngPacketHead(uint32_t type, std::span<const uint8_t> fixed,
                                        ByteOrder order) {
  PcapngPacketHead head;
  if (type == kPcapngPbType) {
    head.interfaceId = load16(&fixed[8], order);
    const uint16_t drops = load16(&fixed[10], order);
    if (drops != kPbDropsUnknown) head.dropCount = drops;
  } else {
    head.interfaceId = load32(&fixed[8], order);
  }
  head.tsUnits = loadSplit64(&fixed[12], order);
  head.caplen = load32(&fixed[20], order);
  head.len = load32(&fixed[24], order);
  return head;
}

Status decodePcapngPacketOptions(uint32_t type, std::span<const uint8_t> options, ByteOrder order,
                                 PcapngPacketView& packet,
                                 std::vector<std::string_view>& comments) {
  const char* flagsName = type == kPcapngPbType ? "pack_flags" : "epb_flags";
  return walkPcapngOptions(options, order, [&](const PcapngOption& o) {
    switch (o.code) {
      case kPcapngOptComment:
        comments.push_back(pcapngString(o.value));
        break;
      case kEpbFlags:
        return setOnce(packet.flags, pcapngU32(o, order, flagsName));
      case kEpbDropCount:
        if (type == kPcapngEpbType) {
          return setOnce(packet.dropCount, pcapngU64(o, order, "epb_dropcount"));
        }
        break;
      default:
        break;  // epb_hash, epb_packetid, epb_queue, epb_verdict, ...
    }
    return Status::success();
  });
}

Result<PcapngStatisticsView> decodePcapngStatistics(std::span<const uint8_t> block, ByteOrder order,
                                                    const PcapngClock& clock,
                                                    std::vector<std::string_view>& comments) {
  PcapngStatisticsView stats;
  stats.interfaceId = load32(&block[8], order);
  auto ts = clock.toNs(loadSplit64(&block[12], order));
  if (!ts) return ts.error();
  stats.tsNs = *ts;
  auto time = [&](std::optional<uint64_t>& field, const PcapngOption& o, const char* name) {
    auto units = pcapngTimestampUnits(o, order, name);
    if (!units) return Status(units.error());
    return setOnce(field, clock.toNs(*units));
  };
  Status status = walkPcapngOptions(optionsOf(block, kIsbFixed), order, [&](const PcapngOption& o) {
    switch (o.code) {
      case kPcapngOptComment:
        comments.push_back(pcapngString(o.value));
        break;
      case kIsbStartTime:
        return time(stats.startNs, o, "isb_starttime");
      case kIsbEndTime:
        return time(stats.endNs, o, "isb_endtime");
      case kIsbIfRecv:
        return setOnce(stats.received, pcapngU64(o, order, "isb_ifrecv"));
      case kIsbIfDrop:
        return setOnce(stats.interfaceDropped, pcapngU64(o, order, "isb_ifdrop"));
      case kIsbFilterAccept:
        return setOnce(stats.filterAccepted, pcapngU64(o, order, "isb_filteraccept"));
      case kIsbOsDrop:
        return setOnce(stats.osDropped, pcapngU64(o, order, "isb_osdrop"));
      case kIsbUsrDeliv:
        return setOnce(stats.delivered, pcapngU64(o, order, "isb_usrdeliv"));
      default:
        break;
    }
    return Status::success();
  });
  if (!status) return status.error();
  stats.comments = comments;
  return stats;
}

}  // namespace ddump
