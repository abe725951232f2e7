// reorderPcapngBlock: NRBs and DSBs (draft-ietf-opsawg-pcapng 4.5, 4.7)
// re-encoded between byte orders, checked against blocks written by hand in
// the target order and against the Python-written fixtures, and refused
// with one exact line at every length boundary.

#include <catch2/catch.hpp>

#include <algorithm>
#include <initializer_list>
#include <string>
#include <vector>

#include "pcapng_block_order.h"
#include "pcapng_test_support.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

using Bytes = std::vector<uint8_t>;
constexpr ByteOrder kLe = ByteOrder::Little;
constexpr ByteOrder kBe = ByteOrder::Big;

Bytes reordered(uint32_t type, const Bytes& block, ByteOrder from, ByteOrder to) {
  auto result = reorderPcapngBlock(type, block, from, to);
  INFO((result ? std::string() : result.error().message));
  REQUIRE(result.ok());
  return *result;
}

// The error for the block `build` makes with a builder of each byte order,
// read in that order and written in either: the same line all four ways.
template <class Build>
std::string refusal(uint32_t type, Build build) {
  std::string message;
  for (ByteOrder from : {kLe, kBe}) {
    const Bytes block = build(NgBuilder(from));
    for (ByteOrder to : {kLe, kBe}) {
      const auto result = reorderPcapngBlock(type, block, from, to);
      REQUIRE_FALSE(result.ok());
      CHECK(result.error().code == ErrorCode::DecoderFailed);
      if (message.empty()) message = result.error().message;
      CHECK(result.error().message == message);
    }
  }
  return message;
}

// Accepted in both orders, and each way round the re-encoding is the block
// the other builder makes.
template <class Build>
void requireSwaps(uint32_t type, Build build) {
  const Bytes le = build(NgBuilder(kLe));
  const Bytes be = build(NgBuilder(kBe));
  CHECK(reordered(type, le, kLe, kBe) == be);
  CHECK(reordered(type, be, kBe, kLe) == le);
  CHECK(reordered(type, le, kLe, kLe) == le);
  CHECK(reordered(type, be, kBe, kBe) == be);
}

const Bytes kIpv4Value = cat(Bytes{10, 213, 0, 2}, NgBuilder::text(std::string("peer.test", 10)));
const Bytes kIpv6Value = cat(Bytes{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1},
                             NgBuilder::text(std::string("v6.test", 8)));

// An NRB with an IPv4 and an IPv6 record, nrb_record_end, an opt_comment
// and opt_endofopt: the layout of 4.5, record headers built like options.
Bytes nrb(const NgBuilder& b) {
  return b.block(kPcapngNrbType,
                 cat(b.option(1, kIpv4Value), b.option(2, kIpv6Value), b.u16(0), b.u16(0),
                     b.option(1, NgBuilder::text("resolved")), b.endOfOptions()));
}

// The same NRB, little-endian, byte by byte.
const Bytes kNrbLittle = {
    0x04, 0x00, 0x00, 0x00, 0x50, 0x00, 0x00, 0x00,                          // NRB, 80 bytes
    0x01, 0x00, 0x0e, 0x00, 0x0a, 0xd5, 0x00, 0x02,                          // nrb_record_ipv4, 14
    'p',  'e',  'e',  'r',  '.',  't',  'e',  's',  't',  0x00, 0x00, 0x00,  //
    0x02, 0x00, 0x18, 0x00, 0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00,  // ipv6, 24
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01,                          //
    'v',  '6',  '.',  't',  'e',  's',  't',  0x00,                          //
    0x00, 0x00, 0x00, 0x00,                                                  // nrb_record_end
    0x01, 0x00, 0x08, 0x00, 'r',  'e',  's',  'o',  'l',  'v',  'e',  'd',   // opt_comment
    0x00, 0x00, 0x00, 0x00,                                                  // opt_endofopt
    0x50, 0x00, 0x00, 0x00};

constexpr uint32_t kPen = 32473;  // the example enterprise number of RFC 5612

