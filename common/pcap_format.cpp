#include "pcap_format.h"

#include <cstdio>

namespace ddump {
namespace {

uint32_t magicFor(Precision precision) {
  return precision == Precision::Nano ? kMagicNano : kMagicMicro;
}

}  // namespace

GlobalHeaderBytes encodeGlobalHeader(const GlobalHeader& header) {
  GlobalHeaderBytes out{};
  const ByteOrder order = header.byteOrder;
  store32(&out[0], magicFor(header.precision), order);
  store16(&out[4], header.versionMajor, order);
  store16(&out[6], header.versionMinor, order);
  store32(&out[8], 0, order);   // thiszone: always UTC
  store32(&out[12], 0, order);  // sigfigs: always 0
  store32(&out[16], header.snaplen, order);
  store32(&out[20], header.linkType, order);
  return out;
}

Result<GlobalHeader> parseGlobalHeader(std::span<const uint8_t, kGlobalHeaderSize> bytes) {
  GlobalHeader header;
  // The magic was written in the writer's byte order: try both.
  const uint32_t asLittle = load32(bytes.data(), ByteOrder::Little);
  const uint32_t asBig = load32(bytes.data(), ByteOrder::Big);
  if (asLittle == kMagicMicro || asLittle == kMagicNano) {
    header.byteOrder = ByteOrder::Little;
    header.precision = asLittle == kMagicNano ? Precision::Nano : Precision::Micro;
  } else if (asBig == kMagicMicro || asBig == kMagicNano) {
    header.byteOrder = ByteOrder::Big;
    header.precision = asBig == kMagicNano ? Precision::Nano : Precision::Micro;
  } else {
    char hex[16];
    std::snprintf(hex, sizeof hex, "0x%08x", asBig);
    return makeError(ErrorCode::BadMagic,
                     std::string("not a pcap stream: bad magic ") + hex);
  }
  const ByteOrder order = header.byteOrder;
  header.versionMajor = load16(&bytes[4], order);
  header.versionMinor = load16(&bytes[6], order);
  header.snaplen = load32(&bytes[16], order);
  header.linkType = load32(&bytes[20], order);
  return header;
}

Result<GlobalHeader> decodeGlobalHeader(std::span<const uint8_t, kGlobalHeaderSize> bytes) {
  auto parsed = parseGlobalHeader(bytes);
  if (!parsed) return parsed;
  const GlobalHeader& header = *parsed;
  // pcap-savefile(5): only major version 2 exists; minor 4 is current and
  // readers accept any minor under it, as libpcap does.
  if (header.versionMajor != 2 || header.versionMinor > 4) {
    return makeError(ErrorCode::UnsupportedVersion,
                     "unsupported pcap version " + std::to_string(header.versionMajor) + "." +
                         std::to_string(header.versionMinor));
  }
  if (header.snaplen > kMaxSnaplen) {
    return makeError(ErrorCode::SnaplenTooLarge, "snaplen " + std::to_string(header.snaplen) +
                                                     " exceeds limit " +
                                                     std::to_string(kMaxSnaplen));
  }
  return header;
}

std::string linkTypeName(uint32_t linkType) {
  switch (linkType & kLinkTypeMask) {
    case kLinkTypeEthernet: return "EN10MB";
    case kLinkTypeLinuxSll: return "LINUX_SLL";
    case kLinkTypeLinuxSll2: return "LINUX_SLL2";
    case 0: return "NULL";
    case 101: return "RAW";
    default: return std::to_string(linkType & kLinkTypeMask);
  }
}

}  // namespace ddump
