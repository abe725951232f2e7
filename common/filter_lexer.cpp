#include "filter_lexer.h"

#include <algorithm>
#include <iterator>
#include <string>

namespace ddump {
namespace {

using K = FilterKeyword;

struct KeywordEntry {
  std::string_view word;
  FilterKeyword keyword;
};

// scanner.l's first block of rules, word for word (flex is case-sensitive).
constexpr KeywordEntry kKeywords[] = {
    {"dst", K::Direction},     {"src", K::Direction},
    {"link", K::Protocol},     {"ether", K::Protocol},
    {"ppp", K::Protocol},      {"slip", K::Protocol},
    {"fddi", K::Protocol},     {"tr", K::Protocol},
    {"wlan", K::Protocol},     {"arp", K::Protocol},
    {"rarp", K::Protocol},     {"ip", K::Protocol},
    {"sctp", K::Protocol},     {"tcp", K::Protocol},
    {"udp", K::Protocol},      {"icmp", K::Protocol},
    {"igmp", K::Protocol},     {"igrp", K::Protocol},
    {"pim", K::Protocol},      {"vrrp", K::Protocol},
    {"carp", K::Protocol},     {"radio", K::Protocol},
    {"ip6", K::Protocol},      {"icmp6", K::Protocol},
    {"ah", K::Protocol},       {"esp", K::Protocol},
    {"atalk", K::Protocol},    {"aarp", K::Protocol},
    {"decnet", K::Protocol},   {"lat", K::Protocol},
    {"sca", K::Protocol},      {"moprc", K::Protocol},
    {"mopdl", K::Protocol},    {"iso", K::Protocol},
    {"esis", K::Protocol},     {"es-is", K::Protocol},
    {"isis", K::Protocol},     {"is-is", K::Protocol},
    {"l1", K::Protocol},       {"l2", K::Protocol},
    {"iih", K::Protocol},      {"lsp", K::Protocol},
    {"snp", K::Protocol},      {"csnp", K::Protocol},
    {"psnp", K::Protocol},     {"clnp", K::Protocol},
    {"stp", K::Protocol},      {"ipx", K::Protocol},
    {"netbeui", K::Protocol},  {"host", K::Host},
    {"net", K::Net},           {"mask", K::Mask},
    {"port", K::Port},         {"portrange", K::Port},
    {"proto", K::Proto},       {"protochain", K::Proto},
    {"gateway", K::Gateway},   {"type", K::TakesWord},
    {"subtype", K::TakesWord}, {"direction", K::TakesWord},
    {"dir", K::TakesWord},     {"address1", K::Direction},
    {"addr1", K::Direction},   {"address2", K::Direction},
    {"addr2", K::Direction},   {"address3", K::Direction},
    {"addr3", K::Direction},   {"address4", K::Direction},
    {"addr4", K::Direction},   {"ra", K::Direction},
    {"ta", K::Direction},      {"less", K::Other},
    {"greater", K::Other},     {"byte", K::Other},
    {"broadcast", K::Other},   {"multicast", K::Other},
    {"and", K::And},           {"or", K::Or},
    {"not", K::Not},           {"len", K::Other},
    {"length", K::Other},      {"inbound", K::Other},
    {"outbound", K::Other},    {"ifindex", K::Other},
    {"vlan", K::Other},        {"mpls", K::Other},
    {"pppoed", K::Other},      {"pppoes", K::Other},
    {"geneve", K::Other},      {"lane", K::Other},
    {"llc", K::TakesWord},     {"metac", K::Other},
    {"bcc", K::Other},         {"oam", K::Other},
    {"oamf4", K::Other},       {"oamf4ec", K::Other},
    {"oamf4sc", K::Other},     {"sc", K::Other},
    {"ilmic", K::Other},       {"vpi", K::Other},
    {"vci", K::Other},         {"connectmsg", K::Other},
    {"metaconnect", K::Other}, {"on", K::TakesWord},
    {"ifname", K::TakesWord},  {"rset", K::TakesWord},
    {"ruleset", K::TakesWord}, {"rnr", K::Other},
    {"rulenum", K::Other},     {"srnr", K::Other},
    {"subrulenum", K::Other},  {"reason", K::TakesWord},
    {"action", K::TakesWord},  {"fisu", K::Other},
    {"lssu", K::Other},        {"lsu", K::Other},
    {"msu", K::Other},         {"hfisu", K::Other},
    {"hlssu", K::Other},       {"hmsu", K::Other},
    {"sio", K::Other},         {"opc", K::Other},
    {"dpc", K::Other},         {"sls", K::Other},
    {"hsio", K::Other},        {"hopc", K::Other},
    {"hdpc", K::Other},        {"hsls", K::Other},
};

// Keywords that scanner.l returns as numbers (listed after the address rules).
constexpr std::string_view kNumberKeywords[] = {
    "icmptype",
    "icmpcode",
    "icmp-echoreply",
    "icmp-unreach",
    "icmp-sourcequench",
    "icmp-redirect",
    "icmp-echo",
    "icmp-routeradvert",
    "icmp-routersolicit",
    "icmp-timxceed",
    "icmp-paramprob",
    "icmp-tstamp",
    "icmp-tstampreply",
    "icmp-ireq",
    "icmp-ireqreply",
    "icmp-maskreq",
    "icmp-maskreply",
    "icmp6type",
    "icmp6code",
    "icmp6-destinationunreach",
    "icmp6-packettoobig",
    "icmp6-timeexceeded",
    "icmp6-parameterproblem",
    "icmp6-echo",
    "icmp6-echoreply",
    "icmp6-multicastlistenerquery",
    "icmp6-multicastlistenerreportv1",
    "icmp6-multicastlistenerdone",
    "icmp6-routersolicit",
    "icmp6-routeradvert",
    "icmp6-neighborsolicit",
    "icmp6-neighboradvert",
    "icmp6-redirect",
    "icmp6-routerrenum",
    "icmp6-nodeinformationquery",
    "icmp6-nodeinformationresponse",
    "icmp6-ineighbordiscoverysolicit",
    "icmp6-ineighbordiscoveryadvert",
    "icmp6-multicastlistenerreportv2",
    "icmp6-homeagentdiscoveryrequest",
    "icmp6-homeagentdiscoveryreply",
    "icmp6-mobileprefixsolicit",
    "icmp6-mobileprefixadvert",
    "icmp6-certpathsolicit",
    "icmp6-certpathadvert",
    "icmp6-multicastrouteradvert",
    "icmp6-multicastroutersolicit",
    "icmp6-multicastrouterterm",
    "tcpflags",
    "tcp-fin",
    "tcp-syn",
    "tcp-rst",
    "tcp-push",
    "tcp-ack",
    "tcp-urg",
    "tcp-ece",
    "tcp-cwr",
};

bool isDigit(char c) {
  return c >= '0' && c <= '9';
}
bool isHex(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
bool isAlnum(char c) {
  return isDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

FilterKeyword keywordOf(std::string_view word) {
  for (const auto& k : kKeywords) {
    if (k.word == word) return k.keyword;
  }
  return K::None;
}

bool isNumberKeyword(std::string_view word) {
  return std::find(std::begin(kNumberKeywords), std::end(kNumberKeywords), word) !=
         std::end(kNumberKeywords);
}

// Every length below is of the longest prefix of `s` the rule matches (0: none).

// [A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?
size_t nameLength(std::string_view s) {
  if (s.empty() || !isAlnum(s[0])) return 0;
  size_t n = 1;
  while (n < s.size() && (isAlnum(s[n]) || s[n] == '-' || s[n] == '_' || s[n] == '.')) ++n;
  while (s[n - 1] == '-' || s[n - 1] == '_') --n;  // must end in [.A-Za-z0-9]
  return n;
}

// N: [0-9]+ | 0[xX][0-9A-Fa-f]+
size_t numberLength(std::string_view s) {
  if (s.size() >= 3 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && isHex(s[2])) {
    size_t n = 3;
    while (n < s.size() && isHex(s[n])) ++n;
    return n;
  }
  size_t n = 0;
  while (n < s.size() && isDigit(s[n])) ++n;
  return n;
}

// N.N | N.N.N | N.N.N.N. Each N taken whole is the longest choice: a shorter
// one is followed by a digit or 'x', never by the '.' that would continue.
size_t dottedLength(std::string_view s, size_t maxParts) {
  size_t pos = 0;
  size_t best = 0;
  for (size_t part = 1; part <= maxParts; ++part) {
    const size_t n = numberLength(s.substr(pos));
    if (n == 0) break;
    pos += n;
    if (part >= 2) best = pos;
    if (part == maxParts || pos >= s.size() || s[pos] != '.') break;
    ++pos;
  }
  return best;
}

// B: one or two hex digits, taken whole (a shorter B is followed by a hex
// digit where every rule using B needs a separator).
size_t byteLength(std::string_view s, size_t pos) {
  size_t n = 0;
  while (n < 2 && pos + n < s.size() && isHex(s[pos + n])) ++n;
  return n;
}

// B sep B sep B sep B sep B sep B
size_t macWithSeparator(std::string_view s, char sep) {
  size_t pos = 0;
  for (int i = 0; i < 6; ++i) {
    const size_t b = byteLength(s, pos);
    if (b == 0) return 0;
    pos += b;
    if (i == 5) return pos;
    if (pos >= s.size() || s[pos] != sep) return 0;
    ++pos;
  }
  return 0;
}

// MAC: B:B:B:B:B:B | B-B-B-B-B-B | B.B.B.B.B.B | B2.B2.B2 | B2B2B2
size_t macLength(std::string_view s) {
  size_t best =
      std::max({macWithSeparator(s, ':'), macWithSeparator(s, '-'), macWithSeparator(s, '.')});
  size_t hex = 0;
  while (hex < s.size() && hex < 14 && isHex(s[hex])) ++hex;
  if (hex >= 12) best = std::max<size_t>(best, 12);
  if (s.size() >= 14 && s[4] == '.' && s[9] == '.') {
    bool ok = true;
    for (size_t i : {0, 1, 2, 3, 5, 6, 7, 8, 10, 11, 12, 13}) ok = ok && isHex(s[i]);
    if (ok) best = std::max<size_t>(best, 14);
  }
  return best;
}

// B:+(B:+)+
size_t bogusEtherLength(std::string_view s) {
  size_t pos = 0;
  size_t best = 0;
  for (int group = 0;; ++group) {
    const size_t b = byteLength(s, pos);
    if (b == 0 || pos + b >= s.size() || s[pos + b] != ':') return best;
    pos += b;
    while (pos < s.size() && s[pos] == ':') ++pos;
    if (group >= 1) best = pos;
  }
}

// W(:W)* or empty, W being one to four hex digits; counts the groups.
bool hexGroups(std::string_view s, size_t& groups) {
  groups = 0;
  if (s.empty()) return true;
  size_t pos = 0;
  while (true) {
    size_t n = 0;
    while (pos + n < s.size() && isHex(s[pos + n])) ++n;
    if (n == 0 || n > 4) return false;
    ++groups;
    pos += n;
    if (pos == s.size()) return true;
    if (s[pos] != ':') return false;
    ++pos;
  }
}

// Groups with at most one "::": exactly `full` groups without it, at most
// `full - 1` with it (scanner.l's V680/V67x..V600 and V6604/V65x4..V6004).
bool ipv6Groups(std::string_view s, size_t full) {
  const size_t gap = s.find("::");
  size_t left = 0;
  size_t right = 0;
  if (gap == std::string_view::npos) return hexGroups(s, left) && left == full;
  if (!hexGroups(s.substr(0, gap), left) || !hexGroups(s.substr(gap + 2), right)) return false;
  return left + right <= full - 1;
}

bool isIpv6(std::string_view s) {
  const size_t dot = s.find('.');
  if (dot == std::string_view::npos) return ipv6Groups(s, 8);
  // A dotted N.N.N.N tail after the last ':' stands for two groups.
  const size_t colon = s.rfind(':', dot);
  if (colon == std::string_view::npos || colon == 0) return false;
  const std::string_view tail = s.substr(colon + 1);
  if (dottedLength(tail, 4) != tail.size() || std::count(tail.begin(), tail.end(), '.') != 3) {
    return false;
  }
  const std::string_view head = s[colon - 1] == ':' ? s.substr(0, colon + 1) : s.substr(0, colon);
  return ipv6Groups(head, 6);
}

// Longest IPv6 prefix. An address longer than 64 bytes (a dotted tail with
// huge numbers) is not one libpcap accepts either; missing it here only makes
// its first bytes a name, which the checks treat with more suspicion, not less.
size_t ipv6Length(std::string_view s) {
  size_t run = 0;
  bool colon = false;
  while (run < s.size() && run < 64 &&
         (isHex(s[run]) || s[run] == ':' || s[run] == '.' || s[run] == 'x' || s[run] == 'X')) {
    colon = colon || s[run] == ':';
    ++run;
  }
  if (!colon) return 0;
  for (size_t n = run; n >= 2; --n) {
    if (isIpv6(s.substr(0, n))) return n;
  }
  return 0;
}

FilterToken make(FilterTokenKind kind, size_t offset, std::string_view text,
                 FilterKeyword keyword = K::None) {
  return FilterToken{kind, keyword, offset, text};
}

// A word starting with a letter or digit: the longest of the competing rules,
// ties to the rule scanner.l lists first.
FilterToken lexWord(std::string_view rest, size_t offset) {
  const size_t name = nameLength(rest);
  const size_t mac = macLength(rest);
  const size_t number = numberLength(rest);
  const size_t dotted = dottedLength(rest, 4);
  const size_t v6 = ipv6Length(rest);
  const size_t bogus = bogusEtherLength(rest);
  const size_t longest = std::max({name, mac, number, dotted, v6, bogus});
  const std::string_view text = rest.substr(0, longest);
  if (const FilterKeyword k = keywordOf(text); k != K::None) {
    return make(FilterTokenKind::Keyword, offset, text, k);
  }
  if (mac == longest) return make(FilterTokenKind::Address, offset, text);
  if (number == longest) return make(FilterTokenKind::Number, offset, text);
  if (dotted == longest || v6 == longest || bogus == longest) {
    return make(FilterTokenKind::Address, offset, text);
  }
  if (isNumberKeyword(text)) return make(FilterTokenKind::Number, offset, text);
  return make(FilterTokenKind::Name, offset, text);
}

// \[^ !()\n\t]+ : everything up to a blank, '!' or a parenthesis is one name.
size_t escapedLength(std::string_view rest) {
  size_t n = 1;
  while (n < rest.size() && std::string_view(" !()\n\t").find(rest[n]) == std::string_view::npos) {
    ++n;
  }
  return n;
}

FilterToken lexOne(std::string_view filter, size_t pos) {
  const std::string_view rest = filter.substr(pos);
  const char c = rest[0];
  if (isAlnum(c)) return lexWord(rest, pos);
  if (c == ':') {
    if (const size_t v6 = ipv6Length(rest); v6 >= 2) {
      return make(FilterTokenKind::Address, pos, rest.substr(0, v6));
    }
  }
  if (c == '\\') {
    const size_t n = escapedLength(rest);
    if (n >= 2) return make(FilterTokenKind::Name, pos, rest.substr(1, n - 1));
    return make(FilterTokenKind::Error, pos, rest.substr(0, 1));
  }
  if (c == '$') {
    const size_t b = byteLength(rest, 1);
    if (b > 0) return make(FilterTokenKind::Address, pos, rest.substr(0, 1 + b));
    return make(FilterTokenKind::Error, pos, rest.substr(0, 1));
  }
  const std::string_view two = rest.substr(0, 2);
  if (two == "&&") return make(FilterTokenKind::Keyword, pos, two, K::And);
  if (two == "||") return make(FilterTokenKind::Keyword, pos, two, K::Or);
  for (std::string_view op : {">=", "<=", "!=", "==", "<<", ">>"}) {
    if (two == op) return make(FilterTokenKind::Punct, pos, two);
  }
  if (std::string_view("+-*/%:[]!<>()&|^=").find(c) != std::string_view::npos) {
    return make(FilterTokenKind::Punct, pos, rest.substr(0, 1), c == '!' ? K::Not : K::None);
  }
  return make(FilterTokenKind::Error, pos, rest.substr(0, 1));
}

bool isBlank(char c) {
  return c == ' ' || c == '\r' || c == '\n' || c == '\t';
}

}  // namespace

std::vector<FilterToken> lexFilter(std::string_view filter) {
  std::vector<FilterToken> tokens;
  size_t pos = 0;
  while (pos < filter.size()) {
    if (isBlank(filter[pos])) {
      ++pos;
      continue;
    }
    FilterToken token = lexOne(filter, pos);
    // An escaped name's text starts after the backslash: advance by its span.
    pos = token.kind == FilterTokenKind::Name && filter[pos] == '\\' ? pos + 1 + token.text.size()
                                                                     : pos + token.text.size();
    tokens.push_back(token);
  }
  return tokens;
}

}  // namespace ddump
