#pragma once
// One HTTP/1.1 connection to a worker, plain or TLS, read with our own
// buffers: the streaming body is read in 256 KiB gulps instead of httplib's
// compiled-in 4 KiB (Debian's libcpp-httplib is a shared library, so its
// CPPHTTPLIB_RECV_BUFSIZ cannot be raised). The socket is non-blocking and
// every wait is a poll() on it and on a stop eventfd, so stop() from any
// thread ends a connect, handshake or read at once.
//
// Errors are return values (the streaming path never throws); each message
// is one line that says what failed.

#include <openssl/ssl.h>
#include <sys/socket.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "result.h"
#include "target.h"
#include "tls.h"
#include "unique_fd.h"

namespace ddump {

struct SslDeleter {
  void operator()(SSL* ssl) const { SSL_free(ssl); }
};
struct SslCtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};
using SslCtxPtr = std::unique_ptr<SSL_CTX, SslCtxDeleter>;

// A client TLS context: server verified against --ca or the system store
// (SSL_CERT_FILE / SSL_CERT_DIR honoured), the client chain for mTLS.
Result<SslCtxPtr> makeClientTlsContext(const TlsConfig& config);

// The address a connection reached. Later connections to the same worker go
// there again instead of resolving its name anew: a name with several
// addresses (round-robin DNS, a Kubernetes Service) could send them to
// another worker than the one streaming, and a lookup at exit could hang on
// a slow resolver that stop() cannot interrupt.
struct Endpoint {
  sockaddr_storage address{};
  socklen_t length = 0;
  bool valid() const { return length != 0; }
};

class HttpConnection {
 public:
  HttpConnection();
  ~HttpConnection();
  HttpConnection(const HttpConnection&) = delete;
  HttpConnection& operator=(const HttpConnection&) = delete;

  // TCP connect to every address of host:port in turn within timeoutMs (to
  // `pinned` alone when it is given and valid), then, for an https target,
  // the TLS handshake on `tls` (SNI and host name verification, still by
  // target.host). An http target ignores `tls`.
  Status open(const Target& target, SSL_CTX* tls, int timeoutMs, const Endpoint* pinned = nullptr);
  Status writeAll(std::string_view bytes, int timeoutMs);
  // Blocks until some bytes arrive, by default without a timeout (a live
  // stream may be silent for hours; stop() ends the wait). 0 means the peer
  // closed the stream.
  Result<size_t> read(uint8_t* buffer, size_t capacity, int timeoutMs = -1);
  // Without waiting: the bytes read (0: the peer closed the stream), or
  // nothing when none are there yet. `wantWrite`: TLS must first be able to
  // write (a key update or renegotiation), so wait for POLLOUT instead.
  Result<std::optional<size_t>> readNow(uint8_t* buffer, size_t capacity, bool& wantWrite);
  // True when more bytes can be read at once without waiting.
  bool pending() const;
  // For an event loop that waits on many connections (BodyPump): the
  // socket, and the eventfd that stop() makes readable.
  int socketFd() const { return fd_.get(); }
  int stopFd() const { return stopFd_.get(); }
  // Thread-safe: makes the current and every later wait fail.
  void stop();

  std::string peerAddress() const { return peer_; }
  const Endpoint& endpoint() const { return endpoint_; }  // valid once connected
  std::string tlsDescription() const;  // "TLSv1.3 TLS_AES_128_GCM_SHA256"; empty: plain

 private:
  enum class Wait { Ready, Stopped, TimedOut, Failed };
  Wait waitFor(short events, int timeoutMs) const;
  Status connectTcp(const Target& target, int timeoutMs);
  Status connectOne(const sockaddr* address, socklen_t length, int timeoutMs);
  Status finishConnect(int timeoutMs);  // a connect() in progress
  Status handshake(const Target& target, SSL_CTX* tls, int timeoutMs);
  size_t readDecrypted(uint8_t* buffer, int capacity);
  Error tlsError(const Target& target, int code) const;
  Error tlsWriteError(int code);
  Error stopped() const;
  bool stopRequested() const;

  UniqueFd fd_;
  UniqueFd stopFd_;  // eventfd: readable once stop() was called
  std::unique_ptr<SSL, SslDeleter> ssl_;  // declared after fd_: freed before it
  std::string peer_;
  Endpoint endpoint_;
  std::optional<Result<size_t>> deferred_;  // what read() returns next (TLS end seen early)
};

}  // namespace ddump
