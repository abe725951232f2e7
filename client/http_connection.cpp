#include "http_connection.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>

#include "clock.h"

namespace ddump {
namespace {

Error networkError(std::string message) { return makeError(ErrorCode::Network, std::move(message)); }

int64_t steadyMs() { return static_cast<int64_t>(steadyNowNs() / 1'000'000); }

// Milliseconds left until `deadline` (never negative), for poll().
int msLeft(int64_t deadline) {
  const int64_t left = deadline - steadyMs();
  return left > 0 ? static_cast<int>(left) : 0;
}

bool isIpLiteral(const std::string& host) {
  in6_addr scratch{};
  return inet_pton(AF_INET, host.c_str(), &scratch) == 1 ||
         inet_pton(AF_INET6, host.c_str(), &scratch) == 1;
}

// The name a certificate must carry. An IPv6 literal with a zone
// (fe80::1%eth0, RFC 6874) is checked by its address alone: the zone names
// our interface, not the server, and no certificate can hold it.
std::string certifiedName(const std::string& host) {
  const size_t zone = host.find('%');
  if (zone != std::string::npos && isIpLiteral(host.substr(0, zone))) return host.substr(0, zone);
  return host;
}

}  // namespace

Result<SslCtxPtr> makeClientTlsContext(const TlsConfig& config) {
  SslCtxPtr ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) return networkError("cannot create a TLS context: " + openSslError());
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
#ifdef SSL_OP_IGNORE_UNEXPECTED_EOF
  // A close without close_notify reads as the end of the stream; the body's
  // own framing (chunked, Content-Length) still tells a cut-short body.
  SSL_CTX_set_options(ctx.get(), SSL_OP_IGNORE_UNEXPECTED_EOF);
#endif
  // Read-ahead: OpenSSL fills its buffer with whatever the socket holds
  // instead of two recv() calls (header, then body) per 16 KiB TLS record.
  SSL_CTX_set_read_ahead(ctx.get(), 1);
  SSL_CTX_set_default_read_buffer_len(ctx.get(), 256 * 1024);
  SSL_CTX_set_verify(ctx.get(), config.insecure ? SSL_VERIFY_NONE : SSL_VERIFY_PEER, nullptr);
  // --ca replaces the system store: it must really be the trust root. A
  // --ca given with -k is still loaded, so that a bad file is still an error.
  if (!config.caFile.empty()) {
    if (SSL_CTX_load_verify_locations(ctx.get(), config.caFile.c_str(), nullptr) != 1) {
      return networkError("cannot load CA file " + config.caFile + ": " + fileError(config.caFile));
    }
  } else if (!config.insecure && SSL_CTX_set_default_verify_paths(ctx.get()) != 1) {
    return networkError("cannot load the system CA store: " + openSslError());
  }
  std::string why;
  if (!installClientChain(ctx.get(), config, why)) return networkError(why);
  return ctx;
}

HttpConnection::HttpConnection() : stopFd_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {}

// The SSL object goes before the socket it reads (members die in reverse order).
HttpConnection::~HttpConnection() = default;

void HttpConnection::stop() {
  if (stopFd_.valid()) (void)::eventfd_write(stopFd_.get(), 1);
}

HttpConnection::Wait HttpConnection::waitFor(short events, int timeoutMs) const {
  pollfd fds[2] = {{fd_.get(), events, 0}, {stopFd_.get(), POLLIN, 0}};
  const int64_t deadline = steadyMs() + timeoutMs;
  for (;;) {
    const int n = ::poll(fds, 2, timeoutMs < 0 ? -1 : msLeft(deadline));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return Wait::Failed;
    if (fds[1].revents != 0) return Wait::Stopped;
    if (n == 0) return Wait::TimedOut;
    return Wait::Ready;  // readable, writable, or an error the next call reports
  }
}

Error HttpConnection::stopped() const { return networkError("stopped"); }

bool HttpConnection::stopRequested() const {
  pollfd fd = {stopFd_.get(), POLLIN, 0};
  return ::poll(&fd, 1, 0) > 0;
}

