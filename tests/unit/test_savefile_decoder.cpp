// The decoder reading savefiles (files, FIFOs, stdin) as libpcap's sf-pcap.c
// and Wireshark's wiretap/libpcap.c read them, and a worker's stream as
// strictly as before. Fixtures: tests/data/savefile (make_savefiles.py says
// what each holds; what tcpdump and mergecap do with each is checked by
// tests/e2e/test_client_file_inputs.sh).

#include <catch2/catch.hpp>

#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

struct Lengths {
  uint32_t caplen, len;
  bool operator==(const Lengths&) const = default;
};

// Collects records and whether each was handed out from the fed input.
class LocatingSink : public DecoderSink {
 public:
  void onGlobalHeader(const GlobalHeader& header) override { announced = header; }
  void onPacket(const PacketView& packet) override {
    lengths.push_back({packet.header.caplen, packet.header.len});
    data.emplace_back(packet.data.begin(), packet.data.end());
    const uint8_t* at = packet.data.data();
    inInput.push_back(!input.empty() && at >= input.data() && at < input.data() + input.size());
  }
  std::span<const uint8_t> input;
  GlobalHeader announced;
  std::vector<Lengths> lengths;
  std::vector<std::vector<uint8_t>> data;
  std::vector<bool> inInput;
};

struct Outcome {
  Status status;
  LocatingSink sink;
  uint32_t snaplen = 0;  // decoder.globalHeader().snaplen at the end
};

Outcome decode(const std::vector<uint8_t>& bytes, PcapInput input, size_t chunk = SIZE_MAX) {
  Outcome out;
  StreamDecoder decoder(input);
  std::span<const uint8_t> rest(bytes);
  while (!rest.empty() && out.status.ok()) {
    const auto piece = rest.first(std::min(chunk, rest.size()));
    out.sink.input = piece;
    out.status = decoder.feed(piece, out.sink);
    rest = rest.subspan(piece.size());
  }
  if (out.status.ok()) out.status = decoder.finish();
  out.snaplen = decoder.globalHeader().snaplen;
  return out;
}

std::vector<uint8_t> fixture(const std::string& name) {
  auto bytes = readFile(dataPath("savefile/" + name));
  REQUIRE_FALSE(bytes.empty());
  return bytes;
}

// A little-endian µs file: global header with `snaplen`, then one record
// per caplen (len = caplen), of bytes i + k.
std::vector<uint8_t> makeFile(uint32_t snaplen, const std::vector<uint32_t>& caplens) {
  RecordBuffer buffer(ByteOrder::Little);
  GlobalHeader global;
  global.snaplen = snaplen;
  buffer.appendGlobalHeader(global);
  for (size_t k = 0; k < caplens.size(); ++k) {
    std::vector<uint8_t> data(caplens[k]);
    for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i + k);
    buffer.appendRecord(
        RecordHeader{1700000000u + static_cast<uint32_t>(k), 0, caplens[k], caplens[k]}, data);
  }
  return {buffer.bytes().begin(), buffer.bytes().end()};
}

}  // namespace

