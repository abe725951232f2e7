#include "session.h"

#include <condition_variable>
#include <mutex>

#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "fleet_resolver.h"
#include "log.h"
#include "progress.h"

namespace ddump {
namespace {

// Queue budget shared by all streams (a stream's share bounds its reader).
constexpr size_t kQueueBudget = 24 << 20;
constexpr size_t kMinStreamLimit = 256 << 10;
constexpr size_t kMaxStreamLimit = 1 << 20;  // deeper queues only add first-touch page faults (measured)
// Streams a followed fleet may add in one run: each keeps a few hundred bytes
// in the merge and the output until the end, however short it lived.
constexpr size_t kMaxJoinedStreams = 10000;

std::vector<std::string> readTargetsFile(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw UsageError("--targets: cannot read " + path);
  std::vector<std::string> out;
  std::string line;
  while (std::getline(in, line)) {
    const size_t hash = line.find('#');
    if (hash != std::string::npos) line.erase(hash);
    const size_t first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos) continue;
    const size_t last = line.find_last_not_of(" \t\r");
    out.push_back(line.substr(first, last - first + 1));
  }
  return out;
}

// The target's basic-auth credentials: its URL's userinfo, else --user, and
// the password from DDUMP_PASSWORD when neither gave one.
void applyCredentials(const Options& options, Target& target) {
  if (!target.isUrl()) return;
  if (!target.hasUser && options.user) {
    const size_t colon = options.user->find(':');
    target.user = options.user->substr(0, colon);
    target.hasUser = true;
    if (colon != std::string::npos) {
      target.password = options.user->substr(colon + 1);
      target.hasPassword = true;
    }
  }
  const char* env = std::getenv("DDUMP_PASSWORD");
  if (target.hasUser && !target.hasPassword && env) {
    target.password = env;
    target.hasPassword = true;
  }
}

// Basic auth is the user and password in base64, readable by anyone who sees
// the request: RFC 7617 §4 leaves its protection to TLS. Neither curl nor
// wget stops it over http (curl only keeps credentials from other hosts on a
// redirect, unless --location-trusted); Git Credential Manager refuses http
// remotes unless credential.allowUnsafeRemotes is set, and so does ddump,
// for every http target, loopback included: a name can resolve elsewhere
// tomorrow, and one simple rule is easier to trust than a list of exceptions.
FleetSettings fleetSettingsOf(const Options& options) {
  FleetSettings settings;
  settings.kubectl = options.kubectl;
  settings.context = options.context;
  if (options.workerScheme) {
    settings.workerScheme = *options.workerScheme == "http" ? WorkerScheme::Http : WorkerScheme::Https;
    settings.dnsScheme = settings.workerScheme;
  }
  if (options.workerPort) {
    settings.workerPort = *options.workerPort;
    settings.dnsPort = settings.workerPort;
  }
  if (options.workerSelector) {
    const std::string& given = *options.workerSelector;
    const size_t slash = given.find('/');
    // NS/SELECTOR when the part before '/' is no label key's prefix (no '.' or '=').
    if (slash != std::string::npos && given.find_first_of(".=") > slash) {
      settings.workerNamespace = given.substr(0, slash);
      settings.workerSelector = given.substr(slash + 1);
    } else {
      settings.workerSelector = given;
    }
  }
  if (options.viaApiServer) {
    std::string base = *options.viaApiServer;
    while (!base.empty() && base.back() == '/') base.pop_back();
    settings.viaApiServer = base;
  }
  settings.userFilter = options.capture.filter.value_or("");
  settings.timeoutSec = std::max(options.connectTimeoutSec * 3, 10.0);
  return settings;
}

void refuseCleartextAuth(const Options& options, const Target& target) {
  if (target.kind != TargetKind::Http || !target.hasUser || options.allowInsecureAuth) return;
  throw ConfigError(target.display() +
                    ": refusing to send basic-auth credentials over plain http, where anyone on "
                    "the path can read them: use https://, or --allow-insecure-auth to send them "
                    "anyway");
}

MemberStream memberStream(Source& source) {
  return {[&source] { return source.state(); }, [&source] { return source.refused(); },
          [&source] { source.retire(); }};
}

}  // namespace

