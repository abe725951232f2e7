#pragma once
// Incremental reader for a pcapng byte stream (draft-ietf-opsawg-pcapng)
// that arrives in arbitrary chunks: a file, stdin or a worker's stream. The
// input is untrusted, so, like StreamDecoder, it is an explicit state machine:
//
//   Header --8 bytes (12 for an SHB)--> Body --rest of the block--> Header
//            \                      \-> Skip --rest of the block--> Header
//             \______________________\____________________________> Failed
//
// Header reads Block Type and Block Total Length (3.1) and checks the length
// before anything is buffered: a multiple of 4, at least the block type's
// fixed fields plus 12, at most kPcapngMaxBlockLength. Body gathers a block
// the reader interprets (SHB, IDB, EPB, SPB, PB, ISB) or passes on whole
// (NRB, DSB) into one buffer that grows with the bytes that arrive, never
// past the block's length; a block that is whole in the input is read in
// place without copying. Skip counts off the other blocks (custom blocks,
// types this reader does not know) without buffering them. Every block ends
// by checking the trailing Block Total Length against the leading one.
//
// It never reads past the span it was given, never emits an event for a
// block before the whole block has been checked, and once Failed it stays
// Failed. Errors are one line naming the block's number and byte offset.

#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pcap_format.h"
#include "pcapng_blocks.h"
#include "pcapng_section_decoder.h"
#include "result.h"

namespace ddump {

// The longest block accepted: 16 MiB, libpcap's INITIAL_MAX_BLOCKSIZE
// (sf-pcapng.c; it grows past that only for a link type whose packets may be
// longer) and Wireshark's limit before it made room for 128 MiB D-Bus
// messages (wiretap/pcapng.c MAX_BLOCK_SIZE = EPB + 128 MiB + 128 KiB of
// options). libpcap's max_snaplen_for_dlt caps packets at 262144 bytes
// (MAXIMUM_SNAPLEN) for every link type but D-Bus (128 MiB), EBHSCR (8 MiB)
// and USBPcap (1 MiB): 16 MiB holds all of them but a D-Bus message over
// 16 MiB, which is refused.
inline constexpr uint32_t kPcapngMaxBlockLength = 16u * 1024 * 1024;

class PcapngReader {
 public:
  enum class State { Header, Body, Skip, Failed };

  // maxCaplen bounds every packet's captured length, and so what a packet
  // can make the reader buffer (with its options, up to the block limit).
  // The default is libpcap's MAXIMUM_SNAPLEN (262144), what every capture
  // from a worker and nearly every file holds; a file from elsewhere may
  // carry longer packets (EBHSCR, USBPcap, D-Bus), up to what a
  // kPcapngMaxBlockLength block holds, and a caller reading such files
  // passes a larger bound.
  explicit PcapngReader(uint32_t maxCaplen = kMaxSnaplen) : section_(maxCaplen) {}

  // True when `bytes` starts with the Section Header Block's type, which
  // every pcapng stream begins with (4.1: 0x0A0D0D0A, the same in both byte
  // orders). Needs 4 bytes.
  static bool isPcapngMagic(std::span<const uint8_t> bytes);

  // Reads as much of `bytes` as forms whole blocks, buffering the rest.
  Status feed(std::span<const uint8_t> bytes, PcapngSink& sink);
  // Declares the end of input: fails unless it ended on a block boundary
  // after at least one Section Header Block.
  Status finish();

  State state() const { return state_; }
  uint64_t offset() const { return offset_; }  // bytes consumed
  uint64_t blocks() const { return blocks_; }  // blocks begun
  uint64_t packets() const { return section_.packets(); }
  uint64_t sections() const { return section_.sections(); }
  size_t interfaceCount() const { return section_.interfaceCount(); }
  // The part of a block gathered so far (and its allocation): packet data
  // and raw blocks point in here or into the caller's span.
  std::span<const uint8_t> bufferedBlock() const { return body_; }
  size_t bufferCapacity() const { return body_.capacity(); }

 private:
  size_t consumeWholeBlock(std::span<const uint8_t> in, PcapngSink& sink);
  size_t consumeHeader(std::span<const uint8_t> in);
  size_t consumeBody(std::span<const uint8_t> in, PcapngSink& sink);
  size_t consumeSkip(std::span<const uint8_t> in, PcapngSink& sink);
  bool acceptHeader(std::span<const uint8_t> header);
  bool acceptByteOrder(std::span<const uint8_t> header);
  void beginBlock(std::span<const uint8_t> header);
  void appendBounded(std::span<const uint8_t> bytes);
  Status checkFixed(std::span<const uint8_t> fixed);
  Status checkTrailer(uint32_t trailer) const;
  Status processBlock(std::span<const uint8_t> block, PcapngSink& sink);
  void endBlock();
  void fail(Error error);
  Error blockError(ErrorCode code, const std::string& what) const;

  PcapngSectionDecoder section_;
  State state_ = State::Header;
  ByteOrder order_ = ByteOrder::Little;  // the current section's

  // The block being read.
  uint32_t blockType_ = 0;
  uint32_t blockLength_ = 0;
  uint64_t blockStart_ = 0;  // its offset in the stream
  bool fixedChecked_ = false;
  std::array<uint8_t, 12> header_{};  // a partial block header
  size_t headerFill_ = 0;
  std::vector<uint8_t> body_;         // a partial block (Body); never more than blockLength_
  uint32_t skipped_ = 0;              // bytes of the block counted off (Skip)
  std::array<uint8_t, 4> trailer_{};  // its trailing length, as it passes (Skip)

  uint64_t offset_ = 0;
  uint64_t blocks_ = 0;
  Error error_{ErrorCode::DecoderFailed, {}};
};

}  // namespace ddump
