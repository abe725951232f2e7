#include <catch2/catch.hpp>

#include <algorithm>

#include "capture_decoder.h"
#include "pcapng_test_support.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

struct Decoded {
  GlobalHeader global;
  int globalHeaders = 0;
  std::vector<DecodedPacket> packets;
};

Decoded decode(const std::vector<uint8_t>& bytes, size_t split, Status* end = nullptr) {
  CaptureDecoder decoder(PcapInput::Savefile);
  CollectingSink sink;
  const std::span<const uint8_t> all(bytes);
  Status s = decoder.feed(all.first(split), sink);
  if (s) s = decoder.feed(all.subspan(split), sink);
  if (s) s = decoder.finish();
  if (end != nullptr)
    *end = s;
  else
    REQUIRE(s.ok());
  return Decoded{sink.global, sink.globalHeaders, sink.packets};
}

uint64_t ns(const DecodedPacket& p, Precision precision) {
  return timestampNs(p.header, precision);
}

}  // namespace

// editcap -F pcapng of a pcap: the same records, whichever way the bytes
// arrive, and pcap itself still decodes as before.
TEST_CASE("pcapng input decodes to the records of the pcap it was made from", "[capture_decoder]") {
  for (const char* name : {"en10mb_le_usec", "sll2_le_nsec"}) {
    const auto pcap = readFile(dataPath(std::string(name) + ".pcap"));
    const auto pcapng = readFile(dataPath(std::string("pcapng/") + name + ".pcapng"));
    const Decoded want = decode(pcap, pcap.size());
    REQUIRE(!want.packets.empty());
    for (size_t split = 0; split <= pcapng.size(); ++split) {
      const Decoded got = decode(pcapng, split);
      INFO(name << " split at " << split);
      REQUIRE(got.globalHeaders == 1);
      CHECK(got.global.linkType == want.global.linkType);
      CHECK(got.global.precision == want.global.precision);
      REQUIRE(got.packets.size() == want.packets.size());
      for (size_t i = 0; i < want.packets.size(); ++i) {
        CHECK(ns(got.packets[i], got.global.precision) ==
              ns(want.packets[i], want.global.precision));
        CHECK(got.packets[i].header.caplen == want.packets[i].header.caplen);
        CHECK(got.packets[i].header.len == want.packets[i].header.len);
        CHECK(got.packets[i].data == want.packets[i].data);
      }
    }
    // The pcap itself, split anywhere in its first bytes (the magic).
    for (size_t split = 0; split <= 8; ++split) {
      const Decoded again = decode(pcap, split);
      CHECK(again.packets.size() == want.packets.size());
    }
  }
}

TEST_CASE("a pcapng input with interfaces of two link types is refused in one line",
          "[capture_decoder]") {
  const auto pcapng = readFile(dataPath("pcapng/two_sections.pcapng"));
  Status end = Status::success();
  decode(pcapng, pcapng.size(), &end);
  REQUIRE_FALSE(end.ok());
  CHECK(end.error().message.find("cannot be merged") != std::string::npos);
  CHECK(end.error().message.find("has link type") != std::string::npos);
}

TEST_CASE("an input shorter than a magic says so", "[capture_decoder]") {
  const std::vector<uint8_t> three{0x0a, 0x0d, 0x0d};
  Status end = Status::success();
  decode(three, 1, &end);
  REQUIRE_FALSE(end.ok());
  CHECK(end.error().message == "stream ended after 3 bytes, before a pcap or pcapng header");
}