// dns: and k8s: targets become worker URLs (fleet_resolver.h): at start, and
// again every --refresh (fleet_follower.h).
std::vector<ResolvedTarget> resolveMembers(const Options& options, const FleetTarget& fleet,
                                           const FleetSettings& settings) {
  std::vector<ResolvedTarget> members = resolveFleetTarget(fleet, settings);
  for (ResolvedTarget& member : members) {
    member.target.label = member.label;
    applyCredentials(options, member.target);
    refuseCleartextAuth(options, member.target);
  }
  return members;
}

Config buildConfig(const Options& options) {
  Config config;
  config.options = options;
  std::vector<std::string> texts = options.targetTexts;
  if (options.targetsFile) {
    for (auto& t : readTargetsFile(*options.targetsFile)) texts.push_back(std::move(t));
  }
  if (texts.empty()) throw UsageError("no targets (see ddump --help)");
  bool stdinUsed = false;
  std::vector<Target> targets;
  config.fleetSettings = fleetSettingsOf(options);
  for (const auto& text : texts) {
    if (isFleetTarget(text)) {
      auto fleet = parseFleetTarget(text);
      if (!fleet) throw UsageError(fleet.error().message);
      for (ResolvedTarget& member : resolveMembers(options, *fleet, config.fleetSettings)) {
        log::detail(fleet->text + ": " + member.target.display() + " (" + member.label + ")");
        config.names.insert(config.names.end(), member.names.begin(), member.names.end());
        for (const NameRecord& n : member.serviceNames) {
          if (std::none_of(config.serviceNames.begin(), config.serviceNames.end(),
                           [&](const NameRecord& k) { return k.address == n.address; })) {
            config.serviceNames.push_back(n);
          }
        }
        config.fleetOf.resize(targets.size());
        config.fleetOf.push_back(config.fleets.size());
        config.targetNames.resize(targets.size());
        config.targetNames.push_back(std::move(member.names));
        targets.push_back(std::move(member.target));
      }
      config.fleets.push_back(std::move(*fleet));
      continue;
    }
    std::error_code ec;
    const bool isFile = std::filesystem::is_regular_file(text, ec) || std::filesystem::is_fifo(text, ec);
    auto parsed = parseTarget(text, isFile);
    if (!parsed) throw UsageError(parsed.error().message);
    targets.push_back(std::move(*parsed));
  }
  for (Target& target : targets) {
    Target* parsed = &target;
    if (parsed->kind == TargetKind::Stdin) {
      if (stdinUsed) throw UsageError("'-' (stdin) given twice");
      stdinUsed = true;
    }
    const bool passwordInUrl = parsed->isUrl() && parsed->hasPassword;
    applyCredentials(options, *parsed);
    refuseCleartextAuth(options, *parsed);
    if (passwordInUrl) {
      log::error("warning: password given in the URL " + parsed->display() +
                 " is visible in ps; prefer --user USER and DDUMP_PASSWORD");
    }
    config.targets.push_back(std::move(*parsed));
  }
  config.fleetOf.resize(config.targets.size());
  config.targetNames.resize(config.targets.size());
  config.http.capture = options.capture;
  config.http.tls = TlsConfig{options.caFile, options.certFile, options.keyFile, options.insecure};
  config.http.connectTimeoutSec = options.connectTimeoutSec;
  config.http.retry = options.retry;
  config.http.clockOffset = options.clockOffset;
  config.http.window = CaptureWindow{options.sinceNs, options.untilNs, options.startNs};
  if (options.output.format != OutputFormat::Pcap) {
    // Interface names (and directions) need the SLL2 header's interface index.
    if (!config.http.capture.linktype) config.http.capture.linktype = "sll2";
    config.http.wantInterfaces = true;
  }
  if (options.output.perTarget) {
    std::error_code ec;
    std::filesystem::create_directories(options.output.path, ec);
    if (!std::filesystem::is_directory(options.output.path)) {
      throw UsageError("-w " + options.output.path + ": cannot create the directory");
    }
  }
  const bool anyHttps = std::any_of(config.targets.begin(), config.targets.end(),
                                    [](const Target& t) { return t.kind == TargetKind::Https; });
  if (anyHttps) {
    // One context for every https target: loading the system CA store costs
    // ~25 ms and megabytes per context (200 targets: 5 s, 167 MB). Building
    // it checks the --ca/--cert/--key files too.
    auto tls = makeClientTlsContext(config.http.tls);
    if (!tls) throw ConfigError(tls.error().message);
    config.http.tlsContext = std::shared_ptr<SSL_CTX>(std::move(*tls));
  } else {
    validateTls(config.http.tls);  // no https target: the files are still checked
  }
  if (options.insecure) log::error("warning: -k/--insecure: https servers are NOT verified");
  return config;
}