Status HttpConnection::open(const Target& target, SSL_CTX* tls, int timeoutMs, const Endpoint* pinned) {
  if (!stopFd_.valid()) return networkError(std::string("eventfd: ") + std::strerror(errno));
  const int64_t deadline = steadyMs() + timeoutMs;
  const Status connected =
      pinned != nullptr && pinned->valid()
          ? connectOne(reinterpret_cast<const sockaddr*>(&pinned->address), pinned->length, timeoutMs)
          : connectTcp(target, timeoutMs);
  if (!connected) return connected;
  // The context is the run's, shared by every target: only an https one
  // speaks TLS (a plain http target beside it must not start a handshake).
  if (target.kind != TargetKind::Https) return Status::success();
  if (!tls) return networkError("no TLS context for an https target");
  return handshake(target, tls, msLeft(deadline));
}

Status HttpConnection::connectTcp(const Target& target, int timeoutMs) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* list = nullptr;
  const std::string port = std::to_string(target.port);
  if (const int rc = ::getaddrinfo(target.host.c_str(), port.c_str(), &hints, &list); rc != 0) {
    return networkError("cannot resolve host name '" + target.host + "': " + gai_strerror(rc));
  }
  std::unique_ptr<addrinfo, decltype(&freeaddrinfo)> owner(list, &freeaddrinfo);
  const int64_t deadline = steadyMs() + timeoutMs;
  size_t left = 0;
  for (const addrinfo* a = list; a; a = a->ai_next) ++left;
  Status last = networkError("connection failed: no address");
  for (const addrinfo* a = list; a; a = a->ai_next, --left) {
    // Each address gets its share of what is left, so a black-holed first
    // one (typically a broken IPv6 route) cannot use up the whole timeout.
    const int share = msLeft(deadline) / static_cast<int>(left);
    last = connectOne(a->ai_addr, a->ai_addrlen, share);
    if (last) return last;
    if (stopRequested()) return stopped();
  }
  return last;
}

Status HttpConnection::connectOne(const sockaddr* address, socklen_t length, int timeoutMs) {
  if (length > sizeof endpoint_.address) return networkError("connection failed: address too long");
  fd_.reset(::socket(address->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd_.valid()) return networkError(std::string("socket: ") + std::strerror(errno));
  if (::connect(fd_.get(), address, length) != 0) {
    if (errno != EINPROGRESS) return networkError(std::string("connection failed: ") + std::strerror(errno));
    if (Status s = finishConnect(timeoutMs); !s) return s;
  }
  std::memcpy(&endpoint_.address, address, length);
  endpoint_.length = length;
  char host[NI_MAXHOST] = "?";
  ::getnameinfo(address, length, host, sizeof host, nullptr, 0, NI_NUMERICHOST);
  peer_ = host;
  return Status::success();
}

// Waits for a non-blocking connect() and reads its outcome (SO_ERROR).
Status HttpConnection::finishConnect(int timeoutMs) {
  switch (waitFor(POLLOUT, timeoutMs)) {
    case Wait::Stopped: return stopped();
    case Wait::TimedOut: return networkError("connect timed out");
    case Wait::Failed: return networkError(std::string("poll: ") + std::strerror(errno));
    case Wait::Ready: break;
  }
  int error = 0;
  socklen_t size = sizeof error;
  if (::getsockopt(fd_.get(), SOL_SOCKET, SO_ERROR, &error, &size) != 0) error = errno;
  if (error != 0) return networkError(std::string("connection failed: ") + std::strerror(error));
  return Status::success();
}

Status HttpConnection::handshake(const Target& target, SSL_CTX* tls, int timeoutMs) {
  ssl_.reset(SSL_new(tls));
  if (!ssl_ || SSL_set_fd(ssl_.get(), fd_.get()) != 1) return networkError("TLS setup: " + openSslError());
  SSL* ssl = ssl_.get();
  // Host name verification (RFC 6125): a DNS name, or an IP literal against
  // the certificate's IP SANs. SNI carries DNS names only (RFC 6066 §3).
  // Fails closed: a name that cannot be set would mean no name check at all.
  // RFC 9525: names come from the subjectAltName only, never the subject CN.
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NEVER_CHECK_SUBJECT | X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  const std::string name = certifiedName(target.host);
  const bool named = isIpLiteral(name)
                         ? X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name.c_str()) == 1
                         : !name.empty() && SSL_set_tlsext_host_name(ssl, name.c_str()) == 1 &&
                               SSL_set1_host(ssl, name.c_str()) == 1;
  if (!named) return networkError("cannot verify host name '" + target.host + "'");
  const int64_t deadline = steadyMs() + timeoutMs;
  ERR_clear_error();
  for (;;) {
    errno = 0;
    const int rc = SSL_connect(ssl);
    if (rc == 1) return Status::success();
    const int code = SSL_get_error(ssl, rc);
    const short events = code == SSL_ERROR_WANT_READ ? POLLIN : code == SSL_ERROR_WANT_WRITE ? POLLOUT : 0;
    if (events == 0) return tlsError(target, code);
    switch (waitFor(events, msLeft(deadline))) {
      case Wait::Stopped: return stopped();
      case Wait::TimedOut: return networkError("TLS handshake timed out");
      case Wait::Failed: return networkError(std::string("poll: ") + std::strerror(errno));
      case Wait::Ready: break;
    }
  }
}

