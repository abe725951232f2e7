#pragma once
// TLS settings for https targets. Everything is checked once at start-up
// (unreadable or mismatched files throw ConfigError, exit 2) and then applied
// to each connection's SSL_CTX.

#include <openssl/ssl.h>

#include <stdexcept>
#include <string>

namespace ddump {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct TlsConfig {
  std::string caFile;    // empty: the system store (SSL_CERT_FILE/SSL_CERT_DIR honoured)
  std::string certFile;  // client certificate chain, PEM
  std::string keyFile;
  bool insecure = false;
};

// Loads every file into a scratch SSL_CTX; throws ConfigError naming the file
// and OpenSSL's reason.
void validateTls(const TlsConfig& config);

// Installs the client certificate chain (leaf and intermediates, so a server
// that trusts only the root can verify us). Returns false with a reason.
bool installClientChain(SSL_CTX* ctx, const TlsConfig& config, std::string& why);

// The most recent OpenSSL error as text, clearing the queue.
std::string openSslError();

// Why a certificate or key file cannot be loaded: the system's reason when it
// cannot even be opened ("No such file or directory", where OpenSSL's last
// error says only "system lib"), else OpenSSL's. Clears OpenSSL's queue.
std::string fileError(const std::string& path);

}  // namespace ddump
