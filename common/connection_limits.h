#pragma once
// Caps on the connections a worker holds open, checked when a connection is
// accepted and before any thread, buffer or parser is spent on it: a total
// over every listener (each connection is a file descriptor, and past
// RLIMIT_NOFILE accept(2) fails for everyone, health probes included), and
// a cap per peer, so that one address cannot take the whole total. Peers are
// whatever key the caller gives (the worker uses the remote IP address); an
// empty key is counted in the total only.
//
// Shared by every listener's front and by the threads that close
// connections, so every member is safe to call from any thread.

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>

namespace ddump {

enum class ConnectionRefusal {
  None,     // admitted: release() it when the connection closes
  Total,    // --max-connections open already
  PerPeer,  // --max-connections-per-peer open already from this peer
};

struct ConnectionCounts {
  size_t open = 0;
  size_t maxTotal = 0;
  size_t maxPerPeer = 0;  // 0: no per-peer cap
  size_t peers = 0;       // distinct peers with a connection open
  uint64_t admitted = 0;
  uint64_t refusedTotal = 0;
  uint64_t refusedPerPeer = 0;
};

class ConnectionLimits {
 public:
  // maxPerPeer 0: no cap per peer.
  ConnectionLimits(size_t maxTotal, size_t maxPerPeer)
      : maxTotal_(maxTotal), maxPerPeer_(maxPerPeer) {}
  ConnectionLimits(const ConnectionLimits&) = delete;
  ConnectionLimits& operator=(const ConnectionLimits&) = delete;

  // Counts a new connection from `peer` as open, unless a cap is reached;
  // a refusal is counted, and holds nothing.
  ConnectionRefusal admit(const std::string& peer);
  // The end of a connection admit() let in. A release without its admit is
  // ignored rather than let a count wrap.
  void release(const std::string& peer);

  ConnectionCounts counts() const;
  size_t openFrom(const std::string& peer) const;
  size_t maxTotal() const { return maxTotal_; }
  size_t maxPerPeer() const { return maxPerPeer_; }

 private:
  const size_t maxTotal_;
  const size_t maxPerPeer_;
  mutable std::mutex mutex_;
  size_t open_ = 0;
  // Only peers with a connection open: the map never outgrows the total cap.
  std::unordered_map<std::string, size_t> perPeer_;
  uint64_t admitted_ = 0;
  uint64_t refusedTotal_ = 0;
  uint64_t refusedPerPeer_ = 0;
};

}  // namespace ddump
