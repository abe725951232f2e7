#include <catch2/catch.hpp>

#include "target.h"

using namespace ddump;

namespace {

Target parseOk(std::string_view text, bool isFile = false) {
  auto parsed = parseTarget(text, isFile);
  INFO(text);
  REQUIRE(parsed.ok());
  return *parsed;
}

std::string parseError(std::string_view text) {
  auto parsed = parseTarget(text);
  INFO(text);
  REQUIRE_FALSE(parsed.ok());
  return parsed.error().message;
}

}  // namespace

TEST_CASE("a bare host gets the default scheme, port and path", "[target]") {
  const Target t = parseOk("worker1");
  CHECK(t.kind == TargetKind::Http);
  CHECK(t.host == "worker1");
  CHECK(t.port == 8475);
  CHECK(t.path == "/capture");
  CHECK(t.display() == "http://worker1:8475/capture");

  const Target p = parseOk("10.0.0.7:9000");
  CHECK(p.host == "10.0.0.7");
  CHECK(p.port == 9000);
}

TEST_CASE("full URLs keep path, port and query", "[target]") {
  const Target t = parseOk("https://h.example:8443/x/capture?filter=icmp&count=5");
  CHECK(t.kind == TargetKind::Https);
  CHECK(t.host == "h.example");
  CHECK(t.port == 8443);
  CHECK(t.path == "/x/capture");
  REQUIRE(t.query.size() == 2);
  CHECK(t.query[0] == std::pair<std::string, std::string>{"filter", "icmp"});
  CHECK(t.query[1] == std::pair<std::string, std::string>{"count", "5"});

  const Target d = parseOk("HTTP://h");
  CHECK(d.kind == TargetKind::Http);
  CHECK(d.port == 8475);
  CHECK(d.path == "/capture");
  CHECK(parseOk("http://h:/").path == "/");
  CHECK(parseOk("http://h:").port == 8475);
  CHECK(parseOk("http://h?filter=x#frag").query.at(0).second == "x");
}

TEST_CASE("IPv6 literals in brackets", "[target]") {
  const Target t = parseOk("http://[::1]:9001/capture");
  CHECK(t.host == "::1");
  CHECK(t.port == 9001);
  CHECK(t.authority() == "[::1]:9001");
  const Target zoned = parseOk("https://[fe80::1%25eth0]:9000/capture");
  CHECK(zoned.host == "fe80::1%eth0");
  // Messages show the zone in URL form; the Host field never carries it
  // (RFC 6874 §4: it means something only on this host).
  CHECK(zoned.authority() == "[fe80::1%25eth0]:9000");
  CHECK(zoned.display() == "https://[fe80::1%25eth0]:9000/capture");
  CHECK(zoned.hostField() == "[fe80::1]:9000");
  CHECK(t.hostField() == "[::1]:9001");
  CHECK(parseOk("http://example.org:81").hostField() == "example.org:81");
  CHECK(parseOk("[2001:db8::2]").port == 8475);
  const Target bare = parseOk("2001:db8::2");
  CHECK(bare.host == "2001:db8::2");
  CHECK(bare.port == 8475);
  CHECK(bare.display() == "http://[2001:db8::2]:8475/capture");
}

TEST_CASE("userinfo and query are percent-decoded", "[target]") {
  const Target t = parseOk("https://al%40ce:p%3Ass%2Fw%25d@h/capture?filter=tcp+port+80%20and%20not%20arp");
  CHECK(t.user == "al@ce");
  CHECK(t.password == "p:ss/w%d");
  CHECK(t.hasPassword);
  CHECK(t.query.at(0).second == "tcp port 80 and not arp");

  const Target u = parseOk("http://bob@h");
  CHECK(u.hasUser);
  CHECK_FALSE(u.hasPassword);
  CHECK(u.display() == "http://bob@h:8475/capture");
}

TEST_CASE("credentials are masked in every message", "[target]") {
  const Target t = parseOk("https://alice:s3cret@h:1/capture");
  CHECK(t.display() == "https://alice:***@h:1/capture");
  CHECK(t.display().find("s3cret") == std::string::npos);
  CHECK(maskCredentials("http://a:b@h/x?y=1") == "http://a:***@h/x?y=1");
  CHECK(maskCredentials("http://a@h/x") == "http://a@h/x");
  CHECK(maskCredentials("worker:8475") == "worker:8475");
  const std::string err = parseError("http://alice:s3cret@h:99999/");
  CHECK(err.find("s3cret") == std::string::npos);
  CHECK(err.find("out of range") != std::string::npos);
}

