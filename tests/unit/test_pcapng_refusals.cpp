// The pcapng reader refuses malformed and hostile streams with one line
// naming the block and its offset, at the first byte that shows the fault,
// with the same message however the stream is cut, and bounds its memory.

#include <catch2/catch.hpp>

#include "pcapng_test_support.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

const NgBuilder le(ByteOrder::Little);
// SHB (28 bytes, block 1) and one Ethernet IDB (20 bytes, block 2): the
// next block is block 3 at offset 48.
const auto kHead = cat(le.shb(), le.idb(1, 262144));
const std::vector<uint8_t> kFrame(60, 0xab);

// The error reading `bytes` gives whole, which must also be the error (and
// the events before it) fed in two halves and one byte at a time.
Error refusal(const std::vector<uint8_t>& bytes, uint32_t maxCaplen = kMaxSnaplen) {
  PcapngReader whole(maxCaplen);
  EventLog wholeLog;
  const Status status = readPieces(bytes, {}, whole, wholeLog);
  REQUIRE_FALSE(status.ok());
  for (int way = 0; way < 2; ++way) {
    PcapngReader reader(maxCaplen);
    EventLog log;
    const Status again = way == 0 ? readPieces(bytes, {bytes.size() / 2}, reader, log)
                                  : readByteByByte(bytes, reader, log);
    REQUIRE_FALSE(again.ok());
    CHECK(again.error().message == status.error().message);
    CHECK(again.error().code == status.error().code);
    CHECK(log.lines == wholeLog.lines);
  }
  return status.error();
}

}  // namespace

TEST_CASE("pcapng refuses a stream that is not pcapng at its first 4 bytes", "[pcapng]") {
  const auto pcap = readFile(dataPath("en10mb_le_usec.pcap"));
  const Error e = refusal(pcap);
  CHECK(e.code == ErrorCode::BadMagic);
  CHECK(
      e.message ==
      "not a pcapng stream: it starts with d4 c3 b2 a1, not a Section Header Block (0a 0d 0d 0a)");
  PcapngReader reader;
  EventLog log;
  const std::string html = "<html>";
  CHECK(
      reader.feed(std::span(reinterpret_cast<const uint8_t*>(html.data()), 4), log)
          .error()
          .message ==
      "not a pcapng stream: it starts with 3c 68 74 6d, not a Section Header Block (0a 0d 0d 0a)");
}

TEST_CASE("pcapng refuses a bad Section Header Block", "[pcapng]") {
  SECTION("byte-order magic") {
    const auto bytes = le.block(
        kPcapngShbType, cat(le.u32(0x1A2B3C4E), le.u16(1), le.u16(0), le.u64(~uint64_t{0})));
    const Error e = refusal(bytes);
    CHECK(e.code == ErrorCode::BadMagic);
    CHECK(e.message ==
          "pcapng block 1 (SHB) at offset 0: byte-order magic 4e 3c 2b 1a is neither 1a 2b 3c 4d "
          "(big-endian) nor 4d 3c 2b 1a (little-endian)");
  }
  SECTION("version 2.0, and 1.1") {
    const Error e = refusal(le.shb({}, 2, 0));
    CHECK(e.code == ErrorCode::UnsupportedVersion);
    CHECK(
        e.message ==
        "pcapng block 1 (SHB) at offset 0: unsupported pcapng version 2.0 (1.0 and 1.2 are read)");
    CHECK(refusal(cat(le.shb(), le.shb({}, 1, 1))).message ==
          "pcapng block 2 (SHB) at offset 28: unsupported pcapng version 1.1 (1.0 and 1.2 are "
          "read)");
  }
  SECTION("a section length that is neither -1 nor a multiple of 4") {
    for (uint64_t length : {uint64_t{0} - 2, uint64_t{6}}) {
      auto bytes = le.shb();
      store32(&bytes[16], static_cast<uint32_t>(length), ByteOrder::Little);
      store32(&bytes[20], static_cast<uint32_t>(length >> 32), ByteOrder::Little);
      CHECK(refusal(bytes).message == "pcapng block 1 (SHB) at offset 0: section length " +
                                          std::to_string(static_cast<int64_t>(length)) +
                                          " is neither -1 nor a non-negative multiple of 4");
    }
  }
}

