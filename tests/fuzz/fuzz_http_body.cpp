// libFuzzer target: body framing (common/http_response_head bodyFraming,
// RFC 9112 §6.3) and the body decoder (common/http_body) over whole
// responses: the head is parsed, its framing chosen, and the bytes after it
// decoded whole and in pieces whose sizes the last input byte picks, each
// piece copied into a buffer of exactly its size (a read past it is an ASan
// report). Invariants:
//   * the framing follows the fields: 204/304 have no body; Transfer-Encoding
//     is chunked or an error, never a length; Content-Length is the value
//     every element of every Content-Length field agrees on (§6.3 item 5);
//     neither means the body runs until the connection closes;
//   * whole or in pieces, the same payload, bytes used, end and error;
//   * a sized body hands out exactly min(length, bytes) bytes of the input
//     and is done when they are all there; an until-close body is every
//     byte; a chunked one what ChunkedDecoder gives whole;
//   * endOfInput is an error exactly when the body is incomplete, with the
//     byte counts in its one line.

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "chunked_decoder.h"
#include "http_body.h"
#include "http_response_head.h"

namespace {

using ddump::BodyFraming;
using ddump::HttpBodyDecoder;
using ddump::HttpResponseHead;

void check(bool condition) {
  if (!condition) __builtin_trap();
}

bool printableLine(const std::string& text) {
  return !text.empty() &&
         std::all_of(text.begin(), text.end(), [](char c) { return c >= 0x20 && c < 0x7f; });
}

char lower(char c) {
  return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equalsNoCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(),
                                            [](char x, char y) { return lower(x) == lower(y); });
}

// Every comma-separated element of every field called `name`, trimmed of
// SP/HTAB, empty ones dropped (RFC 9110 §5.3, §5.6.1).
std::vector<std::string> elements(const HttpResponseHead& head, std::string_view name) {
  std::vector<std::string> out;
  for (const auto& [key, value] : head.fields) {
    if (!equalsNoCase(key, name)) continue;
    size_t start = 0;
    while (start <= value.size()) {
      size_t end = value.find(',', start);
      if (end == std::string::npos) end = value.size();
      std::string item = value.substr(start, end - start);
      item.erase(0, item.find_first_not_of(" \t"));
      item.erase(item.find_last_not_of(" \t") + 1);
      if (!item.empty()) out.push_back(item);
      start = end + 1;
    }
  }
  return out;
}

// The Content-Length the fields state: every element the same 1-18 digits.
std::optional<uint64_t> statedLength(const HttpResponseHead& head) {
  const std::vector<std::string> items = elements(head, "Content-Length");
  if (items.empty() || std::any_of(items.begin(), items.end(),
                                   [&](const std::string& item) { return item != items[0]; })) {
    return std::nullopt;
  }
  const std::string& value = items[0];
  if (value.size() > 18 ||
      !std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    return std::nullopt;
  }
  return std::stoull(value);
}

// Transfer-Encoding that only says chunked, the one coding we can decode.
bool onlyChunked(const HttpResponseHead& head) {
  const std::vector<std::string> codings = elements(head, "Transfer-Encoding");
  return codings.size() == 1 && equalsNoCase(codings[0], "chunked");
}

struct Decoded {
  size_t consumed = 0;
  bool done = false;
  std::string error;
  std::string payload;
  std::string endError;
};