Error HttpConnection::tlsError(const Target& target, int code) const {
  // With -k the result is recorded but not acted on: it explains nothing.
  const long verifyResult = SSL_get_verify_mode(ssl_.get()) == SSL_VERIFY_NONE
                                ? X509_V_OK
                                : SSL_get_verify_result(ssl_.get());
  if (verifyResult == X509_V_ERR_HOSTNAME_MISMATCH || verifyResult == X509_V_ERR_IP_ADDRESS_MISMATCH) {
    return networkError("server certificate does not match host name " + target.host);
  }
  if (verifyResult != X509_V_OK) {
    return networkError(std::string("server certificate not trusted: ") +
                        X509_verify_cert_error_string(verifyResult));
  }
  // A close during the handshake: SSL_ERROR_SYSCALL with nothing queued, or,
  // with SSL_OP_IGNORE_UNEXPECTED_EOF (set above), SSL_ERROR_ZERO_RETURN.
  if ((code == SSL_ERROR_SYSCALL || code == SSL_ERROR_ZERO_RETURN) && ERR_peek_error() == 0) {
    return networkError(errno != 0 ? "TLS handshake failed: " + std::string(std::strerror(errno))
                                   : "the server closed the connection during the TLS handshake");
  }
  // The answer's first bytes are not a TLS record header (RFC 8446 §5.1):
  // typically a plain-text server ("HTTP/1.1 400" read as a record).
  const bool notTls = ERR_GET_REASON(ERR_peek_last_error()) == SSL_R_WRONG_VERSION_NUMBER;
  return networkError("TLS handshake failed: " + openSslError() +
                      (notTls ? " (the server does not speak TLS: is it an http:// server?)" : ""));
}

Status HttpConnection::writeAll(std::string_view bytes, int timeoutMs) {
  const int64_t deadline = steadyMs() + timeoutMs;
  while (!bytes.empty()) {
    short events = POLLOUT;
    if (ssl_) {
      ERR_clear_error();  // SSL_get_error reads this thread's queue
      errno = 0;
      const int n = SSL_write(ssl_.get(), bytes.data(), static_cast<int>(bytes.size()));
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      const int code = SSL_get_error(ssl_.get(), n);
      if (code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE) return tlsWriteError(code);
      events = code == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT;
    } else {
      const ssize_t n = ::send(fd_.get(), bytes.data(), bytes.size(), MSG_NOSIGNAL);
      if (n > 0) {
        bytes.remove_prefix(static_cast<size_t>(n));
        continue;
      }
      if (n < 0 && errno != EAGAIN && errno != EINTR) {
        return networkError(std::string("write failed: ") + std::strerror(errno));
      }
    }
    switch (waitFor(events, msLeft(deadline))) {
      case Wait::Stopped: return stopped();
      case Wait::TimedOut: return networkError("write timed out");
      case Wait::Failed: return networkError(std::string("poll: ") + std::strerror(errno));
      case Wait::Ready: break;
    }
  }
  return Status::success();
}

Result<size_t> HttpConnection::read(uint8_t* buffer, size_t capacity, int timeoutMs) {
  const int64_t deadline = steadyMs() + timeoutMs;
  for (;;) {
    bool wantWrite = false;
    auto got = readNow(buffer, capacity, wantWrite);
    if (!got) return got.error();
    if (*got) return **got;
    switch (waitFor(wantWrite ? POLLOUT : POLLIN, timeoutMs < 0 ? -1 : msLeft(deadline))) {
      case Wait::Stopped: return stopped();
      case Wait::TimedOut: return networkError("read timed out");
      case Wait::Failed: return networkError(std::string("poll: ") + std::strerror(errno));
      case Wait::Ready: break;
    }
  }
}