TEST_CASE("pcapng refuses bad block lengths before buffering anything", "[pcapng]") {
  SECTION("not a multiple of 4") {
    const auto bytes =
        cat(le.shb(), le.block(kPcapngIdbType, cat(le.u16(1), le.u16(0), le.u32(0)), 30));
    CHECK(refusal(bytes).message ==
          "pcapng block 2 (IDB) at offset 28: total length 30 is not a multiple of 4");
  }
  SECTION("shorter than the block's fixed fields, or than 12") {
    CHECK(refusal(cat(kHead, le.block(kPcapngEpbType, std::vector<uint8_t>(16), 28))).message ==
          "pcapng block 3 (EPB) at offset 48: total length 28 is less than 32, its fixed fields "
          "and both length fields");
    CHECK(refusal(cat(kHead, le.block(0x1234, {}, 8))).message ==
          "pcapng block 3 (type 0x00001234) at offset 48: total length 8 is less than 12, its "
          "fixed fields and both length fields");
  }
  SECTION("a trailing length that differs, in a read and in a skipped block") {
    auto epb = le.epb(0, 0, kFrame);
    store32(&epb[epb.size() - 4], 96, ByteOrder::Little);
    CHECK(refusal(cat(kHead, epb)).message ==
          "pcapng block 3 (EPB) at offset 48: trailing total length 96 differs from the leading "
          "92");
    CHECK(refusal(cat(kHead, le.block(kPcapngCustomType, le.u32(32473), {}, 20))).message ==
          "pcapng block 3 (custom block) at offset 48: trailing total length 20 differs from the "
          "leading 16");
  }
  SECTION("a hostile 2 GiB length fails at its 8th byte") {
    PcapngReader reader;
    EventLog log;
    REQUIRE(reader.feed(kHead, log).ok());
    const auto header = cat(le.u32(kPcapngEpbType), le.u32(0x80000000));
    CHECK(reader.feed(std::span(header).first(7), log).ok());
    const Status status = reader.feed(std::span(header).subspan(7), log);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().message ==
          "pcapng block 3 (EPB) at offset 48: total length 2147483648 exceeds the limit of "
          "16777216 bytes");
    CHECK(reader.bufferCapacity() == 0);
    CHECK(refusal(cat(kHead, le.block(0x1234, {}, kPcapngMaxBlockLength + 4))).message ==
          "pcapng block 3 (type 0x00001234) at offset 48: total length 16777220 exceeds the limit "
          "of 16777216 bytes");
  }
}

TEST_CASE("pcapng skips a block of the longest length without buffering it", "[pcapng]") {
  const auto block = le.block(0x80000001, std::vector<uint8_t>(kPcapngMaxBlockLength - 12, 7));
  REQUIRE(block.size() == kPcapngMaxBlockLength);
  const auto bytes = cat(kHead, block, le.epb(0, 1, kFrame));
  PcapngReader reader;
  EventLog log;
  for (size_t at = 0; at < bytes.size(); at += 65536) {
    REQUIRE(
        reader.feed(std::span(bytes).subspan(at, std::min<size_t>(65536, bytes.size() - at)), log)
            .ok());
    REQUIRE(reader.bufferCapacity() <= 256);  // the last EPB's 92 bytes at most
  }
  REQUIRE(reader.finish().ok());
  CHECK(log.skipped == std::vector<NgSkipped>{{0x80000001, kPcapngMaxBlockLength}});
  CHECK(log.packets.size() == 1);
}