namespace {

// What a BatchCollector received from a CaptureDecoder keeping origins:
// every batch's records with their origins and notes, and the interfaces
// and statistics handed out, as text lines that compare with ==.
struct Kept {
  std::vector<std::string> lines;
  std::vector<InputInterface> interfaces;
  std::vector<InputStatistics> statistics;
  GlobalHeader global;
};

void collect(BatchCollector& collector, Kept& kept) {
  if (auto header = collector.takeHeader()) kept.global = *header;
  if (!collector.hasPackets()) return;
  const PacketBatch batch = collector.takeBatch();
  size_t note = 0;
  const auto& notes = batch.notes();
  auto text = [](const BatchNote& n) {
    return n.kind == BatchNote::Kind::Block
               ? "block " + std::to_string(n.bytes.size())
               : "comment " + std::to_string(n.bytes.size()) + " " + n.bytes;
  };
  for (size_t i = 0; i < batch.size(); ++i) {
    // Blocks before their record, comments after it.
    for (; note < notes.size() && notes[note].entry <= i &&
           notes[note].kind == BatchNote::Kind::Block;
         ++note) {
      kept.lines.push_back(text(notes[note]));
    }
    const RecordOrigin o = batch.origin(i);
    kept.lines.push_back("packet if=" + std::to_string(o.interface) +
                         " lt=" + std::to_string(o.linkType) + " flags=" + std::to_string(o.flags) +
                         " ts=" + std::to_string(batch.entry(i).tsNs) +
                         " cap=" + std::to_string(batch.entry(i).caplen));
    for (; note < notes.size() && notes[note].entry == i &&
           notes[note].kind == BatchNote::Kind::Comment;
         ++note) {
      kept.lines.push_back(text(notes[note]));
    }
  }
  for (; note < batch.notes().size(); ++note) {
    kept.lines.push_back("block " + std::to_string(batch.notes()[note].bytes.size()));
  }
}

Kept keep(const std::vector<uint8_t>& bytes, size_t split) {
  CaptureDecoder decoder(PcapInput::Savefile);
  decoder.keepOrigins();
  BatchCollector collector;
  Kept kept;
  const std::span<const uint8_t> all(bytes);
  for (const auto piece : {all.first(split), all.subspan(split)}) {
    REQUIRE(decoder.feed(piece, collector).ok());
    for (auto& i : decoder.takeInterfaces()) kept.interfaces.push_back(std::move(i));
    for (auto& s : decoder.takeStatistics()) kept.statistics.push_back(s);
    collect(collector, kept);
  }
  REQUIRE(decoder.finish().ok());
  if (collector.hasNotes()) kept.lines.push_back("trailing notes");
  return kept;
}

}  // namespace

// Two sections (little- then big-endian), interface ids from 0 in each, and
// a RAW interface among Ethernet ones: accepted when the origins are kept
// (pcapng output), each packet naming its own interface and link type.
TEST_CASE("kept origins number interfaces across sections and keep their link types",
          "[capture_decoder]") {
  const auto bytes = readFile(dataPath("pcapng/two_sections.pcapng"));
  const Kept whole = keep(bytes, bytes.size());
  REQUIRE(whole.interfaces.size() == 4);
  std::vector<std::string> names;
  for (const auto& i : whole.interfaces)
    names.push_back(std::to_string(i.key) + "=" + i.interface.name);
  CHECK(names == std::vector<std::string>{"0=a0", "1=a1", "2=b0", "3=b1"});
  CHECK(whole.interfaces[2].interface.linkType == 101);
  CHECK(whole.interfaces[2].interface.precision == Precision::Nano);   // 2^-20 is finer than µs
  CHECK(whole.interfaces[3].interface.precision == Precision::Micro);  // 10^-3
  CHECK(whole.global.precision == Precision::Nano);  // every interface keeps its own resolution
  std::vector<std::string> origins;
  for (const auto& line : whole.lines) origins.push_back(line.substr(0, line.find(" flags")));
  CHECK(origins == std::vector<std::string>{"packet if=0 lt=1", "packet if=1 lt=1",
                                            "packet if=2 lt=101", "packet if=3 lt=1"});
  REQUIRE(whole.statistics.size() == 1);
  CHECK(whole.statistics[0].key == 0);
  for (size_t split = 0; split <= bytes.size(); ++split) {
    INFO("split at " << split);
    const Kept got = keep(bytes, split);
    CHECK(got.lines == whole.lines);
    CHECK(got.interfaces.size() == 4);
  }
}

