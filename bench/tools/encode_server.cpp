// encode_server: the worker's encoder and HTTP path without libpcap (bench-only).
//
//   encode_server [PORT]          serve on 127.0.0.1:PORT (0 or absent: any free port)
//   encode_server --encode-only RECORDS SIZE
//                                 encode into memory only, print records/s and MB/s
//
// GET /stream?records=N&size=S&mode=encode|raw
//   encode: N synthetic records of S bytes each are appended to a RecordBuffer
//           (common/record_buffer.h) and the buffer is flushed through httplib's
//           chunked content provider in 64 KiB slices whenever it reaches 1 MiB,
//           exactly as worker/capture_stream.cpp does with a pcap_dispatch batch.
//   raw:    the same byte count written as ready-made 64 KiB slices: the HTTP +
//           curl ceiling, without the encoder.
//   fixed:  raw, but as a Content-Length response (httplib writes straight to the
//           socket, no per-write chunk string): the loopback TCP + curl ceiling.
// One line per stream on stderr: stream mode=.. records=.. bytes=.. seconds=..
// The malloc tuning is worker/main.cpp's.
#include <httplib.h>
#include <malloc.h>
#include <signal.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "record_buffer.h"

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kWriteSlice = 64 * 1024;    // worker/capture_stream.cpp kWriteSlice
constexpr size_t kMaxBatchBytes = 1024 * 1024;  // worker/capture_stream.cpp kMaxBatchBytes

struct Params {
  uint64_t records = 10'000'000;
  uint32_t size = 64;
  bool raw = false;
  bool fixed = false;  // mode=fixed: raw slices in a Content-Length response, no chunk framing
};

ddump::GlobalHeader globalHeader() {
  ddump::GlobalHeader h;
  h.linkType = ddump::kLinkTypeLinuxSll;
  return h;
}