Session::Session(Config config) : config_(std::move(config)) {}

// if_name, per-target file names and if_description of each stream.
std::vector<StreamLabel> Session::streamLabels() const {
  std::vector<std::string> hosts;
  std::vector<uint16_t> ports;
  for (const Target& t : config_.targets) {
    if (t.isUrl()) {
      hosts.push_back(t.label.empty() ? t.host : t.label);
      ports.push_back(t.port);
    } else {
      hosts.push_back(t.kind == TargetKind::Stdin ? "stdin"
                                                  : std::filesystem::path(t.file).stem().string());
      ports.push_back(0);
    }
  }
  const std::vector<std::string> names = perTargetFileNames(hosts, ports, "");
  std::vector<StreamLabel> labels;
  for (size_t i = 0; i < config_.targets.size(); ++i) {
    StreamLabel label = joiningLabel(config_.targets[i]);
    label.name = names[i];
    labels.push_back(std::move(label));
  }
  return labels;
}

StreamLabel Session::joiningLabel(const Target& t) const {
  std::string description = t.kind == TargetKind::Stdin ? "-" : t.file;
  if (t.isUrl()) {
    // The URL without credentials, with the parameters ddump adds.
    description = std::string(t.kind == TargetKind::Https ? "https://" : "http://") +
                  t.authority() + requestTarget(t, config_.http.capture);
  }
  return {t.label.empty() ? t.host : t.label, description};
}

JoinOutcome Session::join(ResolvedTarget member) {
  {
    std::lock_guard<std::mutex> lock(joinedMutex_);
    if (joinedCount_ == kMaxJoinedStreams) {
      log::error(member.target.display() + ": not followed: " + std::to_string(kMaxJoinedStreams) +
                 " streams have joined this run already (start ddump again to follow more)");
    }
    if (joinedCount_ >= kMaxJoinedStreams) return {};
    ++joinedCount_;
    std::erase_if(joinedReaders_, [](auto& reader) {
      const TargetState state = reader.first->state();
      if (state != TargetState::Done && state != TargetState::Failed) return false;
      reader.second.join();  // its run() is returning: it set the state last but one
      return true;
    });
  }
  const auto stream =
      hub_->joinStream(joiningLabel(member.target), member.names, member.serviceNames);
  if (!stream) return {std::nullopt, true};
  // It captures from now on: a --since window's history began before it
  // belonged to the fleet.
  HttpSettings settings = config_.http;
  settings.window.sinceNs.reset();
  Source& source =
      sources_.add(std::make_unique<HttpSource>(*stream, std::move(member.target), *hub_, settings));
  std::lock_guard<std::mutex> lock(joinedMutex_);
  joinedReaders_.emplace_back(&source, std::thread([&source] { source.run(); }));
  return {memberStream(source), false};
}

std::unique_ptr<FleetFollower> Session::follow() {
  std::vector<std::string> names;
  for (const FleetTarget& fleet : config_.fleets) names.push_back(fleet.text);
  auto follower = std::make_unique<FleetFollower>(
      std::move(names),
      [this](size_t fleet, const std::atomic<bool>& stop) {
        FleetSettings settings = config_.fleetSettings;
        settings.cancel = &stop;
        return resolveMembers(config_.options, config_.fleets[fleet], settings);
      },
      [this](ResolvedTarget member) { return join(std::move(member)); },
      config_.options.refreshSec);
  const std::vector<Source*> sources = sources_.snapshot();
  for (size_t i = 0; i < config_.targets.size(); ++i) {
    if (!config_.fleetOf[i]) continue;
    follower->track(*config_.fleetOf[i],
                    ResolvedTarget{config_.targets[i], config_.targets[i].label,
                                   config_.targetNames[i], config_.serviceNames},
                    memberStream(*sources[i]));
  }
  return follower;
}

