#pragma once
// One pcapng section as a reader meets it, block by block: the interfaces
// its IDBs describe (Interface IDs count from 0 again in every section,
// draft-ietf-opsawg-pcapng 4.2) and the blocks that refer to them (EPB, PB,
// SPB, ISB), decoded and reported to a PcapngSink. The framing (lengths,
// buffering, trailers) is PcapngReader's; errors here say only what was
// wrong, and the reader adds the block's number and offset.

#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "pcapng_blocks.h"
#include "result.h"

namespace ddump {

// More IDBs than this in one section are refused: each costs a few dozen
// bytes of state however small the block, so the count bounds the memory a
// hostile stream of IDBs can claim (65536 * 32 bytes). Real captures name a
// few, a merge of many hosts some hundreds.
inline constexpr uint32_t kPcapngMaxInterfaces = 65536;

class PcapngSink {
 public:
  virtual ~PcapngSink() = default;
  // A new section (4.1); its interfaces start again from id 0.
  virtual void onSection(const PcapngSectionInfo& section) = 0;
  virtual void onInterface(const PcapngInterfaceInfo& interface) = 0;
  // EPB, SPB or PB; the views are valid only during the call.
  virtual void onPacket(const PcapngPacketView& packet) = 0;
  virtual void onStatistics(const PcapngStatisticsView& stats) = 0;
  // An NRB or a DSB, the whole block (both length fields included) in its
  // section's byte order, for a writer to copy into a section of the same
  // byte order (as mergecap keeps them). Valid only during the call.
  virtual void onRawBlock(uint32_t type, std::span<const uint8_t> block) = 0;
  // A custom block (4.8) or a type this reader does not interpret.
  virtual void onSkippedBlock(uint32_t type, uint32_t length) = 0;
};

class PcapngSectionDecoder {
 public:
  explicit PcapngSectionDecoder(uint32_t maxCaplen) : maxCaplen_(maxCaplen) {}

  size_t interfaceCount() const { return interfaces_.size(); }
  uint64_t sections() const { return sections_; }  // SHBs read so far
  uint64_t packets() const { return packets_; }    // in every section

  // The fields of an EPB, PB, SPB or ISB (of `length` bytes) that refer to
  // the interfaces and bound the packet, from its first
  // pcapngFixedSize(type) bytes: checked before the rest of it arrives.
  Status checkFixed(uint32_t type, uint32_t length, std::span<const uint8_t> fixed,
                    ByteOrder order) const;

  // A whole block, framing and fixed fields checked, in byte order `order`:
  // an SHB starts a new section; the others are reported to `sink`.
  Status read(uint32_t type, std::span<const uint8_t> block, ByteOrder order, PcapngSink& sink);

 private:
  // What is kept of each interface: 32 bytes.
  struct Interface {
    uint32_t linkType = 0;
    uint32_t snaplen = 0;
    PcapngClock clock;
  };

  Status checkInterface(uint32_t id) const;
  uint32_t simpleCaplen(std::span<const uint8_t> block, uint32_t length, ByteOrder order) const;
  Status readSection(std::span<const uint8_t> block, ByteOrder order, PcapngSink& sink);
  Status readInterface(std::span<const uint8_t> block, ByteOrder order, PcapngSink& sink);
  Status readPacket(uint32_t type, std::span<const uint8_t> block, ByteOrder order,
                    PcapngSink& sink);
  Status readStatistics(std::span<const uint8_t> block, ByteOrder order, PcapngSink& sink);

  uint32_t maxCaplen_;
  std::vector<Interface> interfaces_;       // by Interface ID
  std::vector<std::string_view> comments_;  // the current block's opt_comments
  uint64_t sections_ = 0;
  uint64_t packets_ = 0;
};

}  // namespace ddump
