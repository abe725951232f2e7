#pragma once
// Helpers shared by the unit tests: fixture files and synthetic pcap streams.

#include <cstdint>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "pcap_format.h"
#include "record_buffer.h"
#include "stream_decoder.h"

namespace ddump::test {

// The global header of an Ethernet stream with the usual snaplen.
inline GlobalHeader ethernetHeader() {
  GlobalHeader h;
  h.linkType = kLinkTypeEthernet;
  h.snaplen = 65535;
  return h;
}

inline std::string dataPath(const std::string& name) {
  return std::string(DDUMP_TEST_DATA_DIR) + "/" + name;
}

inline std::vector<uint8_t> readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// A fixture under tests/data as text (empty when it cannot be read).
inline std::string readText(const std::string& name) {
  const std::vector<uint8_t> bytes = readFile(dataPath(name));
  return {bytes.begin(), bytes.end()};
}

struct DecodedPacket {
  RecordHeader header;
  std::vector<uint8_t> data;
};

// Collects everything a decoder emits.
class CollectingSink : public DecoderSink {
 public:
  void onGlobalHeader(const GlobalHeader& header) override {
    ++globalHeaders;
    global = header;
  }
  void onPacket(const PacketView& packet) override {
    packets.push_back({packet.header, {packet.data.begin(), packet.data.end()}});
  }
  int globalHeaders = 0;
  GlobalHeader global;
  std::vector<DecodedPacket> packets;
};

// A small synthetic stream: `count` records with distinct sizes and contents.
inline std::vector<uint8_t> makeStream(ByteOrder order, Precision precision, int count,
                                       uint32_t linkType = kLinkTypeEthernet) {
  RecordBuffer buffer(order);
  GlobalHeader global;
  global.precision = precision;
  global.linkType = linkType;
  global.snaplen = 65535;
  buffer.appendGlobalHeader(global);
  for (int i = 0; i < count; ++i) {
    std::vector<uint8_t> data(static_cast<size_t>(i * 7 % 61), static_cast<uint8_t>(i));
    RecordHeader header{1700000000u + static_cast<uint32_t>(i), static_cast<uint32_t>(i * 1000),
                        static_cast<uint32_t>(data.size()), static_cast<uint32_t>(data.size() + i)};
    buffer.appendRecord(header, data);
  }
  return {buffer.bytes().begin(), buffer.bytes().end()};
}

}  // namespace ddump::test
