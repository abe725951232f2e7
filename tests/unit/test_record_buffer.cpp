#include <catch2/catch.hpp>

#include <algorithm>
#include <span>
#include <utility>
#include <vector>

#include "record_buffer.h"

using namespace ddump;

TEST_CASE("record buffer lays records out back to back", "[record_buffer]") {
  RecordBuffer buffer(ByteOrder::Big);
  GlobalHeader global;
  global.linkType = kLinkTypeLinuxSll;
  buffer.appendGlobalHeader(global);
  const std::vector<uint8_t> head = {1, 2};
  const std::vector<uint8_t> tail = {3, 4, 5};
  buffer.appendRecord(RecordHeader{7, 8, 5, 9}, head, tail);
  REQUIRE(buffer.size() == kGlobalHeaderSize + kRecordHeaderSize + 5);
  const auto bytes = buffer.bytes();
  CHECK(load32(bytes.data(), ByteOrder::Big) == kMagicMicro);
  const auto* record = bytes.data() + kGlobalHeaderSize;
  CHECK(load32(record, ByteOrder::Big) == 7u);
  CHECK(load32(record + 4, ByteOrder::Big) == 8u);
  CHECK(load32(record + 8, ByteOrder::Big) == 5u);
  CHECK(load32(record + 12, ByteOrder::Big) == 9u);
  CHECK(std::vector<uint8_t>(record + 16, record + 21) == std::vector<uint8_t>{1, 2, 3, 4, 5});
  buffer.clear();
  CHECK(buffer.empty());
}

TEST_CASE("appendEncoded copies records of every size exactly", "[record_buffer]") {
  // The copy has inline paths for 16-32 and 33-64 bytes: check each size
  // lands whole, in order, next to its neighbours.
  std::vector<uint8_t> expected;
  RecordBuffer buffer;
  for (size_t n = 0; n <= 200; ++n) {
    std::vector<uint8_t> record(n);
    for (size_t i = 0; i < n; ++i) record[i] = static_cast<uint8_t>(n * 7 + i);
    buffer.appendEncoded(record);
    expected.insert(expected.end(), record.begin(), record.end());
  }
  REQUIRE(buffer.size() == expected.size());
  CHECK(std::equal(expected.begin(), expected.end(), buffer.bytes().begin()));
}

TEST_CASE("referenced records come out in order between own bytes", "[record_buffer]") {
  const std::vector<uint8_t> chunk(3000, 0xAB);  // stands for a file chunk kept until the write
  std::vector<uint8_t> small(40, 0x11);
  RecordBuffer buffer;
  buffer.setReferenceMin(512);
  buffer.appendStable(small);                                         // copied: too small
  buffer.appendStable(std::span<const uint8_t>(chunk).first(600));    // referenced
  buffer.appendStable(std::span<const uint8_t>(chunk).subspan(600, 700));  // adjacent: same piece
  buffer.appendEncoded(small);                                        // own bytes again
  buffer.appendStable(std::span<const uint8_t>(chunk).subspan(2000, 1000));
  CHECK(buffer.hasReferences());
  CHECK(buffer.size() == 40 + 600 + 700 + 40 + 1000);
  CHECK(buffer.bytes().size() == 80);

  std::vector<std::pair<const uint8_t*, size_t>> pieces;
  buffer.forEachPiece([&](const uint8_t* p, size_t n) { pieces.emplace_back(p, n); });
  REQUIRE(pieces.size() == 4);
  CHECK(pieces[0] == std::make_pair(buffer.bytes().data(), size_t{40}));
  CHECK(pieces[1] == std::make_pair(chunk.data(), size_t{1300}));
  CHECK(pieces[2] == std::make_pair(buffer.bytes().data() + 40, size_t{40}));
  CHECK(pieces[3] == std::make_pair(chunk.data() + 2000, size_t{1000}));

  buffer.clear();
  CHECK(buffer.empty());
  CHECK_FALSE(buffer.hasReferences());
}

TEST_CASE("without setReferenceMin every record is copied", "[record_buffer]") {
  const std::vector<uint8_t> big(2000, 0x5A);
  RecordBuffer buffer;
  buffer.appendStable(big);
  CHECK_FALSE(buffer.hasReferences());
  REQUIRE(buffer.bytes().size() == big.size());
  CHECK(std::equal(big.begin(), big.end(), buffer.bytes().begin()));
}
