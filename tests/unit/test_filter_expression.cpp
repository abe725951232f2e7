#include <catch2/catch.hpp>

#include "filter_expression.h"

using namespace ddump;

namespace {

using Words = std::vector<std::string>;

PositionalWords split(const Words& words, std::optional<size_t> firstAfterDashDash = {}) {
  return splitPositionals(words, firstAfterDashDash);
}

}  // namespace

TEST_CASE("the expression quoted whole, split or mixed gives one filter", "[filter_expression]") {
  const Words targets = {"https://web1:8443", "https://web2:8443"};
  for (const Words& filter : {Words{"tcp port 5432"}, Words{"tcp", "port", "5432"},
                              Words{"tcp port", "5432"}, Words{"tcp", "port 5432"}}) {
    Words words = targets;
    words.insert(words.end(), filter.begin(), filter.end());
    const PositionalWords p = split(words);
    INFO(filter.size() << " words, first '" << filter[0] << "'");
    CHECK(p.targets == targets);
    CHECK(p.expression == "tcp port 5432");
    CHECK(p.firstExpressionWord == filter[0]);
  }
  const PositionalWords q = split({"host1", "host2:9000", "icmp or udp port 53"});
  CHECK(q.targets == Words{"host1", "host2:9000"});
  CHECK(q.expression == "icmp or udp port 53");
}

TEST_CASE("every word after the first expression word belongs to it", "[filter_expression]") {
  // tcpdump joins all remaining arguments: a host-like word after the start
  // is part of the expression ("tcp and host h2"), never a target.
  const PositionalWords p = split({"h1", "tcp", "and", "host", "h2"});
  CHECK(p.targets == Words{"h1"});
  CHECK(p.expression == "tcp and host h2");
}

TEST_CASE("everything after -- is the expression", "[filter_expression]") {
  // A number starts no expression (it could be a host), so "64 <= len" needs "--".
  const PositionalWords p = split({"h1", "h2", "64", "<=", "len", "or", "port", "53"}, 2);
  CHECK(p.targets == Words{"h1", "h2"});
  CHECK(p.expression == "64 <= len or port 53");

  const PositionalWords quoted = split({"h1", "udp port 53"}, 1);
  CHECK(quoted.targets == Words{"h1"});
  CHECK(quoted.expression == "udp port 53");

  // A keyword before "--" starts the expression already.
  const PositionalWords early = split({"h1", "tcp", "port", "80"}, 2);
  CHECK(early.targets == Words{"h1"});
  CHECK(early.expression == "tcp port 80");
}

TEST_CASE("nothing (or only blanks) after -- is no filter", "[filter_expression]") {
  const PositionalWords p = split({"h1", "h2"}, 2);
  CHECK(p.targets == Words{"h1", "h2"});
  CHECK_FALSE(p.expression);
  CHECK_FALSE(p.firstExpressionWord);
  CHECK_FALSE(split({"h1", "", "  "}, 1).expression);
}

TEST_CASE("no filter at all: every word is a target", "[filter_expression]") {
  const Words words = {"h1",     "h2:9000", "[::1]:8475", "https://u:p@h3/capture?filter=icmp",
                       "a.pcap", "-"};
  const PositionalWords p = split(words);
  CHECK(p.targets == words);
  CHECK_FALSE(p.expression);
  CHECK(split({}).targets.empty());
  CHECK_FALSE(split({}).expression);
}

TEST_CASE("'(' and '!' start an expression", "[filter_expression]") {
  CHECK(split({"h1", "(tcp or udp) and port 53"}).expression == "(tcp or udp) and port 53");
  CHECK(split({"h1", "(", "tcp", ")"}).expression == "( tcp )");
  CHECK(split({"h1", "!icmp"}).expression == "!icmp");
  CHECK(split({"h1", "!", "icmp"}).expression == "! icmp");
  CHECK(split({"h1", " not arp"}).expression == " not arp");  // leading blanks are kept
}

TEST_CASE("a keyword followed by an index or operator starts an expression",
          "[filter_expression]") {
  for (const char* word :
       {"tcp[13]&2!=0", "tcp[tcpflags] & tcp-syn != 0", "icmp[icmptype]", "ip6", "ether",
        "ether[0]&1=1", "len<=64", "vlan", "geneve", "ip&&tcp", "icmp6", "radio[0]", "tr[0]"}) {
    INFO(word);
    CHECK(startsFilterExpression(word));
    CHECK(split({"h1", word}).targets == Words{"h1"});
  }
  CHECK(split({"h1", "tcp[13]&2!=0"}).expression == "tcp[13]&2!=0");
}

