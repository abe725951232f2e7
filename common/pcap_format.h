#pragma once
// The classic pcap savefile format, pcap-savefile(5):
//   global header (24 bytes): magic, version 2.4, thiszone, sigfigs, snaplen, linktype
//   record header (16 bytes): ts_sec, ts_usec|ts_nsec, caplen, len
// The magic tells both the byte order and the timestamp precision.

#include <array>
#include <cstdint>
#include <span>
#include <string>

#include "byte_order.h"
#include "result.h"

namespace ddump {

enum class Precision { Micro, Nano };

inline constexpr uint32_t kMagicMicro = 0xa1b2c3d4;
inline constexpr uint32_t kMagicNano = 0xa1b23c4d;
inline constexpr size_t kGlobalHeaderSize = 24;
inline constexpr size_t kRecordHeaderSize = 16;
// Largest snaplen/caplen we accept from anyone: libpcap's MAXIMUM_SNAPLEN.
inline constexpr uint32_t kMaxSnaplen = 262144;

// The media type of a pcap stream (IANA: application/vnd.tcpdump.pcap).
inline constexpr const char* kPcapContentType = "application/vnd.tcpdump.pcap";
inline constexpr const char* kPcapngContentType = "application/x-pcapng";

inline constexpr uint32_t kLinkTypeEthernet = 1;
inline constexpr uint32_t kLinkTypeLinuxSll = 113;
inline constexpr uint32_t kLinkTypeLinuxSll2 = 276;
// pcap-savefile(5): the upper bits of the link-type field carry FCS information.
inline constexpr uint32_t kLinkTypeMask = 0x0fffffff;

struct GlobalHeader {
  uint16_t versionMajor = 2;
  uint16_t versionMinor = 4;
  uint32_t snaplen = kMaxSnaplen;
  uint32_t linkType = kLinkTypeEthernet;
  Precision precision = Precision::Micro;
  ByteOrder byteOrder = ByteOrder::Little;
};

struct RecordHeader {
  uint32_t tsSec = 0;
  uint32_t tsFrac = 0;  // microseconds or nanoseconds, per the file's magic
  uint32_t caplen = 0;
  uint32_t len = 0;
};

using GlobalHeaderBytes = std::array<uint8_t, kGlobalHeaderSize>;
using RecordHeaderBytes = std::array<uint8_t, kRecordHeaderSize>;

// Writes thiszone and sigfigs as 0, as every modern writer does.
GlobalHeaderBytes encodeGlobalHeader(const GlobalHeader& header);
// The header as written: fails only on a bad magic (which gives byte order
// and precision); version and snaplen are the caller's to judge.
Result<GlobalHeader> parseGlobalHeader(std::span<const uint8_t, kGlobalHeaderSize> bytes);
// parseGlobalHeader, then version 2.0-2.4 and snaplen <= kMaxSnaplen.
Result<GlobalHeader> decodeGlobalHeader(std::span<const uint8_t, kGlobalHeaderSize> bytes);

inline void encodeRecordHeader(const RecordHeader& header, ByteOrder order, uint8_t* out) {
  store32(out, header.tsSec, order);
  store32(out + 4, header.tsFrac, order);
  store32(out + 8, header.caplen, order);
  store32(out + 12, header.len, order);
}
// Inline: these run once per packet on every path.
inline RecordHeader decodeRecordHeader(std::span<const uint8_t, kRecordHeaderSize> bytes,
                                       ByteOrder order) {
  return RecordHeader{load32(&bytes[0], order), load32(&bytes[4], order), load32(&bytes[8], order),
                      load32(&bytes[12], order)};
}

// Nanoseconds since the epoch; 64 bits hold that until the year 2554.
// Inline: both run once per packet.
inline uint64_t timestampNs(const RecordHeader& header, Precision precision) {
  const uint64_t frac = precision == Precision::Nano ? header.tsFrac : uint64_t{header.tsFrac} * 1000;
  return uint64_t{header.tsSec} * 1'000'000'000ULL + frac;
}

// Splits a nanosecond timestamp into the record's seconds and fraction.
inline void setTimestamp(RecordHeader& header, uint64_t ns, Precision precision) {
  header.tsSec = static_cast<uint32_t>(ns / 1'000'000'000ULL);
  const uint64_t frac = ns % 1'000'000'000ULL;
  header.tsFrac = static_cast<uint32_t>(precision == Precision::Nano ? frac : frac / 1000);
}

std::string linkTypeName(uint32_t linkType);

}  // namespace ddump
