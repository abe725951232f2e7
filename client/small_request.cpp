#include "small_request.h"

#include <array>
#include <cstdint>
#include <optional>
#include <span>

#include "clock.h"
#include "http_body.h"
#include "http_request.h"

namespace ddump {

Result<SmallReply> getSmall(HttpConnection& connection, const Target& target,
                            const std::string& path, bool keepAlive, int timeoutMs) {
  const GetRequest request{target.hostField(), path, {{"User-Agent", kUserAgent}},
                           target.hasUser,     target.user, target.password, keepAlive};
  auto bytes = formatGetRequest(request);
  if (!bytes) return bytes.error();
  const uint64_t deadlineNs = steadyNowNs() + static_cast<uint64_t>(timeoutMs) * 1'000'000;
  if (Status s = connection.writeAll(*bytes, timeoutMs); !s) return s.error();
  std::array<uint8_t, 16 * 1024> buffer;
  HttpHeadParser parser;
  std::optional<HttpBodyDecoder> body;
  SmallReply reply;
  for (;;) {
    const uint64_t now = steadyNowNs();
    const int left = now < deadlineNs ? static_cast<int>((deadlineNs - now) / 1'000'000) : 0;
    auto got = connection.read(buffer.data(), buffer.size(), left);
    if (!got) return got.error();
    std::span<const uint8_t> rest(buffer.data(), *got);
    if (*got == 0) {
      if (body && body->endOfInput()) return reply;
      return makeError(ErrorCode::Network, "connection closed before the whole answer");
    }
    if (!body) {
      auto used = parser.feed(rest);
      if (!used) return used.error();
      if (!parser.complete()) continue;
      rest = rest.subspan(*used);
      reply.head = parser.head();
      uint64_t length = 0;
      auto framing = bodyFraming(reply.head, length);
      if (!framing) return framing.error();
      body.emplace(*framing, length);
    }
    while (!rest.empty() && !body->done()) {
      auto step = body->next(rest);
      if (!step) return step.error();
      reply.body.append(reinterpret_cast<const char*>(step->data.data()), step->data.size());
      if (reply.body.size() > kSmallBodyLimit) {
        return makeError(ErrorCode::Http, "answer to " + path + " larger than " +
                                              std::to_string(kSmallBodyLimit) + " bytes");
      }
      rest = rest.subspan(step->consumed);
    }
    if (body->done()) return reply;
  }
}

}  // namespace ddump
