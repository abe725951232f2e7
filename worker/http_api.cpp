#include "http_api.h"

#include <net/if.h>

#include <algorithm>
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <semaphore>

#include "buffer_budget.h"
#include "capture.h"
#include "capture_request.h"
#include "capture_stream.h"
#include "filter_check.h"
#include "history_stream.h"
#include "limits_report.h"
#include "listen_address.h"
#include "time_spec.h"

namespace ddump {
namespace {

constexpr const char* kJsonType = "application/json";

void sendJson(httplib::Response& res, int status, const nlohmann::json& body) {
  res.status = status;
  res.set_content(body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                  kJsonType);
}

void sendError(httplib::Response& res, int status, const std::string& message) {
  sendJson(res, status, {{"error", message}});
}

int statusFor(const Error& error) {
  return error.code == ErrorCode::InvalidArgument ? 400 : 500;
}

std::string peerOf(const httplib::Request& req) {
  if (req.remote_addr.empty()) return "unix";
  // An IPv4 client of a dual-stack listener shows as ::ffff:a.b.c.d.
  if (req.remote_addr.rfind("::ffff:", 0) == 0 && req.remote_addr.find('.') != std::string::npos) {
    return req.remote_addr.substr(7) + ":" + std::to_string(req.remote_port);
  }
  const bool v6 = req.remote_addr.find(':') != std::string::npos;
  return (v6 ? "[" + req.remote_addr + "]" : req.remote_addr) + ":" + std::to_string(req.remote_port);
}

CallerIdentity callerOf(const httplib::Request& req) {
  return identifyCaller(peerOf(req), req.get_header_value("X-Ddump-User"),
                        req.get_header_value("X-Ddump-Client-Cert"),
                        req.get_header_value("X-Forwarded-For"));
}

CaptureOptions captureOptions(const CaptureRequest& request, const WorkerOptions& options) {
  CaptureOptions o;
  o.interface = request.interface;
  o.snaplen = std::min(request.snaplen.value_or(options.snaplen), options.snaplen);
  o.bufferSizeKiB = options.bufferSizeKiB;
  o.precision = request.precision;
  o.direction = request.direction;
  o.linkType = requestedLinkType(request);
  return o;
}

StreamLimits streamLimits(const CaptureRequest& request, const WorkerOptions& options) {
  StreamLimits limits;
  limits.count = request.count;
  double seconds = request.durationSeconds.value_or(0);
  if (options.maxDurationSeconds > 0 && (seconds == 0 || seconds > options.maxDurationSeconds)) {
    seconds = options.maxDurationSeconds;
  }
  if (seconds > 0) limits.duration = std::chrono::duration<double>(seconds);
  return limits;
}

// At most this many captures are activated and compiled at once, each within
// the limits of filter_check.h (~35 ms of CPU at worst): the rest wait briefly
// for a turn, then get 503. Waiting requests hold no kernel buffer yet.
constexpr std::ptrdiff_t kConcurrentOpens = 2;
constexpr auto kOpenWait = std::chrono::seconds(1);

using OpenSemaphore = std::counting_semaphore<kConcurrentOpens>;
struct ReleaseOpen {
  void operator()(OpenSemaphore* slots) const { slots->release(); }
};
using OpenTurn = std::unique_ptr<OpenSemaphore, ReleaseOpen>;

OpenTurn waitForOpenTurn() {
  static OpenSemaphore slots(kConcurrentOpens);
  return slots.try_acquire_for(kOpenWait) ? OpenTurn(&slots) : OpenTurn();
}

FilterLimits filterLimits(const WorkerOptions& options) {
  FilterLimits limits;
  limits.allowNames = options.resolveFilterNames;
  return limits;
}

// Opens the capture with `not (exclusions) and (user)` compiled once. The
// user's filter was checked to be balanced (checkFilterText), so it cannot
// close its parenthesis, and the exclusions are compiled before any keyword
// of the user's (vlan, mpls, pppoes, geneve) can shift the offsets they test.
Result<Capture> openCapture(const CaptureRequest& request, const WorkerContext& ctx) {
  CaptureOptions options = captureOptions(request, ctx.options);
  options.filter = combineFilters(request.filter, ctx.exclusions);
  options.maxFilterInstructions = kMaxFilterInstructions;
  auto capture = Capture::open(options);
  // libpcap's optimiser refuses a program that can match nothing: here that
  // means the filter selects only traffic the worker always excludes.
  if (!capture && capture.error().message.find("rejects all packets") != std::string::npos) {
    return makeError(ErrorCode::InvalidArgument,
                     "filter matches only traffic the worker excludes from every capture: " +
                         ctx.exclusions);
  }
  return capture;
}

// The worker's wall clock, ns since the epoch, for clock-offset estimation.
std::string nowNsText() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return std::to_string(std::chrono::duration_cast<std::chrono::nanoseconds>(now).count());
}

void setStreamHeaders(httplib::Response& res, const WorkerContext& ctx, const CaptureRequest& request,
                      const GlobalHeader& header, uint64_t id) {
  res.set_header("X-Accel-Buffering", "no");  // nginx: do not buffer this response
  res.set_header("Cache-Control", "no-store");
  res.set_header("X-Ddump-Filter", combineFilters(request.filter, ctx.exclusions));
  res.set_header("X-Ddump-Host", ctx.hostname);
  res.set_header("X-Ddump-Time", nowNsText());
  res.set_header("X-Ddump-Linktype", linkTypeName(header.linkType));
  res.set_header("X-Ddump-Interface", request.interface);
  res.set_header("X-Ddump-Capture-Id", std::to_string(id));
}

// `bufferBytes`: the kernel ring the capture will ask for (-B), 0 for one
// that reads the history.
std::unique_ptr<CaptureSlot> admit(const httplib::Request& req, httplib::Response& res,
                                   WorkerContext& ctx, uint64_t bufferBytes) {
  if (ctx.stopping) {
    sendError(res, 503, "worker is shutting down");
    return nullptr;
  }
  Admission admission = ctx.registry.tryAdmit(callerOf(req), bufferBytes);
  if (admission.refusal == AdmitRefusal::Captures) {
    res.set_header("Retry-After", "5");
    sendError(res, 503, "too many captures: limit is " +
                            std::to_string(ctx.registry.maxCaptures()) + " (--max-captures)");
  } else if (admission.refusal == AdmitRefusal::BufferTotal) {
    res.set_header("Retry-After", "5");
    sendError(res, 503,
              "kernel capture buffers at their limit: " +
                  byteSizeText(admission.bufferInUse) + " of " +
                  byteSizeText(ctx.registry.bufferLimit()) + " in use, a capture needs " +
                  byteSizeText(bufferBytes) + " (--max-buffer-total)");
  }
  return std::move(admission.slot);
}

OpenTurn openTurn(httplib::Response& res) {
  OpenTurn turn = waitForOpenTurn();
  if (!turn) {
    res.set_header("Retry-After", "1");
    sendError(res, 503, "too many captures starting at once (" +
                            std::to_string(kConcurrentOpens) + " compile their filters at a time)");
  }
  return turn;
}

void logCaptureStart(WorkerContext& ctx, const CaptureCounters& counters,
                     const CaptureRequest& request) {
  ctx.log.info("capture_start", {{"id", counters.id},
                                 {"peer", counters.peer},
                                 {"user", counters.caller.user},
                                 {"client_cert", counters.caller.clientCert},
                                 {"forwarded_for", counters.caller.forwardedFor},
                                 {"filter", request.filter},
                                 {"interface", request.interface},
                                 {"linktype", counters.linkType},
                                 {"since", request.since.value_or("")},
                                 {"until", request.until.value_or("")}});
}

// What a since= request takes from the ring; errors are the request's (400).
Result<HistoryQuery> historyQuery(const CaptureRequest& request, const TimeWindow& window,
                                  const WorkerContext& ctx) {
  HistoryQuery query;
  query.sinceNs = *window.sinceNs;
  query.untilNs = window.untilNs;
  auto& s = query.selection;
  if (request.linkType == LinkTypeChoice::Native) {
    return makeError(ErrorCode::InvalidArgument,
                     "linktype=native cannot start in the past: the history holds cooked "
                     "records (use linktype=sll or sll2)");
  }
  s.linkType = request.linkType == LinkTypeChoice::Sll2 ? kLinkTypeLinuxSll2 : kLinkTypeLinuxSll;
  if (request.interface != "any") {
    s.interfaceIndex = if_nametoindex(request.interface.c_str());
    if (s.interfaceIndex == 0) {
      return makeError(ErrorCode::InvalidArgument, "no such interface: " + request.interface);
    }
  }
  s.direction = request.direction;
  s.snaplen = std::min({request.snaplen.value_or(ctx.options.snaplen), ctx.options.snaplen,
                        ctx.history->snaplen()});
  s.precision = request.precision;
  return query;
}

// Where this worker's history begins: the oldest record held once the ring
// has evicted, else the moment recording began.
int64_t historyFromNs(const HistoryRecorder& history) {
  const auto stats = history.ring().stats();
  if (stats.evicted > 0 && stats.oldestNs) return *stats.oldestNs;
  return history.startedNs();
}

void startHistoryCapture(const httplib::Request& req, httplib::Response& res, WorkerContext& ctx,
                         const CaptureRequest& request, const TimeWindow& window) {
  auto query = historyQuery(request, window, ctx);
  if (!query) return sendError(res, 400, query.error().message);
  auto slot = admit(req, res, ctx, 0);
  if (!slot) return;
  OpenTurn turn = openTurn(res);
  if (!turn) return;
  auto filter = OfflineFilter::compile(combineFilters(request.filter, ctx.exclusions),
                                       query->selection.linkType, kMaxSnaplen,
                                       kMaxFilterInstructions);
  turn.reset();
  if (!filter && filter.error().message.find("rejects all packets") != std::string::npos) {
    return sendError(res, 400, "filter matches only traffic the worker excludes from every capture: " +
                                   ctx.exclusions);
  }
  if (!filter) return sendError(res, statusFor(filter.error()), filter.error().message);
  auto& counters = slot->counters();
  counters.fromHistory = true;
  const int64_t from = historyFromNs(*ctx.history);
  auto stream = std::make_shared<HistoryStream>(*ctx.history, *query, std::move(*filter),
                                                std::move(slot), streamLimits(request, ctx.options),
                                                ctx.stopping, ctx.log);
  const GlobalHeader header = stream->globalHeader();
  ctx.registry.describe(counters, request.filter, request.interface, linkTypeName(header.linkType));
  logCaptureStart(ctx, counters, request);
  setStreamHeaders(res, ctx, request, header, counters.id);
  res.set_header("X-Ddump-Since", std::to_string(query->sinceNs));
  if (query->sinceNs < from) res.set_header("X-Ddump-History-From", std::to_string(from));
  res.set_chunked_content_provider(
      kPcapContentType, [stream](size_t, httplib::DataSink& sink) { return stream->run(sink); },
      [stream](bool) mutable { stream.reset(); });
}

// A time window checked against the worker's clock and its history.
Result<TimeWindow> checkWindow(const CaptureRequest& request, const WorkerContext& ctx,
                               int64_t nowNs) {
  auto window = resolveTimeWindow(request, nowNs);
  if (!window) return window;
  constexpr int64_t kDayNs = 86'400'000'000'000;
  if (window->sinceNs && *window->sinceNs > nowNs + kDayNs) {
    return makeError(ErrorCode::InvalidArgument,
                     "since (" + *request.since + ") is more than a day after the worker's clock (" +
                         formatRfc3339(nowNs, 3) + ")");
  }
  if (window->sinceNs && ctx.history == nullptr) {
    return makeError(ErrorCode::InvalidArgument,
                     "history is off on this worker (start it with --history SIZE)");
  }
  if (window->untilNs && !window->sinceNs && *window->untilNs <= nowNs) {
    return makeError(ErrorCode::InvalidArgument,
                     "until (" + *request.until + ") has passed on the worker's clock (" +
                         formatRfc3339(nowNs, 3) + ") and there is no since");
  }
  return window;
}

void handleCapture(const httplib::Request& req, httplib::Response& res, WorkerContext& ctx) {
  auto request = parseCaptureRequest({req.params.begin(), req.params.end()});
  if (!request) return sendError(res, 400, request.error().message);
  // Before anything is allocated for the capture: a bad filter costs nothing.
  if (Status s = checkFilterText(request->filter, filterLimits(ctx.options)); !s) {
    return sendError(res, 400, s.error().message);
  }
  const int64_t nowNs = wallClockNs();
  auto window = checkWindow(*request, ctx, nowNs);
  if (!window) return sendError(res, 400, window.error().message);
  if (window->sinceNs) return startHistoryCapture(req, res, ctx, *request, *window);
  StreamLimits limits = streamLimits(*request, ctx.options);
  if (window->untilNs) {
    const std::chrono::duration<double> left(static_cast<double>(*window->untilNs - nowNs) / 1e9);
    if (!limits.duration || left < *limits.duration) limits.duration = left;
  }
  auto slot = admit(req, res, ctx, uint64_t{1024} * static_cast<uint64_t>(ctx.options.bufferSizeKiB));
  if (!slot) return;
  OpenTurn turn = openTurn(res);
  if (!turn) return;
  auto capture = openCapture(*request, ctx);
  turn.reset();
  if (!capture) {
    return sendError(res, statusFor(capture.error()), withPrivilegeHint(capture.error(), ctx.selfPath));
  }

  const GlobalHeader header = capture->globalHeader();
  auto& counters = slot->counters();
  ctx.registry.describe(counters, request->filter, request->interface,
                        linkTypeName(header.linkType));
  logCaptureStart(ctx, counters, *request);
  setStreamHeaders(res, ctx, *request, header, counters.id);
  auto stream = std::make_shared<CaptureStream>(std::move(*capture), std::move(slot), limits,
                                                ctx.stopping, ctx.log);
  res.set_chunked_content_provider(
      kPcapContentType, [stream](size_t, httplib::DataSink& sink) { return stream->run(sink); },
      // Runs when the response ends, however it ends: frees the pcap handle now.
      [stream](bool) mutable { stream.reset(); });
}

nlohmann::json interfacesJson() {
  auto list = listInterfaces();
  if (!list) return {{"error", list.error().message}};
  nlohmann::json out = nlohmann::json::array();
  for (const auto& i : *list) {
    nlohmann::json addresses = nlohmann::json::array();
    for (const auto& a : i.addresses) {
      addresses.push_back({{"family", a.family}, {"address", a.address}, {"netmask", a.netmask}});
    }
    out.push_back({{"name", i.name},
                   {"index", i.index},
                   {"description", i.description},
                   {"up", i.up},
                   {"running", i.running},
                   {"loopback", i.loopback},
                   {"addresses", addresses}});
  }
  return out;
}

std::string genericMessage(int status) {
  switch (status) {
    case 400: return "bad request";
    case 413: return "request too large";
    case 414: return "request URI too long (a filter is limited to 4096 bytes)";
    default: return "HTTP error " + std::to_string(status);
  }
}

const char* const kPaths[] = {"/capture", "/interfaces", "/healthz", "/stats", "/metrics"};

}  // namespace