TEST_CASE("host names, URLs and paths that begin like a keyword stay targets",
          "[filter_expression]") {
  // libpcap's identifier runs over '-', '_' and '.', so these are names to it
  // too; ':' and '/' after a keyword mean HOST:PORT and a path.
  for (const char* word : {"host-1",    "tcp.example.com",
                           "ip6.lan",   "port_a",
                           "tcp:9000",  "http://tcp:9000",
                           "ip/x.pcap", "https://host/capture",
                           "TCP",       "icmp-echo",
                           "hosts",     "portal",
                           "radio",     "tr",
                           "lat",       "ra",
                           "l1",        "1.2.3.4",
                           "fe80::1",   "[ip]",
                           "-",         ""}) {
    INFO("'" << word << "'");
    CHECK_FALSE(startsFilterExpression(word));
  }
}

TEST_CASE("a word with a space that starts no expression stays a target", "[filter_expression]") {
  // A file name may hold a space; whether it exists is options.cpp's business
  // (a word that is neither is a usage error naming it).
  const PositionalWords p = split({"/tmp/my captures/a.pcap", "foo bar", "tcp"});
  CHECK(p.targets == Words{"/tmp/my captures/a.pcap", "foo bar"});
  CHECK(p.expression == "tcp");
  CHECK(split({"h1", "my trace.pcap"}).targets.size() == 2);
}

TEST_CASE("only targets, or an expression with no target before it", "[filter_expression]") {
  CHECK(split({"h1"}).targets == Words{"h1"});
  // A host named like a keyword is taken for the expression (as by tcpdump,
  // whose argument would be "port"); options.cpp then says there is no target
  // and how to write one (port:8475, http://port).
  const PositionalWords p = split({"port", "h2"});
  CHECK(p.targets.empty());
  CHECK(p.expression == "port h2");
  CHECK(split({"port:8475", "h2", "icmp"}).targets == Words{"port:8475", "h2"});
}

TEST_CASE("a filter given both with -f and as an expression is an error", "[filter_expression]") {
  const std::optional<std::string> none;
  CHECK(*chooseFilter(std::string("icmp"), none) == "icmp");
  CHECK(*chooseFilter(none, std::string("udp")) == "udp");
  CHECK_FALSE(*chooseFilter(none, none));
  const auto both = chooseFilter(std::string("icmp"), std::string("udp port 53"));
  REQUIRE_FALSE(both.ok());
  CHECK(both.error().message ==
        "give the filter either with -f or as an expression, not both (-f 'icmp', expression "
        "'udp port 53')");
}

TEST_CASE("every kept keyword starts an expression, the left-out ones do not",
          "[filter_expression]") {
  for (const char* word :
       {"not",     "host",      "net",        "port",      "portrange", "src",      "dst",
        "gateway", "proto",     "protochain", "less",      "greater",   "byte",     "len",
        "length",  "broadcast", "multicast",  "inbound",   "outbound",  "ifindex",  "ether",
        "fddi",    "wlan",      "link",       "ppp",       "slip",      "ip",       "ip6",
        "arp",     "rarp",      "tcp",        "udp",       "sctp",      "icmp",     "icmp6",
        "igmp",    "igrp",      "pim",        "vrrp",      "carp",      "ah",       "esp",
        "atalk",   "aarp",      "decnet",     "mopdl",     "moprc",     "iso",      "esis",
        "es-is",   "isis",      "is-is",      "clnp",      "stp",       "ipx",      "netbeui",
        "llc",     "vlan",      "mpls",       "pppoed",    "pppoes",    "geneve",   "vxlan",
        "type",    "subtype",   "dir",        "direction", "addr1",     "address4", "ifname",
        "on",      "rnr",       "rulenum",    "rset",      "ruleset",   "srnr",     "subrulenum",
        "reason",  "action"}) {
    INFO(word);
    CHECK(startsFilterExpression(word));
  }
  for (const char* word : {"and",  "or",    "mask", "ra",   "ta",  "tr",   "l1",   "l2",  "lat",
                           "sca",  "radio", "iih",  "lsp",  "snp", "csnp", "psnp", "vpi", "vci",
                           "lane", "oam",   "sc",   "fisu", "msu", "sio",  "opc",  "dpc", "sls"}) {
    INFO(word);
    CHECK_FALSE(startsFilterExpression(word));
  }
}
