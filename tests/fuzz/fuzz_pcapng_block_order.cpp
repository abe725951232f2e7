// libFuzzer target: reorderPcapngBlock on any NRB or DSB body (draft-ietf-
// opsawg-pcapng 4.5, 4.7). It must never read outside the block (ASan: the
// block is an exact-size copy) and keep its promises:
//   - the target byte order never changes whether a block is accepted or
//     the error text, which is one non-empty line naming the block;
//   - an accepted block keeps its size, reads back in the target order with
//     its type and both lengths, comes back unchanged when the orders are
//     equal, and re-encoded back to the first order gives the input exactly
//     (only integer fields are swapped; values and padding are copied);
//   - a body wrapped with correct framing never fails the framing checks;
//   - it agrees with an independent walk of the same layouts built on the
//     reader's own option parser (readPcapngOption, walkPcapngOptions):
//     the same blocks are accepted, and the output is the input with
//     exactly the fields that walk lists byte-reversed.
// The first byte chooses: bit 0 NRB or DSB, bit 1 the input's byte order,
// bit 2 the output's, bit 3 whether the rest is the body (framed here with
// the right lengths, so the record and option walks are reached) or the
// whole block as it is (so the framing checks are fuzzed too).

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "byte_order.h"
#include "pcapng_block_order.h"
#include "pcapng_blocks.h"
#include "pcapng_options.h"

namespace {

using namespace ddump;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

// Block Type | Block Total Length | body, zero-padded to 32 bits | Block
// Total Length (3.1).
std::vector<uint8_t> frame(uint32_t type, std::span<const uint8_t> body, ByteOrder order) {
  const size_t padded = (body.size() + 3) & ~size_t{3};
  const auto total = static_cast<uint32_t>(kPcapngBlockOverhead + padded);
  std::vector<uint8_t> block(total, 0);
  store32(block.data(), type, order);
  store32(block.data() + 4, total, order);
  std::copy(body.begin(), body.end(), block.begin() + kPcapngBlockHeaderSize);
  store32(block.data() + total - 4, total, order);
  return block;
}

struct Field {
  size_t at = 0;
  size_t width = 0;
};

bool isCustomOption(uint16_t code) {
  return code == 2988 || code == 2989 || code == 19372 || code == 19373;  // 3.5.1
}

// The multi-byte integer fields of an NRB's records (4.5): records share the
// option layout of 3.5, nrb_record_end included (code 0, length 0). Returns
// the offset in `body` where the options start, or nothing if malformed.
std::optional<size_t> nrbRecords(std::span<const uint8_t> body, ByteOrder order,
                                 std::vector<Field>& fields) {
  size_t at = 0;
  while (at < body.size()) {
    const auto step = readPcapngOption(body.subspan(at), order);
    if (!step) return std::nullopt;
    fields.push_back({kPcapngBlockHeaderSize + at, 2});
    fields.push_back({kPcapngBlockHeaderSize + at + 2, 2});
    at += step->size;
    if (step->option.code == 0) break;
  }
  return at;
}

// A DSB's Secrets Type and Secrets Length (4.7); where its options start.
std::optional<size_t> dsbSecrets(std::span<const uint8_t> body, ByteOrder order,
                                 std::vector<Field>& fields) {
  if (body.size() < 8) return std::nullopt;
  fields.push_back({kPcapngBlockHeaderSize, 4});
  fields.push_back({kPcapngBlockHeaderSize + 4, 4});
  const uint64_t padded = (uint64_t{load32(body.data() + 4, order)} + 3) & ~uint64_t{3};
  if (padded > body.size() - 8) return std::nullopt;
  return static_cast<size_t>(8 + padded);
}

// Every field the draft defines as an integer in `block`, found without
// pcapng_block_order; nothing when the block is malformed.
std::optional<std::vector<Field>> integerFields(uint32_t type, std::span<const uint8_t> block,
                                                ByteOrder order) {
  const size_t size = block.size();
  if (size < kPcapngBlockOverhead || size % 4 != 0 || load32(block.data(), order) != type ||
      load32(block.data() + 4, order) != size || load32(block.data() + size - 4, order) != size) {
    return std::nullopt;
  }
  std::vector<Field> fields{{0, 4}, {4, 4}, {size - 4, 4}};
  const auto body = pcapngBody(block);
  const auto options =
      type == kPcapngNrbType ? nrbRecords(body, order, fields) : dsbSecrets(body, order, fields);
  if (!options) return std::nullopt;
  const Status status =
      walkPcapngOptions(body.subspan(*options), order, [&](const PcapngOption& option) -> Status {
        const auto at = static_cast<size_t>(option.value.data() - block.data()) - 4;
        fields.push_back({at, 2});
        fields.push_back({at + 2, 2});
        if (isCustomOption(option.code)) {
          if (option.value.size() < 4) return makeError(ErrorCode::DecoderFailed, "no PEN");
          fields.push_back({at + 4, 4});
        }
        return Status::success();
      });
  if (!status) return std::nullopt;
  return fields;
}

bool startsWith(const std::string& text, const std::string& prefix) {
  return text.compare(0, prefix.size(), prefix) == 0;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t control = data[0];
  const uint32_t type = (control & 1) ? kPcapngDsbType : kPcapngNrbType;
  const ByteOrder from = (control & 2) ? ByteOrder::Big : ByteOrder::Little;
  const ByteOrder to = (control & 4) ? ByteOrder::Big : ByteOrder::Little;
  const bool framed = (control & 8) == 0;
  const std::span<const uint8_t> rest(data + 1, size - 1);
  const std::vector<uint8_t> block =
      framed ? frame(type, rest, from) : std::vector<uint8_t>(rest.begin(), rest.end());

  const auto result = reorderPcapngBlock(type, block, from, to);
  const auto same = reorderPcapngBlock(type, block, from, from);
  const auto fields = integerFields(type, block, from);
  check(result.ok() == same.ok());
  check(result.ok() == fields.has_value());
  if (!result) {
    const std::string& message = result.error().message;
    check(message == same.error().message);
    check(message.find('\n') == std::string::npos);
    check(startsWith(message, type == kPcapngNrbType ? "NRB " : "DSB "));
    if (framed) {
      check(message.find("Block Total Length") == std::string::npos);
      check(message.find("Block Type") == std::string::npos);
    }
    return 0;
  }
  const std::vector<uint8_t>& out = *result;
  check(out.size() == block.size());
  check(*same == block);
  if (from == to) check(out == block);
  check(load32(out.data(), to) == type);
  check(load32(out.data() + 4, to) == out.size());
  check(load32(out.data() + out.size() - 4, to) == out.size());
  std::vector<uint8_t> expected = block;
  if (from != to) {
    for (const Field& f : *fields)
      std::reverse(expected.begin() + f.at, expected.begin() + f.at + f.width);
  }
  check(out == expected);
  const auto back = reorderPcapngBlock(type, out, to, from);
  check(back.ok() && *back == block);
  return 0;
}
