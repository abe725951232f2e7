#include "pcapng_options.h"

#include <algorithm>
#include <string>

namespace ddump {
namespace {

constexpr size_t kOptionHeaderSize = 4;

Error lengthError(const PcapngOption& option, const char* name, size_t want) {
  return makeError(ErrorCode::DecoderFailed, std::string(name) + " option has length " +
                                                 std::to_string(option.value.size()) + ", not " +
                                                 std::to_string(want));
}

}  // namespace

Result<PcapngOptionStep> readPcapngOption(std::span<const uint8_t> bytes, ByteOrder order) {
  if (bytes.size() < kOptionHeaderSize) {
    return makeError(ErrorCode::DecoderFailed, "option header runs past the block (" +
                                                   std::to_string(bytes.size()) + " bytes left)");
  }
  const uint16_t code = load16(bytes.data(), order);
  const size_t length = load16(bytes.data() + 2, order);
  const size_t padded = (length + 3) & ~size_t{3};
  const size_t room = bytes.size() - kOptionHeaderSize;
  if (padded > room) {
    return makeError(ErrorCode::DecoderFailed,
                     "option " + std::to_string(code) + " (length " + std::to_string(length) +
                         ") runs past the block (" + std::to_string(room) + " bytes left)");
  }
  if (code == kPcapngOptEndOfOpt && length != 0) {
    return makeError(ErrorCode::DecoderFailed,
                     "opt_endofopt has length " + std::to_string(length) + ", not 0");
  }
  return PcapngOptionStep{{code, bytes.subspan(kOptionHeaderSize, length)},
                          kOptionHeaderSize + padded};
}

std::string_view pcapngString(std::span<const uint8_t> value) {
  const auto end = std::find(value.begin(), value.end(), uint8_t{0});
  return {reinterpret_cast<const char*>(value.data()), static_cast<size_t>(end - value.begin())};
}

Result<uint8_t> pcapngU8(const PcapngOption& option, const char* name) {
  if (option.value.size() != 1) return lengthError(option, name, 1);
  return option.value[0];
}

Result<uint32_t> pcapngU32(const PcapngOption& option, ByteOrder order, const char* name) {
  if (option.value.size() != 4) return lengthError(option, name, 4);
  return load32(option.value.data(), order);
}

Result<uint64_t> pcapngU64(const PcapngOption& option, ByteOrder order, const char* name) {
  if (option.value.size() != 8) return lengthError(option, name, 8);
  return load64(option.value.data(), order);
}

Result<uint64_t> pcapngTimestampUnits(const PcapngOption& option, ByteOrder order,
                                      const char* name) {
  if (option.value.size() != 8) return lengthError(option, name, 8);
  return loadSplit64(option.value.data(), order);
}

}  // namespace ddump
