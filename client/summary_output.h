#pragma once
// The outputs for people and programs (-T text, ndjson, flows), in place of
// pcap: each merged record becomes a line (common/text_line,
// common/packet_json) or counts in a flow (common/flow_table), named by the
// host and interface that saw it.
//
// Host and interface: a pcapng input's interface name "HOST:IF" (as ddump
// writes them) gives both; another name is the interface of the file's
// label; an SLL2 record's interface index is named by the worker's
// /interfaces; the host is otherwise the target's label, as in the summary.
//
// Lines are gathered per merged batch and written with one write, so a
// pipe into jq or a terminal sees whole lines at once.

#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "flow_table.h"
#include "merger.h"
#include "packet_fields.h"
#include "pcap_format.h"
#include "pcapng_names.h"
#include "text_line.h"

namespace ddump {

class Output;
enum class WriteResult;

enum class SummaryKind { Text, Ndjson, Flows };

struct SummaryConfig {
  SummaryKind kind = SummaryKind::Text;
  TextLineStyle style;
  uint64_t flowIntervalNs = 10'000'000'000;  // --flow-interval
  size_t maxFlows = 1'000'000;               // --max-flows
};

class SummaryOutput {
 public:
  SummaryOutput(const Output& owner, SummaryConfig config);
  ~SummaryOutput();

  void add(const RecordSource& source, uint64_t tsNs, const RecordHeader& record,
           std::span<const uint8_t> data);
  // The flows still counted (-T flows), at the end.
  void finish();
  // What add() and finish() produced since the last call; the caller writes it.
  std::string& pending() { return out_; }
  uint64_t flowsEvicted() const { return flows_ ? flows_->evicted() : 0; }
  // Packets of these addresses are shown under the name (a k8s: target's
  // pods) instead of their stream's host. Later names replace earlier ones
  // (an address a new pod took over).
  void setNameRecords(const std::vector<NameRecord>& records);

 private:
  struct Names {
    uint32_t host = 0;  // index into hosts_
    std::string interface;
  };
  const Names& namesOf(const RecordSource& source, std::span<const uint8_t> data);
  // The host a packet is shown under: a named pod's (source, else
  // destination address), else its stream's.
  uint32_t hostOf(const Names& names, const PacketFields& fields) const;
  uint32_t hostId(const std::string& name);

  const Output& owner_;
  SummaryConfig config_;
  std::string out_;
  std::vector<std::string> hosts_;
  // Addresses (IPv4 in 4 bytes, IPv6 in 16) to the host id of their pod.
  std::unordered_map<std::string, uint32_t> podHosts_;
  std::unordered_map<std::string, uint32_t> hostIds_;
  // (stream, input interface key or SLL2 index | 1 << 32, or 1 << 33: none)
  std::map<std::pair<uint32_t, uint64_t>, Names> names_;
  std::unique_ptr<FlowTable> flows_;
};

}  // namespace ddump