int Session::run() {
  const Options& o = config_.options;
  MergerOptions mergerOptions;
  mergerOptions.maxDelayNs = o.maxDelayMs * 1'000'000;
  mergerOptions.forceNano = o.nano;
  // pcapng has an interface (and link type) per input interface, and lines
  // are dissected each by its own; pcap holds one.
  mergerOptions.mixedLinkTypes = o.output.format != OutputFormat::Pcap;
  if (config_.http.capture.linktype == "sll2") mergerOptions.fallbackLinkType = kLinkTypeLinuxSll2;
  const size_t n = config_.targets.size();
  const size_t limit = std::clamp(kQueueBudget / n, kMinStreamLimit, kMaxStreamLimit);
  output_ = std::make_unique<Output>(o.output, streamLabels());
  config_.http.output = output_.get();
  if (config_.trigger) output_->setPacketComment(*config_.trigger);
  output_->setNameRecords(config_.names, config_.serviceNames);
  for (size_t i = 0; i < config_.targetNames.size(); ++i) output_->setStreamNames(i, config_.targetNames[i]);
  hub_ = std::make_unique<MergeHub>(mergerOptions, limit, *output_);

  // A worker's history is merged strictly from the start (capture_window.h).
  const auto phases = windowPhases(config_.http.window);
  const bool historyFirst = !phases.empty() && phases.front().history;
  if (std::any_of(config_.targets.begin(), config_.targets.end(), [](const Target& t) { return t.isUrl(); })) {
    // Capture bodies are read by a few threads that wait on every socket at
    // once (a thread per stream woken per packet spent the CPU on context
    // switches at hundreds of streams); one per core, up to 4.
    pump_ = std::make_unique<BodyPump>(std::clamp<size_t>(std::thread::hardware_concurrency(), 1, 4),
                                       [hub = hub_.get()] { hub->wakeWriter(); });
    config_.http.pump = pump_.get();
  }
  for (const Target& target : config_.targets) {
    const size_t stream = hub_->addStream(target.kind != TargetKind::File && !historyFirst);
    if (target.isUrl()) {
      sources_.add(std::make_unique<HttpSource>(stream, target, *hub_, config_.http));
    } else {
      sources_.add(std::make_unique<FileSource>(stream, target, *hub_));
    }
  }
  const std::vector<Source*> initial = sources_.snapshot();

  // Signals are taken synchronously by one thread (sigwait), never by a handler.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGUSR1);  // only wakes the signal thread at the end
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  ::signal(SIGPIPE, SIG_IGN);

  // Regular files are pulled by the merging thread itself (see runPulling);
  // anything that can block (sockets, FIFOs, stdin) gets a reader thread.
  const bool pull = std::all_of(config_.targets.begin(), config_.targets.end(), [](const Target& t) {
    std::error_code ec;
    return t.kind == TargetKind::File && std::filesystem::is_regular_file(t.file, ec);
  });
  std::vector<std::thread> readers;
  std::vector<std::function<bool()>> pumps;
  if (pull) readAhead_ = std::make_unique<ReadAhead>(initial.size());
  for (Source* source : initial) {
    if (!pull) {
      readers.emplace_back([source] { source->run(); });
      continue;
    }
    auto* file = static_cast<FileSource*>(source);
    file->open(readAhead_.get());
    pumps.emplace_back([file] { return file->pump(); });
  }
  std::atomic<bool> done{false};
  std::mutex doneMutex;
  std::condition_variable doneCv;
  std::thread signalThread([&] {
    int stops = 0;
    while (!done) {
      int sig = 0;
      if (sigwait(&signals, &sig) != 0 || (sig != SIGINT && sig != SIGTERM)) continue;
      // The first one stops cleanly; a second one means the output is stuck
      // (a paused pager, a full pipe) and the user wants out now.
      if (++stops > 1) std::_Exit(128 + sig);
      hub_->requestStop();
    }
  });
  std::thread watchdog([&] {
    const auto start = std::chrono::steady_clock::now();
    while (!done) {
      const auto now = std::chrono::steady_clock::now();
      const auto nowNs = static_cast<uint64_t>(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch()).count());
      for (Source* source : sources_.snapshot()) source->watchdog(nowNs);
      if (o.durationSec > 0 && now - start >= std::chrono::duration<double>(o.durationSec)) {
        hub_->requestStop();
      }
      std::unique_lock<std::mutex> lock(doneMutex);
      doneCv.wait_for(lock, std::chrono::milliseconds(20), [&] { return done.load(); });
    }
  });

  std::unique_ptr<ProgressReporter> progress;
  if (!o.quiet) {
    // The table redraws itself; on the terminal that also shows the packets
    // (stdout) it would break their lines: plain state lines then.
    const bool packetsOnTerminal = o.output.path == "-" && ::isatty(STDOUT_FILENO) == 1;
    progress = std::make_unique<ProgressReporter>(sources_, *hub_, *output_,
                                                  ::isatty(STDERR_FILENO) == 1 && !packetsOnTerminal);
    progress->start();
  }
  std::unique_ptr<FleetFollower> follower;
  if (!config_.fleets.empty() && o.refreshSec > 0) {
    follower = follow();
    follower->start();
  }
  const HubOutcome outcome = pull ? hub_->runPulling(o.count, pumps) : hub_->run(o.count);
  // No member joins from here on (the hub refuses them once its run ended).
  if (follower) follower->stop();
  if (progress) progress->stop();
  if (outcome == HubOutcome::StdoutClosed) {
    // The reader of our output is gone: nothing more to say, nobody to say it to.
    std::_Exit(0);
  }
  if (!o.quiet || o.output.format == OutputFormat::Pcapng) fetchKernelDrops();
  const std::vector<Source*> all = sources_.snapshot();
  size_t streams = 0;
  for (const Source* source : all) streams = std::max(streams, source->stream() + 1);
  std::vector<std::optional<uint64_t>> drops(streams);
  for (Source* source : all) {
    auto* http = dynamic_cast<HttpSource*>(source);
    if (http && (http->dropsKnown() || http->kernelDrops() > 0)) {
      drops[source->stream()] = http->kernelDrops();
    }
  }
  output_->finish(drops);
  hub_->requestStop();
  for (Source* source : all) source->abort();
  {
    std::lock_guard<std::mutex> lock(doneMutex);
    done = true;
  }
  doneCv.notify_all();
  pthread_kill(signalThread.native_handle(), SIGUSR1);  // end its sigwait now
  signalThread.join();
  watchdog.join();
  // Readers end promptly after abort(), except one blocked reading stdin:
  // that one is left behind (the process exits without waiting for it).
  bool allJoined = true;
  const bool stdinTarget = std::any_of(config_.targets.begin(), config_.targets.end(),
                                       [](const Target& t) { return t.kind == TargetKind::Stdin; });
  {
    std::lock_guard<std::mutex> lock(joinedMutex_);
    for (auto& reader : joinedReaders_) readers.push_back(std::move(reader.second));
    joinedReaders_.clear();
  }
  for (auto& reader : readers) {
    if (stdinTarget) {
      reader.detach();
      allJoined = false;
    } else {
      reader.join();
    }
  }

  printSummary();
  int status = 0;
  if (outcome == HubOutcome::AllRefused) {
    status = 2;
  } else if (outcome == HubOutcome::OutputFailed) {
    status = 1;
  } else if (std::any_of(all.begin(), all.end(), [](const Source* s) { return s->failed(); })) {
    status = 1;
  }
  if (!allJoined) std::_Exit(status);
  return status;
}

