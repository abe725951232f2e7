// ddump-fake-worker: a stand-in for ddump-worker in client tests and benches.
// Serves pcap files (or synthetic live packets) as a chunked
// application/vnd.tcpdump.pcap stream exactly as the worker does, plus hostile
// answers selected by the request path. Binds port 0 by default and prints
// the bound port on stdout.
//
//   /capture        the --file given (query file=N picks the N-th), or with
//                   ?live=1&pps=R&count=N synthetic LINUX_SLL packets stamped
//                   with the current time; a filter containing "badfilter"
//                   gets the worker's 400 JSON error
//                   (&stream=S: source address 10.S.S.S, S's low 24 bits)
//   /idle           global header, then nothing until the client leaves
//   /bad-magic /giant-caplen /truncated /wrong-type /html /html200
//   /die-after?n=K  K records, then the connection is cut mid-stream
//   /many-interfaces?n=N&distinct=D
//                   N LINUX_SLL2 records 1 us apart, record i on interface
//                   index 1 + i % D: a worker claiming D interfaces
//   /stats          {"captures":[...]} with kernel_drops 7
//   /interfaces     [{"name":"eth0","index":2},{"name":"lo","index":1}], with X-Ddump-Time
//   live captures with linktype=sll2 alternate ifindex 2 (inbound) and 1 (outgoing)
//   --time-offset-ms skews X-Ddump-Time AND the live packets' stamps: a worker
//   whose clock is off
//
// Flags: --host H --port P --file F... --chunk BYTES --time-offset-ms MS
//        --tls-cert F --tls-key F [--client-ca F] --user USER:PASS

#include <sys/socket.h>

#include <httplib.h>
#include <openssl/evp.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "pcap_format.h"
#include "record_buffer.h"
#include "sll.h"

namespace {

using namespace ddump;


struct Config {
  std::string host = "127.0.0.1";
  int port = 0;
  std::vector<std::string> files;
  size_t chunk = 64 * 1024;
  long long timeOffsetMs = 0;
  std::string tlsCert, tlsKey, clientCa, user;
  int statsDelayMs = 0;  // a slow /stats (a loaded worker or proxy)
};

std::vector<std::shared_ptr<const std::string>> gFiles;
Config gConfig;
std::atomic<int> gCaptureId{0};

int64_t wallNs() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The fake worker's own clock, skewed by --time-offset-ms.
int64_t workerNs() { return wallNs() + gConfig.timeOffsetMs * 1'000'000; }

std::string readFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::fprintf(stderr, "ddump-fake-worker: cannot read %s\n", path.c_str());
    std::exit(2);
  }
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

void workerHeaders(httplib::Response& res, const std::string& linktype) {
  res.set_header("X-Ddump-Host", "fake-worker");
  res.set_header("X-Ddump-Time", std::to_string(workerNs()));
  res.set_header("X-Ddump-Filter", "");
  res.set_header("X-Ddump-Linktype", linktype);
  res.set_header("X-Ddump-Capture-Id", std::to_string(++gCaptureId));
  res.set_header("X-Accel-Buffering", "no");
}

void jsonError(httplib::Response& res, int status, const std::string& message) {
  res.status = status;
  res.set_content("{\"error\":\"" + message + "\"}\n", "application/json");
}

std::string header(uint32_t linkType, uint32_t snaplen = 262144) {
  RecordBuffer b;
  GlobalHeader g;
  g.linkType = linkType;
  g.snaplen = snaplen;
  b.appendGlobalHeader(g);
  return {b.data(), b.size()};
}

std::string record(uint64_t tsNs, const std::vector<uint8_t>& data) {
  RecordBuffer b;
  RecordHeader h{0, 0, static_cast<uint32_t>(data.size()), static_cast<uint32_t>(data.size())};
  setTimestamp(h, tsNs, Precision::Micro);
  b.appendRecord(h, data);
  return {b.data(), b.size()};
}

std::vector<uint8_t> sllPacket(uint32_t seq);

