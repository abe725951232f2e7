#include "capture.h"

#include <net/if.h>
#include <poll.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <pcap/pcap.h>
#include <sys/socket.h>
#include <linux/if_packet.h>

#include <mutex>
#include <utility>

namespace ddump {
namespace {

struct PcapCloser {
  void operator()(pcap_t* handle) const { pcap_close(handle); }
};
using PcapPtr = std::unique_ptr<pcap_t, PcapCloser>;

// A compiled filter; the program owns instructions libpcap allocated.
struct BpfProgram {
  bpf_program program{};
  bool compiled = false;
  BpfProgram() = default;
  BpfProgram(const BpfProgram&) = delete;
  BpfProgram& operator=(const BpfProgram&) = delete;
  ~BpfProgram() {
    if (compiled) pcap_freecode(&program);
  }
};

struct AllDevsFreer {
  void operator()(pcap_if_t* devs) const { pcap_freealldevs(devs); }
};

Error captureError(const std::string& what, const std::string& detail) {
  return makeError(ErrorCode::Capture, what + ": " + detail);
}

// pcap_activate's warnings (> 0) are not failures; its errors (< 0) are.
Status activate(pcap_t* handle, const std::string& interface) {
  const int rc = pcap_activate(handle);
  if (rc >= 0) return Status::success();
  std::string detail = pcap_geterr(handle);
  switch (rc) {
    case PCAP_ERROR_NO_SUCH_DEVICE:
      return makeError(ErrorCode::InvalidArgument, "no such interface: " + interface);
    case PCAP_ERROR_PERM_DENIED:
      return makeError(ErrorCode::PermissionDenied,
                       "permission denied capturing on " + interface + ": " + detail);
    case PCAP_ERROR_IFACE_NOT_UP:
      return makeError(ErrorCode::InvalidArgument, "interface is down: " + interface);
    default:
      if (detail.empty()) detail = pcap_statustostr(rc);
      return captureError("cannot capture on " + interface, detail);
  }
}

Status configure(pcap_t* handle, const CaptureOptions& options) {
  const auto tstamp = options.precision == Precision::Nano ? PCAP_TSTAMP_PRECISION_NANO
                                                           : PCAP_TSTAMP_PRECISION_MICRO;
  if (pcap_set_snaplen(handle, static_cast<int>(options.snaplen)) != 0 ||
      pcap_set_timeout(handle, options.timeoutMs) != 0 ||
      pcap_set_tstamp_precision(handle, tstamp) != 0 ||
      (options.bufferSizeKiB > 0 && pcap_set_buffer_size(handle, options.bufferSizeKiB * 1024) != 0)) {
    return captureError("cannot configure capture", pcap_geterr(handle));
  }
  return Status::success();
}

std::string availableLinkTypes(pcap_t* handle) {
  int* types = nullptr;
  const int n = pcap_list_datalinks(handle, &types);
  std::string out;
  for (int i = 0; i < n; ++i) {
    const char* name = pcap_datalink_val_to_name(types[i]);
    if (!out.empty()) out += ", ";
    out += name != nullptr ? name : std::to_string(types[i]);
  }
  if (types != nullptr) pcap_free_datalinks(types);
  return out;
}

Status setLinkType(pcap_t* handle, uint32_t linkType, const std::string& interface) {
  if (linkType == 0 || static_cast<uint32_t>(pcap_datalink(handle)) == linkType) {
    return Status::success();
  }
  if (pcap_set_datalink(handle, static_cast<int>(linkType)) != 0) {
    return makeError(ErrorCode::InvalidArgument, "link type " + linkTypeName(linkType) +
                                                     " is not available on " + interface +
                                                     " (available: " + availableLinkTypes(handle) +
                                                     "; use linktype=native)");
  }
  return Status::success();
}

Status setDirection(pcap_t* handle, Direction direction) {
  if (direction == Direction::InOut) return Status::success();
  const auto dir = direction == Direction::In ? PCAP_D_IN : PCAP_D_OUT;
  if (pcap_setdirection(handle, dir) != 0) {
    return captureError("cannot set direction", pcap_geterr(handle));
  }
  return Status::success();
}

Status compile(pcap_t* handle, const std::string& filter, BpfProgram& bpf) {
  if (pcap_compile(handle, &bpf.program, filter.c_str(), 1, PCAP_NETMASK_UNKNOWN) != 0) {
    return makeError(ErrorCode::InvalidArgument, std::string("bad filter: ") + pcap_geterr(handle));
  }
  bpf.compiled = true;
  return Status::success();
}

// The kernel runs the program for every packet on the interface, so its
// length is what a filter costs once installed.
Status compileAndSet(pcap_t* handle, const std::string& filter, size_t maxInstructions) {
  BpfProgram bpf;
  if (Status status = compile(handle, filter, bpf); !status) return status;
  if (maxInstructions > 0 && bpf.program.bf_len > maxInstructions) {
    return makeError(ErrorCode::InvalidArgument,
                     "bad filter: compiles to " + std::to_string(bpf.program.bf_len) +
                         " BPF instructions, more than the limit of " +
                         std::to_string(maxInstructions));
  }
  if (pcap_setfilter(handle, &bpf.program) != 0) {
    return captureError("cannot set filter", pcap_geterr(handle));
  }
  return Status::success();
}

void deliver(u_char* user, const pcap_pkthdr* h, const u_char* bytes) {
  // With nanosecond precision libpcap stores nanoseconds in tv_usec.
  const RecordHeader header{static_cast<uint32_t>(h->ts.tv_sec),
                            static_cast<uint32_t>(h->ts.tv_usec), h->caplen, h->len};
  reinterpret_cast<PacketHandler*>(user)->onPacket(header, {bytes, h->caplen});
}

}  // namespace

struct Capture::Impl {
  PcapPtr handle;
  GlobalHeader header;
  // A pcap_t is not thread-safe: dispatch (the stream's thread) and stats
  // (also /stats, from a request thread) take turns. pcap_breakloop needs no
  // lock (it only sets a flag, and is called from inside dispatch).
  std::mutex handleMutex;
};

Capture::Capture(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Capture::Capture(Capture&&) noexcept = default;
Capture& Capture::operator=(Capture&&) noexcept = default;
Capture::~Capture() = default;

Result<Capture> Capture::open(const CaptureOptions& options) {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  PcapPtr handle(pcap_create(options.interface.c_str(), errbuf));
  if (!handle) return captureError("cannot open " + options.interface, errbuf);
  Status status = configure(handle.get(), options);
  if (status) status = activate(handle.get(), options.interface);
  if (status) status = setLinkType(handle.get(), options.linkType, options.interface);
  if (status) status = setDirection(handle.get(), options.direction);
  if (status && !options.filter.empty()) {
    status = compileAndSet(handle.get(), options.filter, options.maxFilterInstructions);
  }
  if (status && pcap_setnonblock(handle.get(), 1, errbuf) != 0) {
    status = captureError("cannot make capture non-blocking", errbuf);
  }
  if (!status) return status.error();

  auto impl = std::make_unique<Impl>();
  impl->header.snaplen = static_cast<uint32_t>(pcap_snapshot(handle.get()));
  impl->header.linkType = static_cast<uint32_t>(pcap_datalink(handle.get()));
  impl->header.precision = pcap_get_tstamp_precision(handle.get()) == PCAP_TSTAMP_PRECISION_NANO
                               ? Precision::Nano
                               : Precision::Micro;
  impl->header.byteOrder = hostByteOrder();
  impl->handle = std::move(handle);
  return Capture(std::move(impl));
}

Result<DispatchOutcome> Capture::dispatch(int maxPackets, PacketHandler& handler) {
  std::lock_guard lock(impl_->handleMutex);
  const int rc = pcap_dispatch(impl_->handle.get(), maxPackets, deliver,
                               reinterpret_cast<u_char*>(&handler));
  if (rc > 0) return DispatchOutcome::Packets;
  if (rc == 0) return DispatchOutcome::Timeout;
  if (rc == PCAP_ERROR_BREAK) return DispatchOutcome::Break;
  return captureError("capture failed", pcap_geterr(impl_->handle.get()));
}

void Capture::breakLoop() { pcap_breakloop(impl_->handle.get()); }

Result<CaptureStats> Capture::stats() {
  std::lock_guard lock(impl_->handleMutex);
  pcap_stat st{};
  if (pcap_stats(impl_->handle.get(), &st) != 0) {
    return captureError("cannot read statistics", pcap_geterr(impl_->handle.get()));
  }
  return CaptureStats{st.ps_recv, st.ps_drop, st.ps_ifdrop};
}

GlobalHeader Capture::globalHeader() const { return impl_->header; }

bool Capture::waitReadable(int timeoutMs) const {
  pollfd pfd{selectableFd(), POLLIN, 0};
  return poll(&pfd, 1, timeoutMs) > 0;
}

int Capture::selectableFd() const { return pcap_get_selectable_fd(impl_->handle.get()); }

Status checkFilter(const std::string& filter, uint32_t linkType, uint32_t snaplen) {
  PcapPtr dead(pcap_open_dead(static_cast<int>(linkType), static_cast<int>(snaplen)));
  if (!dead) return captureError("cannot check filter", "pcap_open_dead failed");
  BpfProgram bpf;
  return compile(dead.get(), filter, bpf);
}

struct OfflineFilter::Impl {
  BpfProgram bpf;
};

OfflineFilter::OfflineFilter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
OfflineFilter::OfflineFilter(OfflineFilter&&) noexcept = default;
OfflineFilter& OfflineFilter::operator=(OfflineFilter&&) noexcept = default;
OfflineFilter::~OfflineFilter() = default;

Result<OfflineFilter> OfflineFilter::compile(const std::string& filter, uint32_t linkType,
                                             uint32_t snaplen, size_t maxInstructions) {
  PcapPtr dead(pcap_open_dead(static_cast<int>(linkType), static_cast<int>(snaplen)));
  if (!dead) return captureError("cannot compile filter", "pcap_open_dead failed");
  auto impl = std::make_unique<Impl>();
  if (Status s = ddump::compile(dead.get(), filter, impl->bpf); !s) return s.error();
  if (maxInstructions > 0 && impl->bpf.program.bf_len > maxInstructions) {
    return makeError(ErrorCode::InvalidArgument,
                     "bad filter: compiles to " + std::to_string(impl->bpf.program.bf_len) +
                         " BPF instructions, more than the limit of " +
                         std::to_string(maxInstructions));
  }
  return OfflineFilter(std::move(impl));
}

bool OfflineFilter::matches(const RecordHeader& header, std::span<const uint8_t> data) const {
  pcap_pkthdr h{};
  h.caplen = header.caplen;
  h.len = header.len;
  return pcap_offline_filter(&impl_->bpf.program, &h, data.data()) != 0;
}

namespace {

InterfaceAddress describeAddress(const sockaddr* addr, const sockaddr* mask) {
  InterfaceAddress out;
  char text[INET6_ADDRSTRLEN] = {};
  auto render = [&](const sockaddr* sa) -> std::string {
    if (sa == nullptr) return {};
    if (sa->sa_family == AF_INET) {
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(sa)->sin_addr, text, sizeof text);
      return text;
    }
    if (sa->sa_family == AF_INET6) {
      inet_ntop(AF_INET6, &reinterpret_cast<const sockaddr_in6*>(sa)->sin6_addr, text, sizeof text);
      return text;
    }
    return {};
  };
  out.family = addr->sa_family == AF_INET ? "ipv4" : addr->sa_family == AF_INET6 ? "ipv6" : "link";
  out.address = render(addr);
  out.netmask = render(mask);
  return out;
}

}  // namespace

Result<std::vector<InterfaceInfo>> listInterfaces() {
  char errbuf[PCAP_ERRBUF_SIZE] = {};
  pcap_if_t* raw = nullptr;
  if (pcap_findalldevs(&raw, errbuf) != 0) return captureError("cannot list interfaces", errbuf);
  std::unique_ptr<pcap_if_t, AllDevsFreer> devs(raw);
  std::vector<InterfaceInfo> out;
  for (pcap_if_t* dev = devs.get(); dev != nullptr; dev = dev->next) {
    InterfaceInfo info;
    info.name = dev->name;
    info.description = dev->description != nullptr ? dev->description : "";
    info.index = if_nametoindex(dev->name);
    info.up = (dev->flags & PCAP_IF_UP) != 0;
    info.running = (dev->flags & PCAP_IF_RUNNING) != 0;
    info.loopback = (dev->flags & PCAP_IF_LOOPBACK) != 0;
    for (pcap_addr_t* a = dev->addresses; a != nullptr; a = a->next) {
      if (a->addr == nullptr) continue;
      if (a->addr->sa_family != AF_INET && a->addr->sa_family != AF_INET6) continue;
      info.addresses.push_back(describeAddress(a->addr, a->netmask));
    }
    out.push_back(std::move(info));
  }
  return out;
}

std::string libpcapVersion() { return pcap_lib_version(); }

}  // namespace ddump
