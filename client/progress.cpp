#include "progress.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include "http_source.h"
#include "log.h"

namespace ddump {
namespace {

constexpr auto kInterval = std::chrono::milliseconds(250);  // at most 4 frames a second
constexpr double kDropsPollSec = 2.0;
constexpr size_t kDropsPollMaxTargets = 32;  // /stats polls cost a connection each

void terminalSize(size_t& width, size_t& rows) {
  winsize ws{};
  width = 80;
  rows = 24;
  if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) {
    width = ws.ws_col;
    rows = ws.ws_row > 0 ? ws.ws_row : rows;
  }
}

}  // namespace

ProgressReporter::ProgressReporter(const SourceList& sources, const MergeHub& hub,
                                   const Output& output, bool terminal)
    : list_(sources), hub_(hub), output_(output), terminal_(terminal) {
  current();
}

const std::vector<Source*>& ProgressReporter::current() {
  sources_ = list_.snapshot();
  for (size_t i = names_.size(); i < sources_.size(); ++i) {
    const Target& t = sources_[i]->target();
    names_.push_back(t.isUrl()           ? (t.label.empty() ? t.authority() : t.label)
                     : t.kind == TargetKind::Stdin ? "stdin"
                                                   : t.file);
  }
  rates_.resize(sources_.size());
  lastStates_.resize(sources_.size(), TargetState::Connecting);
  return sources_;
}

ProgressReporter::~ProgressReporter() { stop(); }

void ProgressReporter::start() {
  started_ = std::chrono::steady_clock::now();
  thread_ = std::thread([this] { loop(); });
}

void ProgressReporter::stop() {
  if (!thread_.joinable()) return;
  done_ = true;
  thread_.join();
  if (terminal_) log::hideFrame();
}

void ProgressReporter::loop() {
  auto next = std::chrono::steady_clock::now();
  while (!done_) {
    const double now = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
    tick(now);
    next += kInterval;
    // Short sleeps so stop() is prompt; the frame rate stays at the interval.
    while (!done_ && std::chrono::steady_clock::now() < next) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

ProgressSnapshot ProgressReporter::snapshot(double nowSec) {
  if (nowSec - lastDropsPoll_ >= kDropsPollSec) {
    lastDropsPoll_ = nowSec;
    std::vector<HttpSource*> streaming;
    for (Source* source : sources_) {
      auto* http = dynamic_cast<HttpSource*>(source);
      if (http && source->state() == TargetState::Streaming) streaming.push_back(http);
    }
    // Streams that ended (a followed fleet's) cost nothing to ask.
    if (streaming.size() <= kDropsPollMaxTargets) fetchAllKernelDrops(streaming);
  }
  ProgressSnapshot snap;
  for (size_t i = 0; i < sources_.size(); ++i) {
    Source& source = *sources_[i];
    auto* http = dynamic_cast<HttpSource*>(&source);
    const StreamStats st = hub_.stats(source.stream());
    TargetProgress row;
    row.name = names_[i];
    row.state = source.state();
    row.packets = st.packets;
    row.bytes = st.bytes;
    row.bytesPerSec = rates_[i].update(st.bytes, nowSec);
    if (http && (source.kernelDrops() > 0 || http->dropsKnown())) row.drops = source.kernelDrops();
    snap.targets.push_back(std::move(row));
  }
  snap.outputPackets = hub_.written();
  snap.outputBytes = output_.bytesWritten();
  snap.outputBytesPerSec = outputRate_.update(snap.outputBytes, nowSec);
  snap.elapsedSec = nowSec;
  return snap;
}

void ProgressReporter::tick(double nowSec) {
  current();
  if (!terminal_) {
    // Plain events: one line per state change.
    for (size_t i = 0; i < sources_.size(); ++i) {
      const TargetState state = sources_[i]->state();
      if (state == lastStates_[i]) continue;
      lastStates_[i] = state;
      if (state == TargetState::Streaming) log::info(names_[i] + ": streaming");
    }
    return;
  }
  size_t width = 80;
  size_t rows = 24;
  terminalSize(width, rows);
  const size_t maxRows = rows > 6 ? rows - 4 : 2;
  log::showFrame(renderProgressTable(snapshot(nowSec), width, maxRows));
}

}  // namespace ddump
