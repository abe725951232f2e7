// The pcapng reader on the committed fixtures (tests/data/pcapng, written by
// make_pcapng.py, and editcap's pcapng copies of two captures): the events
// it reports, cross-checked with what TShark 4.0.17 and capinfos read from
// the same files, and the same events however the input is cut.

#include <catch2/catch.hpp>

#include <cstdio>

#include "pcapng_test_support.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

std::vector<uint8_t> fixture(const std::string& name) {
  auto bytes = readFile(dataPath("pcapng/" + name));
  REQUIRE_FALSE(bytes.empty());
  return bytes;
}

EventLog readWhole(const std::vector<uint8_t>& bytes) {
  PcapngReader reader;
  EventLog log;
  const Status status = readPieces(bytes, {}, reader, log);
  INFO((status ? std::string() : status.error().message));
  REQUIRE(status.ok());
  CHECK(reader.offset() == bytes.size());
  return log;
}

// Cut in two at every offset, and fed one byte at a time, a stream gives
// exactly the events it gives whole.
void requireSameEventsInPieces(const std::vector<uint8_t>& bytes) {
  const EventLog whole = readWhole(bytes);
  REQUIRE_FALSE(whole.lines.empty());
  for (size_t cut = 0; cut <= bytes.size(); ++cut) {
    INFO("cut at " << cut);
    PcapngReader reader;
    EventLog log;
    REQUIRE(readPieces(bytes, {cut}, reader, log).ok());
    REQUIRE(log.lines == whole.lines);
  }
  for (size_t a = 1; a < bytes.size(); a += 61) {  // three pieces, a sample of pairs
    for (size_t b = a; b < bytes.size(); b += 37) {
      PcapngReader reader;
      EventLog log;
      REQUIRE(readPieces(bytes, {a, b}, reader, log).ok());
      REQUIRE(log.lines == whole.lines);
    }
  }
  PcapngReader reader;
  EventLog log;
  REQUIRE(readByteByByte(bytes, reader, log).ok());
  REQUIRE(log.lines == whole.lines);
}

// One line of `tshark -r FILE -T fields -e frame.interface_name
// -e frame.time_epoch -e frame.comment -e frame.len`.
struct TsharkRow {
  std::string interfaceName;
  std::string timeEpoch;  // "" when the packet has no timestamp (SPB)
  std::string comment;    // comments joined by ","; tshark prints \r\n escaped
  uint32_t len = 0;
  bool operator==(const TsharkRow&) const = default;
};

std::string epochText(const std::optional<uint64_t>& ns) {
  if (!ns) return "";
  char text[48];
  std::snprintf(text, sizeof text, "%llu.%09llu",
                static_cast<unsigned long long>(*ns / kNsPerSecond),
                static_cast<unsigned long long>(*ns % kNsPerSecond));
  return text;
}

std::vector<TsharkRow> tsharkRows(const EventLog& log) {
  std::vector<TsharkRow> rows;
  for (const auto& p : log.packets) {
    std::string comment;
    for (const auto& c : p.comments) comment += (comment.empty() ? "" : ",") + c;
    rows.push_back({p.interfaceName, epochText(p.tsNs), comment, p.len});
  }
  return rows;
}

}  // namespace

namespace Catch {
template <>
struct StringMaker<TsharkRow> {
  static std::string convert(const TsharkRow& r) {
    return r.interfaceName + "\t" + r.timeEpoch + "\t" + r.comment + "\t" + std::to_string(r.len);
  }
};
}  // namespace Catch

TEST_CASE("pcapng magic detection", "[pcapng]") {
  const std::vector<uint8_t> shb{0x0a, 0x0d, 0x0d, 0x0a, 0x1c, 0, 0, 0};
  CHECK(PcapngReader::isPcapngMagic(shb));
  CHECK(PcapngReader::isPcapngMagic(std::span(shb).first(4)));
  CHECK_FALSE(PcapngReader::isPcapngMagic(std::span(shb).first(3)));
  CHECK_FALSE(PcapngReader::isPcapngMagic(fixture("../en10mb_le_usec.pcap")));
  CHECK(PcapngReader::isPcapngMagic(fixture("epb_be.pcapng")));
}

