// PacketBatch / BatchCollector: records kept encoded (copied) or as views of
// a stable input, and both give the same bytes.
#include <catch2/catch.hpp>

#include <vector>

#include "packet_batch.h"
#include "stream_decoder.h"
#include "test_support.h"

using namespace ddump;
using namespace ddump::test;

namespace {

// Every record of `batch`, as encoded bytes.
std::vector<std::vector<uint8_t>> records(const PacketBatch& batch) {
  std::vector<std::vector<uint8_t>> out;
  for (size_t i = 0; i < batch.size(); ++i) {
    const auto r = batch.record(i);
    out.emplace_back(r.begin(), r.end());
  }
  return out;
}

// Decodes `stream` fed in two parts split at `split`, each part's batch
// collected on its own (as the pulling file source does), views allowed
// when `stable`.
std::vector<std::vector<uint8_t>> collect(const std::vector<uint8_t>& stream, size_t split,
                                          bool stable, size_t* views) {
  StreamDecoder decoder;
  BatchCollector collector;
  std::vector<std::vector<uint8_t>> out;
  const std::span<const uint8_t> all(stream);
  for (const auto part : {all.first(split), all.subspan(split)}) {
    if (stable) collector.setStableInput(part);
    REQUIRE(decoder.feed(part, collector).ok());
    collector.setStableInput({});
    const PacketBatch batch = collector.takeBatch();
    for (size_t i = 0; i < batch.size(); ++i) {
      if ((batch.entry(i).offset & kViewBit) != 0) ++*views;
    }
    for (auto& r : records(batch)) out.push_back(std::move(r));
  }
  return out;
}

}  // namespace

TEST_CASE("view records and copied records give the same bytes at every split", "[batch]") {
  const auto stream = makeStream(hostByteOrder(), Precision::Micro, 12);
  size_t ignored = 0;
  const auto copied = collect(stream, stream.size(), false, &ignored);
  REQUIRE(copied.size() == 12);
  for (size_t split = 0; split <= stream.size(); ++split) {
    size_t views = 0;
    const auto viewed = collect(stream, split, true, &views);
    REQUIRE(viewed == copied);
    CHECK(views >= 10);  // only a record cut by the split is copied
  }
  // The records really are the input's bytes: the stream minus its header.
  std::vector<uint8_t> joined;
  for (const auto& r : copied) joined.insert(joined.end(), r.begin(), r.end());
  CHECK(joined == std::vector<uint8_t>(stream.begin() + kGlobalHeaderSize, stream.end()));
}

TEST_CASE("a stream in the other byte order is always copied, in host order", "[batch]") {
  const ByteOrder other = hostByteOrder() == ByteOrder::Little ? ByteOrder::Big : ByteOrder::Little;
  const auto stream = makeStream(other, Precision::Nano, 5);
  size_t views = 0;
  const auto got = collect(stream, stream.size(), true, &views);
  CHECK(views == 0);
  const auto host = makeStream(hostByteOrder(), Precision::Nano, 5);
  size_t ignored = 0;
  CHECK(got == collect(host, host.size(), false, &ignored));
}

TEST_CASE("a batch takes views of one base only, and clear forgets it", "[batch]") {
  const auto stream = makeStream(hostByteOrder(), Precision::Micro, 2);
  const uint8_t* base = stream.data() + kGlobalHeaderSize;
  const RecordHeader first = decodeRecordHeader(
      std::span<const uint8_t, kRecordHeaderSize>(base, kRecordHeaderSize), hostByteOrder());
  PacketBatch batch;
  REQUIRE(batch.addView(base, base, first));
  const std::vector<uint8_t> other(64, 0);
  CHECK_FALSE(batch.addView(other.data(), other.data(), first));
  CHECK_FALSE(batch.addView(base + 8, base, first));  // before its base
  batch.add(timestampNs(first, Precision::Micro) + 5000, RecordHeader{0, 0, 2, 9},
            std::vector<uint8_t>{7, 8});
  REQUIRE(batch.size() == 2);
  CHECK(std::vector<uint8_t>(batch.record(0).begin(), batch.record(0).end()) ==
        std::vector<uint8_t>(base, base + kRecordHeaderSize + first.caplen));
  CHECK(std::vector<uint8_t>(batch.data(1).begin(), batch.data(1).end()) == std::vector<uint8_t>{7, 8});
  CHECK(batch.maxTsNs() == timestampNs(first, Precision::Micro) + 5000);
  batch.clear();
  CHECK(batch.addView(other.data(), other.data(), first));
}
