#pragma once
// The worker's JSON answers the client reads (README "HTTP API"): GET
// /interfaces, whose names label a worker's packets in pcapng output, and GET
// /stats, whose kernel_drops of a capture go into the summary. The bodies
// are untrusted bytes from the network (or from whatever answers in the
// worker's place): they are parsed without exceptions, every value is
// type-checked before it is read, and what comes out is bounded whatever the
// body holds. Nothing here re-serialises a value of the body, so a deeply
// nested one costs no recursion.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"

namespace ddump {

// At most this many entries of an /interfaces array are read (a Linux host
// with more interfaces than this is not a case worth more memory).
inline constexpr size_t kMaxWorkerInterfaces = 65536;
// Names longer than this are cut and end in "...".
inline constexpr size_t kMaxInterfaceNameBytes = 64;

// `[{"name": "eth0", "index": 2, ...}, ...]` as index -> name. An entry
// without a string "name" and an integer "index" in 0..2^32-1 (an ifindex,
// if_nametoindex(3)) is skipped; a name is made printable ASCII (any other
// byte becomes a space) and cut at kMaxInterfaceNameBytes. Of entries with
// the same index the first counts: libpcap lists its pseudo-devices (any,
// nflog, dbus-system, ...) with index 0, `any` first. Errors: not JSON, not
// an array.
Result<std::map<uint32_t, std::string>> parseInterfaceNames(std::string_view body);

// `{"captures": [{"id": 7, "kernel_drops": 12, ...}, ...]}`: the kernel_drops
// of the capture whose id (an integer or a string, as X-Ddump-Capture-Id
// carries it) is `captureId` (the last one listed, should two be), or
// nullopt when no listed capture has that id and an unsigned integer
// kernel_drops. Errors: not JSON, no "captures" array.
Result<std::optional<uint64_t>> parseKernelDrops(std::string_view body, std::string_view captureId);

}  // namespace ddump
