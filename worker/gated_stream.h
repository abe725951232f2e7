#pragma once
// What cpp-httplib reads and writes once a request head has passed the gate
// (listener.h): first the bytes the gate already took from the socket, then
// the socket itself. It behaves as httplib's own SocketStream does, which
// capture_stream.cpp relies on: is_writable() is false as soon as the client
// has gone (that is how an idle capture notices a departed client), a read
// waits at most the server's read timeout, a write at most its write timeout.
//
// One difference: a write never waits while what it cannot send at once fits
// in ConnectionOutput (kOutputBuffer). A response of that size (every answer
// but a capture stream) is then done for the pool thread however slowly the
// client reads, and the listener's front sends the rest: a client that asks
// and does not read holds memory, not a thread. Past it, a write waits for
// the socket as before, which is the backpressure a capture stream needs.

#include <httplib.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace ddump {

// poll(2) on one socket for `events`, retried on EINTR: > 0 ready, 0 timed
// out, < 0 error (errno).
int pollSocket(int fd, short events, int timeoutMs);

// Whether the peer has not closed its side (httplib's is_socket_alive): a
// readable socket whose MSG_PEEK sees end of file or an error has gone.
bool peerConnected(int fd);

// Bytes read from one connection's socket and not used yet: the head the gate
// read, and whatever came in the same recv() behind it (the start of a body,
// or the next request of a keep-alive connection).
class ConnectionInput {
 public:
  explicit ConnectionInput(int fd) : fd_(fd) {}

  int fd() const { return fd_; }
  std::span<const uint8_t> buffered() const {
    return std::span<const uint8_t>(bytes_).subspan(begin_);
  }
  void consume(size_t n);
  // Copies at most `size` buffered bytes to `out` and consumes them.
  size_t take(char* out, size_t size);
  // One recv(2) of at most `max` bytes appended to the buffer: the count read,
  // 0 when the peer closed, -1 on error (errno). Offsets into buffered() stay
  // valid across it.
  ssize_t receive(size_t max, int flags);

 private:
  int fd_;
  std::vector<uint8_t> bytes_;
  size_t begin_ = 0;
};

// Bytes of a response the socket did not take yet, in order, bounded.
class ConnectionOutput {
 public:
  static constexpr size_t kOutputBuffer = 64 * 1024;

  bool empty() const { return sent_ == bytes_.size(); }
  size_t size() const { return bytes_.size() - sent_; }
  bool fits(size_t more) const { return size() + more <= kOutputBuffer; }
  void append(const char* data, size_t size);
  enum class Flush { Done, Blocked, Failed };
  // Sends what it can without waiting.
  Flush flush(int fd);

 private:
  std::string bytes_;
  size_t sent_ = 0;
};

class GatedStream : public httplib::Stream {
 public:
  GatedStream(ConnectionInput& input, ConnectionOutput& output, int readTimeoutMs,
              int writeTimeoutMs)
      : input_(input),
        output_(output),
        readTimeoutMs_(readTimeoutMs),
        writeTimeoutMs_(writeTimeoutMs) {}

  bool is_readable() const override;
  bool is_writable() const override;
  ssize_t read(char* ptr, size_t size) override;
  ssize_t write(const char* ptr, size_t size) override;
  void get_remote_ip_and_port(std::string& ip, int& port) const override;
  void get_local_ip_and_port(std::string& ip, int& port) const override;
  socket_t socket() const override { return input_.fd(); }

 private:
  // Sends everything buffered, waiting for the socket at most the write
  // timeout each time; false when the client is gone or too slow.
  bool drainOutput() const;

  ConnectionInput& input_;
  ConnectionOutput& output_;
  int readTimeoutMs_;
  int writeTimeoutMs_;
};

}  // namespace ddump