// The same packet with an SLL2 header on interface `ifindex`.
std::vector<uint8_t> sll2PacketOn(uint32_t seq, uint32_t ifindex, SllPacketType type) {
  std::vector<uint8_t> sll = sllPacket(seq);
  Sll2Header h;
  h.protocol = 0x0800;
  h.interfaceIndex = ifindex;
  h.arphrdType = 1;
  h.packetType = static_cast<uint8_t>(type);
  h.addressLength = 6;
  const auto head = encodeSll2(h);
  std::vector<uint8_t> data;
  data.reserve(sll.size() + 8);
  data.assign(head.begin(), head.end());
  data.insert(data.end(), sll.begin() + kSllHeaderSize, sll.end());
  return data;
}

// ifindex 2 inbound for even seq, 1 outgoing for odd.
std::vector<uint8_t> sll2Packet(uint32_t seq) {
  return seq % 2 == 0 ? sll2PacketOn(seq, 2, SllPacketType::Host)
                      : sll2PacketOn(seq, 1, SllPacketType::Outgoing);
}

std::vector<uint8_t> sllPacket(uint32_t seq) {
  SllHeader h;
  h.protocol = 0x0800;
  h.arphrdType = 1;
  h.addressLength = 6;
  const auto sll = encodeSll(h);
  std::vector<uint8_t> data;
  data.reserve(64);  // one allocation (also sidesteps a GCC 12 -Warray-bounds false positive)
  data.assign(sll.begin(), sll.end());
  // A minimal IPv4/UDP packet 10.0.0.1 -> 10.0.0.2, port 9 -> 9, 4-byte payload = seq.
  const uint8_t ip[] = {0x45, 0, 0, 32, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
                        0, 9, 0, 9, 0, 12, 0, 0};
  data.insert(data.end(), std::begin(ip), std::end(ip));
  for (int i = 3; i >= 0; --i) data.push_back(static_cast<uint8_t>(seq >> (8 * i)));
  return data;
}

// Serves a fixed byte string in chunks; `cutAt`: abort the connection there.
void serveBytes(httplib::Response& res, std::shared_ptr<const std::string> bytes,
                const char* type, size_t cutAt = std::string::npos) {
  res.set_chunked_content_provider(type, [bytes, cutAt](size_t offset, httplib::DataSink& sink) {
    const size_t end = std::min({bytes->size(), cutAt, offset + gConfig.chunk});
    if (offset >= end) {
      if (cutAt != std::string::npos) return false;  // no terminating chunk: a cut
      sink.done();
      return true;
    }
    return sink.write(bytes->data() + offset, end - offset);
  });
}

std::string queryValue(const httplib::Request& req, const char* key, const char* fallback) {
  return req.has_param(key) ? req.get_param_value(key) : fallback;
}

// The stream's number in the source address's low 24 bits (10.N.N.N), so a
// reader of the merged output knows which stream each packet came from.
void tagSource(std::string& record, bool sll2, uint32_t stream) {
  const size_t at = kRecordHeaderSize + (sll2 ? kSll2HeaderSize : kSllHeaderSize) + 13;
  for (size_t i = 0; i < 3; ++i) record[at + i] = static_cast<char>(stream >> (8 * (2 - i)));
}

void serveLive(httplib::Response& res, double pps, uint64_t count, bool sll2, uint32_t stream) {
  workerHeaders(res, sll2 ? "LINUX_SLL2" : "LINUX_SLL");
  auto sent = std::make_shared<uint64_t>(0);
  auto start = std::make_shared<std::chrono::steady_clock::time_point>();
  res.set_chunked_content_provider(kPcapContentType, [=](size_t offset, httplib::DataSink& sink) {
    if (offset == 0) {
      *start = std::chrono::steady_clock::now();
      const std::string h = header(sll2 ? kLinkTypeLinuxSll2 : kLinkTypeLinuxSll);
      return sink.write(h.data(), h.size());
    }
    if (count != 0 && *sent >= count) {
      sink.done();
      return true;
    }
    // Pacing by absolute schedule; each packet is stamped when it is sent.
    const auto due = *start + std::chrono::duration<double>(static_cast<double>(*sent) / pps);
    std::this_thread::sleep_until(due);
    const auto seq = static_cast<uint32_t>(*sent);
    std::string r = record(static_cast<uint64_t>(workerNs()), sll2 ? sll2Packet(seq) : sllPacket(seq));
    tagSource(r, sll2, stream);
    ++*sent;
    return sink.write(r.data(), r.size());
  });
}

