#pragma once
// Re-encodes a pcapng Name Resolution Block or Decryption Secrets Block from
// one byte order to another, so a block read from a big-endian section can
// be written whole into a little-endian output (and back), as mergecap keeps
// them. Section numbers refer to draft-ietf-opsawg-pcapng:
//   3.1 block framing  3.5 options  3.5.1 custom options  4.5 NRB  4.7 DSB
//
// Only the integer fields the draft defines are swapped: the block header
// and trailer, NRB Record Type and Record Value Length, DSB Secrets Type and
// Secrets Length, every option's code and length, and the Private Enterprise
// Number that starts a custom option. Record values (addresses, names),
// secrets, string and byte-string option values, the rest of a custom
// option's value and all padding are byte strings and are copied as they
// are, so re-encoding back gives the original bytes.

#include <cstdint>
#include <span>
#include <vector>

#include "byte_order.h"
#include "result.h"

namespace ddump {

// `block` is one whole block (Block Type | Block Total Length | body | Block
// Total Length) in byte order `from`, of type `type` (kPcapngNrbType or
// kPcapngDsbType). Returns the same block in byte order `to` (a copy when
// the orders are equal), after checking its framing and every length in it
// against the bytes it has; or an error of one line naming the block and
// what is wrong. Never reads outside `block`.
Result<std::vector<uint8_t>> reorderPcapngBlock(uint32_t type, std::span<const uint8_t> block,
                                                ByteOrder from, ByteOrder to);

}  // namespace ddump