TEST_CASE("pcapng timestamps, comments and flags match tshark in both byte orders", "[pcapng]") {
  // tshark 4.0.17 on epb_le.pcapng and epb_be.pcapng, identical for both.
  // The bin20 rows are 2^-20 s units: 1 unit is 953.67 ns, 2^20 - 1 units
  // 999999046.33 ns; tshark rounds down as the reader does. The offset row
  // is 123456 us plus if_tsoffset 1700000000 s.
  const std::vector<TsharkRow> tshark{
      {"eth0", "1700000000.000001000", "", 60},
      {"ns0", "1700000001.123456789", "", 61},
      {"bin20", "1700000002.000000953", "", 62},
      {"bin20", "1700000002.999999046", "", 63},
      {"offset", "1700000000.123456000", "", 64},
      {"eth0", "1700000003.500000000", "first comment,second\r\nline", 1514},
      {"ns0", "1700000004.999999999", "", 70},
  };
  const EventLog le = readWhole(fixture("epb_le.pcapng"));
  const EventLog be = readWhole(fixture("epb_be.pcapng"));
  CHECK(tsharkRows(le) == tshark);
  REQUIRE(le.lines.size() == be.lines.size());
  // Only the section line tells the byte orders apart.
  CHECK(le.lines[0].substr(0, 11) == "section le ");
  CHECK(be.lines[0].substr(0, 11) == "section be ");
  CHECK(std::vector(le.lines.begin() + 1, le.lines.end()) ==
        std::vector(be.lines.begin() + 1, be.lines.end()));

  // capinfos: 7 packets, 4 interfaces, duration 4.999998999 s.
  REQUIRE(le.packets.size() == 7);
  CHECK(le.interfaces.size() == 4);
  CHECK(*le.packets[6].tsNs - *le.packets[0].tsNs == 4'999'998'999u);
  // tshark -e frame.packet_flags -e frame.drop_count: 0x5 and 7 on packet 6,
  // 0x2 on packet 7, nothing on the others.
  const NgPacket& commented = le.packets[5];
  CHECK(commented.flags == 0x5u);
  CHECK(commented.dropCount == 7u);
  CHECK(commented.caplen == 40);
  CHECK(commented.data.size() == 40);
  CHECK(le.packets[6].flags == 0x2u);
  CHECK_FALSE(le.packets[6].dropCount);
  for (size_t i = 0; i < 5; ++i) CHECK_FALSE(le.packets[i].flags);
  // Packet data: the frames make_pcapng.py built, "ddump-ng-<i>" after the UDP header.
  CHECK(std::string(le.packets[1].data.begin() + 42, le.packets[1].data.begin() + 51) ==
        "ddump-ng-");
  CHECK(le.packets[1].data.size() == 61);
  CHECK(le.packets[1].data[51] == '2');
}

TEST_CASE("pcapng section and interface options are reported", "[pcapng]") {
  const EventLog log = readWhole(fixture("epb_be.pcapng"));
  REQUIRE(log.sections.size() == 1);
  const PcapngSectionInfo& s = log.sections[0];
  CHECK(s.byteOrder == ByteOrder::Big);
  CHECK(s.versionMajor == 1);
  CHECK(s.versionMinor == 0);
  CHECK_FALSE(s.sectionLength);  // -1
  CHECK(s.comments == std::vector<std::string>{"ddump pcapng reader fixture"});
  CHECK(s.hardware == "x86_64");
  CHECK(s.os == "Linux 6.1");
  CHECK(s.userAppl == "make_pcapng.py");

  // capinfos -I: the four interfaces as below.
  REQUIRE(log.interfaces.size() == 4);
  const auto& eth0 = log.interfaces[0];
  CHECK(eth0.id == 0);
  CHECK(eth0.name == "eth0");
  CHECK(eth0.description == "first ethernet");
  CHECK(eth0.comments == std::vector<std::string>{"default resolution"});
  CHECK(eth0.linkType == kLinkTypeEthernet);
  CHECK(eth0.snaplen == 262144);
  CHECK(eth0.clock.resolution.raw == 6);  // no if_tsresol: 10^-6
  CHECK(eth0.clock.resolution.unitsPerSecond == 1'000'000);
  const auto& ns0 = log.interfaces[1];
  CHECK(ns0.id == 1);
  CHECK(ns0.snaplen == 65535);
  CHECK(ns0.clock.resolution.unitsPerSecond == kNsPerSecond);
  CHECK(ns0.fcsLength == 4);  // capinfos: "FCS length = 4"; if_filter is ignored
  const auto& bin20 = log.interfaces[2];
  CHECK(bin20.clock.resolution.raw == 0x94);
  CHECK(bin20.clock.resolution.unitsPerSecond == 1048576);  // capinfos: ticks per second
  CHECK(bin20.snaplen == 0);
  const auto& offset = log.interfaces[3];
  CHECK(offset.clock.offsetSeconds == 1700000000);
  CHECK(offset.clock.resolution.raw == 6);
}

TEST_CASE("pcapng SPB, PB, ISB, NRB, DSB and skipped blocks", "[pcapng]") {
  for (const char* name : {"blocks_le.pcapng", "blocks_be.pcapng"}) {
    INFO(name);
    const auto bytes = fixture(name);
    const EventLog log = readWhole(bytes);
    // tshark 4.0.17 prints two more rows, with lengths 8 and 12: it shows
    // the two custom blocks (their data after the PEN, padding included) as
    // records. The reader skips custom blocks (4.8).
    const std::vector<TsharkRow> tshark{
        {"snap64", "", "", 100},
        {"snap64", "", "", 30},
        {"snap64", "1700000010.000010000", "obsolete packet block", 60},
        {"snap64", "1700000011.000011000", "", 58},
        {"snap64", "1700000021.000021000", "", 60},
    };
    CHECK(tsharkRows(log) == tshark);
    REQUIRE(log.packets.size() == 5);  // capinfos: 5 packets, 1 interface, 1 stat entry
    // SPB (4.4): caplen = min(len 100, snaplen 64, room 64); no timestamp.
    CHECK(log.packets[0].blockType == kPcapngSpbType);
    CHECK(log.packets[0].caplen == 64);
    CHECK(log.packets[0].data.size() == 64);
    CHECK_FALSE(log.packets[0].tsNs);
    CHECK(log.packets[1].caplen == 30);
    CHECK(log.packets[1].len == 30);
    // PB (Appendix A): drops 3 and pack_flags 0x1; drops 0xFFFF is "unknown".
    // tshark -e frame.packet_flags -e frame.drop_count: 0x00000001 3, then none.
    CHECK(log.packets[2].blockType == kPcapngPbType);
    CHECK(log.packets[2].flags == 0x1u);
    CHECK(log.packets[2].dropCount == 3u);
    CHECK_FALSE(log.packets[3].dropCount);
    CHECK_FALSE(log.packets[3].flags);
    CHECK(log.packets[4].blockType == kPcapngEpbType);

    REQUIRE(log.statistics.size() == 1);
    const NgStatistics& isb = log.statistics[0];
    CHECK(isb.interfaceId == 0);
    CHECK(isb.tsNs == 1700000020 * kNsPerSecond);
    CHECK(isb.startNs == 1700000000 * kNsPerSecond);
    CHECK(isb.endNs == 1700000020 * kNsPerSecond);
    CHECK(isb.received == 100u);
    CHECK(isb.interfaceDropped == 1u);
    CHECK(isb.filterAccepted == 90u);
    CHECK(isb.osDropped == 2u);
    CHECK(isb.delivered == 88u);
    CHECK(isb.comments == std::vector<std::string>{"final counters"});

    // The NRB (offset 52, 36 bytes) and the DSB (offset 88, 196 bytes) whole.
    REQUIRE(log.raw.size() == 2);
    CHECK(log.raw[0].type == kPcapngNrbType);
    CHECK(log.raw[0].bytes == std::vector(bytes.begin() + 52, bytes.begin() + 88));
    CHECK(log.raw[1].type == kPcapngDsbType);
    CHECK(log.raw[1].bytes == std::vector(bytes.begin() + 88, bytes.begin() + 284));
    const std::vector<NgSkipped> skipped{
        {kPcapngCustomType, 24}, {kPcapngCustomNoCopyType, 28}, {0x99, 36}, {0x80000001, 24}};
    CHECK(log.skipped == skipped);

    REQUIRE(log.sections.size() == 1);
    CHECK(log.sections[0].versionMinor == 2);  // 1.2 is read as 1.0 (4.1)
    CHECK(log.sections[0].sectionLength == bytes.size() - 52);
  }
}

TEST_CASE("pcapng sections each start their own interfaces and byte order", "[pcapng]") {
  const auto bytes = fixture("two_sections.pcapng");
  const EventLog log = readWhole(bytes);
  // tshark 4.0.17 names the last two "a0" and "a1": its interface_name
  // looks the section-local id up in the file's list of all interfaces.
  // Their times and "Encapsulation type: Raw IP" for the third show it read
  // them with b0's 2^-20 s and b1's 10^-3 s, as the reader does.
  const std::vector<TsharkRow> tshark{
      {"a0", "1700000100.000001000", "", 60},
      {"a1", "1700000101.000000002", "", 60},
      {"b0", "1700000200.500000000", "", 46},
      {"b1", "1700000201.007000000", "", 60},
  };
  CHECK(tsharkRows(log) == tshark);
  REQUIRE(log.sections.size() == 2);
  CHECK(log.sections[0].byteOrder == ByteOrder::Little);
  CHECK(log.sections[0].sectionLength == 308u);  // the section's blocks after its SHB
  CHECK(log.sections[1].byteOrder == ByteOrder::Big);
  CHECK_FALSE(log.sections[1].sectionLength);
  REQUIRE(log.interfaces.size() == 4);  // capinfos: 4 interfaces in file
  CHECK(log.interfaces[2].id == 0);
  CHECK(log.interfaces[2].linkType == 101);  // LINKTYPE_RAW
  CHECK(log.interfaces[3].id == 1);
  REQUIRE(log.packets.size() == 4);
  CHECK(log.packets[2].linkType == 101);
  CHECK(log.packets[3].interfaceId == 1);
  REQUIRE(log.statistics.size() == 1);
  CHECK(log.statistics[0].received == 2u);
  CHECK(log.statistics[0].interfaceDropped == 0u);
}

TEST_CASE("pcapng fixtures give the same events at every split point", "[pcapng]") {
  for (const char* name : {"epb_le.pcapng", "epb_be.pcapng", "blocks_le.pcapng", "blocks_be.pcapng",
                           "two_sections.pcapng", "en10mb_le_usec.pcapng", "sll2_le_nsec.pcapng"}) {
    INFO(name);
    requireSameEventsInPieces(fixture(name));
  }
}

TEST_CASE("editcap's pcapng copy of a pcap holds the same records", "[pcapng]") {
  // editcap -F pcapng ../NAME.pcap NAME.pcapng (Editcap 4.0.17).
  for (const auto& [name, count] : {std::pair{"en10mb_le_usec", 11}, {"sll2_le_nsec", 15}}) {
    INFO(name);
    const auto pcap = readFile(dataPath(std::string(name) + ".pcap"));
    StreamDecoder decoder;
    CollectingSink records;
    REQUIRE(decoder.feed(pcap, records).ok());
    REQUIRE(decoder.finish().ok());
    const EventLog log = readWhole(fixture(std::string(name) + ".pcapng"));

    REQUIRE(records.packets.size() == static_cast<size_t>(count));
    REQUIRE(log.packets.size() == records.packets.size());
    REQUIRE(log.interfaces.size() == 1);
    CHECK(log.interfaces[0].linkType == records.global.linkType);
    CHECK(log.interfaces[0].snaplen == records.global.snaplen);
    CHECK(log.interfaces[0].clock.resolution.unitsPerSecond ==
          (records.global.precision == Precision::Nano ? kNsPerSecond : 1'000'000));
    for (size_t i = 0; i < log.packets.size(); ++i) {
      INFO("record " << i + 1);
      const auto& want = records.packets[i];
      CHECK(log.packets[i].tsNs == timestampNs(want.header, records.global.precision));
      CHECK(log.packets[i].caplen == want.header.caplen);
      CHECK(log.packets[i].len == want.header.len);
      CHECK(log.packets[i].data == want.data);
    }
  }
}