std::string withPrivilegeHint(const Error& error, const std::string& selfPath) {
  if (error.code != ErrorCode::PermissionDenied) return error.message;
  return error.message + " (the worker needs CAP_NET_RAW: setcap cap_net_raw=eip " + selfPath + ")";
}

void installRoutes(httplib::Server& server, WorkerContext& ctx) {
  server.Get("/capture", [&ctx](const httplib::Request& req, httplib::Response& res) {
    handleCapture(req, res, ctx);
  });
  server.Get("/interfaces", [](const httplib::Request&, httplib::Response& res) {
    // The client samples clock offsets here too (a round trip without a capture).
    res.set_header("X-Ddump-Time", nowNsText());
    const auto body = interfacesJson();
    sendJson(res, body.is_object() ? 500 : 200, body);
  });
  server.Get("/healthz", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  server.Get("/stats", [&ctx](const httplib::Request& req, httplib::Response& res) {
    auto json = nlohmann::json::parse(
        ctx.registry.statsJson(callerOf(req).owner(), ctx.options.statsAll));
    if (ctx.connections != nullptr) {
      json["connections"] = connectionStatsJson(ctx.connections->counts());
    }
    if (ctx.history != nullptr) json["history"] = ctx.history->statsJson();
    res.set_content(json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n",
                    kJsonType);
  });
  server.Get("/metrics", [&ctx](const httplib::Request&, httplib::Response& res) {
    std::string body = ctx.registry.metricsText();
    if (ctx.connections != nullptr) body += connectionMetricsText(ctx.connections->counts());
    if (ctx.history != nullptr) body += ctx.history->metricsText();
    res.set_content(body, "text/plain; version=0.0.4");
  });
  // Before routing, so httplib never reads a request body it would refuse.
  server.set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    if (req.method == "GET" || req.method == "HEAD") return httplib::Server::HandlerResponse::Unhandled;
    for (const char* path : kPaths) {
      if (req.path == path) {
        res.set_header("Allow", "GET");
        sendError(res, 405, "method " + req.method + " not allowed on " + req.path + " (use GET)");
        return httplib::Server::HandlerResponse::Handled;
      }
    }
    sendError(res, 404, "no such path: " + req.path.substr(0, 200));
    return httplib::Server::HandlerResponse::Handled;
  });
  // Everything else httplib refuses by itself (unknown path, bad request line,
  // URI too long) still answers JSON. Our own JSON errors pass through untouched.
  server.set_error_handler(httplib::Server::HandlerWithResponse(
      [](const httplib::Request& req, httplib::Response& res) {
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    const std::string message = res.status == 404 ? "no such path: " + req.path.substr(0, 200)
                                                  : genericMessage(res.status);
    sendError(res, res.status, message);
    return httplib::Server::HandlerResponse::Handled;
  }));
  server.set_exception_handler([](const httplib::Request&, httplib::Response& res,
                                  std::exception_ptr) { sendError(res, 500, "internal error"); });
}

}  // namespace ddump
