#pragma once
// The worker's book of captures: admission against --max-captures and
// --max-buffer-total, live counters for /stats and /metrics, and totals that
// survive a capture's end.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>

#include "buffer_budget.h"
#include "caller_identity.h"

namespace ddump {

struct CaptureCounters {
  uint64_t id = 0;
  std::string peer;
  CallerIdentity caller;
  std::string owner;  // caller.owner(): who may see this capture on /stats
  std::string filter;     // the user's filter
  std::string interface;
  std::string linkType;
  // Set by describe(), once libpcap captures with the filter installed. Until
  // then the capture holds a --max-captures slot but /stats and /metrics do
  // not show it: a client that sees it there may send traffic and know it is
  // captured.
  bool capturing = false;
  std::chrono::system_clock::time_point started;
  std::atomic<uint64_t> packets{0};
  std::atomic<uint64_t> bytes{0};  // pcap bytes written to the client
  std::atomic<uint64_t> kernelDrops{0};
  // since= captures: records the ring evicted before this reader got to them.
  std::atomic<uint64_t> historyLost{0};
  bool fromHistory = false;
  // Reads the kernel's drop count anew (guarded by the registry's lock, and
  // called under it by /stats and /metrics). The stream refreshes it itself
  // only between writes, and a reader that pauses (curl --limit-rate sleeps
  // for seconds after a burst; a backpressured ddump) blocks those writes
  // for as long as it pauses: exactly when the ring drops.
  std::function<void()> refreshDrops;
};

class CaptureRegistry;

// Admission ticket: holding one counts against --max-captures, and its
// kernel ring against --max-buffer-total; destruction gives both back and
// folds the capture's counters into the totals.
class CaptureSlot {
 public:
  CaptureSlot(CaptureRegistry& registry, std::shared_ptr<CaptureCounters> counters,
              uint64_t bufferBytes)
      : registry_(&registry), counters_(std::move(counters)), bufferBytes_(bufferBytes) {}
  CaptureSlot(const CaptureSlot&) = delete;
  CaptureSlot& operator=(const CaptureSlot&) = delete;
  ~CaptureSlot();
  CaptureCounters& counters() { return *counters_; }
  // Sets counters().refreshDrops; it is never called once the slot is gone.
  void setDropsRefresher(std::function<void()> refresh);

 private:
  CaptureRegistry* registry_;
  std::shared_ptr<CaptureCounters> counters_;
  uint64_t bufferBytes_;
};

enum class AdmitRefusal {
  None,
  Captures,     // --max-captures streams are running
  BufferTotal,  // the capture's kernel ring would pass --max-buffer-total
};

struct Admission {
  std::unique_ptr<CaptureSlot> slot;  // nullptr when refused
  AdmitRefusal refusal = AdmitRefusal::None;
  uint64_t bufferInUse = 0;  // kernel ring bytes held when it was decided
};

class CaptureRegistry {
 public:
  CaptureRegistry(unsigned maxCaptures, uint64_t maxBufferBytes)
      : maxCaptures_(maxCaptures), buffers_(maxBufferBytes) {}

  // A slot for a capture whose kernel ring is `bufferBytes` (0 for one that
  // reads the history and holds no ring of its own), unless a limit is
  // reached.
  Admission tryAdmit(const CallerIdentity& caller, uint64_t bufferBytes);
  // A kernel ring held for the worker's whole life (the history
  // recorder's); false if it does not fit.
  bool reserveResident(uint64_t bytes);
  void countRejected() { ++rejected_; }
  // Sets what /stats shows of a capture, under the lock /stats reads with.
  void describe(CaptureCounters& counters, std::string filter, std::string interface,
                std::string linkType);

  unsigned active() const;  // admitted, capturing or still opening
  unsigned maxCaptures() const { return maxCaptures_; }
  uint64_t bufferLimit() const { return buffers_.limit(); }
  uint64_t bufferInUse() const;
  // Every capture in full when `all` (--stats-all); otherwise the viewer's
  // own in full and the others' only counted: a filter says what someone is
  // looking for, and a peer or user who is looking.
  std::string statsJson(const std::string& viewerOwner, bool all) const;
  std::string metricsText() const;

 private:
  friend class CaptureSlot;
  void release(const std::shared_ptr<CaptureCounters>& counters, uint64_t bufferBytes);
  void refreshDropsLocked() const;  // mutex_ held
  size_t capturingLocked() const;   // mutex_ held

  const unsigned maxCaptures_;
  const std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
  mutable std::mutex mutex_;
  std::list<std::shared_ptr<CaptureCounters>> active_;
  BufferBudget buffers_;  // guarded by mutex_
  uint64_t nextId_ = 1;
  uint64_t finished_ = 0;
  uint64_t donePackets_ = 0, doneBytes_ = 0, doneDrops_ = 0;
  std::atomic<uint64_t> rejected_{0};
};

}  // namespace ddump