void Session::fetchKernelDrops() {
  std::vector<HttpSource*> asks;
  for (Source* source : sources_.snapshot()) {
    if (auto* http = dynamic_cast<HttpSource*>(source)) asks.push_back(http);
  }
  fetchAllKernelDrops(asks);
}

void Session::printSummary() const {
  if (config_.options.quiet) return;
  uint64_t reordered = 0;
  size_t failed = 0;
  const std::vector<Source*> all = sources_.snapshot();
  for (const Source* source : all) {
    const StreamStats st = hub_->stats(source->stream());
    reordered += st.reordered;
    failed += source->failed() ? 1 : 0;
    std::string line = source->target().display() + ": " + std::to_string(st.packets) +
                       " packets, " + std::to_string(st.bytes) + " bytes, " +
                       std::to_string(st.reordered) + " reordered";
    if (source->kernelDrops() > 0) {
      line += ", " + std::to_string(source->kernelDrops()) + " dropped by kernel";
    }
    if (st.unconvertible > 0) line += ", " + std::to_string(st.unconvertible) + " unconvertible";
    line += source->summaryNote();
    if (source->failed()) line += " (failed)";
    if (source->retired()) line += " (no longer in its fleet)";
    log::info(line);
    const std::string overflow = output_->interfaceOverflow(source->stream());
    if (!overflow.empty()) log::info(source->target().display() + ": " + overflow);
  }
  if (const uint64_t early = output_->flowsEvicted(); early > 0) {
    log::info(std::to_string(early) + " flows written before their interval ended: more than " +
              std::to_string(config_.options.output.summary.maxFlows) + " at once (--max-flows)");
  }
  log::info(std::to_string(hub_->written()) + " packets written from " +
            std::to_string(all.size()) + " targets (" + std::to_string(failed) + " failed, " +
            std::to_string(reordered) + " reordered)");
}

}  // namespace ddump
