#pragma once
// The tokens of a pcap-filter(7) expression exactly as libpcap 1.10's scanner
// (scanner.l) cuts them, so the worker can check an untrusted filter before
// libpcap compiles it: which words libpcap takes as names, where parentheses
// are, and which bytes it cannot read at all.
//
// scanner.l is a flex scanner: at each position the longest match of any rule
// wins, and among equally long matches the rule listed first. Its rules, in
// order: keywords; blanks [ \r\n\t]; the one-byte operators +-*/%:[]!<>()&|^=
// and >= <= != == << >> && ||; $B (ARCnet); MAC addresses; numbers N
// ([0-9]+ or 0x hex); dotted N.N[.N[.N]]; IPv6 addresses (with an optional
// dotted IPv4 tail); a "bogus" B:+(B:+)+ ethernet form; number-valued
// keywords (icmp-echo, tcp-syn, ...); names [A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?;
// a backslash-escaped name \[^ !()\n\t]+; and any other byte is an error.
// pcap-filter(7) has no string literals and no comments: '(' and ')' are
// always tokens of their own.

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ddump {

enum class FilterTokenKind : uint8_t {
  Keyword,
  Name,     // libpcap's ID: a word it looks up by name (what depends on the qualifiers)
  Number,   // N, or a number-valued keyword such as tcp-syn
  Address,  // dotted IPv4, IPv6, MAC or ARCnet address: never resolved
  Punct,    // an operator or parenthesis, one or two bytes
  Error,    // a byte libpcap's scanner rejects (LEX_ERROR)
};

// What a keyword does to the words that follow it.
enum class FilterKeyword : uint8_t {
  None,
  Protocol,   // ip, ip6, tcp, ether, ...: a protocol qualifier, or a primitive alone
  Direction,  // src, dst; 802.11 addr1..addr4, ra, ta
  Host,       // host: a name here is a DNS lookup
  Net,        // net: a name here is a networks(5) lookup
  Gateway,    // gateway: a host name
  Port,       // port, portrange: a name here is a services(5) entry
  Proto,      // proto, protochain: a name here is a protocols(5) entry
  Mask,       // mask
  And,        // and, &&
  Or,         // or, ||
  Not,        // not (and the '!' operator)
  TakesWord,  // on, ifname, rset, ruleset, reason, action, llc, type, subtype,
              // dir, direction: the next word is a literal, never looked up
  Other,      // every other keyword (len, vlan, less, broadcast, ...)
};

struct FilterToken {
  FilterTokenKind kind = FilterTokenKind::Error;
  FilterKeyword keyword = FilterKeyword::None;  // for Keyword (and '!' as Not)
  size_t offset = 0;                            // of the token's first byte
  std::string_view text;  // the token; for an escaped name, without its backslash
};

// Cuts `filter` into tokens, blanks dropped. Never reads past `filter`; an
// error token is one byte and lexing goes on after it. The views point into
// `filter`.
std::vector<FilterToken> lexFilter(std::string_view filter);

}  // namespace ddump
