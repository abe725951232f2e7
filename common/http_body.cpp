#include "http_body.h"

#include <algorithm>
#include <string>

namespace ddump {

HttpBodyDecoder::HttpBodyDecoder(BodyFraming framing, uint64_t contentLength)
    : framing_(framing), remaining_(framing == BodyFraming::ContentLength ? contentLength : 0) {}

Result<HttpBodyDecoder::Step> HttpBodyDecoder::next(std::span<const uint8_t> in) {
  switch (framing_) {
    case BodyFraming::Chunked:
      return chunked_.next(in);
    case BodyFraming::ContentLength: {
      const auto take = static_cast<size_t>(std::min<uint64_t>(remaining_, in.size()));
      remaining_ -= take;
      received_ += take;
      return Step{take, in.first(take)};
    }
    case BodyFraming::UntilClose:
      received_ += in.size();
      return Step{in.size(), in};
    case BodyFraming::None:
      break;
  }
  return Step{};
}

bool HttpBodyDecoder::done() const {
  switch (framing_) {
    case BodyFraming::Chunked: return chunked_.done();
    case BodyFraming::ContentLength: return remaining_ == 0;
    case BodyFraming::UntilClose: return false;
    case BodyFraming::None: return true;
  }
  return true;
}

Status HttpBodyDecoder::endOfInput() const {
  if (done() || framing_ == BodyFraming::UntilClose) return Status::success();
  if (framing_ == BodyFraming::ContentLength) {
    return makeError(ErrorCode::Network,
                     "connection closed after " + std::to_string(received_) + " of " +
                         std::to_string(received_ + remaining_) + " body bytes");
  }
  return makeError(ErrorCode::Network, "connection closed before the chunked body ended");
}

}  // namespace ddump