// A DSB holding 10 bytes of TLS key log, a binary custom option (2989: PEN
// then data), an opt_comment and opt_endofopt (4.7, 3.5.1).
Bytes dsb(const NgBuilder& b) {
  return b.block(kPcapngDsbType,
                 cat(b.u32(0x544c534b), b.u32(10), NgBuilder::padded(NgBuilder::text("abcdefghij")),
                     b.option(2989, cat(b.u32(kPen), Bytes{1, 2, 3})),
                     b.option(1, NgBuilder::text("k")), b.endOfOptions()));
}

const Bytes kDsbLittle = {
    0x0a, 0x00, 0x00, 0x00, 0x38, 0x00, 0x00, 0x00,  // DSB, 56 bytes
    0x4b, 0x53, 0x4c, 0x54, 0x0a, 0x00, 0x00, 0x00,  // TLS Key Log, 10 bytes
    'a',  'b',  'c',  'd',  'e',  'f',  'g',  'h',  'i',  'j',  0x00, 0x00,  //
    0xad, 0x0b, 0x07, 0x00, 0xd9, 0x7e, 0x00, 0x00, 0x01, 0x02, 0x03, 0x00,  // 2989, PEN
    0x01, 0x00, 0x01, 0x00, 'k',  0x00, 0x00, 0x00,                          // opt_comment
    0x00, 0x00, 0x00, 0x00,                                                  // opt_endofopt
    0x38, 0x00, 0x00, 0x00};

Bytes reversedWords(Bytes b, std::initializer_list<size_t> offsets, size_t width) {
  for (size_t at : offsets) std::reverse(b.begin() + at, b.begin() + at + width);
  return b;
}

}  // namespace

TEST_CASE("a big-endian NRB becomes the little-endian one written by hand", "[unit][pcapng]") {
  const Bytes be = nrb(NgBuilder(kBe));
  REQUIRE(nrb(NgBuilder(kLe)) == kNrbLittle);
  // The big-endian block differs exactly in its integer fields: the two
  // lengths, three record headers and two option headers; the addresses,
  // names and comment are the same bytes.
  REQUIRE(be == reversedWords(reversedWords(kNrbLittle, {0, 4, 76}, 4),
                              {8, 10, 28, 30, 56, 58, 60, 62, 72, 74}, 2));
  CHECK(reordered(kPcapngNrbType, be, kBe, kLe) == kNrbLittle);
  CHECK(reordered(kPcapngNrbType, kNrbLittle, kLe, kBe) == be);
  CHECK(reordered(kPcapngNrbType, reordered(kPcapngNrbType, be, kBe, kLe), kLe, kBe) == be);
}

TEST_CASE("a DSB's custom option keeps its enterprise number in the block's order",
          "[unit][pcapng]") {
  const Bytes be = dsb(NgBuilder(kBe));
  REQUIRE(dsb(NgBuilder(kLe)) == kDsbLittle);
  REQUIRE(be == reversedWords(reversedWords(kDsbLittle, {0, 4, 8, 12, 32, 52}, 4),
                              {28, 30, 40, 42, 48, 50}, 2));
  CHECK(reordered(kPcapngDsbType, be, kBe, kLe) == kDsbLittle);
  CHECK(reordered(kPcapngDsbType, kDsbLittle, kLe, kBe) == be);
  CHECK(reordered(kPcapngDsbType, reordered(kPcapngDsbType, be, kBe, kLe), kLe, kBe) == be);
}

TEST_CASE("equal byte orders give the same bytes back", "[unit][pcapng]") {
  CHECK(reordered(kPcapngNrbType, kNrbLittle, kLe, kLe) == kNrbLittle);
  CHECK(reordered(kPcapngDsbType, kDsbLittle, kLe, kLe) == kDsbLittle);
  const Bytes nrbBe = nrb(NgBuilder(kBe));
  CHECK(reordered(kPcapngNrbType, nrbBe, kBe, kBe) == nrbBe);
  // A little-endian block read as big-endian has Block Total Length
  // 0x50000000: refused even though nothing would be swapped.
  const auto wrong = reorderPcapngBlock(kPcapngNrbType, kNrbLittle, kBe, kBe);
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().message == "NRB has Block Type 0x04000000, not 0x00000004");
}