// Comments and epb_flags stay with their packet; the NRB and DSB stay
// before the packets that follow them, rewritten in host byte order (the
// big-endian file gives the same blocks as the little-endian one).
TEST_CASE("kept origins carry comments, flags and blocks in their place, in host byte order",
          "[capture_decoder]") {
  const auto le = readFile(dataPath("pcapng/blocks_le.pcapng"));
  const auto be = readFile(dataPath("pcapng/blocks_be.pcapng"));
  const Kept want = keep(le, le.size());
  CHECK(want.lines ==
        std::vector<std::string>{"block 36", "block 196", "packet if=0 lt=1 flags=0 ts=0 cap=64",
                                 "packet if=0 lt=1 flags=0 ts=0 cap=30",
                                 "packet if=0 lt=1 flags=1 ts=1700000010000010000 cap=60",
                                 "comment 21 obsolete packet block",
                                 "packet if=0 lt=1 flags=0 ts=1700000011000011000 cap=58",
                                 "packet if=0 lt=1 flags=0 ts=1700000021000021000 cap=60"});
  for (size_t split = 0; split <= be.size(); ++split) {
    INFO("split at " << split);
    CHECK(keep(be, split).lines == want.lines);
  }
  const auto epb = readFile(dataPath("pcapng/epb_le.pcapng"));
  const Kept packets = keep(epb, epb.size());
  CHECK(std::count_if(packets.lines.begin(), packets.lines.end(),
                      [](const std::string& l) { return l.rfind("comment ", 0) == 0; }) == 2);
  CHECK(std::find(packets.lines.begin(), packets.lines.end(), "comment 13 first comment") !=
        packets.lines.end());
  REQUIRE(packets.interfaces.size() == 4);
  CHECK(packets.interfaces[0].interface.comments == std::vector<std::string>{"default resolution"});
  CHECK(packets.interfaces[0].interface.description == "first ethernet");
}

// An IDB's texts are bounded: a hostile file's names cost the output little.
TEST_CASE("kept interface names, descriptions and comments are bounded", "[capture_decoder]") {
  const std::string longName(5000, 'n');
  auto option = [](uint16_t code, const std::string& value) {
    std::vector<uint8_t> o(4 + value.size() + (-value.size() & 3), 0);
    store16(o.data(), code, ByteOrder::Little);
    store16(o.data() + 2, static_cast<uint16_t>(value.size()), ByteOrder::Little);
    std::copy(value.begin(), value.end(), o.begin() + 4);
    return o;
  };
  auto block = [](uint32_t type, const std::vector<uint8_t>& body) {
    const auto total = static_cast<uint32_t>(body.size() + 12);
    std::vector<uint8_t> b(total);
    store32(b.data(), type, ByteOrder::Little);
    store32(b.data() + 4, total, ByteOrder::Little);
    std::copy(body.begin(), body.end(), b.begin() + 8);
    store32(b.data() + total - 4, total, ByteOrder::Little);
    return b;
  };
  std::vector<uint8_t> shb{0x4d, 0x3c, 0x2b, 0x1a, 1,    0,    0,    0,
                           0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
  // Appended byte by byte: g++ 12 warns falsely on vector::insert here.
  auto append = [](std::vector<uint8_t>& to, const std::vector<uint8_t>& from) {
    for (const uint8_t b : from) to.push_back(b);
  };
  std::vector<uint8_t> idb{1, 0, 0, 0, 0, 0, 0, 0};
  append(idb, option(2, longName));
  append(idb, option(3, longName));
  for (int i = 0; i < 20; ++i) append(idb, option(1, "comment " + std::to_string(i)));
  append(idb, {0, 0, 0, 0});
  std::vector<uint8_t> bytes = block(0x0A0D0D0A, shb);
  append(bytes, block(1, idb));
  const Kept kept = keep(bytes, bytes.size());
  REQUIRE(kept.interfaces.size() == 1);
  CHECK(kept.interfaces[0].interface.name == std::string(kMaxInterfaceText, 'n'));
  CHECK(kept.interfaces[0].interface.description.size() == kMaxInterfaceText);
  CHECK(kept.interfaces[0].interface.comments.size() == kMaxInterfaceComments);
}
