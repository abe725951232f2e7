#pragma once
// One packet as one line for people, as `tcpdump -n -i any` prints it, with
// the host (and interface) that saw it after the time:
//
//   12:00:01.123456 web1 eth0 In  IP 10.0.0.1.53 > 10.0.0.2.41234: UDP, length 60
//
// The time of day in local time as tcpdump prints it (or UTC), microseconds
// or nanoseconds; the direction word is tcpdump's for a cooked capture's
// packet type (In, B, M, P, Out: print-sll.c), or In/Out from pcapng
// epb_flags; then common/packet_summary's text.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace ddump {

struct TextLineStyle {
  bool utc = false;   // --utc: UTC instead of local time
  bool nano = false;  // --nano: nine fraction digits instead of six
};

// tcpdump's word for where a packet went, padded to three columns ("In ",
// "Out", "B  ", "M  ", "P  "), or empty when the record says nothing: from
// the pcapng epb_flags when they give a direction, else from the packet type
// of a LINUX_SLL (113) or LINUX_SLL2 (276) header.
std::string_view directionWord(uint32_t linkType, std::span<const uint8_t> data, uint32_t epbFlags);

// Appends "HH:MM:SS.ffffff HOST [IF] [DIR] SUMMARY\n". HOST and IF are
// written with control characters replaced by '?', so a name cannot move
// the terminal's cursor.
void appendTextLine(std::string& out, uint64_t tsNs, std::string_view host,
                    std::string_view interface, std::string_view direction,
                    std::string_view summary, const TextLineStyle& style);

}  // namespace ddump