TEST_CASE("savefiles both libpcap and wiretap read are read, records whole",
          "[decoder][savefile]") {
  struct Case {
    const char* file;
    std::vector<Lengths> records;
    uint32_t announced;       // snaplen given with the header
    uint32_t covering;        // snaplen once every record was decoded
    const char* strictError;  // what a worker's stream gets for the same bytes
  };
  const Case cases[] = {
      {"snaplen_understated.pcap",
       {{38, 38}, {60, 60}, {42, 42}},
       13,
       262144,
       "caplen 38 exceeds snaplen 13 in record 1 at stream offset 24"},
      {"snaplen_exceeded_late.pcap",
       {{60, 60}, {96, 200}, {150, 150}, {80, 80}},
       96,
       262144,
       "caplen 150 exceeds snaplen 96 in record 3 at stream offset 212"},
      {"caplen_gt_len.pcap",
       {{57, 57}, {34, 32}, {57, 57}},
       65535,
       65535,
       "caplen 34 exceeds len 32 in record 2 at stream offset 97"},
      {"snaplen_huge.pcap",
       {{57, 57}, {50, 50}},
       262144,
       262144,
       "snaplen 18546945 exceeds limit 262144"},
      {"snaplen_over_int_max.pcap",
       {{57, 57}, {50, 50}},
       262144,
       262144,
       "snaplen 2164523008 exceeds limit 262144"},
      {"snaplen_zero.pcap", {{57, 57}, {50, 50}}, 262144, 262144, nullptr},
      // Lengths written len first: put back in place, as both readers do.
      {"version_2_2.pcap",
       {{60, 100}, {57, 57}},
       65535,
       65535,
       "caplen 100 exceeds len 60 in record 1 at stream offset 24"},
      {"version_2_3.pcap",
       {{57, 57}, {40, 57}, {40, 57}},
       65535,
       65535,
       "caplen 57 exceeds len 40 in record 3 at stream offset 153"},
      {"version_543_0.pcap", {{60, 100}, {57, 57}}, 65535, 65535, "unsupported pcap version 543.0"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    const auto bytes = fixture(c.file);
    for (size_t chunk : {SIZE_MAX, size_t{1}, size_t{7}, size_t{100}}) {
      INFO("chunk " << chunk);
      const auto out = decode(bytes, PcapInput::Savefile, chunk);
      REQUIRE(out.status.ok());
      CHECK(out.sink.lengths == c.records);
      CHECK(out.sink.announced.snaplen == c.announced);
      CHECK(out.snaplen == c.covering);
      for (size_t i = 0; i < out.sink.data.size(); ++i)
        CHECK(out.sink.data[i].size() == c.records[i].caplen);
    }
    const auto strict = decode(bytes, PcapInput::Stream);
    if (c.strictError == nullptr) {
      CHECK(strict.status.ok());
    } else {
      REQUIRE_FALSE(strict.status.ok());
      CHECK(strict.status.error().message == c.strictError);
    }
  }
}

TEST_CASE("savefile records keep their bytes: the same as the file's", "[decoder][savefile]") {
  // snaplen_understated.pcap: each record's data is the 16 + caplen bytes
  // after the previous one, unchanged.
  const auto bytes = fixture("snaplen_understated.pcap");
  const auto out = decode(bytes, PcapInput::Savefile);
  REQUIRE(out.status.ok());
  size_t at = kGlobalHeaderSize;
  for (const auto& data : out.sink.data) {
    at += kRecordHeaderSize;
    REQUIRE(at + data.size() <= bytes.size());
    CHECK(std::equal(data.begin(), data.end(), bytes.begin() + static_cast<ptrdiff_t>(at)));
    at += data.size();
  }
  CHECK(at == bytes.size());
}

TEST_CASE("a record whose lengths were put back never comes from the input",
          "[decoder][savefile]") {
  // A sink may keep an input record in place, header included (BatchCollector
  // views): the header there would still have the lengths swapped.
  const auto old = decode(fixture("version_2_2.pcap"), PcapInput::Savefile);
  REQUIRE(old.status.ok());
  CHECK(old.sink.inInput == std::vector<bool>{false, false});
  const auto current = decode(fixture("snaplen_understated.pcap"), PcapInput::Savefile);
  REQUIRE(current.status.ok());
  CHECK(current.sink.inInput == std::vector<bool>{true, true, true});
}

TEST_CASE("savefiles both readers refuse are refused with one line", "[decoder][savefile]") {
  struct Case {
    const char* file;
    ErrorCode code;
    const char* message;
    size_t packetsBefore;
  };
  const Case cases[] = {
      {"caplen_over_bound.pcap", ErrorCode::CaplenTooLarge,
       "caplen 262145 exceeds limit 262144 in record 4 at stream offset 224", 3},
      {"version_1_0.pcap", ErrorCode::UnsupportedVersion, "unsupported pcap version 1.0", 0},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    for (auto input : {PcapInput::Savefile, PcapInput::Stream}) {
      const auto out = decode(fixture(c.file), input);
      REQUIRE_FALSE(out.status.ok());
      CHECK(out.status.error().code == c.code);
      CHECK(out.status.error().message == c.message);
      CHECK(out.sink.lengths.size() == c.packetsBefore);
    }
  }
  // A version libpcap does not know (wiretap reads 3.0) stays refused.
  const auto v3 = decode(readFile(dataPath("bad_version.pcap")), PcapInput::Savefile);
  REQUIRE_FALSE(v3.status.ok());
  CHECK(v3.status.error().message == "unsupported pcap version 3.0");
}

TEST_CASE("the bound holds in a savefile: 262144 is read, 262145 is not", "[decoder][savefile]") {
  // Header snaplen 64: the 262144-byte record exceeds it but not the bound.
  const auto atBound = makeFile(64, {10, 262144, 20});
  for (size_t chunk : {SIZE_MAX, size_t{196608}, size_t{4096}}) {
    const auto out = decode(atBound, PcapInput::Savefile, chunk);
    REQUIRE(out.status.ok());
    CHECK(out.sink.lengths == std::vector<Lengths>{{10, 10}, {262144, 262144}, {20, 20}});
    CHECK(out.snaplen == 262144);
    CHECK(out.sink.data[1][262143] == static_cast<uint8_t>(262143 + 1));
  }
  const auto over = decode(makeFile(0, {10, 262145}), PcapInput::Savefile);
  REQUIRE_FALSE(over.status.ok());
  CHECK(over.status.error().message ==
        "caplen 262145 exceeds limit 262144 in record 2 at stream offset 50");
  CHECK(over.sink.lengths.size() == 1);
}

TEST_CASE("a savefile's snaplen is raised only once a record exceeds it", "[decoder][savefile]") {
  const auto bytes = makeFile(100, {50, 100, 101, 30});
  StreamDecoder decoder(PcapInput::Savefile);
  LocatingSink sink;
  const std::span<const uint8_t> all(bytes);
  // Header and the first two records (24 + 66 + 116 bytes): still 100.
  REQUIRE(decoder.feed(all.first(206), sink).ok());
  CHECK(decoder.globalHeader().snaplen == 100);
  REQUIRE(decoder.feed(all.subspan(206), sink).ok());
  REQUIRE(decoder.finish().ok());
  CHECK(decoder.globalHeader().snaplen == 262144);
  CHECK(sink.lengths.size() == 4);
}