Decoded decode(BodyFraming framing, uint64_t length, std::span<const uint8_t> body, uint32_t step) {
  Decoded out;
  HttpBodyDecoder decoder(framing, length);
  uint32_t state = step;
  size_t at = 0;
  while (at < body.size() && !decoder.done()) {
    state = state * 1103515245u + 12345u;
    const size_t size =
        step == 0 ? body.size() : std::min<size_t>(body.size() - at, 1 + (state >> 16) % step);
    const std::vector<uint8_t> piece(body.begin() + static_cast<std::ptrdiff_t>(at),
                                     body.begin() + static_cast<std::ptrdiff_t>(at + size));
    at += size;
    std::span<const uint8_t> rest(piece);
    while (!rest.empty() && !decoder.done()) {
      auto result = decoder.next(rest);
      if (!result) {
        out.error = result.error().message;
        return out;
      }
      check(result->consumed <= rest.size() && result->consumed > 0);
      if (!result->data.empty()) {
        check(result->data.data() + result->data.size() == rest.data() + result->consumed);
        out.payload.append(reinterpret_cast<const char*>(result->data.data()), result->data.size());
      }
      out.consumed += result->consumed;
      rest = rest.subspan(result->consumed);
    }
  }
  out.done = decoder.done();
  if (const auto end = decoder.endOfInput(); !end) out.endError = end.error().message;
  return out;
}

void checkFraming(const HttpResponseHead& head, const ddump::Result<BodyFraming>& framing,
                  uint64_t length) {
  const bool noBody = head.status == 204 || head.status == 304;
  if (!framing) {
    check(printableLine(framing.error().message) && framing.error().message.size() <= 200);
    check(!noBody);
    check(head.has("Transfer-Encoding") ? !onlyChunked(head) : !statedLength(head));
    return;
  }
  check((*framing == BodyFraming::None) == noBody);
  if (noBody) return;
  check((*framing == BodyFraming::Chunked) == head.has("Transfer-Encoding"));
  if (*framing == BodyFraming::Chunked) check(onlyChunked(head));
  if (*framing == BodyFraming::ContentLength) check(statedLength(head) == length);
  if (*framing == BodyFraming::UntilClose) check(!head.has("Content-Length"));
}

void checkBody(BodyFraming framing, uint64_t length, std::span<const uint8_t> body,
               const Decoded& got) {
  const std::string bytes(reinterpret_cast<const char*>(body.data()), body.size());
  switch (framing) {
    case BodyFraming::None:
      check(got.done && got.consumed == 0 && got.endError.empty());
      break;
    case BodyFraming::ContentLength: {
      const size_t take = static_cast<size_t>(std::min<uint64_t>(length, body.size()));
      check(got.payload == bytes.substr(0, take) && got.consumed == take);
      check(got.done == (body.size() >= length));
      check(got.done ? got.endError.empty()
                     : got.endError == "connection closed after " + std::to_string(take) + " of " +
                                           std::to_string(length) + " body bytes");
      break;
    }
    case BodyFraming::UntilClose:
      check(got.payload == bytes && !got.done && got.endError.empty());
      break;
    case BodyFraming::Chunked: {
      ddump::ChunkedDecoder whole;
      std::string payload;
      std::span<const uint8_t> rest = body;
      std::string error;
      while (!rest.empty() && !whole.done()) {
        auto result = whole.next(rest);
        if (!result) {
          error = result.error().message;
          break;
        }
        payload.append(reinterpret_cast<const char*>(result->data.data()), result->data.size());
        rest = rest.subspan(result->consumed);
      }
      check(got.payload == payload && got.error == error && got.done == whole.done());
      if (error.empty()) {
        check(got.done ? got.endError.empty()
                       : got.endError == "connection closed before the chunked body ended");
      }
      break;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::span<const uint8_t> input(data, size - 1);
  ddump::HttpHeadParser parser;
  const auto used = parser.feed(input);
  if (!used || !parser.complete()) return 0;
  const HttpResponseHead& head = parser.head();
  uint64_t length = 0;
  const auto framing = ddump::bodyFraming(head, length);
  checkFraming(head, framing, length);
  if (!framing) return 0;
  const std::span<const uint8_t> body = input.subspan(*used);
  const Decoded whole = decode(*framing, length, body, 0);
  const Decoded split = decode(*framing, length, body, data[size - 1]);
  // (The bytes a failing step used are not counted: only the error says where.)
  check(whole.payload == split.payload && whole.done == split.done && whole.error == split.error &&
        whole.endError == split.endError);
  check(!whole.error.empty() || whole.consumed == split.consumed);
  checkBody(*framing, length, body, whole);
  return 0;
}