// Appends the next record; timestamps advance 1 us per record.
inline void appendOne(ddump::RecordBuffer& buffer, uint64_t i, const std::vector<uint8_t>& payload) {
  const ddump::RecordHeader h{static_cast<uint32_t>(1'700'000'000 + i / 1'000'000),
                              static_cast<uint32_t>(i % 1'000'000),
                              static_cast<uint32_t>(payload.size()),
                              static_cast<uint32_t>(payload.size())};
  buffer.appendRecord(h, payload);
}

bool flush(ddump::RecordBuffer& buffer, httplib::DataSink& sink, uint64_t& bytes) {
  for (size_t at = 0; at < buffer.size(); at += kWriteSlice) {
    const size_t n = std::min(kWriteSlice, buffer.size() - at);
    if (!sink.write(buffer.data() + at, n)) return false;
    bytes += n;
  }
  buffer.clear();
  return true;
}

bool streamEncoded(const Params& p, httplib::DataSink& sink, uint64_t& bytes) {
  ddump::RecordBuffer buffer;
  buffer.reserve(256 * 1024);  // as CaptureStream's constructor
  buffer.appendGlobalHeader(globalHeader());
  if (!flush(buffer, sink, bytes)) return false;
  const std::vector<uint8_t> payload(p.size, 0x5a);
  for (uint64_t i = 0; i < p.records; ++i) {
    appendOne(buffer, i, payload);
    if (buffer.size() >= kMaxBatchBytes && !flush(buffer, sink, bytes)) return false;
  }
  return flush(buffer, sink, bytes);
}

bool streamRaw(const Params& p, httplib::DataSink& sink, uint64_t& bytes) {
  const uint64_t total = ddump::kGlobalHeaderSize + p.records * (ddump::kRecordHeaderSize + p.size);
  const std::string slice(kWriteSlice, 'r');
  while (bytes < total) {
    const size_t n = static_cast<size_t>(std::min<uint64_t>(kWriteSlice, total - bytes));
    if (!sink.write(slice.data(), n)) return false;
    bytes += n;
  }
  return true;
}

int encodeOnly(uint64_t records, uint32_t size) {
  ddump::RecordBuffer buffer;
  buffer.reserve(256 * 1024);
  const std::vector<uint8_t> payload(size, 0x5a);
  uint64_t bytes = 0;
  const auto start = Clock::now();
  for (uint64_t i = 0; i < records; ++i) {
    appendOne(buffer, i, payload);
    if (buffer.size() >= kMaxBatchBytes) {
      bytes += buffer.size();
      buffer.clear();
    }
  }
  bytes += buffer.size();
  const double s = std::chrono::duration<double>(Clock::now() - start).count();
  std::printf("encode_only records=%llu bytes=%llu seconds=%.4f records_per_s=%.0f mb_per_s=%.1f\n",
              static_cast<unsigned long long>(records), static_cast<unsigned long long>(bytes), s,
              static_cast<double>(records) / s, static_cast<double>(bytes) / s / 1e6);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 4 && std::string(argv[1]) == "--encode-only") {
    return encodeOnly(std::strtoull(argv[2], nullptr, 10),
                      static_cast<uint32_t>(std::strtoul(argv[3], nullptr, 10)));
  }
  // worker/main.cpp: httplib allocates a string per chunk written.
  mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
  mallopt(M_MMAP_THRESHOLD, 4 * 1024 * 1024);
  signal(SIGPIPE, SIG_IGN);
  const int port = argc > 1 ? std::atoi(argv[1]) : 0;

  httplib::Server server;
  server.Get("/stream", [](const httplib::Request& req, httplib::Response& res) {
    auto p = std::make_shared<Params>();
    if (req.has_param("records")) p->records = std::strtoull(req.get_param_value("records").c_str(), nullptr, 10);
    if (req.has_param("size")) p->size = static_cast<uint32_t>(std::strtoul(req.get_param_value("size").c_str(), nullptr, 10));
    p->raw = req.get_param_value("mode") == "raw";
    p->fixed = req.get_param_value("mode") == "fixed";
    if (p->fixed) {
      const uint64_t total = ddump::kGlobalHeaderSize + p->records * (ddump::kRecordHeaderSize + p->size);
      res.set_content_provider(static_cast<size_t>(total), "application/octet-stream",
                               [p](size_t, size_t, httplib::DataSink& sink) {
                                 uint64_t bytes = 0;
                                 const auto start = Clock::now();
                                 const bool ok = streamRaw(*p, sink, bytes);
                                 const double s = std::chrono::duration<double>(Clock::now() - start).count();
                                 std::fprintf(stderr, "stream mode=fixed records=%llu size=%u bytes=%llu seconds=%.4f ok=%d\n",
                                              static_cast<unsigned long long>(p->records), p->size,
                                              static_cast<unsigned long long>(bytes), s, ok ? 1 : 0);
                                 return ok;
                               });
      return;
    }
    res.set_chunked_content_provider("application/vnd.tcpdump.pcap", [p](size_t, httplib::DataSink& sink) {
      uint64_t bytes = 0;
      const auto start = Clock::now();
      const bool ok = p->raw ? streamRaw(*p, sink, bytes) : streamEncoded(*p, sink, bytes);
      const double s = std::chrono::duration<double>(Clock::now() - start).count();
      std::fprintf(stderr, "stream mode=%s records=%llu size=%u bytes=%llu seconds=%.4f ok=%d\n",
                   p->raw ? "raw" : "encode", static_cast<unsigned long long>(p->records), p->size,
                   static_cast<unsigned long long>(bytes), s, ok ? 1 : 0);
      if (ok) sink.done();
      return ok;
    });
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) { res.set_content("ok", "text/plain"); });

  const int bound = port == 0 ? server.bind_to_any_port("127.0.0.1") : (server.bind_to_port("127.0.0.1", port) ? port : -1);
  if (bound <= 0) {
    std::fprintf(stderr, "encode_server: cannot bind\n");
    return 1;
  }
  std::fprintf(stderr, "encode_server listening port=%d\n", bound);
  server.listen_after_bind();
  return 0;
}
