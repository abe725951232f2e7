#include "capture_registry.h"

#include <nlohmann/json.hpp>

#include "event_log.h"

namespace ddump {
namespace {

double secondsSince(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

int64_t epochNs(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

CaptureSlot::~CaptureSlot() { registry_->release(counters_, bufferBytes_); }

void CaptureSlot::setDropsRefresher(std::function<void()> refresh) {
  std::lock_guard lock(registry_->mutex_);
  counters_->refreshDrops = std::move(refresh);
}

Admission CaptureRegistry::tryAdmit(const CallerIdentity& caller, uint64_t bufferBytes) {
  std::lock_guard lock(mutex_);
  if (active_.size() >= maxCaptures_) {
    ++rejected_;
    return {nullptr, AdmitRefusal::Captures, buffers_.inUse()};
  }
  if (!buffers_.tryReserve(bufferBytes)) {
    return {nullptr, AdmitRefusal::BufferTotal, buffers_.inUse()};
  }
  auto counters = std::make_shared<CaptureCounters>();
  counters->id = nextId_++;
  counters->peer = caller.peer;
  counters->caller = caller;
  counters->owner = caller.owner();
  counters->started = std::chrono::system_clock::now();
  active_.push_back(counters);
  return {std::make_unique<CaptureSlot>(*this, std::move(counters), bufferBytes),
          AdmitRefusal::None, buffers_.inUse()};
}

bool CaptureRegistry::reserveResident(uint64_t bytes) {
  std::lock_guard lock(mutex_);
  return buffers_.tryReserve(bytes);
}

uint64_t CaptureRegistry::bufferInUse() const {
  std::lock_guard lock(mutex_);
  return buffers_.inUse();
}

void CaptureRegistry::describe(CaptureCounters& counters, std::string filter,
                               std::string interface, std::string linkType) {
  std::lock_guard lock(mutex_);
  counters.filter = std::move(filter);
  counters.interface = std::move(interface);
  counters.linkType = std::move(linkType);
  counters.capturing = true;
}

void CaptureRegistry::release(const std::shared_ptr<CaptureCounters>& counters,
                              uint64_t bufferBytes) {
  std::lock_guard lock(mutex_);
  active_.remove(counters);
  buffers_.release(bufferBytes);
  counters->refreshDrops = nullptr;
  ++finished_;
  donePackets_ += counters->packets;
  doneBytes_ += counters->bytes;
  doneDrops_ += counters->kernelDrops;
}

unsigned CaptureRegistry::active() const {
  std::lock_guard lock(mutex_);
  return static_cast<unsigned>(active_.size());
}

size_t CaptureRegistry::capturingLocked() const {
  size_t n = 0;
  for (const auto& c : active_) n += c->capturing ? 1 : 0;
  return n;
}

void CaptureRegistry::refreshDropsLocked() const {
  for (const auto& c : active_) {
    if (c->refreshDrops) c->refreshDrops();
  }
}

std::string CaptureRegistry::statsJson(const std::string& viewerOwner, bool all) const {
  std::lock_guard lock(mutex_);
  refreshDropsLocked();
  nlohmann::json j;
  j["uptime_seconds"] = secondsSince(started_);
  j["captures_active"] = capturingLocked();
  j["captures_finished"] = finished_;
  j["captures_rejected"] = rejected_.load();
  j["max_captures"] = maxCaptures_;
  j["captures_rejected_buffer"] = buffers_.refused();
  j["kernel_buffer_bytes"] = buffers_.inUse();
  j["max_buffer_total_bytes"] = buffers_.limit();
  j["captures"] = nlohmann::json::array();
  uint64_t others = 0;
  for (const auto& c : active_) {
    if (!c->capturing) continue;
    if (!all && c->owner != viewerOwner) {
      ++others;
      continue;
    }
    nlohmann::json entry = {{"id", c->id},
                            {"peer", c->peer},
                            {"filter", c->filter},
                            {"interface", c->interface},
                            {"linktype", c->linkType},
                            {"start_time_ns", epochNs(c->started)},
                            {"packets", c->packets.load()},
                            {"bytes", c->bytes.load()},
                            {"kernel_drops", c->kernelDrops.load()}};
    if (c->fromHistory) entry["history_lost"] = c->historyLost.load();
    if (!c->caller.user.empty()) entry["user"] = c->caller.user;
    if (!c->caller.clientCert.empty()) entry["client_cert"] = c->caller.clientCert;
    if (!c->caller.forwardedFor.empty()) entry["forwarded_for"] = c->caller.forwardedFor;
    j["captures"].push_back(std::move(entry));
  }
  j["captures_of_others"] = others;
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

std::string CaptureRegistry::metricsText() const {
  std::lock_guard lock(mutex_);
  refreshDropsLocked();
  uint64_t packets = donePackets_, bytes = doneBytes_, drops = doneDrops_;
  for (const auto& c : active_) {
    packets += c->packets;
    bytes += c->bytes;
    drops += c->kernelDrops;
  }
  std::string out;
  auto metric = [&out](const char* name, const char* type, const char* help, auto value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
           name + " " + std::to_string(value) + "\n";
  };
  // Prometheus text exposition format 0.0.4.
  metric("ddump_uptime_seconds", "gauge", "Seconds since the worker started.", secondsSince(started_));
  metric("ddump_captures_active", "gauge", "Capture streams running now.", capturingLocked());
  metric("ddump_captures_max", "gauge", "Limit on concurrent capture streams.", maxCaptures_);
  metric("ddump_captures_total", "counter", "Capture streams started.", finished_ + active_.size());
  metric("ddump_captures_rejected_total", "counter", "Captures refused at the limit (503).",
         rejected_.load());
  metric("ddump_captures_buffer_rejected_total", "counter",
         "Captures refused because their kernel ring would pass --max-buffer-total (503).",
         buffers_.refused());
  metric("ddump_kernel_buffer_bytes", "gauge",
         "Kernel capture ring bytes held now (captures and the history recorder).",
         buffers_.inUse());
  metric("ddump_kernel_buffer_max_bytes", "gauge",
         "Limit on kernel capture ring bytes (--max-buffer-total).", buffers_.limit());
  metric("ddump_packets_total", "counter", "Packets streamed to clients.", packets);
  metric("ddump_bytes_total", "counter", "Pcap bytes streamed to clients.", bytes);
  metric("ddump_kernel_drops_total", "counter", "Packets the kernel dropped (ring full).", drops);
  return out;
}

}  // namespace ddump
