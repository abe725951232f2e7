#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "filter_check.h"
#include "filter_lexer.h"

using namespace ddump;

namespace {

using Names = std::vector<std::string>;
using Kind = FilterTokenKind;

// The kind and text of the only token of `word`.
std::pair<Kind, std::string> single(const std::string& word) {
  const auto tokens = lexFilter(word);
  REQUIRE(tokens.size() == 1);
  return {tokens[0].kind, std::string(tokens[0].text)};
}

std::string kinds(const std::string& filter) {
  std::string out;
  for (const auto& t : lexFilter(filter)) {
    static const char* letters = "KNnAPE";  // Keyword Name number Address Punct Error
    out += letters[static_cast<int>(t.kind)];
    out += ':';
    out += std::string(t.text);
    out += ' ';
  }
  return out;
}

Names names(const std::string& filter) {
  return scanFilter(filter).names;
}

std::string message(const std::string& filter, FilterLimits limits = {}) {
  const Status s = checkFilterText(filter, limits);
  return s ? "ok" : s.error().message;
}

std::string joined(const std::string& term, const std::string& op, int n) {
  std::string out;
  for (int i = 1; i <= n; ++i) out += (i > 1 ? op : "") + term + std::to_string(i);
  return out;
}

}  // namespace

TEST_CASE("words are cut as libpcap's scanner cuts them: longest match, first rule on a tie",
          "[filter_check]") {
  CHECK(single("host") == std::pair{Kind::Keyword, std::string("host")});
  CHECK(single("HOST") == std::pair{Kind::Name, std::string("HOST")});  // flex is case-sensitive
  CHECK(single("hostname") == std::pair{Kind::Name, std::string("hostname")});
  CHECK(single("es-is").first == Kind::Keyword);
  CHECK(single("tcp-syn").first == Kind::Number);  // a number-valued keyword
  CHECK(single("tcp-synack").first == Kind::Name);
  CHECK(single("icmp6-echo").first == Kind::Number);
  CHECK(single("80").first == Kind::Number);
  CHECK(single("0x1f").first == Kind::Number);
  CHECK(single("0x").first == Kind::Name);   // N needs a hex digit after 0x
  CHECK(single("1e5").first == Kind::Name);  // longer than the number 1
  CHECK(single("10.0.0.1").first == Kind::Address);
  CHECK(single("10.0").first == Kind::Address);
  CHECK(single("0x0a.0.0.1").first == Kind::Address);
  CHECK(single("10.0.0.1.5").first == Kind::Name);      // five parts: a name, looked up
  CHECK(single("10.0.0.1.").first == Kind::Name);       // a name may end in '.'
  CHECK(single("1.2.3.4.5.6").first == Kind::Address);  // a MAC address B.B.B.B.B.B
  CHECK(single("aa:bb:cc:dd:ee:ff").first == Kind::Address);
  CHECK(single("aa-bb-cc-dd-ee-ff").first == Kind::Address);  // MAC listed before names
  CHECK(single("aa-bb-cc-dd-ee-ffx").first == Kind::Name);
  CHECK(single("aabb.ccdd.eeff").first == Kind::Address);
  CHECK(single("aabbccddeeff").first == Kind::Address);
  CHECK(single("aabbccddeeff0").first == Kind::Name);
  CHECK(single("beef").first == Kind::Name);
  CHECK(single("fe80::1").first == Kind::Address);
  CHECK(single("::").first == Kind::Address);
  CHECK(single("::1").first == Kind::Address);
  CHECK(single("::ffff:10.0.0.1").first == Kind::Address);
  CHECK(single("1:2:3:4:5:6:7:8").first == Kind::Address);
  CHECK(single("1:2:3:4:5:6:1.2.3.4").first == Kind::Address);
  CHECK(single("1:2::3:0x1.2.3.4").first == Kind::Address);
  CHECK(single("1:2:").first == Kind::Address);  // the "bogus ethernet" rule: an error later
  CHECK(single("$af").first == Kind::Address);   // ARCnet
  CHECK(single("\\tcp") == std::pair{Kind::Name, std::string("tcp")});
  CHECK(single("\\a&b|c").second == "a&b|c");

  CHECK(kinds("a:b") == "N:a P:: N:b ");
  // B:+(B:+)+ (16 bytes) is longer than the IPv6 address (15).
  CHECK(kinds("1:2:3:4:5:6:7:8:9") == "A:1:2:3:4:5:6:7:8: n:9 ");
  CHECK(kinds("1:2:3:4:5:6:7:89") == "A:1:2:3:4:5:6:7:89 ");
  CHECK(kinds("fe80::1%eth0") == "A:fe80::1 P:% N:eth0 ");
  CHECK(kinds("host-") == "K:host P:- ");
  CHECK(kinds("\\foo)") == "N:foo P:) ");
  CHECK(kinds("\\ x") == "E:\\ N:x ");
  CHECK(kinds("$ x") == "E:$ N:x ");
  CHECK(kinds(".x") == "E:. N:x ");
  CHECK(kinds("a&&b||!c") == "N:a K:&& N:b K:|| P:! N:c ");
  CHECK(kinds("len>=64 and len<=1500") == "K:len P:>= n:64 K:and K:len P:<= n:1500 ");
  CHECK(kinds("tcp[13]&2!=0") == "K:tcp P:[ n:13 P:] P:& n:2 P:!= n:0 ");
  CHECK(kinds(" \t\r\nip\n") == "K:ip ");
  CHECK(kinds("ip @ \x01 \xc3\xa9") == "K:ip E:@ E:\x01 E:\xc3 E:\xa9 ");
}