TEST_CASE("files and stdin are targets", "[target]") {
  CHECK(parseOk("-").kind == TargetKind::Stdin);
  const Target f = parseOk("./a.pcap");
  CHECK(f.kind == TargetKind::File);
  CHECK(f.file == "./a.pcap");
  CHECK(parseOk("/tmp/x").kind == TargetKind::File);
  CHECK(parseOk("local.pcap", true).kind == TargetKind::File);
  CHECK(parseOk("local.pcap", false).kind == TargetKind::Http);
}

TEST_CASE("malformed targets are refused with the reason", "[target]") {
  CHECK(parseError("ftp://h").find("unsupported scheme 'ftp'") != std::string::npos);
  CHECK(parseError("http://h:80x").find("not a number") != std::string::npos);
  CHECK(parseError("http://[::1").find("missing ']'") != std::string::npos);
  CHECK(parseError("http://:80").find("no host") != std::string::npos);
  CHECK(parseError("http://h/capture?filter=%zz").find("bad percent-encoding") !=
        std::string::npos);
  CHECK(parseError("http://h/capture?filter=%4").find("bad percent-encoding") != std::string::npos);
  CHECK(parseError("http://h o/").find("invalid character") != std::string::npos);
  CHECK(parseError("").find("empty") != std::string::npos);
}

TEST_CASE("the request carries URL-encoded defaults unless the URL sets them", "[target]") {
  CaptureParams defaults;
  defaults.filter = "tcp port 80 and host 10.0.0.1";
  defaults.interface = "eth0";
  defaults.precision = "nano";
  CHECK(requestTarget(parseOk("h"), defaults) ==
        "/capture?filter=tcp%20port%2080%20and%20host%2010.0.0.1&interface=eth0&precision=nano");
  CHECK(requestTarget(parseOk("http://h/capture?filter=icmp"), defaults) ==
        "/capture?filter=icmp&interface=eth0&precision=nano");
  CHECK(requestTarget(parseOk("h"), {}) == "/capture");
  CHECK(percentEncode("a+b&c=d/é") == "a%2Bb%26c%3Dd%2F%C3%A9");
}

TEST_CASE("target errors are one printable line and never show the password", "[target]") {
  CHECK(parseError("http://h\no/") == "bad target 'http://h?o/': invalid character in host 'h?o'");
  CHECK(parseError("http://h:8\x1b[2J/") ==
        "bad target 'http://h:8?[2J/': port '8?[2J' is not a number");
  // The decoder's message would quote the bad escape, here the password itself.
  CHECK(parseError("http://alice:%zz@h/") ==
        "bad target 'http://alice:***@h/': bad percent-encoding in the password");
  CHECK(parseError("http://al%zzice:pw@h/") ==
        "bad target 'http://al%zzice:***@h/': bad percent-encoding at '%zz'");
}

TEST_CASE("a host decodes to a host name or address, a zone only in IPv6", "[target]") {
  CHECK(parseError("http://a%2Fb/") ==
        "bad target 'http://a%2Fb/': invalid character in host 'a/b'");
  CHECK(parseError("http://h%0d%0aX-Evil:1/") ==
        "bad target 'http://h%0d%0aX-Evil:1/': invalid character in host 'h??X-Evil'");
  CHECK(
      parseError("http://[fe80::1%25eth%2F0]/").find("invalid character in host 'fe80::1%eth/0'") !=
      std::string::npos);
  CHECK(parseError("http://[abc%25x]/").find("invalid character in host 'abc%x'") !=
        std::string::npos);
  CHECK(parseError("http://[fe80::1%25]/").find("invalid character in host 'fe80::1%'") !=
        std::string::npos);
  CHECK(parseOk("http://a%2Db").host == "a-b");
  CHECK(parseOk("http://[fe80::1%25br-lan.10]:9000").host == "fe80::1%br-lan.10");
  CHECK(parseOk("fe80::1%25eth0").host == "fe80::1%eth0");
}

TEST_CASE("a path keeps its escapes and encodes what a request line cannot hold", "[target]") {
  const Target t = parseOk("http://h/a b\x01\xc3\xa9/%41?filter=x");
  CHECK(t.path == "/a%20b%01%C3%A9/%41");
  CHECK(t.display() == "http://h:8475/a%20b%01%C3%A9/%41?filter=x");
  CHECK(requestTarget(t, {}) == "/a%20b%01%C3%A9/%41?filter=x");
}
