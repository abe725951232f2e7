#include "pcapng_names.h"

#include <arpa/inet.h>

#include <cstring>

#include "pcapng_blocks.h"

namespace ddump {
namespace {

// draft-ietf-opsawg-pcapng 4.5: Record Type values.
constexpr uint16_t kRecordEnd = 0x0000;
constexpr uint16_t kRecordIpv4 = 0x0001;
constexpr uint16_t kRecordIpv6 = 0x0002;
constexpr size_t kMaxName = 255;
constexpr size_t kMaxBlock = 256 * 1024;

void put16(std::vector<uint8_t>& out, uint16_t v) {
  const size_t at = out.size();
  out.resize(at + 2);
  std::memcpy(out.data() + at, &v, 2);
}

void put32(std::vector<uint8_t>& out, uint32_t v) {
  const size_t at = out.size();
  out.resize(at + 4);
  std::memcpy(out.data() + at, &v, 4);
}

// One record: type, value length, the address then the name and its NUL,
// padded to 32 bits (the padding is not counted in the value length).
void putRecord(std::vector<uint8_t>& out, uint16_t type, const uint8_t* address,
               size_t addressBytes, const std::string& name) {
  const std::string cut = name.substr(0, kMaxName);
  const size_t valueBytes = addressBytes + cut.size() + 1;
  put16(out, type);
  put16(out, static_cast<uint16_t>(valueBytes));
  out.insert(out.end(), address, address + addressBytes);
  for (char c : cut) out.push_back(static_cast<uint8_t>(c));
  out.push_back(0);
  while (out.size() % 4 != 0) out.push_back(0);
}

}  // namespace

std::vector<uint8_t> encodeNameResolutionBlock(const std::vector<NameRecord>& records) {
  std::vector<uint8_t> out;
  put32(out, kPcapngNrbType);
  put32(out, 0);  // the total length, set below
  bool any = false;
  for (const NameRecord& r : records) {
    if (r.name.empty() || out.size() + 16 + 4 + kMaxName + 4 > kMaxBlock) continue;
    uint8_t address[16];
    if (inet_pton(AF_INET, r.address.c_str(), address) == 1) {
      putRecord(out, kRecordIpv4, address, 4, r.name);
      any = true;
    } else if (inet_pton(AF_INET6, r.address.c_str(), address) == 1) {
      putRecord(out, kRecordIpv6, address, 16, r.name);
      any = true;
    }
  }
  if (!any) return {};
  put16(out, kRecordEnd);
  put16(out, 0);
  const auto total = static_cast<uint32_t>(out.size() + 4);
  put32(out, total);
  std::memcpy(out.data() + 4, &total, 4);
  return out;
}

}  // namespace ddump
