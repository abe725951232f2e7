#pragma once
// What every capture stream does the same way, live (CaptureStream) or from
// the history (HistoryStream): the pcap global header first, then steps
// until one ends the stream, then the terminating chunk; batches written in
// bounded slices; the count and duration limits.

#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>

namespace ddump {

struct StreamLimits {
  std::optional<uint64_t> count;
  std::optional<std::chrono::duration<double>> duration;

  // Why the stream ends now (nullptr: it goes on).
  const char* reached(uint64_t packets, std::chrono::steady_clock::time_point started) const {
    if (count && packets >= *count) return "count reached";
    if (duration && std::chrono::steady_clock::now() - started >= *duration) return "duration reached";
    return nullptr;
  }
};

enum class StreamFlow { Continue, Finished, ClientGone };

// Slices of at most 64 KiB: large enough to amortise the write, small enough
// that a slow reader still lets the stream do its bookkeeping (`between`,
// after each slice). False when the client is gone.
template <class Between>
bool writeSlices(httplib::DataSink& sink, std::span<const uint8_t> bytes,
                 std::atomic<uint64_t>& written, Between&& between) {
  constexpr size_t kWriteSlice = 64 * 1024;
  for (size_t at = 0; at < bytes.size(); at += kWriteSlice) {
    const size_t n = std::min(kWriteSlice, bytes.size() - at);
    if (!sink.write(reinterpret_cast<const char*>(bytes.data() + at), n)) return false;
    written.fetch_add(n, std::memory_order_relaxed);
    between();
  }
  return true;
}

// The life of a stream: `stream` has flush(sink) (false: client gone),
// step(sink) -> StreamFlow and clientGone() (records why it ended). The
// global header is already in its buffer. True when it ended cleanly.
template <class Stream>
bool runStream(Stream& stream, httplib::DataSink& sink) {
  // pcap-savefile(5) global header first, before any packet, so readers
  // (tcpdump -r -, Wireshark) start at once.
  if (!stream.flush(sink)) return false;
  StreamFlow flow = StreamFlow::Continue;
  while (flow == StreamFlow::Continue) flow = stream.step(sink);
  if (flow == StreamFlow::ClientGone) {
    stream.clientGone();
    return false;
  }
  if (!stream.flush(sink)) return false;
  sink.done();  // the terminating zero-length chunk (RFC 9112 section 7.1)
  return true;
}

}  // namespace ddump