TEST_CASE("the fixtures' NRB and DSB re-encode to their other-order twins", "[unit][pcapng]") {
  // blocks_le.pcapng and blocks_be.pcapng (make_pcapng.py, Python's struct)
  // hold the same NRB at offset 52 (36 bytes) and DSB at 88 (196 bytes).
  const Bytes le = readFile(dataPath("pcapng/blocks_le.pcapng"));
  const Bytes be = readFile(dataPath("pcapng/blocks_be.pcapng"));
  REQUIRE(le.size() == be.size());
  REQUIRE(le.size() >= 284);
  const Bytes nrbLe(le.begin() + 52, le.begin() + 88), nrbBe(be.begin() + 52, be.begin() + 88);
  const Bytes dsbLe(le.begin() + 88, le.begin() + 284), dsbBe(be.begin() + 88, be.begin() + 284);
  REQUIRE(nrbLe != nrbBe);
  CHECK(reordered(kPcapngNrbType, nrbBe, kBe, kLe) == nrbLe);
  CHECK(reordered(kPcapngNrbType, nrbLe, kLe, kBe) == nrbBe);
  CHECK(reordered(kPcapngDsbType, dsbBe, kBe, kLe) == dsbLe);
  CHECK(reordered(kPcapngDsbType, dsbLe, kLe, kBe) == dsbBe);
}

TEST_CASE("an NRB whose records fill it without nrb_record_end is accepted", "[unit][pcapng]") {
  // 4.5 ends the list with nrb_record_end; a reader is lenient when the
  // block ends first, and then there are no options.
  requireSwaps(kPcapngNrbType, [](const NgBuilder& b) {
    return b.block(kPcapngNrbType, cat(b.option(1, kIpv4Value), b.option(3, Bytes(6, 0xab))));
  });
  // Only the header: no records at all.
  requireSwaps(kPcapngNrbType, [](const NgBuilder& b) { return b.block(kPcapngNrbType, {}); });
  // Records then nrb_record_end and no options, and options without
  // opt_endofopt (3.5 lets a list end with its block).
  requireSwaps(kPcapngNrbType, [](const NgBuilder& b) {
    return b.block(kPcapngNrbType, cat(b.option(2, kIpv6Value), b.u16(0), b.u16(0)));
  });
  requireSwaps(kPcapngNrbType, [](const NgBuilder& b) {
    return b.block(kPcapngNrbType, cat(b.u16(0), b.u16(0), b.option(2, NgBuilder::text("ns1"))));
  });
}

TEST_CASE("padding and bytes after opt_endofopt are copied as they are", "[unit][pcapng]") {
  // Non-zero padding (3.5: SHOULD be zero, so readers meet other values) and
  // bytes after opt_endofopt belong to no field: a re-encoding back must
  // give the original bytes, so they are not touched.
  const auto build = [](const NgBuilder& b) {
    return b.block(kPcapngNrbType, cat(b.u16(1), b.u16(5), Bytes{10, 0, 0, 1, 0, 0xee, 0xee, 0xee},
                                       b.u16(0), b.u16(0), b.option(1, NgBuilder::text("ab")),
                                       b.endOfOptions(), Bytes{1, 2, 3, 4}));
  };
  requireSwaps(kPcapngNrbType, build);
  const Bytes le = build(NgBuilder(kLe));
  const Bytes be = reordered(kPcapngNrbType, le, kLe, kBe);
  CHECK(Bytes(be.begin() + 17, be.begin() + 20) == Bytes{0xee, 0xee, 0xee});
  CHECK(Bytes(be.begin() + 36, be.begin() + 40) == Bytes{1, 2, 3, 4});
}

