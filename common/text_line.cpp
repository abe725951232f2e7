#include "text_line.h"

#include <ctime>

namespace ddump {
namespace {

constexpr uint32_t kLinkTypeSll = 113;
constexpr uint32_t kLinkTypeSll2 = 276;

void appendPrintable(std::string& out, std::string_view text) {
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    out += (u < 0x20 || u == 0x7F) ? '?' : c;
  }
}

// "HH:MM:SS" of the second, formatted once per second (localtime_r reads the
// time zone, which costs far more than the rest of the line).
void appendTimeOfDay(std::string& out, uint64_t second, bool utc) {
  thread_local uint64_t cachedSecond = ~uint64_t{0};
  thread_local bool cachedUtc = false;
  thread_local char cached[9] = {};
  if (second != cachedSecond || utc != cachedUtc) {
    const auto t = static_cast<time_t>(second);
    struct tm parts {};
    if (utc) {
      gmtime_r(&t, &parts);
    } else {
      localtime_r(&t, &parts);
    }
    strftime(cached, sizeof cached, "%H:%M:%S", &parts);
    cachedSecond = second;
    cachedUtc = utc;
  }
  out.append(cached, 8);
}

}  // namespace

std::string_view directionWord(uint32_t linkType, std::span<const uint8_t> data,
                               uint32_t epbFlags) {
  // draft-ietf-opsawg-pcapng 4.3.1: bits 0-1, 1 inbound, 2 outbound.
  switch (epbFlags & 0x3) {
    case 1:
      return "In ";
    case 2:
      return "Out";
    default:
      break;
  }
  int packetType = -1;
  if (linkType == kLinkTypeSll && data.size() >= 2) packetType = data[0] << 8 | data[1];
  if (linkType == kLinkTypeSll2 && data.size() >= 11) packetType = data[10];
  switch (packetType) {
    case 0:
      return "In ";
    case 1:
      return "B  ";
    case 2:
      return "M  ";
    case 3:
      return "P  ";
    case 4:
      return "Out";
    default:
      return {};
  }
}

void appendTextLine(std::string& out, uint64_t tsNs, std::string_view host,
                    std::string_view interface, std::string_view direction,
                    std::string_view summary, const TextLineStyle& style) {
  appendTimeOfDay(out, tsNs / 1'000'000'000, style.utc);
  const int digits = style.nano ? 9 : 6;
  char fraction[10];
  fraction[0] = '.';
  uint64_t value = tsNs % 1'000'000'000;
  if (!style.nano) value /= 1000;
  for (int i = digits; i >= 1; --i, value /= 10) fraction[i] = static_cast<char>('0' + value % 10);
  out.append(fraction, static_cast<size_t>(digits) + 1);
  out += ' ';
  appendPrintable(out, host);
  if (!interface.empty()) {
    out += ' ';
    appendPrintable(out, interface);
  }
  if (!direction.empty()) {
    out += ' ';
    out += direction;
  }
  out += ' ';
  out += summary;
  out += '\n';
}

}  // namespace ddump
