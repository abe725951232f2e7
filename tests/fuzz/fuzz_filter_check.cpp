// libFuzzer target: the filter checks (common/filter_check, filter_lexer)
// against libpcap itself. Any bytes must scan without a crash, and for every
// input libpcap compiles:
//   * every host, network or ethers name libpcap looks up while compiling was
//     reported by scanFilter (the worker refuses those filters by default);
//   * a byte scanFilter says libpcap cannot lex, and unbalanced parentheses,
//     make pcap_compile fail too.
// Inputs starting with byte 0x01 are read as word indices (token mode), the
// others as the filter itself. The lookups are observed by interposing the
// resolver functions libpcap 1.10 calls (getaddrinfo for hosts,
// getnetbyname_r for networks, ether_hostton for ethers); a name is answered
// "unknown" without any query. Numeric hosts and service names go to the real
// getaddrinfo: they need no network.

#include <dlfcn.h>
#include <netdb.h>
#include <netinet/ether.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <string>
#include <vector>

#include "capture.h"
#include "filter_check.h"
#include "pcap_format.h"

namespace {

std::vector<std::string>& lookups() {
  static std::vector<std::string> names;
  return names;
}

using GetAddrInfo = int (*)(const char*, const char*, const addrinfo*, addrinfo**);

GetAddrInfo realGetAddrInfo() {
  static const auto real = reinterpret_cast<GetAddrInfo>(dlsym(RTLD_NEXT, "getaddrinfo"));
  return real;
}

}  // namespace

extern "C" int getaddrinfo(const char* node, const char* service, const addrinfo* hints,
                           addrinfo** res) {
  if (node == nullptr) return realGetAddrInfo()(node, service, hints, res);  // services(5)
  addrinfo numeric{};
  if (hints != nullptr) numeric = *hints;
  numeric.ai_flags |= AI_NUMERICHOST;
  const int rc = realGetAddrInfo()(node, service, &numeric, res);
  if (rc == 0 || (hints != nullptr && (hints->ai_flags & AI_NUMERICHOST) != 0)) return rc;
  lookups().emplace_back(node);  // glibc would have asked DNS
  return EAI_NONAME;
}

extern "C" int getnetbyname_r(const char* name, netent*, char*, size_t, netent** result,
                              int* h_errnop) {
  lookups().emplace_back(name);
  *result = nullptr;
  if (h_errnop != nullptr) *h_errnop = HOST_NOT_FOUND;
  return 0;
}

extern "C" int ether_hostton(const char* hostname, ether_addr*) noexcept {
  lookups().emplace_back(hostname);
  return -1;
}

// Words for the token mode: every keyword class, names, services, numbers,
// addresses and operators, so that mutations explore the grammar rather than
// the spelling.
constexpr const char* kWords[] = {
    "host",
    "net",
    "port",
    "portrange",
    "proto",
    "protochain",
    "gateway",
    "src",
    "dst",
    "or",
    "and",
    "not",
    "!",
    "(",
    ")",
    "tcp",
    "udp",
    "ip",
    "ip6",
    "ether",
    "wlan",
    "ra",
    "addr1",
    "len",
    ">",
    "=",
    "!=",
    "[",
    "]",
    ":",
    "&",
    "-",
    "1",
    "80",
    "10.0.0.1",
    "fe80::1",
    "aa:bb:cc:dd:ee:ff",
    "foo",
    "bar.example",
    "http",
    "\\tcp",
    "on",
    "llc",
    "type",
    "subtype",
    "dir",
    "mask",
    "255.0.0.0",
    "vlan",
    "mpls",
    "pppoes",
    "geneve",
    "less",
    "broadcast",
    "&&",
    "||",
    "icmp-echo",
    "icmptype",
    "reason",
    "action",
    "decnet",
    "1.2",
    "10.0.0.1.5",
    "/",
};

// Byte 0x01 first: each further byte picks a word. Otherwise the bytes are the filter.
std::string filterOf(const uint8_t* data, size_t size) {
  if (size == 0 || data[0] != 0x01) return std::string(reinterpret_cast<const char*>(data), size);
  std::string out;
  for (size_t i = 1; i < size; ++i) {
    if (!out.empty()) out += ' ';
    out += kWords[data[i] % std::size(kWords)];
  }
  return out;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string filter = filterOf(data, size);
  const ddump::FilterScan scan = ddump::scanFilter(filter);
  (void)ddump::checkFilterText(filter, {});

  // The worker refuses NUL bytes and filters over 4096 bytes before this;
  // past the size limits compiling only costs time.
  if (filter.find('\0') != std::string::npos || filter.size() > 1024) return 0;
  if (scan.primitives > ddump::kMaxFilterPrimitives || scan.depth > ddump::kMaxFilterDepth)
    return 0;
  for (uint32_t linkType : {ddump::kLinkTypeLinuxSll, uint32_t{1} /* EN10MB */}) {
    lookups().clear();
    const bool compiled = ddump::checkFilter(filter, linkType, 262144).ok();
    for (const std::string& name : lookups()) {
      if (std::find(scan.names.begin(), scan.names.end(), name) == scan.names.end()) {
        __builtin_trap();  // libpcap looked up a name the checks did not see
      }
    }
    if (compiled && (scan.badByte || scan.strayClose || scan.unclosed > 0)) __builtin_trap();
  }
  return 0;
}