TEST_CASE("block framing is checked before anything is read", "[unit][pcapng]") {
  CHECK(refusal(kPcapngNrbType, [](const NgBuilder&) { return Bytes{}; }) ==
        "NRB of 0 bytes is shorter than its 12-byte header and trailer");
  CHECK(refusal(kPcapngDsbType, [](const NgBuilder& b) { return cat(b.u32(10), b.u32(8)); }) ==
        "DSB of 8 bytes is shorter than its 12-byte header and trailer");
  CHECK(refusal(kPcapngNrbType, [](const NgBuilder& b) {
          return cat(b.block(kPcapngNrbType, {}), Bytes{0, 0});
        }) == "NRB of 14 bytes is not a multiple of 4");
  CHECK(refusal(kPcapngNrbType, [](const NgBuilder& b) { return b.block(5, {}); }) ==
        "NRB has Block Type 0x00000005, not 0x00000004");
  CHECK(refusal(kPcapngNrbType, [](const NgBuilder& b) {
          return b.block(kPcapngNrbType, cat(b.u16(0), b.u16(0)), 20, 16);
        }) == "NRB Block Total Length 20 is not its size 16");
  CHECK(refusal(kPcapngDsbType, [](const NgBuilder& b) {
          return b.block(kPcapngDsbType, cat(b.u32(1), b.u32(0)), 20, 24);
        }) == "DSB trailing Block Total Length 24 is not its size 20");
  // A block cut short: its lengths name bytes the span does not have.
  CHECK(refusal(kPcapngNrbType, [](const NgBuilder& b) {
          Bytes block = nrb(b);
          block.resize(block.size() - 4);
          return block;
        }) == "NRB Block Total Length 80 is not its size 76");
}

TEST_CASE("only NRBs and DSBs are re-encoded", "[unit][pcapng]") {
  CHECK(refusal(kPcapngEpbType, [](const NgBuilder& b) { return b.block(kPcapngEpbType, {}); }) ==
        "EPB is not an NRB or DSB");
  CHECK(refusal(0x99, [](const NgBuilder& b) { return b.block(0x99, {}); }) ==
        "type 0x00000099 is not an NRB or DSB");
  CHECK(refusal(kPcapngCustomType, [](const NgBuilder& b) {
          return b.block(kPcapngCustomType, b.u32(kPen));
        }) == "custom block is not an NRB or DSB");
}

TEST_CASE("an NRB record must end before the trailer", "[unit][pcapng]") {
  // 16 bytes of room after the record header: values of 13 to 16 bytes
  // fill it with their padding, 17 does not fit.
  const auto record = [](uint16_t length) {
    return [length](const NgBuilder& b) {
      return b.block(kPcapngNrbType, cat(b.u16(1), b.u16(length), Bytes(16, 0x41)));
    };
  };
  for (uint16_t length = 13; length <= 16; ++length) requireSwaps(kPcapngNrbType, record(length));
  CHECK(refusal(kPcapngNrbType, record(17)) ==
        "NRB record at byte 8 (type 1, length 17) runs past the block (16 bytes left)");
  CHECK(refusal(kPcapngNrbType, record(0xffff)) ==
        "NRB record at byte 8 (type 1, length 65535) runs past the block (16 bytes left)");
  // The second record, after a 20-byte first one.
  CHECK(refusal(kPcapngNrbType, [](const NgBuilder& b) {
          return b.block(kPcapngNrbType, cat(b.option(1, kIpv4Value), b.u16(2), b.u16(21),
                                             Bytes(16, 0), b.u16(0), b.u16(0)));
        }) == "NRB record at byte 28 (type 2, length 21) runs past the block (20 bytes left)");
  CHECK(refusal(kPcapngNrbType, [](const NgBuilder& b) {
          return b.block(kPcapngNrbType, cat(b.u16(0), b.u16(4), Bytes(4, 0)));
        }) == "NRB nrb_record_end at byte 8 has length 4, not 0");
}

TEST_CASE("an NRB or DSB option must end before the trailer", "[unit][pcapng]") {
  // nrb_record_end, then an opt_comment header with 8 bytes of room:
  // values of 5 to 8 bytes fill it, 9 does not fit.
  const auto comment = [](uint16_t length) {
    return [length](const NgBuilder& b) {
      return b.block(kPcapngNrbType,
                     cat(b.u16(0), b.u16(0), b.u16(1), b.u16(length), Bytes(8, 'c')));
    };
  };
  for (uint16_t length = 5; length <= 8; ++length) requireSwaps(kPcapngNrbType, comment(length));
  CHECK(refusal(kPcapngNrbType, comment(9)) ==
        "NRB option at byte 12 (code 1, length 9) runs past the block (8 bytes left)");
  CHECK(refusal(kPcapngNrbType, [](const NgBuilder& b) {
          return b.block(kPcapngNrbType, cat(b.u16(0), b.u16(0), b.u16(0), b.u16(4), Bytes(4, 0)));
        }) == "NRB opt_endofopt at byte 12 has length 4, not 0");
  // In a DSB with no secrets, options start at byte 16.
  CHECK(refusal(kPcapngDsbType, [](const NgBuilder& b) {
          return b.block(kPcapngDsbType, cat(b.u32(1), b.u32(0), b.option(1, NgBuilder::text("x")),
                                             b.u16(2), b.u16(5), Bytes(4, 0)));
        }) == "DSB option at byte 24 (code 2, length 5) runs past the block (4 bytes left)");
}

