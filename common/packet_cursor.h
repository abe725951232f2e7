#pragma once
// The state every layer of the packet summary (common/packet_summary.h) works
// on: the captured bytes, read only through bounds checks, and the line being
// built. Internal to the summary; its layers are the common/summary_*.h files.
//
// tcpdump's printers stop a packet at the first read past the captured bytes
// (a longjmp from its GET_* macros) and print " [|protocol]"; here every read
// goes through u8/be16/be32, which return 0 and mark the packet cut instead,
// and every printer checks cut() before printing what it read.

#include <array>
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ddump::summary {

// ---------------------------------------------------------------- text

inline void appendPart(std::string& out, std::string_view part) {
  out += part;
}
template <std::unsigned_integral T>
void appendPart(std::string& out, T value) {
  out += std::to_string(value);
}

// The parts, strings and unsigned numbers in decimal, one after the other.
template <class... Parts>
std::string cat(const Parts&... parts) {
  std::string out;
  (appendPart(out, parts), ...);
  return out;
}

// Lower-case hex, zero-padded to `width` digits.
inline std::string hex(uint64_t value, int width = 1) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string digits;
  do {
    digits.insert(digits.begin(), kDigits[value & 0xf]);
    value >>= 4;
  } while (value != 0);
  if (static_cast<int>(digits.size()) < width) digits.insert(0, width - digits.size(), '0');
  return digits;
}

// One entry of tcpdump's value-to-name tables (its struct tok).
struct Name {
  uint32_t value;
  const char* text;
};

// The first entry's text for `value`, as tcpdump's tok2str finds it; nullptr
// when there is none.
template <size_t N>
const char* lookup(const std::array<Name, N>& table, uint32_t value) {
  for (const auto& entry : table) {
    if (entry.value == value) return entry.text;
  }
  return nullptr;
}

// ---------------------------------------------------------------- the cursor

class PacketCursor {
 public:
  explicit PacketCursor(std::span<const uint8_t> data) : data_(data), end_(data.size()) {}

  // Reads. A read past end() returns 0 (or "") and marks the packet cut.
  bool has(size_t at, size_t n) const { return at <= end_ && n <= end_ - at; }
  uint8_t u8(size_t at);
  uint16_t be16(size_t at);
  uint32_t be32(size_t at);
  std::string ipv4Text(size_t at);
  std::string ipv6Text(size_t at);
  std::string macText(size_t at) { return linkAddressText(at, 6); }
  std::string linkAddressText(size_t at, size_t n);

  // The captured bytes, for reads the caller has checked with has().
  std::span<const uint8_t> data() const { return data_; }

  // tcpdump's snapend: the first byte not readable.
  size_t end() const { return end_; }
  void setEnd(size_t end) { end_ = end; }
  // tcpdump narrows its snapend to an IP datagram's length (nd_push_snaplen).
  void narrowEnd(size_t at, size_t length) {
    if (length <= end_ - at) end_ = at + length;
  }

  // The line so far.
  const std::string& line() const { return out_; }
  void print(std::string_view text) { out_ += text; }

  // The protocol a truncation mark names: the layer being printed.
  void setProto(const char* proto) { proto_ = proto; }
  // A read past end() marks the packet cut: the printers stop, and the mark
  // ends the line (as tcpdump's longjmp does).
  bool cut() const { return cut_; }
  void setCut() { cut_ = true; }
  // A truncation tcpdump reports where it found it and then returns normally
  // (ND_TCHECK): the mark is printed now, cut() stays false.
  void markCut() { out_ += cat(" [|", std::string_view(proto_), "]"); }

  // Counts one more tunnel entered; false when `maxDepth` are already open.
  bool enterTunnel(int maxDepth) {
    if (tunnels_ >= maxDepth) return false;
    ++tunnels_;
    return true;
  }

 private:
  std::span<const uint8_t> data_;
  size_t end_;
  std::string out_;
  const char* proto_ = "";
  bool cut_ = false;
  int tunnels_ = 0;
};

}  // namespace ddump::summary
