#include "http_request.h"

#include <algorithm>
#include <cstdint>

namespace ddump {
namespace {

bool hasLineBreak(std::string_view text) {
  return std::any_of(text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n' || c == '\0'; });
}

std::string safeTarget(std::string_view target) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : target) {
    const auto byte = static_cast<uint8_t>(c);
    if (byte <= 0x20 || byte >= 0x7f) {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0xf];
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string base64Encode(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (size_t i = 0; i < bytes.size(); i += 3) {
    const size_t n = std::min<size_t>(3, bytes.size() - i);
    uint32_t group = 0;
    for (size_t k = 0; k < 3; ++k) {
      group = group << 8 | (k < n ? static_cast<uint8_t>(bytes[i + k]) : 0u);
    }
    for (size_t k = 0; k < 4; ++k) {
      out += k <= n ? kAlphabet[(group >> (18 - 6 * k)) & 0x3f] : '=';
    }
  }
  return out;
}

Result<std::string> formatGetRequest(const GetRequest& request) {
  if (hasLineBreak(request.authority) || request.authority.find(' ') != std::string::npos) {
    return makeError(ErrorCode::InvalidArgument, "host holds a space or line break");
  }
  std::string out = "GET " + safeTarget(request.requestTarget) + " HTTP/1.1\r\n";
  out += "Host: " + request.authority + "\r\n";
  for (const auto& [name, value] : request.headers) {
    if (hasLineBreak(name) || hasLineBreak(value)) {
      return makeError(ErrorCode::InvalidArgument, "header " + name + " holds a line break");
    }
    out += name + ": " + value + "\r\n";
  }
  if (request.basicAuth) {
    out += "Authorization: Basic " + base64Encode(request.user + ":" + request.password) + "\r\n";
  }
  if (!request.keepAlive) out += "Connection: close\r\n";
  out += "\r\n";
  return out;
}

}  // namespace ddump
