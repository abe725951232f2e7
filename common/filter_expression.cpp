#include "filter_expression.h"

#include <algorithm>
#include <iterator>

namespace ddump {
namespace {

// Words that begin a primitive in pcap-filter(7) (libpcap's scanner.l spells
// them; it is case-sensitive, so "TCP" is a name there too). libpcap takes a
// bare name or address only after a qualifier ("src a or b": "tcpdump foo" is
// a syntax error), so an expression starts with one of these, '(' or '!', or
// with a number ("64 <= len", which needs "--" here). "and", "or" and "mask"
// cannot start one. Left out, as plausible short host names on a LAN or as
// keywords a Linux worker never has a use for (write them after "--" or after
// another keyword):
//   ra, ta, tr, l1, l2   802.11 receiver/transmitter address, Token Ring,
//                        IS-IS levels: two letters a host may well be called
//   lat, sca, radio      DEC LAT/SCA, 802.11 radio header: host-like names;
//                        recognised still when an index follows ("radio[0]")
//   iih lsp snp csnp psnp    IS-IS PDU types, used after "isis"
//   vpi vci lane oam ...     SunATM (Solaris only)
//   fisu lssu msu sio opc dpc sls ...   SS7 MTP2/MTP3 links only
// Kept although they are words: on, type, dir, link, action, reason. Nobody
// names a host so, and a filter that starts with one (pf logs or 802.11 on a
// Linux worker) then gets libpcap's own error from the worker instead of a
// failed lookup of a host called "type". vxlan is a newer libpcap's keyword.
// Sorted, for binary_search.
constexpr std::string_view kKeywords[] = {
    "aarp",     "action",     "addr1",     "addr2",     "addr3",   "addr4",     "address1",
    "address2", "address3",   "address4",  "ah",        "arp",     "atalk",     "broadcast",
    "byte",     "carp",       "clnp",      "decnet",    "dir",     "direction", "dst",
    "es-is",    "esis",       "esp",       "ether",     "fddi",    "gateway",   "geneve",
    "greater",  "host",       "icmp",      "icmp6",     "ifindex", "ifname",    "igmp",
    "igrp",     "inbound",    "ip",        "ip6",       "ipx",     "is-is",     "isis",
    "iso",      "len",        "length",    "less",      "link",    "llc",       "mopdl",
    "moprc",    "mpls",       "multicast", "net",       "netbeui", "not",       "on",
    "outbound", "pim",        "port",      "portrange", "ppp",     "pppoed",    "pppoes",
    "proto",    "protochain", "rarp",      "reason",    "rnr",     "rset",      "rulenum",
    "ruleset",  "sctp",       "slip",      "src",       "srnr",    "stp",       "subrulenum",
    "subtype",  "tcp",        "type",      "udp",       "vlan",    "vrrp",      "vxlan",
    "wlan"};
static_assert(std::is_sorted(std::begin(kKeywords), std::end(kKeywords)));

// Protocol layers of pcap-filter(7)'s "proto [ expr : size ]" left out above:
// with '[' after them they cannot be a host.
constexpr std::string_view kIndexOnly[] = {"lat", "radio", "sca", "tr"};

bool isAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool isIdChar(char c) {
  return isAlnum(c) || c == '-' || c == '_' || c == '.';
}

// What may follow a keyword in the same token: pcap-filter(7)'s operators,
// an index, or the end. Not ':' or '/', so "tcp:9000" (HOST:PORT) and
// "ip/x.pcap" (a path) stay targets.
bool endsKeyword(char c) {
  return std::string_view("[()!=<>&|+*%^").find(c) != std::string_view::npos;
}

}  // namespace

bool startsFilterExpression(std::string_view word) {
  const size_t begin = word.find_first_not_of(" \t\r\n");
  if (begin == std::string_view::npos) return false;
  word.remove_prefix(begin);
  if (word.front() == '(' || word.front() == '!') return true;
  // libpcap's identifier: [A-Za-z0-9]([-_.A-Za-z0-9]*[.A-Za-z0-9])?, longest
  // match, so "host-1" and "tcp.example" are names, not keywords.
  if (!isAlnum(word.front())) return false;
  size_t end = 1;
  while (end < word.size() && isIdChar(word[end])) ++end;
  while (word[end - 1] == '-' || word[end - 1] == '_') --end;
  const std::string_view id = word.substr(0, end);
  const char next = end < word.size() ? word[end] : ' ';
  if (next != ' ' && next != '\t' && next != '\r' && next != '\n' && !endsKeyword(next)) {
    return false;
  }
  if (std::binary_search(std::begin(kKeywords), std::end(kKeywords), id)) return true;
  return next == '[' &&
         std::find(std::begin(kIndexOnly), std::end(kIndexOnly), id) != std::end(kIndexOnly);
}

PositionalWords splitPositionals(const std::vector<std::string>& words,
                                 std::optional<size_t> firstAfterDashDash) {
  PositionalWords out;
  const size_t dashDash = firstAfterDashDash.value_or(words.size());
  size_t start = 0;
  while (start < dashDash && !startsFilterExpression(words[start])) ++start;
  out.targets.assign(words.begin(), words.begin() + static_cast<std::ptrdiff_t>(start));
  std::string joined;  // tcpdump's copy_argv: the words, one space between
  for (size_t i = start; i < words.size(); ++i) {
    if (words[i].find_first_not_of(" \t\r\n") == std::string::npos) continue;
    if (!out.firstExpressionWord) out.firstExpressionWord = words[i];
    joined += (joined.empty() ? "" : " ") + words[i];
  }
  if (out.firstExpressionWord) out.expression = joined;
  return out;
}

Result<std::optional<std::string>> chooseFilter(const std::optional<std::string>& flagFilter,
                                                const std::optional<std::string>& expression) {
  if (flagFilter && expression) {
    return makeError(ErrorCode::InvalidArgument,
                     "give the filter either with -f or as an expression, not both (-f '" +
                         *flagFilter + "', expression '" + *expression + "')");
  }
  return expression ? expression : flagFilter;
}

}  // namespace ddump
