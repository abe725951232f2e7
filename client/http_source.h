#pragma once
// A worker URL. The capture stream is read on our own HttpConnection (big
// reads; body framing by common/http_body's state machines) and fed through a
// StreamFeeder; the small JSON requests before and after it (/interfaces,
// /stats) go over the same connection class with small bounded answers.
// Nothing on the streaming path throws.

#include <atomic>
#include <condition_variable>

#include <memory>
#include <mutex>
#include <string>

#include <functional>
#include <map>
#include <optional>
#include <span>
#include <vector>

#include "capture_window.h"
#include "clock_offset.h"
#include "body_pump.h"
#include "http_body.h"
#include "http_connection.h"
#include "http_response_head.h"
#include "output.h"
#include "source.h"
#include "tls.h"

namespace ddump {

struct HttpSettings {
  CaptureParams capture;
  TlsConfig tls;
  std::shared_ptr<SSL_CTX> tlsContext;  // https: one for all targets (SSL_new on it is thread-safe)
  double connectTimeoutSec = 10;
  int retry = 0;
  ClockOffsetSetting clockOffset;  // --clock-offset
  Output* output = nullptr;        // told the worker's interface names (pcapng)
  bool wantInterfaces = false;
  CaptureWindow window;  // --since/--until (client clock)
  BodyPump* pump = nullptr;  // reads capture bodies (else this source's thread does)
};

class HttpSource : public Source {
 public:
  HttpSource(size_t stream, Target target, MergeHub& hub, const HttpSettings& settings);
  void run() override;
  void abort() override;
  void watchdog(uint64_t steadyNowNs) override;
  uint64_t kernelDrops() const override { return kernelDrops_; }
  std::string summaryNote() const override;
  bool dropsKnown() const { return dropsKnown_; }
  // Asks the worker's /stats for this capture's kernel drops (at exit).
  void fetchKernelDrops();

 private:
  enum class Attempt { Done, Failed, Refused, Stopped };
  using PieceSink = std::function<bool(std::span<const uint8_t>)>;

  enum class PhaseEnd { Done, Stopped, HistoryOff };
  // One request of the window (with retries); HistoryOff: the worker has no
  // history, so the window is asked for live instead.
  PhaseEnd runPhase(StreamFeeder& feeder, const WindowPhase& phase);
  void setPhase(const WindowPhase& phase);
  // --retry of a capture with since=: go on after what was merged.
  void resumeAfter(const StreamFeeder& feeder, const WindowPhase& phase);
  std::string errorText() const;  // the JSON error of a refusal, if any
  Attempt attempt(StreamFeeder& feeder);
  // Connect, request, response head, body: the whole of one attempt.
  Status exchange(HttpConnection& connection, StreamFeeder& feeder);
  Status readHead(HttpConnection& connection, HttpHeadParser& parser,
                  std::span<const uint8_t>& bodyStart);
  // Hands each piece of payload to `onPiece` (false: stop) and calls
  // `onDrained` whenever every byte received so far has been handed on and
  // none waits on the socket.
  Status pumpBody(HttpConnection& connection, HttpBodyDecoder& body,
                  std::span<const uint8_t> bytes, const PieceSink& onPiece,
                  const std::function<void()>& onDrained);
  // The same on settings_.pump: this thread reads until the capture's header
  // has been judged, then the pump reads on while it waits.
  Status pumpCapture(HttpConnection& connection, HttpBodyDecoder& body,
                     std::span<const uint8_t> bytes, StreamFeeder& feeder, const PieceSink& onPiece);
  // Hands every piece of `bytes` on; false: stop reading (the stream is
  // broken, then streamError_ says why, or onPiece said stop).
  bool consume(HttpBodyDecoder& body, std::span<const uint8_t> bytes, const PieceSink& onPiece);
  void onResponse(const HttpResponseHead& head, const HttpConnection& connection);
  std::string statusError() const;
  std::string credentialsHint() const;
  std::string transportError(const Error& error) const;
  int connectTimeoutMs() const;
  // Before the first capture request: the worker's interface names (pcapng)
  // and clock samples from its X-Ddump-Time (--clock-offset auto).
  void probeWorker();
  void addClockSample(int64_t sendNs, const std::string& workerTime, int64_t recvNs);
  void applyClockOffset(StreamFeeder& feeder);

  HttpSettings settings_;
  CaptureParams params_;  // settings_.capture plus this phase's window
  int64_t offsetNs_ = 0;  // the clock offset applied to this worker's timestamps
  // X-Ddump-History-From: this worker's history begins after --since.
  std::atomic<int64_t> historyFromNs_{0};
  std::mutex clientMutex_;
  std::condition_variable abortCv_;  // with clientMutex_: abort() was called
  std::unique_ptr<HttpConnection> connection_;  // guarded by clientMutex_
  // Where the probe, then the capture, connected (guarded by clientMutex_):
  // the capture goes to the worker the probe sampled the clock of, and /stats
  // at exit to the one streaming, without a new DNS lookup (see Endpoint).
  Endpoint endpoint_;
  bool pinCapture_ = false;  // the next capture attempt connects to endpoint_
  // Socket reads land here. Left uninitialised on purpose: pages a quiet
  // stream never fills are never touched (200 idle targets stay small).
  std::unique_ptr<uint8_t[]> buffer_;
  std::atomic<bool> aborted_{false};
  std::atomic<BodyPump::Ticket> pumpTicket_{0};
  std::atomic<bool> timedOut_{false};
  bool connected_ = false;  // this attempt's TCP (and TLS) connect succeeded
  std::atomic<bool> streaming_{false};  // a 200 pcap body is being read
  std::atomic<uint64_t> headerDeadlineNs_{0};  // 0: headers arrived / not connecting
  // State of the current attempt (reader thread only).
  int status_ = 0;
  std::string contentType_;
  std::string errorBody_;
  std::string streamError_;
  std::string captureId_;  // guarded by clientMutex_ (read by the progress thread)
  std::string lastError_;
  std::atomic<uint64_t> kernelDrops_{0};
  std::atomic<bool> dropsKnown_{false};
  ClockOffsetFilter clock_;
  std::string workerTime_;   // X-Ddump-Time of the current attempt
  int64_t responseNs_ = 0;   // our wall clock when its headers arrived
  bool clockReported_ = false;
};

// Asks every source's worker for its kernel drops at once, by up to 32
// threads: each request may take its 1 s timeout, and asked one after
// another, 200 slow workers would hold the exit (or the progress table) for
// minutes.
void fetchAllKernelDrops(const std::vector<HttpSource*>& sources);

}  // namespace ddump