TEST_CASE("token offsets point into the filter", "[filter_check]") {
  const auto tokens = lexFilter("  host \\x  (1)");
  REQUIRE(tokens.size() == 5);
  CHECK(tokens[0].offset == 2);
  CHECK(tokens[1].offset == 7);  // the backslash
  CHECK(tokens[1].text == "x");
  CHECK(tokens[2].offset == 11);
  CHECK(tokens[4].offset == 13);
}

TEST_CASE("host and network names are found as libpcap would look them up", "[filter_check]") {
  CHECK(names("host db1") == Names{"db1"});
  CHECK(names("host db1.example.com") == Names{"db1.example.com"});
  CHECK(names("host 10.0.0.1.5") == Names{"10.0.0.1.5"});
  CHECK(names("ip host db1") == Names{"db1"});
  CHECK(names("src db1") == Names{"db1"});  // a direction alone means host
  CHECK(names("ip6 dst db1") == Names{"db1"});
  CHECK(names("src or dst db1") == Names{"db1"});
  CHECK(names("src and dst host db1") == Names{"db1"});
  CHECK(names("net corp") == Names{"corp"});
  CHECK(names("gateway gw") == Names{"gw"});
  CHECK(names("ether host box") == Names{"box"});  // ethers(5), through NSS
  CHECK(names("wlan ra box") == Names{"box"});
  CHECK(names("not host db1") == Names{"db1"});
  CHECK(names("host \\tcp") == Names{"tcp"});
  CHECK(names("tcp port 80 and host db1") == Names{"db1"});
}

TEST_CASE("a bare name inherits the qualifiers of the term before it", "[filter_check]") {
  CHECK(names("host a or b") == Names{"a", "b"});
  CHECK(names("host 10.0.0.1 or b") == Names{"b"});
  CHECK(names("host 10.0.0.1 and not b") == Names{"b"});
  CHECK(names("host 10.0.0.1 && b || c") == Names{"b", "c"});
  CHECK(names("host (a or b)") == Names{"a", "b"});
  CHECK(names("host 10.0.0.1 and (b or c)") == Names{"b", "c"});
  CHECK(names("port 80 or http") == Names{});
  CHECK(names("port 80 or not http") == Names{});
  CHECK(names("port (http or https)") == Names{});
  CHECK(names("tcp port 80 or http or 10.0.0.1.5") == Names{});  // services(5) names
  CHECK(names("src or dst port http") == Names{});
  CHECK(names("portrange ftp-data-http") == Names{});
  CHECK(names("proto 6 or udp-lite") == Names{});
  CHECK(names("ip proto \\tcp or \\udp") == Names{});
  CHECK(names("ether proto \\arp") == Names{});
  CHECK(names("ip6 protochain \\tcp") == Names{});
  CHECK(names("port 80 and host 10.0.0.1 or b") == Names{"b"});
  CHECK(names("host 10.0.0.1 and port 80 or http") == Names{});
}

TEST_CASE("a parenthesised group passes on what stood before its '('", "[filter_check]") {
  // grammar.y: rterm `paren expr ')'` and id `paren pid ')'` both take the
  // qualifiers of the symbol before '(' (qerr at the start of the filter).
  CHECK(names("port 80 and (tcp) or http") == Names{});
  CHECK(names("port 80 and (host 10.0.0.1) or http") == Names{});
  CHECK(names("host 10.0.0.1 and (port 80) or b") == Names{"b"});
  CHECK(names("(port 80) or http") == Names{"http"});  // qerr: a syntax error, or worse
  CHECK(names("((port 80) or http)") == Names{"http"});
  CHECK(names("(port 80 or http)") == Names{});
  CHECK(names("port 80 or (81) or http") == Names{});
  CHECK(names("port 80 and (len) > 5 or http") == Names{"http"});
  CHECK(names(")(port 80) or http") == Names{"http"});
}