TEST_CASE("a custom option must hold its enterprise number", "[unit][pcapng]") {
  // 3.5.1: every custom option value starts with the 32-bit PEN.
  for (uint16_t code : {2988, 2989, 19372, 19373}) {
    INFO("code " << code);
    for (uint16_t length = 0; length < 4; ++length) {
      const auto build = [code, length](const NgBuilder& b) {
        return b.block(kPcapngDsbType,
                       cat(b.u32(1), b.u32(0), b.u16(code), b.u16(length), Bytes(4, 0)));
      };
      CHECK(refusal(kPcapngDsbType, build) ==
            "DSB custom option " + std::to_string(code) + " at byte 16 has length " +
                std::to_string(length) + ", too short for its Private Enterprise Number");
    }
    // The PEN alone, and the PEN and a string, in an NRB's options.
    requireSwaps(kPcapngDsbType, [code](const NgBuilder& b) {
      return b.block(kPcapngDsbType, cat(b.u32(1), b.u32(0), b.option(code, b.u32(kPen))));
    });
    requireSwaps(kPcapngNrbType, [code](const NgBuilder& b) {
      return b.block(kPcapngNrbType, cat(b.u16(0), b.u16(0),
                                         b.option(code, cat(b.u32(kPen), NgBuilder::text("abc"))),
                                         b.endOfOptions()));
    });
  }
  // A PEN-sized value under any other code is a byte string, never swapped.
  const Bytes le = NgBuilder(kLe).block(
      kPcapngNrbType, cat(Bytes{0, 0, 0, 0}, Bytes{3, 0, 4, 0}, Bytes{10, 0, 0, 53}));
  const Bytes be = reordered(kPcapngNrbType, le, kLe, kBe);
  CHECK(Bytes(be.begin() + 16, be.begin() + 20) == Bytes{10, 0, 0, 53});
}

TEST_CASE("DSB Secrets Length must fit in the block", "[unit][pcapng]") {
  // 12 bytes of room after Secrets Type and Secrets Length: 9 to 12 bytes of
  // secrets fill it, 13 do not fit.
  const auto secrets = [](uint32_t length) {
    return [length](const NgBuilder& b) {
      return b.block(kPcapngDsbType, cat(b.u32(0x5758474b), b.u32(length), Bytes(12, 0x5a)));
    };
  };
  for (uint32_t length = 9; length <= 12; ++length) requireSwaps(kPcapngDsbType, secrets(length));
  CHECK(refusal(kPcapngDsbType, secrets(13)) ==
        "DSB Secrets Length 13 runs past the block (12 bytes left)");
  // Lengths that a 32-bit "round up to 4" would wrap to 0.
  for (uint32_t length : {0xfffffffdu, 0xfffffffeu, 0xffffffffu}) {
    CHECK(refusal(kPcapngDsbType, secrets(length)) ==
          "DSB Secrets Length " + std::to_string(length) + " runs past the block (12 bytes left)");
  }
  CHECK(refusal(kPcapngDsbType, [](const NgBuilder& b) {
          return b.block(kPcapngDsbType, b.u32(1));
        }) == "DSB body of 4 bytes has no room for Secrets Type and Secrets Length");
  CHECK(refusal(kPcapngDsbType, [](const NgBuilder& b) { return b.block(kPcapngDsbType, {}); }) ==
        "DSB body of 0 bytes has no room for Secrets Type and Secrets Length");
}