Result<std::optional<size_t>> HttpConnection::readNow(uint8_t* buffer, size_t capacity, bool& wantWrite) {
  const int size = static_cast<int>(std::min<size_t>(capacity, 1u << 30));
  wantWrite = false;
  if (deferred_) {
    Result<size_t> end = std::move(*deferred_);
    deferred_.reset();
    if (!end) return end.error();
    return std::optional<size_t>(*end);
  }
  if (ssl_) {
    ERR_clear_error();
    errno = 0;
    const int n = SSL_read(ssl_.get(), buffer, size);
    if (n > 0) return std::optional<size_t>(static_cast<size_t>(n) + readDecrypted(buffer + n, size - n));
    const int code = SSL_get_error(ssl_.get(), n);
    if (code == SSL_ERROR_ZERO_RETURN) return std::optional<size_t>(0);
    if (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0) return std::optional<size_t>(0);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
      wantWrite = code == SSL_ERROR_WANT_WRITE;
      return std::optional<size_t>();
    }
    // An SSL error here is mostly the server's alert (e.g. "tlsv13 alert
    // certificate required": TLS 1.3 servers judge client certificates
    // after the handshake has completed on our side).
    return networkError(code == SSL_ERROR_SYSCALL && errno != 0
                            ? "read failed: " + std::string(std::strerror(errno))
                            : "TLS error: " + openSslError());
  }
  const ssize_t n = ::recv(fd_.get(), buffer, static_cast<size_t>(size), 0);
  if (n >= 0) return std::optional<size_t>(static_cast<size_t>(n));
  if (errno == EAGAIN || errno == EINTR) return std::optional<size_t>();
  return networkError(std::string("read failed: ") + std::strerror(errno));
}

// Why an SSL_write failed. A TLS 1.3 server that rejects our certificate
// sends an alert and closes; the write then only sees the closed socket, so
// the alert, if it is already here, is the better explanation.
Error HttpConnection::tlsWriteError(int code) {
  std::string why = code == SSL_ERROR_SSL ? "TLS error: " + openSslError()
                    : errno != 0          ? std::string(std::strerror(errno))
                                          : "connection closed";
  ERR_clear_error();
  uint8_t byte = 0;
  if (SSL_read(ssl_.get(), &byte, 1) <= 0 && ERR_peek_error() != 0) why = "TLS error: " + openSslError();
  return networkError("write failed: " + why);
}

// SSL_read returns one TLS record (at most 16 KiB) per call: records already
// received are gathered into the same buffer, so a TLS stream is handed on
// in pieces as big as a plain one's.
size_t HttpConnection::readDecrypted(uint8_t* buffer, int capacity) {
  size_t total = 0;
  while (capacity > 0 && SSL_has_pending(ssl_.get()) == 1) {
    ERR_clear_error();
    errno = 0;
    const int n = SSL_read(ssl_.get(), buffer + total, capacity);
    if (n > 0) {
      total += static_cast<size_t>(n);
      capacity -= n;
      continue;
    }
    // An end or error after records already read: the next read() reports
    // it (asking OpenSSL again then would find its error queue cleared).
    const int code = SSL_get_error(ssl_.get(), n);
    if (code == SSL_ERROR_ZERO_RETURN || (code == SSL_ERROR_SYSCALL && ERR_peek_error() == 0 && errno == 0)) {
      deferred_ = size_t{0};
    } else if (code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE) {
      deferred_ = networkError("read failed: " + openSslError());
    }
    break;
  }
  return total;
}

bool HttpConnection::pending() const {
  // Not SSL_has_pending: it is also true for part of a TLS record, which
  // may be all there is for a long while (a stalled worker).
  if (ssl_ && SSL_pending(ssl_.get()) > 0) return true;
  int bytes = 0;
  return fd_.valid() && ::ioctl(fd_.get(), FIONREAD, &bytes) == 0 && bytes > 0;
}

std::string HttpConnection::tlsDescription() const {
  if (!ssl_) return {};
  const char* cipher = SSL_get_cipher_name(ssl_.get());
  return std::string(SSL_get_version(ssl_.get())) + " " + (cipher != nullptr ? cipher : "?");
}

}  // namespace ddump
