#include "tls.h"

#include <openssl/err.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

namespace ddump {
namespace {

struct CtxDeleter {
  void operator()(SSL_CTX* ctx) const { SSL_CTX_free(ctx); }
};

}  // namespace

std::string openSslError() {
  unsigned long code = 0;
  unsigned long last = 0;
  while ((code = ERR_get_error()) != 0) last = code;
  if (last == 0) return "unknown OpenSSL error";
  char buffer[256];
  ERR_error_string_n(last, buffer, sizeof buffer);
  return buffer;
}

std::string fileError(const std::string& path) {
  if (std::FILE* file = std::fopen(path.c_str(), "rb")) {
    std::fclose(file);
    return openSslError();
  }
  const int error = errno;
  ERR_clear_error();
  return std::strerror(error);
}

bool installClientChain(SSL_CTX* ctx, const TlsConfig& config, std::string& why) {
  if (config.certFile.empty()) return true;
  if (SSL_CTX_use_certificate_chain_file(ctx, config.certFile.c_str()) != 1) {
    why = "cannot load client certificate " + config.certFile + ": " + fileError(config.certFile);
    return false;
  }
  if (SSL_CTX_use_PrivateKey_file(ctx, config.keyFile.c_str(), SSL_FILETYPE_PEM) != 1) {
    why = "cannot load private key " + config.keyFile + ": " + fileError(config.keyFile);
    return false;
  }
  if (SSL_CTX_check_private_key(ctx) != 1) {
    why = "private key " + config.keyFile + " does not match certificate " + config.certFile +
          ": " + openSslError();
    return false;
  }
  return true;
}

void validateTls(const TlsConfig& config) {
  // Nothing to load, nothing to check: OpenSSL's start-up (~3 ms, most of a
  // small file merge's fixed cost) is then paid only by an https connection.
  if (config.caFile.empty() && config.certFile.empty()) return;
  std::unique_ptr<SSL_CTX, CtxDeleter> ctx(SSL_CTX_new(TLS_client_method()));
  if (!ctx) throw ConfigError("cannot create a TLS context: " + openSslError());
  if (!config.caFile.empty() &&
      SSL_CTX_load_verify_locations(ctx.get(), config.caFile.c_str(), nullptr) != 1) {
    throw ConfigError("cannot load CA file " + config.caFile + ": " + fileError(config.caFile));
  }
  std::string why;
  if (!installClientChain(ctx.get(), config, why)) throw ConfigError(why);
}

}  // namespace ddump
