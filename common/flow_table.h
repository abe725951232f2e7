#pragma once
// Per-flow counts for `-T flows`: a flow is the 5-tuple as seen (protocol,
// source and destination address and port, in that direction) on one host.
// Counts run over intervals of packet time aligned to the interval (every
// 10 s of the epoch by default): when a packet opens a later interval, every
// flow of the one before is handed out as one record and forgotten, as
// NetFlow's active timeout does; the rest go out at the end (flushAll).
//
// Memory is bounded: at most maxFlows are tracked; a new flow beyond that
// first hands out the least recently seen one early (counted: evicted()).
// Bytes count each packet's original length, as `tshark -z conv` does.

#include <array>
#include <cstdint>
#include <functional>
#include <list>
#include <string>
#include <string_view>
#include <unordered_map>

#include "packet_fields.h"

namespace ddump {

struct FlowKey {
  uint32_t stream = 0;  // the host that saw it
  uint8_t ipVersion = 0;
  uint8_t protocol = 0;
  uint16_t srcPort = 0;  // 0 for protocols without ports
  uint16_t dstPort = 0;
  std::array<uint8_t, 16> src{};
  std::array<uint8_t, 16> dst{};
  bool operator==(const FlowKey&) const = default;
};

struct FlowCounts {
  uint64_t startNs = 0;  // first and last packet of the flow in the interval
  uint64_t endNs = 0;
  uint64_t packets = 0;
  uint64_t bytes = 0;
  uint8_t tcpFlags = 0;  // every flag seen
};

// The flow of a dissected packet; false for one without an IP header.
bool flowKeyOf(const PacketFields& fields, uint32_t stream, FlowKey& key);

// Appends one NDJSON line: {"start":..,"end":..,"host":..,"proto":6,"src":..,
// "sport":..,"dst":..,"dport":..,"packets":..,"bytes":..,"tcp_flags":"SAF"}
// (start and end as RFC 3339 in UTC; sport and dport only for TCP and UDP;
// tcp_flags only for TCP).
void appendFlowJson(std::string& out, std::string_view host, const FlowKey& key,
                    const FlowCounts& counts);

class FlowTable {
 public:
  using Emit = std::function<void(const FlowKey&, const FlowCounts&)>;

  FlowTable(uint64_t intervalNs, size_t maxFlows, Emit emit);

  void add(const FlowKey& key, uint64_t tsNs, uint32_t originalLength, uint8_t tcpFlags);
  void flushAll();  // every flow still counted, oldest first
  size_t size() const { return index_.size(); }
  uint64_t evicted() const { return evicted_; }

 private:
  struct KeyHash {
    size_t operator()(const FlowKey& k) const;
  };
  struct Flow {
    FlowKey key;
    FlowCounts counts;
  };

  uint64_t intervalNs_;
  size_t maxFlows_;
  Emit emit_;
  uint64_t intervalEnd_ = 0;  // 0: no packet yet
  std::list<Flow> lru_;       // least recently seen first
  std::unordered_map<FlowKey, std::list<Flow>::iterator, KeyHash> index_;
  uint64_t evicted_ = 0;
};

}  // namespace ddump
