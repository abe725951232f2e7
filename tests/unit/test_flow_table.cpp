// FlowTable: per-interval counts per 5-tuple and host, bounded by maxFlows;
// appendFlowJson and appendTextLine: the lines -T flows and text write.

#include <catch2/catch.hpp>

#include <cstdlib>
#include <vector>

#include "flow_table.h"
#include "text_line.h"

using namespace ddump;

namespace {

constexpr uint64_t kSecond = 1'000'000'000;
constexpr uint64_t kBase = 1'764'590'400 * kSecond;  // 2025-12-01T12:00:00Z

FlowKey udp(uint32_t stream, uint8_t srcLast, uint16_t sport) {
  FlowKey k;
  k.stream = stream;
  k.ipVersion = 4;
  k.protocol = 17;
  k.src = {10, 0, 0, srcLast};
  k.dst = {10, 0, 0, 9};
  k.srcPort = sport;
  k.dstPort = 53;
  return k;
}

struct Emitted {
  std::vector<std::pair<FlowKey, FlowCounts>> flows;
  FlowTable::Emit emit() {
    return [this](const FlowKey& k, const FlowCounts& c) { flows.emplace_back(k, c); };
  }
};

}  // namespace

TEST_CASE("flows count packets and original bytes per 5-tuple and host, per interval",
          "[unit][flows]") {
  Emitted out;
  FlowTable table(10 * kSecond, 100, out.emit());
  table.add(udp(0, 1, 1000), kBase + 1 * kSecond, 100, 0);
  table.add(udp(0, 1, 1000), kBase + 2 * kSecond, 60, 0);
  table.add(udp(1, 1, 1000), kBase + 3 * kSecond, 70, 0);  // the same tuple on another host
  table.add(udp(0, 2, 1000), kBase + 4 * kSecond, 80, 0);
  CHECK(out.flows.empty());
  CHECK(table.size() == 3);
  table.add(udp(0, 1, 1000), kBase + 10 * kSecond, 90, 0);  // opens the next interval
  REQUIRE(out.flows.size() == 3);
  CHECK(out.flows[0].first == udp(0, 1, 1000));
  CHECK(out.flows[0].second.packets == 2);
  CHECK(out.flows[0].second.bytes == 160);
  CHECK(out.flows[0].second.startNs == kBase + 1 * kSecond);
  CHECK(out.flows[0].second.endNs == kBase + 2 * kSecond);
  CHECK(out.flows[1].first.stream == 1);
  CHECK(table.size() == 1);
  table.flushAll();
  REQUIRE(out.flows.size() == 4);
  CHECK(out.flows[3].second.packets == 1);
  CHECK(out.flows[3].second.bytes == 90);
  CHECK(table.size() == 0);
}

TEST_CASE("beyond maxFlows the least recently seen flow goes out early", "[unit][flows]") {
  Emitted out;
  FlowTable table(10 * kSecond, 2, out.emit());
  table.add(udp(0, 1, 1), kBase, 10, 0);
  table.add(udp(0, 2, 2), kBase + 1, 10, 0);
  table.add(udp(0, 1, 1), kBase + 2, 10, 0);  // flow 1 is now the most recent
  table.add(udp(0, 3, 3), kBase + 3, 10, 0);  // evicts flow 2
  REQUIRE(out.flows.size() == 1);
  CHECK(out.flows[0].first == udp(0, 2, 2));
  CHECK(table.evicted() == 1);
  CHECK(table.size() == 2);
}

TEST_CASE("a flow record and a text line, byte for byte", "[unit][flows]") {
  FlowKey tcp;
  tcp.ipVersion = 6;
  tcp.protocol = 6;
  tcp.src[0] = 0x20;
  tcp.src[1] = 0x01;
  tcp.src[15] = 1;
  tcp.dst[0] = 0x20;
  tcp.dst[1] = 0x01;
  tcp.dst[15] = 2;
  tcp.srcPort = 40000;
  tcp.dstPort = 443;
  FlowCounts c{kBase + 1, kBase + 2 * kSecond, 3, 180,
               PacketFields::kSyn | PacketFields::kAck | PacketFields::kFin};
  std::string json;
  appendFlowJson(json, "web\"1", tcp, c);
  CHECK(json ==
        "{\"start\":\"2025-12-01T12:00:00.000000001Z\",\"end\":\"2025-12-01T12:00:02.000000000Z\","
        "\"host\":\"web\\\"1\",\"proto\":6,\"src\":\"2001::1\",\"sport\":40000,\"dst\":\"2001::2\","
        "\"dport\":443,\"packets\":3,\"bytes\":180,\"tcp_flags\":\"SAF\"}\n");
  FlowKey icmp = udp(0, 1, 0);
  icmp.protocol = 1;
  std::string other;
  appendFlowJson(other, "h", icmp, c);
  CHECK(other.find("sport") == std::string::npos);
  CHECK(other.find("tcp_flags") == std::string::npos);

  std::string line;
  appendTextLine(line, kBase + 1'123'456'789, "web1", "eth0", "In ",
                 "IP 10.0.0.1.53 > 10.0.0.2.41234: UDP, length 60", TextLineStyle{true, false});
  CHECK(line == "12:00:01.123456 web1 eth0 In  IP 10.0.0.1.53 > 10.0.0.2.41234: UDP, length 60\n");
  line.clear();
  appendTextLine(line, kBase + 1'123'456'789, "a\x1b[2Jb", "", "", "x", TextLineStyle{true, true});
  CHECK(line == "12:00:01.123456789 a?[2Jb x\n");
  const std::vector<uint8_t> sll2{8, 0, 0, 0, 0, 0, 0, 1, 0, 1, 4, 6};
  CHECK(directionWord(276, sll2, 0) == "Out");
  CHECK(directionWord(276, sll2, 1) == "In ");  // epb_flags win
  CHECK(directionWord(113, std::vector<uint8_t>{0, 1}, 0) == "B  ");
  CHECK(directionWord(1, sll2, 0).empty());
}
