#pragma once
// Checks of an untrusted capture filter made before libpcap sees it (and
// before the worker allocates anything for it), from its tokens alone:
//
//  * every byte is one libpcap's scanner reads (else it cannot compile);
//  * its parentheses balance, so wrapped as `not (exclusions) and (FILTER)`
//    it stays one operand and cannot close the parenthesis to escape;
//  * it names no host or network: libpcap would resolve the name while
//    compiling (DNS, with the caller choosing what is asked and learning
//    from the answer whether it exists), unless names are allowed;
//  * it is small enough to compile quickly: libpcap's optimiser is roughly
//    cubic in the number of primitives (see kMaxFilterPrimitives).
//
// Which words are names follows pcap-filter(7) and libpcap 1.10's grammar.y:
// a word after `host`, `net`, `gateway` or a bare direction (`src foo`) is a
// host or network name; after `port`/`portrange` a services(5) name and after
// `proto`/`protochain` a protocols(5) name, both local files; after `on`,
// `llc`, `type`, ... a literal. A word after `and`/`or`/`not` with no
// qualifier of its own inherits the qualifiers of the term before it
// (`host a or b`: b is a host; `port 80 or http`: http is a port), and a
// parenthesised group passes on what stood before its '('. Anything else
// (`tcp and foo`) is treated as a host name too, the safe reading.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "result.h"

namespace ddump {

// Measured with libpcap 1.10.3: pcap_compile with the optimiser, DLT_LINUX_SLL
// (EN10MB and SLL2 alike), inside the worker's exclusions for two bound
// listeners and an --exclude; the least of 9 runs on a 2-core VM, in ms:
//
//   primitives joined by and/or        8     16     24     32     64    128    256
//   port 1||port 2||...              0.4    1.4    3.5    6.7     39    279   2075
//   portrange a-b or ...             1.0    5.0     15     32    233   1773  15781
//   (portrange or portrange) and ... 1.0    5.1     15     33    242   1850  14708
//   balanced and/or tree, portranges 1.0    5.1     16     35    262   1989  16303
//   host 10.0.x.y or ...             0.2    0.5    1.1    2.0     14    103    790
//   net 10.x.0.0/16 or ...           0.1    0.5    1.1    2.2     16    118    884
//   tcp[(tcp[12]>>4)*4+k] = v or ... 0.1    0.2    0.3    0.5    1.7    5.4     19
//   (port 1 or (port 2 or ( ... nested 0.4  1.3    3.2    6.6     39    278   2077
//   not not ... not port 1 (n nots)  0.0    0.0    0.0    0.0    0.0    0.0    0.0
//   150 random and/or/not trees of mixed primitives: worst 4.5 (16), 4.5 (24), 7.1 (32)
//
// The cost follows the number of primitives joined by and/or (about n^3 for
// portrange, the costliest: unqualified, it expands to tcp/udp/sctp x
// IPv4/IPv6 x src/dst), not nesting or `not`. The 4,090-byte `port 1||...`
// (420 primitives) took 38 CPU-seconds. At 32 primitives the worst shape
// compiles in ~35 ms (53 ms with the VM's load average at 3.5): well under
// 100 ms, and more primitives than hand-written filters use.
inline constexpr size_t kMaxFilterPrimitives = 32;
// Parenthesis nesting costs little (see above) but deeper is not written by hand.
inline constexpr size_t kMaxFilterDepth = 16;
// The compiled program's length: the kernel runs it for every packet (it
// allows 4096). `geneve` alone can multiply a filter's length (8 port
// primitives after it: 939 instructions), which is not caught by counting.
inline constexpr size_t kMaxFilterInstructions = 1000;

struct FilterScan {
  std::optional<size_t> badByte;     // offset of the first byte libpcap cannot lex
  std::optional<size_t> strayClose;  // offset of the first ')' that closes nothing
  size_t unclosed = 0;               // '(' still open at the end
  size_t depth = 0;                  // deepest parenthesis nesting
  size_t primitives = 0;             // and/or operators + 1; 0 for an empty filter
  std::vector<std::string> names;    // host/net names libpcap would resolve, in order
};

// Reads the whole filter; never fails.
FilterScan scanFilter(std::string_view filter);

struct FilterLimits {
  size_t maxPrimitives = kMaxFilterPrimitives;
  size_t maxDepth = kMaxFilterDepth;
  bool allowNames = false;  // ddump-worker --filter-names resolve
};

// InvalidArgument naming the first problem (bytes, parentheses, names, size),
// every message starting "bad filter: ".
Status checkFilterText(std::string_view filter, const FilterLimits& limits);

}  // namespace ddump
