#include "connection_limits.h"

namespace ddump {

ConnectionRefusal ConnectionLimits::admit(const std::string& peer) {
  std::lock_guard lock(mutex_);
  if (open_ >= maxTotal_) {
    ++refusedTotal_;
    return ConnectionRefusal::Total;
  }
  if (!peer.empty()) {
    size_t& fromPeer = perPeer_[peer];
    if (maxPerPeer_ > 0 && fromPeer >= maxPerPeer_) {
      ++refusedPerPeer_;
      return ConnectionRefusal::PerPeer;
    }
    ++fromPeer;
  }
  ++open_;
  ++admitted_;
  return ConnectionRefusal::None;
}

void ConnectionLimits::release(const std::string& peer) {
  std::lock_guard lock(mutex_);
  if (!peer.empty()) {
    const auto it = perPeer_.find(peer);
    if (it == perPeer_.end()) return;
    if (--it->second == 0) perPeer_.erase(it);
  }
  if (open_ > 0) --open_;
}

ConnectionCounts ConnectionLimits::counts() const {
  std::lock_guard lock(mutex_);
  ConnectionCounts c;
  c.open = open_;
  c.maxTotal = maxTotal_;
  c.maxPerPeer = maxPerPeer_;
  c.peers = perPeer_.size();
  c.admitted = admitted_;
  c.refusedTotal = refusedTotal_;
  c.refusedPerPeer = refusedPerPeer_;
  return c;
}

size_t ConnectionLimits::openFrom(const std::string& peer) const {
  std::lock_guard lock(mutex_);
  const auto it = perPeer_.find(peer);
  return it == perPeer_.end() ? 0 : it->second;
}

}  // namespace ddump