TEST_CASE("pcapng buffers a block only as far as it has arrived", "[pcapng]") {
  // An 8 MiB NRB (read as raw bytes): the buffer grows with the input,
  // never past twice what arrived, and is given back after the block.
  const auto nrb = le.block(kPcapngNrbType, std::vector<uint8_t>(8 * 1024 * 1024 - 12, 1));
  const auto bytes = cat(kHead, nrb);
  PcapngReader reader;
  EventLog log;
  REQUIRE(reader.feed(std::span(bytes).first(kHead.size()), log).ok());
  for (size_t at = kHead.size(); at < bytes.size(); at += 65536) {
    const size_t n = std::min<size_t>(65536, bytes.size() - at);
    REQUIRE(reader.feed(std::span(bytes).subspan(at, n), log).ok());
    const size_t buffered = at + n - kHead.size();
    if (buffered < nrb.size()) {
      REQUIRE(reader.bufferedBlock().size() == buffered);
      REQUIRE(reader.bufferCapacity() <= 2 * buffered);
    }
  }
  REQUIRE(reader.finish().ok());
  REQUIRE(log.raw.size() == 1);
  CHECK(log.raw[0].bytes == nrb);
  CHECK(reader.bufferCapacity() == 0);
}

TEST_CASE("pcapng refuses packets it cannot place or bound", "[pcapng]") {
  SECTION("an EPB for an interface without an IDB") {
    CHECK(refusal(cat(kHead, le.epb(1, 0, kFrame))).message ==
          "pcapng block 3 (EPB) at offset 48: interface 1 has no IDB in this section (1 "
          "interfaces)");
  }
  SECTION("... found from its fixed fields, before the megabyte it announces") {
    const auto big = le.epb(5, 0, std::vector<uint8_t>(1 << 20, 0));
    PcapngReader reader;
    EventLog log;
    REQUIRE(reader.feed(kHead, log).ok());
    CHECK(reader.feed(std::span(big).first(27), log).ok());
    const Status status = reader.feed(std::span(big).subspan(27, 1), log);
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().message ==
          "pcapng block 3 (EPB) at offset 48: interface 5 has no IDB in this section (1 "
          "interfaces)");
  }
  SECTION("a PB, an ISB and an SPB without their interface") {
    CHECK(refusal(cat(kHead,
                      le.block(kPcapngPbType, cat(le.u16(2), le.u16(0), std::vector<uint8_t>(16)))))
              .message ==
          "pcapng block 3 (PB) at offset 48: interface 2 has no IDB in this section (1 "
          "interfaces)");
    CHECK(refusal(cat(kHead, le.isb(3, 0))).message ==
          "pcapng block 3 (ISB) at offset 48: interface 3 has no IDB in this section (1 "
          "interfaces)");
    CHECK(refusal(cat(le.shb(), le.spb(60, kFrame))).message ==
          "pcapng block 2 (SPB) at offset 28: no IDB in this section for interface 0, which an SPB "
          "belongs to");
  }
  SECTION("a new section forgets the interfaces of the last") {
    const auto bytes = cat(le.shb(), le.idb(1, 0), le.idb(1, 0), le.epb(1, 0, kFrame), le.shb(),
                           le.idb(1, 0), le.epb(1, 0, kFrame));
    EventLog log;
    PcapngReader reader;
    const Status status = readPieces(bytes, {}, reader, log);
    CHECK(status.error().message ==
          "pcapng block 7 (EPB) at offset 208: interface 1 has no IDB in this section (1 "
          "interfaces)");
    CHECK(log.sections.size() == 2);
    CHECK(log.interfaces.size() == 3);
    CHECK(log.packets.size() == 1);
  }
  SECTION("a caplen past the block") {
    const auto epb =
        le.block(kPcapngEpbType, cat(le.u32(0), le.split64(0), le.u32(100), le.u32(100), kFrame));
    const Error e = refusal(cat(kHead, epb));
    CHECK(e.code == ErrorCode::DecoderFailed);
    CHECK(e.message ==
          "pcapng block 3 (EPB) at offset 48: caplen 100 runs past the block (60 "
          "bytes of room)");
  }
  SECTION("a caplen over the bound, which the constructor sets") {
    const auto bytes = cat(kHead, le.epb(0, 0, std::vector<uint8_t>(300000, 1)));
    const Error e = refusal(bytes);
    CHECK(e.code == ErrorCode::CaplenTooLarge);
    CHECK(e.message == "pcapng block 3 (EPB) at offset 48: caplen 300000 exceeds the limit 262144");
    EventLog log;
    CHECK(readError(bytes, log, 1 << 20).empty());
    REQUIRE(log.packets.size() == 1);
    CHECK(log.packets[0].caplen == 300000);
    // An SPB's caplen comes from its length, interface 0's snaplen (0: none) and its room.
    const auto spb = cat(le.shb(), le.idb(1, 0), le.spb(300000, std::vector<uint8_t>(300000, 2)));
    CHECK(refusal(spb).message ==
          "pcapng block 3 (SPB) at offset 48: caplen 300000 exceeds the limit 262144");
  }
  SECTION("an option running past the block") {
    const auto options = cat(le.u16(1), le.u16(40), NgBuilder::text("abcd"));
    CHECK(refusal(cat(kHead, le.epb(0, 0, kFrame, {}, options))).message ==
          "pcapng block 3 (EPB) at offset 48: option 1 (length 40) runs past the block (4 bytes "
          "left)");
  }
  SECTION("a timestamp before 1970 through if_tsoffset") {
    const auto idb =
        le.idb(1, 0, cat(le.option(14, le.u64(static_cast<uint64_t>(-10))), le.endOfOptions()));
    CHECK(refusal(cat(le.shb(), idb, le.epb(0, 5'000000, kFrame))).message ==
          "pcapng block 3 (EPB) at offset 64: timestamp 5 s + if_tsoffset -10 s is before 1970");
  }
}

TEST_CASE("pcapng refuses interface options it cannot honour", "[pcapng]") {
  auto idbError = [](const NgBuilder::Bytes& options) {
    return refusal(cat(le.shb(), le.idb(1, 0, options))).message;
  };
  CHECK(idbError(cat(le.option(9, {20}), le.endOfOptions())) ==
        "pcapng block 2 (IDB) at offset 28: if_tsresol 10^-20 s is finer than 10^-19: its units "
        "per second do not fit in 64 bits");
  CHECK(idbError(cat(le.option(9, {0xc0}), le.endOfOptions())) ==
        "pcapng block 2 (IDB) at offset 28: if_tsresol 2^-64 s is finer than 2^-63: its units "
        "per second do not fit in 64 bits");
  CHECK(idbError(cat(le.option(9, {6}), le.option(9, {9}))) ==
        "pcapng block 2 (IDB) at offset 28: more than one if_tsresol option");
  CHECK(idbError(cat(le.option(9, {6, 0}))) ==
        "pcapng block 2 (IDB) at offset 28: if_tsresol option has length 2, not 1");
  CHECK(idbError(cat(le.option(14, le.u32(1)))) ==
        "pcapng block 2 (IDB) at offset 28: if_tsoffset option has length 4, not 8");
}

TEST_CASE("pcapng refuses more interfaces in a section than it keeps", "[pcapng]") {
  std::vector<uint8_t> bytes = le.shb();
  const auto idb = le.idb(1, 0);
  for (uint32_t i = 0; i <= kPcapngMaxInterfaces; ++i)
    bytes.insert(bytes.end(), idb.begin(), idb.end());
  PcapngReader reader;
  EventLog log;
  const Status status = readPieces(bytes, {}, reader, log);
  CHECK(status.error().message ==
        "pcapng block 65538 (IDB) at offset 1310748: more than 65536 "
        "interfaces in one section");
  CHECK(log.interfaces.size() == kPcapngMaxInterfaces);
}

TEST_CASE("pcapng reports a stream cut short at finish", "[pcapng]") {
  const auto stream = cat(kHead, le.epb(0, 0, kFrame), le.block(kPcapngCustomType, le.u32(1)));
  auto truncated = [&](size_t size) {
    PcapngReader reader;
    EventLog log;
    REQUIRE(reader.feed(std::span(stream).first(size), log).ok());
    const Status status = reader.finish();
    REQUIRE_FALSE(status.ok());
    CHECK(status.error().code == ErrorCode::Truncated);
    return status.error().message;
  };
  CHECK(truncated(0) == "truncated pcapng stream: no Section Header Block (empty input)");
  CHECK(truncated(2) ==
        "truncated pcapng stream: block 1 at offset 0 ended after 2 of its 8 header bytes");
  CHECK(truncated(10) ==
        "truncated pcapng stream: block 1 at offset 0 ended after 10 of its 12 header bytes");
  CHECK(truncated(20) ==
        "truncated pcapng stream: block 1 (SHB) at offset 0 ended after 20 of its 28 bytes");
  CHECK(truncated(53) ==
        "truncated pcapng stream: block 3 at offset 48 ended after 5 of its 8 header bytes");
  CHECK(truncated(98) ==
        "truncated pcapng stream: block 3 (EPB) at offset 48 ended after 50 of its 92 bytes");
  CHECK(truncated(stream.size() - 1) ==
        "truncated pcapng stream: block 4 (custom block) at "
        "offset 140 ended after 15 of its 16 bytes");
  PcapngReader reader;
  EventLog log;
  CHECK(readPieces(stream, {}, reader, log).ok());
}

TEST_CASE("a failed pcapng reader stays failed and reports nothing more", "[pcapng]") {
  const auto bad = cat(kHead, le.epb(0, 0, kFrame), le.epb(9, 0, kFrame), le.epb(0, 1, kFrame));
  PcapngReader reader;
  EventLog log;
  const Status status = reader.feed(bad, log);
  REQUIRE_FALSE(status.ok());
  CHECK(reader.state() == PcapngReader::State::Failed);
  CHECK(log.packets.size() == 1);
  const size_t events = log.lines.size();
  const auto good = cat(le.shb(), le.idb(1, 0), le.epb(0, 0, kFrame));
  CHECK(reader.feed(good, log).error().message == status.error().message);
  CHECK(reader.finish().error().message == status.error().message);
  CHECK(log.lines.size() == events);
}

TEST_CASE("pcapng lenient where the draft asks readers to be", "[pcapng]") {
  SECTION("an original length below caplen is raised to it (4.3 MAY)") {
    EventLog log;
    CHECK(readError(cat(kHead, le.epb(0, 0, kFrame, 10)), log).empty());
    REQUIRE(log.packets.size() == 1);
    CHECK(log.packets[0].caplen == 60);
    CHECK(log.packets[0].len == 60);
  }
  SECTION("options without opt_endofopt end with the block; strings end at NUL (3.5)") {
    const auto idb = le.idb(1, 0, le.option(2, NgBuilder::text(std::string("eth0\0junk", 9))));
    EventLog log;
    CHECK(readError(cat(le.shb(), idb, le.epb(0, 0, kFrame, {}, le.option(1, {'h', 'i'}))), log)
              .empty());
    REQUIRE(log.interfaces.size() == 1);
    CHECK(log.interfaces[0].name == "eth0");
    REQUIRE(log.packets.size() == 1);
    CHECK(log.packets[0].comments == std::vector<std::string>{"hi"});
  }
  SECTION("an SPB longer than its room is cut to the room, a zero caplen is a packet") {
    EventLog log;
    CHECK(readError(cat(kHead, le.spb(100, std::vector<uint8_t>(40, 3)), le.epb(0, 0, {})), log)
              .empty());
    REQUIRE(log.packets.size() == 2);
    CHECK(log.packets[0].caplen == 40);
    CHECK(log.packets[0].len == 100);
    CHECK(log.packets[1].caplen == 0);
    CHECK(log.packets[1].data.empty());
    // ... and to interface 0's snaplen when that is less (4.4).
    EventLog snapped;
    const auto spb = le.spb(100, std::vector<uint8_t>(40, 3));
    CHECK(readError(cat(le.shb(), le.idb(1, 32), spb), snapped).empty());
    REQUIRE(snapped.packets.size() == 1);
    CHECK(snapped.packets[0].caplen == 32);
    CHECK(snapped.packets[0].data == std::vector<uint8_t>(32, 3));
  }
  SECTION("a section may come with no interface and no packet") {
    EventLog log;
    CHECK(readError(cat(le.shb(), le.shb()), log).empty());
    CHECK(log.sections.size() == 2);
  }
}