TEST_CASE("a name with no qualifier to inherit is taken for a host", "[filter_check]") {
  CHECK(names("tcp and foo") == Names{"foo"});
  CHECK(names("foo") == Names{"foo"});
  CHECK(names("(foo)") == Names{"foo"});
  CHECK(names("port 80 and len > 5 or http") == Names{"http"});
  CHECK(names("port 80 and tcp[13] & 2 != 0 or http") == Names{"http"});
  CHECK(names("port 80 and vlan or http") == Names{"http"});
  CHECK(names("port 80 and ip broadcast or http") == Names{"http"});
  CHECK(names("llc and foo") == Names{"foo"});
}

TEST_CASE("words after on, llc, type, subtype, dir, reason and action are literals",
          "[filter_check]") {
  CHECK(names("on eth0") == Names{});
  CHECK(names("ifname eth0 and rset main and reason match and action pass") == Names{});
  CHECK(names("llc i or llc rr") == Names{});
  CHECK(names("wlan type mgt subtype beacon") == Names{});
  CHECK(names("subtype probe-req") == Names{});
  CHECK(names("dir nods or direction tods") == Names{});
}

TEST_CASE("addresses, numbers and keywords are never names", "[filter_check]") {
  for (const char* f :
       {"icmp[icmptype] == icmp-echo", "tcp[tcpflags] & (tcp-syn|tcp-ack) != 0",
        "vlan 100 and host 10.0.0.1", "net 192.168.0.0/16 or host fe80::1",
        "net 10.0.0.0 mask 255.0.0.0", "ether src aa:bb:cc:dd:ee:ff", "ip6 net fd00::/8",
        "host ::ffff:10.1.2.3", "pppoes 3 and ip", "mpls 100000", "geneve 7",
        "less 100 or greater 1000 or len = 64", "ip multicast or ip6 multicast", "inbound",
        "ifindex 2", "not not not icmp", "tcp port 80 and (host 10.0.0.1 or 10.0.0.2)"}) {
    INFO(f);
    CHECK(names(f) == Names{});
  }
}

TEST_CASE("parentheses, size and nesting are counted", "[filter_check]") {
  FilterScan s = scanFilter("icmp) or (tcp");
  CHECK(s.strayClose == 4u);
  CHECK(s.unclosed == 1u);
  s = scanFilter("((tcp)");
  CHECK_FALSE(s.strayClose);
  CHECK(s.unclosed == 1u);
  CHECK(s.depth == 2u);
  CHECK(scanFilter("\\foo)").strayClose == 4u);  // ')' ends an escaped name
  CHECK(scanFilter("").primitives == 0u);
  CHECK(scanFilter("tcp").primitives == 1u);
  CHECK(scanFilter("port 1||port 2&&not port 3 or port 4").primitives == 4u);
  CHECK(scanFilter("(((a)))").depth == 3u);
  CHECK(scanFilter("tcp @").badByte == 4u);
}

TEST_CASE("checkFilterText names the first problem in one line", "[filter_check]") {
  CHECK(message("") == "ok");
  CHECK(message("tcp port 80 and (host 10.0.0.1 or port http)") == "ok");
  CHECK(message("tcp @") ==
        "bad filter: unexpected character '@' at byte 4 (pcap-filter(7) has no such token)");
  CHECK(message("ip\x01") ==
        "bad filter: unexpected character \\x01 at byte 2 (pcap-filter(7) has no such token)");
  CHECK(message("icmp) or (tcp") ==
        "bad filter: unbalanced parentheses: ')' at byte 4 closes nothing");
  CHECK(message("((icmp)") == "bad filter: unbalanced parentheses: 1 '(' left open");
  CHECK(message("host secret-a.exfil.test") ==
        "bad filter: \"secret-a.exfil.test\" is a host or network name, and this worker resolves "
        "no names in filters (a lookup would leak the name and stall the capture): use an "
        "address, or start the worker with --filter-names resolve");
  CHECK(message("host \\a\"b").find("\"a?b\" is a host or network name") != std::string::npos);
  FilterLimits resolve;
  resolve.allowNames = true;
  CHECK(message("host secret-a.exfil.test", resolve) == "ok");

  CHECK(message(joined("port ", "||", 32)) == "ok");
  CHECK(message(joined("port ", "||", 33)) ==
        "bad filter: 33 primitives joined by and/or, more than the limit of 32");
  CHECK(message(joined("host 10.0.0.", " or ", 2000 / 14)) ==
        "bad filter: 142 primitives joined by and/or, more than the limit of 32");
  CHECK(message(std::string(16, '(') + "tcp" + std::string(16, ')')) == "ok");
  CHECK(message(std::string(17, '(') + "tcp" + std::string(17, ')')) ==
        "bad filter: parentheses nested 17 deep, more than the limit of 16");
  CHECK(message(std::string(1000, '!') + "tcp") == "ok");  // not costs nothing
}
