#pragma once
// A pcapng Name Resolution Block (draft-ietf-opsawg-pcapng 4.5) for names
// ddump knows and the packets do not carry: the pods a k8s: target selected,
// by address, so Wireshark and tshark (-N n) show "web-1" instead of
// 10.244.1.9. Pure: bytes in host byte order, as the writer's other blocks.

#include <cstdint>
#include <string>
#include <vector>

namespace ddump {

struct NameRecord {
  std::string address;  // IPv4 or IPv6, textual (inet_pton); others are skipped
  std::string name;
};

// The whole block (type, lengths, nrb_record_ipv4/ipv6 records, the end
// record, no options); empty when no record has a valid address. A name is
// cut at 255 bytes and records beyond the 64 KiB a record length and a
// sensible block allow are left out.
std::vector<uint8_t> encodeNameResolutionBlock(const std::vector<NameRecord>& records);

}  // namespace ddump
