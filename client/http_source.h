#pragma once
// A worker URL read with cpp-httplib: GET, check status and Content-Type,
// stream the chunked body through a StreamFeeder. Every httplib callback
// returns a value and never throws.

#include <atomic>
#include <httplib.h>

#include <memory>
#include <mutex>
#include <string>

#include "clock_offset.h"
#include "output.h"
#include "source.h"
#include "tls.h"

namespace ddump {

struct HttpSettings {
  CaptureParams capture;
  TlsConfig tls;
  double connectTimeoutSec = 10;
  int retry = 0;
  ClockOffsetSetting clockOffset;  // --clock-offset
  Output* output = nullptr;        // told the worker's interface names (pcapng)
  bool wantInterfaces = false;
};

class HttpSource : public Source {
 public:
  HttpSource(size_t stream, Target target, MergeHub& hub, const HttpSettings& settings);
  void run() override;
  void abort() override;
  void watchdog(uint64_t steadyNowNs) override;
  uint64_t kernelDrops() const override { return kernelDrops_; }
  bool dropsKnown() const { return dropsKnown_; }
  // Asks the worker's /stats for this capture's kernel drops (at exit).
  void fetchKernelDrops();

 private:
  enum class Attempt { Done, Failed, Refused, Stopped };
  Attempt attempt(StreamFeeder& feeder);
  std::unique_ptr<httplib::ClientImpl> makeClient(std::string& why);
  bool onResponse(const httplib::Response& response);
  bool onBody(const char* data, size_t size, StreamFeeder& feeder);
  std::string statusError() const;
  std::string transportError(httplib::Error error, long verifyResult,
                             const std::string& tlsDetail) const;
  static void onTlsInfo(const SSL* ssl, int where, int ret);
  // Before the first capture request: the worker's interface names (pcapng)
  // and clock samples from its X-Ddump-Time (--clock-offset auto).
  void probeWorker();
  void addClockSample(int64_t sendNs, const std::string& workerTime, int64_t recvNs);
  void applyClockOffset(StreamFeeder& feeder);

  HttpSettings settings_;
  std::mutex clientMutex_;
  std::unique_ptr<httplib::ClientImpl> client_;  // guarded by clientMutex_
  std::atomic<bool> aborted_{false};
  std::atomic<bool> timedOut_{false};
  std::atomic<bool> streaming_{false};  // a 200 pcap body is being read
  int socket_ = -1;  // the current connection's socket (reader thread only)
  std::atomic<uint64_t> headerDeadlineNs_{0};  // 0: headers arrived / not connecting
  // State of the current attempt (reader thread only).
  int status_ = 0;
  std::string contentType_;
  std::string errorBody_;
  std::string streamError_;
  std::string captureId_;  // guarded by clientMutex_ (read by the progress thread)
  std::string lastError_;
  // Written by OpenSSL's info callback on whichever thread handshakes;
  // SSL_get_version returns static strings, so a pointer is enough.
  std::atomic<const char*> tlsVersion_{nullptr};
  std::atomic<uint64_t> kernelDrops_{0};
  std::atomic<bool> dropsKnown_{false};
  ClockOffsetFilter clock_;
  std::string workerTime_;   // X-Ddump-Time of the current attempt
  int64_t responseNs_ = 0;   // our wall clock when its headers arrived
  bool clockReported_ = false;
};

}  // namespace ddump