void serveCapture(const httplib::Request& req, httplib::Response& res) {
  if (queryValue(req, "filter", "").find("badfilter") != std::string::npos) {
    return jsonError(res, 400, "bad filter '" + queryValue(req, "filter", "") +
                                  "': can't parse filter expression: syntax error");
  }
  if (req.has_param("live")) {
    return serveLive(res, std::stod(queryValue(req, "pps", "100")),
                     std::stoull(queryValue(req, "count", "0")),
                     queryValue(req, "linktype", "sll") == "sll2",
                     static_cast<uint32_t>(std::stoul(queryValue(req, "stream", "0"))));
  }
  const size_t index = std::stoul(queryValue(req, "file", "0"));
  if (index >= gFiles.size()) return jsonError(res, 404, "no such file");
  workerHeaders(res, "LINUX_SLL");
  serveBytes(res, gFiles[index], kPcapContentType);
}

void hostileRoutes(httplib::Server& svr) {
  auto fixed = [&svr](const char* path, std::string body, const char* type, int status = 200) {
    auto bytes = std::make_shared<const std::string>(std::move(body));
    svr.Get(path, [bytes, type, status](const httplib::Request&, httplib::Response& res) {
      workerHeaders(res, "LINUX_SLL");
      res.status = status;
      serveBytes(res, bytes, type);
    });
  };
  constexpr uint64_t t0 = 1'700'000'000ULL * 1'000'000'000ULL;
  const std::string good = header(kLinkTypeLinuxSll) + record(t0, sllPacket(0)) + record(t0 + 1000, sllPacket(1));
  fixed("/bad-magic", std::string("<html>not a pcap at all</html>\n"), kPcapContentType);
  std::string giant = record(t0 + 2000, sllPacket(2));
  store32(reinterpret_cast<uint8_t*>(giant.data()) + 8, 0x7fffffff, hostByteOrder());
  store32(reinterpret_cast<uint8_t*>(giant.data()) + 12, 0x7fffffff, hostByteOrder());
  fixed("/giant-caplen", good + giant, kPcapContentType);
  const std::string third = record(t0 + 3000, sllPacket(3));
  fixed("/truncated", good + third.substr(0, third.size() - 7), kPcapContentType);
  fixed("/wrong-type", good, "text/plain");
  fixed("/html", "<html><body><h1>502 Bad Gateway</h1></body></html>\n", "text/html", 502);
  fixed("/html200", "<html><body>Please log in</body></html>\n", "text/html");
  svr.Get("/idle", [](const httplib::Request&, httplib::Response& res) {
    workerHeaders(res, "LINUX_SLL");
    res.set_chunked_content_provider(kPcapContentType, [](size_t offset, httplib::DataSink& sink) {
      if (offset == 0) {
        const std::string h = header(kLinkTypeLinuxSll);
        return sink.write(h.data(), h.size());
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      return sink.is_writable();
    });
  });
  svr.Get("/die-after", [good](const httplib::Request& req, httplib::Response& res) {
    const uint32_t n = static_cast<uint32_t>(std::stoul(queryValue(req, "n", "3")));
    std::string body = header(kLinkTypeLinuxSll);
    for (uint32_t i = 0; i < n; ++i) body += record(t0 + i * 1000ULL, sllPacket(i));
    const size_t size = body.size();
    workerHeaders(res, "LINUX_SLL");
    serveBytes(res, std::make_shared<const std::string>(std::move(body)), kPcapContentType, size);
  });
  svr.Get("/many-interfaces", [](const httplib::Request& req, httplib::Response& res) {
    const auto n = static_cast<uint32_t>(std::stoul(queryValue(req, "n", "100000")));
    const auto distinct = std::max<uint32_t>(
        1, static_cast<uint32_t>(std::stoul(queryValue(req, "distinct", "100000"))));
    std::string body = header(kLinkTypeLinuxSll2);
    for (uint32_t i = 0; i < n; ++i) {
      body += record(t0 + i * 1000ULL, sll2PacketOn(i, 1 + i % distinct, SllPacketType::Host));
    }
    workerHeaders(res, "LINUX_SLL2");
    serveBytes(res, std::make_shared<const std::string>(std::move(body)), kPcapContentType);
  });
  svr.Get("/interfaces", [](const httplib::Request&, httplib::Response& res) {
    res.set_header("X-Ddump-Time", std::to_string(workerNs()));
    res.set_content("[{\"name\":\"eth0\",\"index\":2,\"up\":true},"
                    "{\"name\":\"lo\",\"index\":1,\"up\":true}]",
                    "application/json");
  });
  svr.Get("/stats", [](const httplib::Request&, httplib::Response& res) {
    std::this_thread::sleep_for(std::chrono::milliseconds(gConfig.statsDelayMs));
    res.set_content("{\"captures\":[{\"id\":\"" + std::to_string(gCaptureId.load()) +
                        "\",\"packets\":1,\"bytes\":1,\"kernel_drops\":7}]}",
                    "application/json");
  });
}

std::string base64(const std::string& in) {
  std::string out(4 * ((in.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(in.data()),
                                static_cast<int>(in.size()));
  out.resize(static_cast<size_t>(n));
  return out;
}

Config parseArgs(int argc, char** argv) {
  Config c;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "ddump-fake-worker: %s needs a value\n", a.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--host") c.host = next();
    else if (a == "--port") c.port = std::stoi(next());
    else if (a == "--file") c.files.push_back(next());
    else if (a == "--chunk") c.chunk = std::stoul(next());
    else if (a == "--time-offset-ms") c.timeOffsetMs = std::stoll(next());
    else if (a == "--tls-cert") c.tlsCert = next();
    else if (a == "--tls-key") c.tlsKey = next();
    else if (a == "--client-ca") c.clientCa = next();
    else if (a == "--user") c.user = next();
    else if (a == "--stats-delay-ms") c.statsDelayMs = std::stoi(next());
    else {
      std::fprintf(stderr, "ddump-fake-worker: unknown argument %s\n", a.c_str());
      std::exit(2);
    }
  }
  return c;
}

// As the worker's own listener: httplib (compiled in Debian's library)
// listens with a backlog of 5, which overflows when a client opens hundreds
// of streams at once, and a dropped SYN is retried only after a second (the
// start of a fan-in bench would measure that).
template <class Base>
class DeepBacklog : public Base {
 public:
  using Base::Base;
  bool deepenBacklog() { return ::listen(this->svr_sock_, SOMAXCONN) == 0; }
};

}  // namespace

int main(int argc, char** argv) {
  gConfig = parseArgs(argc, argv);
  for (const auto& f : gConfig.files) gFiles.push_back(std::make_shared<const std::string>(readFile(f)));
  std::unique_ptr<httplib::Server> svr;
  std::function<bool()> deepen;
  if (!gConfig.tlsCert.empty()) {
    auto tls = std::make_unique<DeepBacklog<httplib::SSLServer>>(
        gConfig.tlsCert.c_str(), gConfig.tlsKey.c_str(),
        gConfig.clientCa.empty() ? nullptr : gConfig.clientCa.c_str());
    deepen = [raw = tls.get()] { return raw->deepenBacklog(); };
    svr = std::move(tls);
  } else {
    auto plain = std::make_unique<DeepBacklog<httplib::Server>>();
    deepen = [raw = plain.get()] { return raw->deepenBacklog(); };
    svr = std::move(plain);
  }
  if (!svr->is_valid()) {
    std::fprintf(stderr, "ddump-fake-worker: bad TLS certificate or key\n");
    return 2;
  }
  svr->new_task_queue = [] { return new httplib::ThreadPool(300); };
  const std::string expected = gConfig.user.empty() ? "" : "Basic " + base64(gConfig.user);
  svr->set_pre_routing_handler([expected](const httplib::Request& req, httplib::Response& res) {
    if (expected.empty() || req.get_header_value("Authorization") == expected) {
      return httplib::Server::HandlerResponse::Unhandled;
    }
    res.set_header("WWW-Authenticate", "Basic realm=\"ddump\"");
    jsonError(res, 401, "authentication required");
    return httplib::Server::HandlerResponse::Handled;
  });
  svr->Get("/capture", serveCapture);
  hostileRoutes(*svr);
  const int port = gConfig.port == 0 ? svr->bind_to_any_port(gConfig.host)
                                     : (svr->bind_to_port(gConfig.host, gConfig.port) ? gConfig.port : -1);
  if (port <= 0 || !deepen()) {
    std::fprintf(stderr, "ddump-fake-worker: cannot bind %s\n", gConfig.host.c_str());
    return 1;
  }
  std::printf("%d\n", port);
  std::fflush(stdout);
  return svr->listen_after_bind() ? 0 : 1;
}
