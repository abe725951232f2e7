#pragma once
// A pcapng writer for the merged output (`-F pcapng`).
//
// Layouts from draft-ietf-opsawg-pcapng (the "PCAP Next Generation Dump File
// Format"); section numbers refer to draft -02:
//   4.1 Section Header Block (SHB)        type 0x0A0D0D0A, byte-order magic 0x1A2B3C4D
//   4.2 Interface Description Block (IDB) type 0x00000001
//   4.6 Interface Statistics Block (ISB)  type 0x00000005
//   4.3 Enhanced Packet Block (EPB)       type 0x00000006
// Every block is: type(4) | total length(4) | body | total length(4), padded
// to 32 bits; options (3.5) are code(2) | length(2) | value padded to 32 bits,
// closed by opt_endofopt (0, 0).
//
// Pure: bytes are appended to an internal buffer the caller writes out.
// Interface ids are the IDBs' order in the section, from 0. All IDBs of a
// section share one link type unless allowMixedLinkTypes() was called:
// libpcap (hence `tcpdump -r`) rejects a pcapng whose interfaces differ,
// Wireshark and mergecap read and write them.

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "byte_order.h"
#include "pcap_format.h"
#include "result.h"

namespace ddump {

inline constexpr uint32_t kPcapngShbType = 0x0A0D0D0A;
inline constexpr uint32_t kPcapngIdbType = 0x00000001;
inline constexpr uint32_t kPcapngIsbType = 0x00000005;
inline constexpr uint32_t kPcapngEpbType = 0x00000006;
inline constexpr uint32_t kPcapngByteOrderMagic = 0x1A2B3C4D;

// epb_flags (4.3.1): bits 0-1 direction, bits 2-4 reception type.
inline constexpr uint32_t kEpbInbound = 0x1;
inline constexpr uint32_t kEpbOutbound = 0x2;
inline constexpr uint32_t kEpbUnicast = 0x1 << 2;
inline constexpr uint32_t kEpbMulticast = 0x2 << 2;
inline constexpr uint32_t kEpbBroadcast = 0x3 << 2;
inline constexpr uint32_t kEpbPromiscuous = 0x4 << 2;

struct PcapngSection {
  std::string application;  // shb_userappl, e.g. "ddump 0.1.0"
  std::string comment;      // opt_comment, e.g. the targets (without credentials)
  std::string os;           // shb_os, optional
};

struct PcapngInterface {
  std::string name;         // if_name, "HOST:IFNAME" or "HOST"
  std::string description;  // if_description, the target URL without credentials
  uint32_t linkType = kLinkTypeEthernet;
  uint32_t snaplen = 0;                    // 0: no limit
  Precision precision = Precision::Micro;  // if_tsresol 6 or 9
  std::vector<std::string> comments;       // opt_comment, one option each
};

// Interface statistics (4.6); unknown counters are left out of the block.
struct PcapngStatistics {
  uint64_t timestampNs = 0;
  std::optional<uint64_t> received;  // isb_ifrecv
  std::optional<uint64_t> dropped;   // isb_ifdrop
};

// epb_flags for a LINUX_SLL / LINUX_SLL2 record, from its packet type
// (sll_pkttype); 0 ("not available") for any other link type or a short record.
uint32_t epbFlagsFor(uint32_t linkType, std::span<const uint8_t> data);

// The interface index an SLL2 record carries (libpcap's ifindex), if any.
std::optional<uint32_t> sll2InterfaceIndex(uint32_t linkType, std::span<const uint8_t> data);

class PcapngWriter {
 public:
  explicit PcapngWriter(ByteOrder order = hostByteOrder()) : order_(order) {}

  // Interfaces of different link types may share a section (inputs that
  // already had them: only Wireshark's readers can read the result).
  void allowMixedLinkTypes() { mixedLinkTypes_ = true; }
  ByteOrder byteOrder() const { return order_; }

  // Starts a new section: forgets its interfaces (a rotated file starts over).
  void appendSectionHeader(const PcapngSection& section);
  // Returns the new interface's id, or an error when its link type differs
  // from the section's first interface.
  Result<uint32_t> appendInterface(const PcapngInterface& interface);
  // One packet; `head` and `tail` are concatenated (e.g. a rewritten link
  // header and the unchanged payload). `origLen` is the length on the wire.
  // Each of `comments` becomes one opt_comment of the packet.
  void appendPacket(uint32_t interfaceId, uint64_t tsNs, uint32_t origLen,
                    std::span<const uint8_t> head, std::span<const uint8_t> tail = {},
                    uint32_t flags = 0, std::span<const std::string> comments = {});
  void appendStatistics(uint32_t interfaceId, const PcapngStatistics& stats);
  // A whole block, already framed and in this writer's byte order (an NRB
  // or DSB an input carried: 4.5, 4.7), copied as it is.
  void appendRawBlock(std::span<const uint8_t> block) {
    bytes_.insert(bytes_.end(), block.begin(), block.end());
  }

  size_t interfaceCount() const { return interfaces_.size(); }
  const PcapngInterface& interface(uint32_t id) const { return interfaces_[id]; }

  std::span<const uint8_t> bytes() const { return bytes_; }
  const char* data() const { return reinterpret_cast<const char*>(bytes_.data()); }
  size_t size() const { return bytes_.size(); }
  bool empty() const { return bytes_.empty(); }
  void clear() { bytes_.clear(); }
  void reserve(size_t n) { bytes_.reserve(n); }

 private:
  size_t beginBlock(uint32_t type);
  void endBlock(size_t start);
  void put16(uint16_t v);
  void put32(uint32_t v);
  void put64Split(uint64_t v);  // high 32 bits, then low (timestamps, 4.3)
  void putPadding();
  void putOption(uint16_t code, std::span<const uint8_t> value);
  void putStringOption(uint16_t code, const std::string& value);
  void putU64Option(uint16_t code, uint64_t value);
  void putEndOfOptions();

  ByteOrder order_;
  std::vector<uint8_t> bytes_;
  std::vector<PcapngInterface> interfaces_;
  bool mixedLinkTypes_ = false;
};

}  // namespace ddump
