#pragma once
// The libpcap layer. <pcap.h> stays out of this header (pimpl) so nothing above
// this layer depends on libpcap's types or macros.

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "capture_request.h"
#include "pcap_format.h"
#include "result.h"

namespace ddump {

struct CaptureOptions {
  std::string interface = "any";
  std::string filter;             // full BPF expression, exclusions included
  size_t maxFilterInstructions = 0;  // longest compiled program accepted; 0: any
  uint32_t snaplen = kMaxSnaplen;
  int bufferSizeKiB = 0;          // 0: libpcap's default (2 MiB), as tcpdump -B
  Precision precision = Precision::Micro;
  Direction direction = Direction::InOut;
  uint32_t linkType = kLinkTypeLinuxSll;  // pcap_set_datalink; 0 keeps the device's own
  // TPACKET_V3 with a short timeout: immediate mode would fall back to
  // TPACKET_V2 and drop at high rates; 10 ms keeps p99 latency low.
  int timeoutMs = 10;
};

class PacketHandler {
 public:
  virtual ~PacketHandler() = default;
  // Called from inside pcap_dispatch; must not throw.
  virtual void onPacket(const RecordHeader& header, std::span<const uint8_t> data) noexcept = 0;
};

struct CaptureStats {
  uint64_t received = 0;
  uint64_t dropped = 0;     // kernel ring full (ps_drop)
  uint64_t ifDropped = 0;   // interface (ps_ifdrop)
};

// The outcome of one pcap_dispatch, mapped from its return code exactly.
enum class DispatchOutcome {
  Packets,  // >= 1 packets delivered
  Timeout,  // 0: the read timeout expired (or non-blocking and nothing ready)
  Break,    // PCAP_ERROR_BREAK: pcap_breakloop was called
};

class Capture {
 public:
  // Creates, configures and activates a capture, then compiles the filter
  // (once: on the live handle, whose link type and kernel VLAN handling the
  // code depends on) and installs it. A program longer than
  // maxFilterInstructions is refused as InvalidArgument.
  static Result<Capture> open(const CaptureOptions& options);

  Capture(Capture&&) noexcept;
  Capture& operator=(Capture&&) noexcept;
  ~Capture();

  // Waits up to timeoutMs for packets to become readable (true) or not (false).
  // The handle is non-blocking: with TPACKET_V3 the kernel never retires an
  // empty block, so a blocking read on a capture matching nothing would never
  // return, and the stream could not notice its client leaving.
  bool waitReadable(int timeoutMs) const;

  // Delivers up to maxPackets (-1: everything ready) to handler, without blocking.
  // An error (PCAP_ERROR) carries pcap_geterr's text, read at once.
  Result<DispatchOutcome> dispatch(int maxPackets, PacketHandler& handler);
  void breakLoop();
  // Thread-safe against dispatch(): /stats reads it while the stream may be
  // blocked writing to a slow reader.
  Result<CaptureStats> stats();

  GlobalHeader globalHeader() const;
  int selectableFd() const;

 private:
  struct Impl;
  explicit Capture(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// A filter compiled for records that are not read from a live handle (the
// history ring): libpcap's own compiler and interpreter (pcap_compile on a
// dead handle of the records' link type, pcap_offline_filter), so a filter
// means exactly what it means to tcpdump -r.
class OfflineFilter {
 public:
  // A program longer than maxInstructions (0: any) is refused as
  // InvalidArgument, as for a live capture.
  static Result<OfflineFilter> compile(const std::string& filter, uint32_t linkType,
                                       uint32_t snaplen, size_t maxInstructions);
  OfflineFilter(OfflineFilter&&) noexcept;
  OfflineFilter& operator=(OfflineFilter&&) noexcept;
  ~OfflineFilter();

  bool matches(const RecordHeader& header, std::span<const uint8_t> data) const;

 private:
  struct Impl;
  explicit OfflineFilter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Compiles a filter against a dead handle (start-up checks of --exclude).
// Returns libpcap's own error text on failure.
Status checkFilter(const std::string& filter, uint32_t linkType, uint32_t snaplen);

struct InterfaceAddress {
  std::string family;  // "ipv4", "ipv6", "link"
  std::string address;
  std::string netmask;
};

struct InterfaceInfo {
  std::string name;
  std::string description;
  unsigned index = 0;
  bool up = false;
  bool running = false;
  bool loopback = false;
  std::vector<InterfaceAddress> addresses;
};

// Like tcpdump -D: pcap_findalldevs, plus the kernel interface index.
Result<std::vector<InterfaceInfo>> listInterfaces();

// The text of libpcap's version, for --version and logs.
std::string libpcapVersion();

}  // namespace ddump
