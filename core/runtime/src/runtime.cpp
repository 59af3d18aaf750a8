// The routed client: see edgeroute/runtime.h.
#include "edgeroute/runtime.h"

#include <chrono>
#include <cstdio>
#include <utility>

#include "edgeroute/catalog_refresh.h"
#include "edgeroute/curl_transport.h"
#include "edgeroute/http_prober.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/mbedtls_x509.h"
#include "edgeroute/random.h"

namespace edgeroute {
namespace {

constexpr std::int64_t kNsPerMs = 1000 * 1000;

bedrock::Error local_error(const char* operation, const std::string& endpoint, const std::string& message) {
  bedrock::Error e;
  e.cls = OutcomeClass::kClient;
  e.operation = operation;
  e.endpoint = endpoint;
  e.message = message;
  return e;
}

Status default_transport(const std::string& ca_bundle, std::size_t max_connections, const Clock& clock,
                         std::unique_ptr<Transport>* out) {
  CurlTransport::Config config;
  config.ca_bundle = ca_bundle;
  config.clock = &clock;  // deadlines are computed on the Runtime's clock
  config.max_connections = max_connections > 0 ? max_connections : 1;
  std::unique_ptr<CurlTransport> transport;
  const Status st = CurlTransport::create(config, &transport);
  if (st.ok()) *out = std::move(transport);
  return st;
}

}  // namespace

// One concurrent call's client and connection.
struct Runtime::Lane {
  std::unique_ptr<Transport> transport;
  std::unique_ptr<bedrock::Client> client;
};

Runtime::Runtime(const RuntimeOptions& options)
    : options_(options), clock_(options.clock != nullptr ? options.clock : &system_clock()),
      budget_(options.retry_budget) {}

Runtime::~Runtime() = default;

Status Runtime::create(const RuntimeOptions& options, std::unique_ptr<Runtime>* out) {
  if (options.allow.empty()) {
    return Status::error(Code::kInvalidArgument, "allow: name the region sets or regions calls may go to (e.g. eu)");
  }
  std::unique_ptr<Runtime> runtime(new Runtime(options));
  const Status st = runtime->init();
  if (!st.ok()) return st;
  *out = std::move(runtime);
  return Status();
}

Status Runtime::init() {
  if (options_.credentials != nullptr) {
    credentials_ = options_.credentials;
  } else {
    const std::string ca_bundle = options_.ca_bundle;
    const Status st = make_credentials(
        options_.credentials_settings, process_environment(), *clock_,
        [ca_bundle](const TlsClientIdentity& identity, std::unique_ptr<Transport>* out) {
          CurlTransport::Config config;
          config.ca_bundle = ca_bundle;
          config.max_connections = 1;
          config.client = identity;
          std::unique_ptr<CurlTransport> transport;
          const Status created = CurlTransport::create(config, &transport);
          if (created.ok()) *out = std::move(transport);
          return created;
        },
        &credentials_setup_, &mbedtls_crypto(), &mbedtls_x509());
    if (!st.ok()) return st;
    credentials_ = &credentials_setup_->provider();
    // Fetched now, so the first call does not wait for it; a failure is not fatal
    // here: each call reports it (and the cache retries after its backoff).
    (void)credentials_setup_->cache().prime(clock_->utc_unix_ms());
  }
  // The catalog: tens of KiB of fixed tables, on the heap once.
  catalog_ = std::make_unique<Catalog>();
  Status st = options_.catalog_file.empty()
                  ? catalog_->load_default()
                  : catalog_->load_file(options_.catalog_file.c_str(), CatalogMerge::kReplace);
  for (std::size_t i = 0; st.ok() && i < options_.catalog_extend.size(); ++i) {
    st = catalog_->load_file(options_.catalog_extend[i].c_str(), CatalogMerge::kExtend);
  }
  if (!st.ok()) return st;
  policy_ = std::make_unique<Policy>(*catalog_);
  st = policy_->set_allow(options_.allow);
  if (!st.ok()) return Status::error(st.code(), "allow %s: %s", options_.allow.c_str(), st.message());
  if (options_.refresh_catalog_at_start) {
    refresh_catalog_at_start();
    // The catalog may have gained regions and changed destinations: a new policy over it.
    policy_ = std::make_unique<Policy>(*catalog_);
    st = policy_->set_allow(options_.allow);
    if (!st.ok()) return Status::error(st.code(), "allow %s: %s", options_.allow.c_str(), st.message());
  }

  const bool pinned = !options_.pin_region.empty();
  if (pinned && (options_.mode != RouteMode::kLatency || !options_.order.empty() || !options_.weights.empty())) {
    return Status::error(Code::kInvalidArgument, "pin_region fixes the source region: mode, order and weights need routing without it");
  }
  if (pinned && options_.models.empty()) {
    return Status::error(Code::kInvalidArgument, "pin_region needs the models it applies to");
  }
  for (const std::string& m : options_.models) {
    const std::string base = base_model(m);
    if (base.empty()) return Status::error(Code::kNotFound, "model %s is not in the catalog", m.c_str());
    const int model = catalog_->find_model(base);
    st = policy_->require_candidate(static_cast<std::size_t>(model));
    if (!st.ok()) return Status::error(st.code(), "allow %s: %s", options_.allow.c_str(), st.message());
    if (pinned) {
      bool allowed_there = false;
      const std::size_t first = catalog_->model_first_candidate(static_cast<std::size_t>(model));
      const std::size_t count = catalog_->model_candidate_count(static_cast<std::size_t>(model));
      for (std::size_t i = first; i < first + count && !allowed_there; ++i) {
        const Candidate& c = catalog_->candidate(i);
        allowed_there = catalog_->region_name(c.source_region) == options_.pin_region && policy_->check(c).allowed();
      }
      if (!allowed_there) {
        return Status::error(Code::kInvalidArgument, "region %s is not allowed for %s under allow %s",
                             options_.pin_region.c_str(), base.c_str(), options_.allow.c_str());
      }
    }
    model_names_.push_back(base);
  }
  // ModelRouting points into model_names_, which no longer grows.
  for (const std::string& name : model_names_) {
    ModelRouting r;
    r.model = name;
    r.mode = pinned ? RouteMode::kFailover : options_.mode;
    r.order = pinned ? std::string_view(options_.pin_region) : std::string_view(options_.order);
    r.weights = pinned ? std::string_view() : std::string_view(options_.weights);
    routing_.push_back(r);
  }
  RouterOptions router_options = options_.router;
  router_options.default_mode = options_.mode;
  router_options.models = routing_.empty() ? nullptr : routing_.data();
  router_options.model_count = routing_.size();
  router_ = std::make_unique<Router>();
  st = router_->init(*policy_, router_options);
  if (!st.ok()) return st;

  monitor_ = std::make_unique<FailoverMonitor>(options_.alerts, options_.alert_hook, options_.alert_context);
  random_state_ = Random::from_os().next_u64();
  // The probe transport keeps every probed endpoint's connection warm between rounds.
  if (options_.make_transport) {
    st = options_.make_transport(&probe_transport_);
  } else {
    st = default_transport(options_.ca_bundle, catalog_->region_count(), *clock_, &probe_transport_);
  }
  if (!st.ok()) return st;
  auto prober = std::make_unique<HttpProber>(*probe_transport_, *catalog_, options_.probe_timeouts,
                                             options_.probe_total_ms, *clock_);
  for (const ConnectTo& c : options_.connect_to) {
    st = prober->connect_to(c.region, c.host, c.port);
    if (!st.ok()) return st;
  }
  prober_ = std::move(prober);
  // One lane up front, so a bad CA bundle or transport shows at create().
  std::unique_ptr<Lane> lane = take_lane(&st);
  if (!st.ok()) return st;
  give_back(std::move(lane));
  return Status();
}

// Bedrock refuses a bare model ID that only inference profiles serve; the catalog
// was wrong to offer it, and the caller learns which profiles the policy allows.
void Runtime::name_profiles_of_profile_only_model(const std::string& model, bedrock::Error* error) const {
  if (error->error_type != "ValidationException" ||
      error->message.find("with on-demand throughput isn") == std::string::npos) {
    return;
  }
  const int index = catalog_->find_model(model);
  if (index == Catalog::kNone) return;
  char profiles[512];
  policy_->allowed_profiles(static_cast<std::size_t>(index), profiles, sizeof profiles);
  error->message += profiles[0] != '\0' ? std::string("; profiles of ") + model + " allowed under " + options_.allow +
                                              ": " + profiles
                                        : std::string("; no profile of ") + model + " is allowed under " +
                                              options_.allow;
}

void Runtime::refresh_catalog_at_start() {
  std::unique_ptr<Transport> transport;
  Status st = options_.make_transport ? options_.make_transport(&transport)
                                      : default_transport(options_.ca_bundle, 1, *clock_, &transport);
  AwsCredentials credentials;
  if (st.ok()) st = credentials_->get(clock_->utc_unix_ms(), &credentials);
  if (!st.ok()) {
    catalog_refresh_report_ = std::string("catalog refresh: ") + st.message() + "; routing on the catalog as loaded";
    return;
  }
  CatalogRefreshOptions refresh;
  refresh.source_regions = refresh_source_regions(*catalog_, policy_->allowed_regions());
  refresh.connect_to = options_.connect_to;
  const CatalogRefreshOutcome outcome = refresh_catalog(
      *transport, options_.crypto != nullptr ? *options_.crypto : mbedtls_crypto(), *clock_,
      {credentials.for_signer(), credentials.bearer_token()}, refresh, options_.catalog_cache_file, catalog_.get());
  catalog_refresh_report_ = outcome.report;
}

std::uint64_t Runtime::next_random() {
  std::lock_guard<std::mutex> lock(random_mutex_);
  // splitmix64: each call's generator is seeded from this one.
  std::uint64_t z = (random_state_ += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

std::string Runtime::base_model(const std::string& model_id) const {
  int model = catalog_->find_model(model_id);
  for (std::size_t i = 0; model == Catalog::kNone && i < catalog_->candidate_count(); ++i) {
    const Candidate& c = catalog_->candidate(i);
    if (catalog_->identifier(c) == model_id) model = c.model;
  }
  return model == Catalog::kNone ? std::string() : std::string(catalog_->model_name(static_cast<std::size_t>(model)));
}

std::unique_ptr<Runtime::Lane> Runtime::take_lane(Status* error) {
  {
    std::lock_guard<std::mutex> lock(lanes_mutex_);
    if (!lanes_.empty()) {
      std::unique_ptr<Lane> lane = std::move(lanes_.back());
      lanes_.pop_back();
      *error = Status();
      return lane;
    }
  }
  auto lane = std::make_unique<Lane>();
  *error = options_.make_transport ? options_.make_transport(&lane->transport)
                                   : default_transport(options_.ca_bundle, CurlTransport::kDefaultMaxConnections,
                                                       *clock_, &lane->transport);
  if (!error->ok()) return nullptr;
  bedrock::ClientConfig config;
  config.connect_to = options_.connect_to;
  config.timeouts = options_.timeouts;
  config.endpoint_url = options_.endpoint_url;
  config.max_response_bytes = options_.max_response_bytes;
  config.residency = policy_.get();  // the Client refuses what the policy does not allow
  lane->client = std::make_unique<bedrock::Client>(*lane->transport, *credentials_, *clock_,
                                                   options_.crypto != nullptr ? *options_.crypto : mbedtls_crypto(),
                                                   std::move(config));
  return lane;
}

void Runtime::give_back(std::unique_ptr<Lane> lane) {
  if (lane == nullptr) return;
  std::lock_guard<std::mutex> lock(lanes_mutex_);
  lanes_.push_back(std::move(lane));
}

// Sends one attempt of a routed call on the route the RoutedCall chose.
class Runtime::Attempter final : public edgeroute::Attempter {
 public:
  Attempter(Runtime& runtime, bedrock::Client& client, const char* operation, const CallSettings& settings,
            const SendFn& send, CallReport* report)
      : runtime_(runtime), client_(client), operation_(operation), settings_(settings), send_(send),
        report_(report) {}

  AttemptOutcome attempt(const Route& route, std::int64_t deadline_ns) override {
    AttemptOutcome out;
    if (sent_ > 0 && settings_.on_retry) settings_.on_retry();
    ++sent_;
    report_->identifier = std::string(route.identifier);
    report_->source_region = std::string(route.source_region);
    report_->endpoint = std::string(route.host);
    // Residency is checked once more where the request is built: the Client holds
    // the policy (ClientConfig::residency) and refuses a disallowed route, unsent.
    bedrock::CallOptions options;
    options.region = report_->source_region;
    const std::int64_t left_ms = (deadline_ns - runtime_.clock_->monotonic_ns()) / kNsPerMs;
    options.deadline_ms = left_ms > 1 ? left_ms : 1;
    std::vector<bedrock::Attempt> attempts;
    bedrock::Error error = send_(client_, report_->identifier, options, &attempts);
    // A buffering caller has shown nothing yet: a broken stream may go elsewhere.
    if (settings_.buffered) error.output_delivered = false;
    report_->attempts.insert(report_->attempts.end(), attempts.begin(), attempts.end());
    // Observers hear of each exchange; all but the last were refused for clock skew
    // (the only thing the client retries itself).
    for (std::size_t i = 0; i < attempts.size() && !runtime_.options_.observers.empty(); ++i) {
      AttemptEvent event;
      event.operation = operation_;
      event.route = &route;
      event.outcome = i + 1 == attempts.size() ? error.cls : OutcomeClass::kClockSkew;
      event.http_status = attempts[i].http_status;
      event.first_byte_ns = attempts[i].first_byte_ns;
      event.duration_ns = attempts[i].ms * kNsPerMs;
      for (CallObserver* o : runtime_.options_.observers) o->on_attempt(event);
    }
    out.outcome = error.cls;
    out.output_delivered = error.output_delivered;
    out.timed_out = error.timed_out;
    out.retry_after_ms = error.retry_after_ms;
    // The passive latency sample: a new connection's set-up time, the same measure
    // as a cold probe; none on a kept-alive connection.
    if (!attempts.empty() && attempts.back().connect_ns > 0) out.rtt_ns = attempts.back().connect_ns;
    report_->error = std::move(error);
    return out;
  }

 private:
  Runtime& runtime_;
  bedrock::Client& client_;
  const char* operation_;
  const CallSettings& settings_;
  const SendFn& send_;
  CallReport* report_;
  int sent_ = 0;
};

void Runtime::run_call(const char* operation, const std::string& model_id, const CallSettings& settings,
                       const SendFn& send, CallReport* report) {
  const std::int64_t start = clock_->monotonic_ns();
  const std::int64_t start_utc_ms = clock_->utc_unix_ms();
  const std::string model = base_model(model_id);
  if (model.empty()) {
    report->error = local_error(operation, "", "no route: model " + model_id + " is not in the catalog");
    notify_call(operation, model, nullptr, *report, start, start_utc_ms);
    return;
  }
  Status st;
  std::unique_ptr<Lane> lane = take_lane(&st);
  if (!st.ok()) {
    report->error = local_error(operation, "", st.message());
    notify_call(operation, model, nullptr, *report, start, start_utc_ms);
    return;
  }
  const std::int64_t deadline_ms = settings.deadline_ms > 0 ? settings.deadline_ms : options_.deadline_ms;
  RoutedCall call(*router_, budget_, model, settings.session, start + deadline_ms * kNsPerMs, options_.failover);
  // Observers hear of the call on every way out, once the report is final.
  struct NotifyAtEnd {
    const Runtime& runtime;
    const char* operation;
    const std::string& model;
    const RoutedCall& call;
    const CallReport& report;
    std::int64_t start_ns, start_utc_ms;
    ~NotifyAtEnd() { runtime.notify_call(operation, model, &call, report, start_ns, start_utc_ms); }
  } notify_at_end{*this, operation, model, call, *report, start, start_utc_ms};
  Attempter attempter(*this, *lane->client, operation, settings, send, report);
  ThreadSleeper sleeper(*clock_);
  Random random(next_random());
  run(call, attempter, *clock_, sleeper, random);
  give_back(std::move(lane));
  monitor_->record(call, clock_->monotonic_ns());

  report->attempt_count = static_cast<std::uint32_t>(call.attempt_count());
  for (std::size_t i = 0; i < call.attempt_count(); ++i) {
    const RoutedCall::AttemptRecord& a = call.attempt(i);
    if (!report->path.empty()) report->path += ", ";
    report->path += std::string(a.route.source_region) + " " + (a.drill ? "fail drill" : to_string(a.outcome));
  }
  report->failed_over = call.failed_over();
  report->waited_ms = call.waited_ns() / kNsPerMs;
  if (call.ok()) {
    report->error = bedrock::Error();
    return;
  }
  switch (call.ending()) {
    case RoutedCall::Ending::kNotRetryable:
      name_profiles_of_profile_only_model(model, &report->error);
      return;  // otherwise the last attempt's own error says it all
    case RoutedCall::Ending::kOutputDelivered:
      return;
    case RoutedCall::Ending::kNoRoute:
    case RoutedCall::Ending::kRefused:
      report->error = local_error(operation, report->endpoint,
                                  std::string(call.ending() == RoutedCall::Ending::kRefused ? "refused to send: "
                                                                                           : "no route: ") +
                                      call.status().message());
      return;
    default: break;
  }
  // Gave up (attempts, budget or deadline): say why, with every candidate's state.
  // The last answer is kept when a request was sent; when none was (no attempt,
  // or every one a fail drill's) there is no answer, and the class comes from the
  // call itself: a default error would read as success.
  bedrock::Error e = report->error;
  if (e.ok()) e = local_error(operation, "", "");
  e.cls = call.outcome();
  const std::string last = e.message.empty() ? std::string() : "; last answer: " + e.message;
  e.message = std::string("gave up (") + to_string(call.ending()) + "): " + call.status().message() + last +
              "; candidates: " + candidate_states(model);
  report->error = std::move(e);
}

void Runtime::notify_call(const char* operation, const std::string& model, const RoutedCall* call,
                          const CallReport& report, std::int64_t start_ns, std::int64_t start_utc_ms) const {
  if (options_.observers.empty()) return;
  CallEvent event;
  event.operation = operation;
  event.model = model;
  event.call = call;
  event.report = &report;
  event.ok = report.ok();
  if (!report.attempts.empty()) event.request_id = report.attempts.back().request_id;
  event.start_utc_ms = start_utc_ms;
  event.duration_ns = clock_->monotonic_ns() - start_ns;
  event.catalog = catalog_.get();
  event.policy = options_.allow;
  for (CallObserver* o : options_.observers) o->on_call(event);
}

ConverseResult Runtime::converse(const bedrock::ConverseRequest& request, const CallSettings& settings) {
  return converse_stream(request, nullptr, settings);
}

ConverseResult Runtime::converse_stream(const bedrock::ConverseRequest& request,
                                        const bedrock::StreamCallback& on_event, const CallSettings& settings) {
  ConverseResult result;
  const bool stream = static_cast<bool>(on_event);
  const char* operation = stream ? "ConverseStream" : "Converse";
  bedrock::ConverseRequest call = request;
  const SendFn send = [&](bedrock::Client& client, const std::string& identifier, const bedrock::CallOptions& options,
                          std::vector<bedrock::Attempt>* attempts) {
    call.model_id = identifier;
    result.response = bedrock::ConverseResponse();  // each attempt starts afresh
    const bedrock::Error e = stream ? client.converse_stream(call, options, on_event, &result.response)
                                    : client.converse(call, options, &result.response);
    *attempts = result.response.attempts;
    return e;
  };
  run_call(operation, request.model_id, settings, send, &result);
  result.response.attempts = result.attempts;
  return result;
}

InvokeResult Runtime::invoke_model(const bedrock::InvokeRequest& request, const CallSettings& settings) {
  return invoke_model_with_response_stream(request, nullptr, settings);
}

InvokeResult Runtime::invoke_model_with_response_stream(const bedrock::InvokeRequest& request,
                                                        const bedrock::ChunkCallback& on_chunk,
                                                        const CallSettings& settings) {
  InvokeResult result;
  const bool stream = static_cast<bool>(on_chunk);
  const char* operation = stream ? "InvokeModelWithResponseStream" : "InvokeModel";
  bedrock::InvokeRequest call = request;
  const SendFn send = [&](bedrock::Client& client, const std::string& identifier, const bedrock::CallOptions& options,
                          std::vector<bedrock::Attempt>* attempts) {
    call.model_id = identifier;
    result.response = bedrock::InvokeResponse();
    const bedrock::Error e = stream ? client.invoke_model_with_response_stream(call, options, on_chunk, &result.response)
                                    : client.invoke_model(call, options, &result.response);
    *attempts = result.response.attempts;
    return e;
  };
  run_call(operation, request.model_id, settings, send, &result);
  result.response.attempts = result.attempts;
  return result;
}

std::size_t Runtime::probe_now(int rounds, std::int64_t deadline_ns, Status* last_error) {
  std::lock_guard<std::mutex> lock(probe_mutex_);
  HttpProber& prober = static_cast<HttpProber&>(*prober_);
  prober.set_deadline_ns(deadline_ns);
  std::size_t probes = 0;
  Status error;
  for (int round = 0; round < rounds; ++round) {
    const std::int64_t now = clock_->monotonic_ns();
    if (deadline_ns > 0 && now >= deadline_ns) break;
    probes += router_->probe_now(now, next_random(), prober);
    if (!prober.last_error().ok()) error = prober.last_error();
  }
  prober.set_deadline_ns(0);
  if (last_error != nullptr) *last_error = error;
  return probes;
}

std::size_t Runtime::poll(std::int64_t now_ns) {
  std::lock_guard<std::mutex> lock(probe_mutex_);
  return router_->tick(now_ns, next_random(), *prober_);
}

std::int64_t Runtime::next_poll_ns() const { return router_->next_probe_ns(); }

Status Runtime::drill(const std::string& region, DrillKind kind, std::int64_t until_ns) {
  const int index = catalog_->find_region(region);
  if (index == Catalog::kNone) return Status::error(Code::kNotFound, "drill: region %s is not in the catalog", region.c_str());
  bool allowed_there = false;
  for (std::size_t i = 0; i < catalog_->candidate_count() && !allowed_there; ++i) {
    const Candidate& c = catalog_->candidate(i);
    allowed_there = c.source_region == static_cast<std::size_t>(index) && policy_->check(c).allowed();
  }
  if (!allowed_there) {
    return Status::error(Code::kInvalidArgument, "drill: no call may go to %s under allow %s, so a drill there would do nothing",
                         region.c_str(), options_.allow.c_str());
  }
  return router_->drill(region, kind, until_ns, clock_->monotonic_ns());
}

std::string Runtime::candidate_states(const std::string& model_id) const {
  const int model = catalog_->find_model(model_id);
  if (model == Catalog::kNone) return "none";
  const std::int64_t now = clock_->monotonic_ns();
  std::string out;
  std::size_t disallowed = 0;
  const std::size_t first = catalog_->model_first_candidate(static_cast<std::size_t>(model));
  const std::size_t end = first + catalog_->model_candidate_count(static_cast<std::size_t>(model));
  for (std::size_t i = first; i < end; ++i) {
    const Candidate& c = catalog_->candidate(i);
    if (!policy_->check(c).allowed()) {
      ++disallowed;
      continue;
    }
    if (!out.empty()) out += ", ";
    out += std::string(catalog_->identifier(c)) + "@" + std::string(catalog_->region_name(c.source_region)) + " ";
    const EndpointStats st = router_->endpoint_stats(c.source_region, now);
    out += to_string(st.health);
    if (st.health_until_ns > now) out += " " + std::to_string((st.health_until_ns - now) / kNsPerMs) + " ms";
    if (st.total_throttles > 0) out += " (throttled " + std::to_string(st.total_throttles) + "x)";
    if (st.breaker_trips > 0) out += " (circuit opened " + std::to_string(st.breaker_trips) + "x)";
  }
  if (disallowed > 0) out += "; " + std::to_string(disallowed) + " disallowed by the policy, never tried";
  return out;
}

// ---------------------------------------------------------------------------

ProbeThread::ProbeThread(Runtime& runtime, std::int64_t look_ms) : runtime_(runtime) {
  const std::int64_t look = look_ms > 0 ? look_ms : 100;
  thread_ = std::thread([this, look] {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!stopping_) {
      lock.unlock();
      (void)runtime_.poll(runtime_.clock().monotonic_ns());  // probes only when a round is due
      lock.lock();
      wake_.wait_for(lock, std::chrono::milliseconds(look), [this] { return stopping_; });
    }
  });
}

ProbeThread::~ProbeThread() { stop(); }

void ProbeThread::stop() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace edgeroute
