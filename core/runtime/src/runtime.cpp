// The routed client: see edgeroute/runtime.h.
#include "edgeroute/runtime.h"

#include <chrono>
#include <cstdio>
#include <utility>

#include "edgeroute/catalog_refresh.h"
#include "edgeroute/curl_transport.h"
#include "edgeroute/file.h"
#include "edgeroute/file.h"
#include "edgeroute/http_prober.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/mbedtls_x509.h"
#include "edgeroute/random.h"

namespace edgeroute {
namespace {

constexpr std::int64_t kNsPerMs = 1000 * 1000;

bedrock::Error local_error(const char* operation, std::string_view endpoint, const std::string& message) {
  bedrock::Error e;
  e.cls = OutcomeClass::kClient;
  e.operation = operation;
  e.endpoint.assign(endpoint.data(), endpoint.size());
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

// The first call's probes: a stored sample of an endpoint stands for its probe
// (nothing sent); the other endpoints are probed on the wire.
class StateProber final : public Prober {
 public:
  StateProber(HttpProber& live, const std::vector<std::int64_t>& stored_rtt_ns, std::vector<std::int64_t>* measured_rtt_ns)
      : live_(live), stored_(stored_rtt_ns), measured_(measured_rtt_ns) {}
  ProbeResult probe(std::string_view host, std::uint16_t region) override {
    if (region < stored_.size() && stored_[region] > 0) {
      ProbeResult r;
      r.answered = true;
      r.rtt_ns = stored_[region];
      return r;
    }
    ++sent_;
    const ProbeResult r = live_.probe(host, region);
    if (r.answered && region < measured_->size()) (*measured_)[region] = r.rtt_ns;
    return r;
  }
  std::size_t sent() const { return sent_; }

 private:
  HttpProber& live_;
  const std::vector<std::int64_t>& stored_;
  std::vector<std::int64_t>* measured_;
  std::size_t sent_ = 0;
};

}  // namespace

// One concurrent call's client and connection.
struct Runtime::Lane {
  std::unique_ptr<Transport> transport;
  std::unique_ptr<bedrock::Client> client;
};

struct Runtime::RefreshState {
  std::mutex one_at_a_time;
  mutable std::mutex mutex;  // guards state
  CatalogRefreshState state;
};

Runtime::Runtime(const RuntimeOptions& options)
    : options_(options), clock_(options.clock != nullptr ? options.clock : &system_clock()),
      refresh_(std::make_unique<RefreshState>()), budget_(options.retry_budget) {}

// The routing generation's prober sends on probe_transport_, which is declared
// (so destroyed) after it: let the generation go first.
Runtime::~Runtime() {
  std::lock_guard<std::mutex> lock(routing_mutex_);
  routing_.reset();
}

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

// One generation of the routing tables: a catalog refresh builds the next one off
// to the side and swaps it in; a call holds the one it started with until it ends.
struct Runtime::Routing {
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<Policy> policy;
  std::vector<std::string> model_names;  // storage for `models`
  std::vector<ModelRouting> models;
  std::unique_ptr<Router> router;
  std::unique_ptr<HttpProber> prober;  // over `catalog`, sending on the Runtime's probe transport
  RoutingSnapshot view{nullptr, nullptr, nullptr, 0};
};

namespace {
constexpr std::int64_t kMinRefreshIntervalS = 60;
constexpr std::int64_t kMaxRefreshIntervalS = 30LL * 24 * 3600;
constexpr std::int64_t kNsPerS = 1000 * kNsPerMs;
}  // namespace

Status Runtime::init() {
  if (options_.catalog_refresh_interval_s != 0 && (options_.catalog_refresh_interval_s < kMinRefreshIntervalS ||
                                                   options_.catalog_refresh_interval_s > kMaxRefreshIntervalS)) {
    return Status::error(Code::kInvalidArgument, "catalog_refresh_interval_s %lld: expected 0 (never) or %lld to %lld",
                         static_cast<long long>(options_.catalog_refresh_interval_s),
                         static_cast<long long>(kMinRefreshIntervalS), static_cast<long long>(kMaxRefreshIntervalS));
  }
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
  random_state_ = Random::from_os().next_u64();
  // The catalog: tens of KiB of fixed tables, on the heap once per generation.
  base_catalog_ = std::make_unique<Catalog>();
  Status st = options_.catalog_file.empty()
                  ? base_catalog_->load_default()
                  : base_catalog_->load_file(options_.catalog_file.c_str(), CatalogMerge::kReplace);
  for (std::size_t i = 0; st.ok() && i < options_.catalog_extend.size(); ++i) {
    st = base_catalog_->load_file(options_.catalog_extend[i].c_str(), CatalogMerge::kExtend);
  }
  if (!st.ok()) return st;
  auto catalog = std::make_unique<Catalog>(*base_catalog_);
  {
    Policy policy(*base_catalog_);
    st = policy.set_allow(options_.allow);
    if (!st.ok()) return Status::error(st.code(), "allow %s: %s", options_.allow.c_str(), st.message());
    // The refresh may add regions and change destinations: the policy is built
    // again over the refreshed catalog below.
    if (options_.refresh_catalog_at_start) refresh_catalog_at_start(catalog.get(), policy);
  }
  // The probe transport keeps every probed endpoint's connection warm between rounds.
  if (options_.make_transport) {
    st = options_.make_transport(&probe_transport_);
  } else {
    st = default_transport(options_.ca_bundle, catalog->region_count(), *clock_, &probe_transport_);
  }
  if (!st.ok()) return st;
  std::string notes;
  st = build_routing(std::move(catalog), true, &notes, &routing_);
  if (!st.ok()) return st;

  probe_pending_ = options_.probe_before_first_call && options_.mode == RouteMode::kLatency && options_.pin_region.empty();
  monitor_ = std::make_unique<FailoverMonitor>(options_.alerts, options_.alert_hook, options_.alert_context);
  if (options_.catalog_refresh_interval_s > 0) {
    // Unless the start-up refresh already set it (sooner, when it failed).
    std::lock_guard<std::mutex> lock(refresh_->mutex);
    if (refresh_->state.next_due_ns == 0) {
      refresh_->state.next_due_ns = clock_->monotonic_ns() + next_refresh_delay_ns(false);
    }
  }
  // One lane up front, so a bad CA bundle or transport shows at create().
  std::unique_ptr<Lane> lane = take_lane(&st);
  if (!st.ok()) return st;
  give_back(std::move(lane));
  return Status();
}

Status Runtime::build_routing(std::unique_ptr<Catalog> catalog, bool at_create, std::string* notes,
                              std::shared_ptr<Routing>* out) {
  auto routing = std::make_shared<Routing>();
  routing->catalog = std::move(catalog);
  const Catalog& cat = *routing->catalog;
  routing->policy = std::make_unique<Policy>(cat);
  Status st = routing->policy->set_allow(options_.allow);
  if (!st.ok()) return Status::error(st.code(), "allow %s: %s", options_.allow.c_str(), st.message());

  const bool pinned = !options_.pin_region.empty();
  if (pinned && (options_.mode != RouteMode::kLatency || !options_.order.empty() || !options_.weights.empty())) {
    return Status::error(Code::kInvalidArgument, "pin_region fixes the source region: mode, order and weights need routing without it");
  }
  if (pinned && options_.models.empty()) {
    return Status::error(Code::kInvalidArgument, "pin_region needs the models it applies to");
  }
  for (const std::string& m : options_.models) {
    const std::string base(base_model_view(cat, m));
    if (base.empty()) {
      if (at_create) return Status::error(Code::kNotFound, "model %s is not in the catalog", m.c_str());
      *notes += "; model " + m + " is no longer in the catalog";
      continue;
    }
    const int model = cat.find_model(base);
    st = routing->policy->require_candidate(static_cast<std::size_t>(model));
    if (!st.ok()) {
      if (at_create) return Status::error(st.code(), "allow %s: %s", options_.allow.c_str(), st.message());
      // Residency first: the refreshed catalog is used, and calls of this model
      // are refused until a later refresh gives it an allowed candidate again.
      *notes += "; model " + base + " has no allowed candidate now";
      continue;
    }
    if (pinned) {
      bool allowed_there = false;
      const std::size_t first = cat.model_first_candidate(static_cast<std::size_t>(model));
      const std::size_t count = cat.model_candidate_count(static_cast<std::size_t>(model));
      for (std::size_t i = first; i < first + count && !allowed_there; ++i) {
        const Candidate& c = cat.candidate(i);
        allowed_there = cat.region_name(c.source_region) == options_.pin_region && routing->policy->check(c).allowed();
      }
      if (!allowed_there) {
        const Status bad = Status::error(Code::kInvalidArgument, "region %s is not allowed for %s under allow %s",
                                         options_.pin_region.c_str(), base.c_str(), options_.allow.c_str());
        if (at_create) return bad;
        return Status::error(bad.code(), "not applied: %s", bad.message());
      }
    }
    routing->model_names.push_back(base);
  }
  // ModelRouting points into model_names, which no longer grows.
  for (const std::string& name : routing->model_names) {
    ModelRouting r;
    r.model = name;
    r.mode = pinned ? RouteMode::kFailover : options_.mode;
    r.order = pinned ? std::string_view(options_.pin_region) : std::string_view(options_.order);
    r.weights = pinned ? std::string_view() : std::string_view(options_.weights);
    routing->models.push_back(r);
  }
  RouterOptions router_options = options_.router;
  router_options.default_mode = options_.mode;
  router_options.models = routing->models.empty() ? nullptr : routing->models.data();
  router_options.model_count = routing->models.size();
  routing->router = std::make_unique<Router>();
  st = routing->router->init(*routing->policy, router_options);
  if (!st.ok()) return st;
  auto prober = std::make_unique<HttpProber>(*probe_transport_, cat, options_.probe_timeouts,
                                             options_.probe_total_ms, *clock_);
  for (const ConnectTo& c : options_.connect_to) {
    st = prober->connect_to(c.region, c.host, c.port);
    if (!st.ok()) return st;
  }
  routing->prober = std::move(prober);
  routing->view = RoutingSnapshot{routing->catalog.get(), routing->policy.get(), routing->router.get(), 0};
  *out = std::move(routing);
  return Status();
}

std::shared_ptr<Runtime::Routing> Runtime::current() const {
  std::lock_guard<std::mutex> lock(routing_mutex_);
  return routing_;
}

const Catalog& Runtime::catalog() const { return *current()->catalog; }
const Policy& Runtime::policy() const { return *current()->policy; }
Router& Runtime::router() { return *current()->router; }

std::shared_ptr<const Runtime::RoutingSnapshot> Runtime::routing() const {
  const std::shared_ptr<Routing> routing = current();
  return std::shared_ptr<const RoutingSnapshot>(routing, &routing->view);  // shares the generation's lifetime
}

Status Runtime::Gate::check_route(std::string_view identifier, std::string_view source_region) const {
  return runtime_.current()->policy->check_route(identifier, source_region);
}

// Bedrock refuses a bare model ID that only inference profiles serve; the catalog
// was wrong to offer it, and the caller learns which profiles the policy allows.
void Runtime::name_profiles_of_profile_only_model(const Routing& routing, const std::string& model,
                                                  bedrock::Error* error) const {
  if (error->error_type != "ValidationException" ||
      error->message.find("with on-demand throughput isn") == std::string::npos) {
    return;
  }
  const int index = routing.catalog->find_model(model);
  if (index == Catalog::kNone) return;
  char profiles[512];
  routing.policy->allowed_profiles(static_cast<std::size_t>(index), profiles, sizeof profiles);
  error->message += profiles[0] != '\0' ? std::string("; profiles of ") + model + " allowed under " + options_.allow +
                                              ": " + profiles
                                        : std::string("; no profile of ") + model + " is allowed under " +
                                              options_.allow;
}

void Runtime::refresh_catalog_at_start(Catalog* catalog, const Policy& policy) {
  std::unique_ptr<Transport> transport;
  Status st = options_.make_transport ? options_.make_transport(&transport)
                                      : default_transport(options_.ca_bundle, 1, *clock_, &transport);
  AwsCredentials credentials;
  if (st.ok()) st = credentials_->get(clock_->utc_unix_ms(), &credentials);
  if (!st.ok()) {
    finish_refresh(false, std::string("catalog refresh: ") + st.message() + "; routing on the catalog as loaded", false);
    return;
  }
  CatalogRefreshOptions refresh;
  refresh.source_regions = refresh_source_regions(*catalog, policy.allowed_regions());
  refresh.connect_to = options_.connect_to;
  const CatalogRefreshOutcome outcome = edgeroute::refresh_catalog(
      *transport, options_.crypto != nullptr ? *options_.crypto : mbedtls_crypto(), *clock_,
      {credentials.for_signer(), credentials.bearer_token()}, refresh, options_.catalog_cache_file, catalog);
  finish_refresh(outcome.status.ok(), outcome.report, false);
}

Status Runtime::refresh_catalog() {
  std::unique_lock<std::mutex> one_at_a_time(refresh_->one_at_a_time, std::try_to_lock);
  if (!one_at_a_time.owns_lock()) return Status::error(Code::kUnavailable, "catalog refresh: one is already running");
  const std::shared_ptr<Routing> in_use = current();
  const auto fail = [&](const Status& st) {
    const char* prefix = std::string(st.message()).rfind("catalog refresh: ", 0) == 0 ? "" : "catalog refresh: ";
    finish_refresh(false, prefix + std::string(st.message()) + "; routing on the catalog in use", false);
    return st;
  };
  std::unique_ptr<Transport> transport;
  Status st = options_.make_transport ? options_.make_transport(&transport)
                                      : default_transport(options_.ca_bundle, 1, *clock_, &transport);
  if (!st.ok()) return fail(st);
  AwsCredentials credentials;
  st = credentials_->get(clock_->utc_unix_ms(), &credentials);
  if (!st.ok()) return fail(st);
  CatalogRefreshOptions refresh;
  refresh.source_regions = refresh_source_regions(*in_use->catalog, in_use->policy->allowed_regions());
  refresh.connect_to = options_.connect_to;
  CatalogRefreshResult live;
  st = fetch_live_catalog(*transport, options_.crypto != nullptr ? *options_.crypto : mbedtls_crypto(), *clock_,
                          {credentials.for_signer(), credentials.bearer_token()}, refresh, &live);
  if (!st.ok()) return fail(st);
  // Off to the side: calls go on with the generation in use meanwhile.
  auto catalog = std::make_unique<Catalog>(*base_catalog_);
  st = apply_live_catalog(live, catalog.get());
  if (!st.ok()) return fail(st);
  std::string notes;
  std::shared_ptr<Routing> next;
  st = build_routing(std::move(catalog), false, &notes, &next);
  if (!st.ok()) return fail(Status::error(st.code(), "catalog refresh: %s", st.message()));
  std::string report = "catalog refreshed: " + live.source;
  if (!options_.catalog_cache_file.empty()) {
    const Status saved = write_file_atomically(options_.catalog_cache_file.c_str(), live.catalog_json, "catalog cache");
    report += saved.ok() ? "; saved to " + options_.catalog_cache_file : std::string("; not saved: ") + saved.message();
  }
  {
    std::lock_guard<std::mutex> lock(routing_mutex_);
    next->view.generation = routing_->view.generation + 1;
    routing_.swap(next);
  }
  // `next` is the old generation now: freed here, or by the last call that holds it.
  next.reset();
  finish_refresh(true, report + notes, true);
  return Status();
}

void Runtime::finish_refresh(bool ok, const std::string& report, bool swapped) {
  CatalogRefreshState state;
  {
    std::lock_guard<std::mutex> lock(refresh_->mutex);
    refresh_->state.report = report;
    refresh_->state.last_ok = ok;
    ++(ok ? refresh_->state.refreshes : refresh_->state.failures);
    if (swapped) ++refresh_->state.generation;
    refresh_->state.last_utc_s = clock_->utc_unix_ms() / 1000;
    if (options_.catalog_refresh_interval_s > 0) {
      refresh_->state.next_due_ns = clock_->monotonic_ns() + next_refresh_delay_ns(!ok);
    }
    state = refresh_->state;
  }
  if (options_.on_catalog_refresh) options_.on_catalog_refresh(state);
}

// Uniform in [0.9, 1.1] x the interval (a tenth of it, at least 60 s, after a
// failure), so a fleet started together does not list in the same minute.
std::int64_t Runtime::next_refresh_delay_ns(bool after_failure) {
  std::int64_t base_s = options_.catalog_refresh_interval_s;
  if (after_failure) base_s = base_s / 10 > kMinRefreshIntervalS ? base_s / 10 : kMinRefreshIntervalS;
  const std::int64_t permille = 900 + static_cast<std::int64_t>(next_random() % 201);
  return base_s * kNsPerS / 1000 * permille;
}

CatalogRefreshState Runtime::catalog_refresh_state() const {
  std::lock_guard<std::mutex> lock(refresh_->mutex);
  return refresh_->state;
}

void Runtime::note(const std::string& line) const {
  if (options_.on_note) options_.on_note(line);
}

std::size_t Runtime::probe_if_pending(std::int64_t deadline_ns) {
  const std::shared_ptr<Routing> routing = current();
  // Another thread probing now: this call routes on what is known rather than wait.
  std::unique_lock<std::mutex> lock(probe_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || !probe_pending_.exchange(false)) return 0;
  return probe_with_state(*routing, deadline_ns);
}

std::size_t Runtime::probe_with_state(const Routing& routing, std::int64_t deadline_ns) {
  const Catalog& catalog = *routing.catalog;
  const std::size_t regions = catalog.region_count();
  HttpProber& http = *routing.prober;
  // Where each region's probe goes, as the prober sends it: a sample of another
  // endpoint is not this one's.
  std::vector<std::string> endpoint(regions);
  for (std::size_t i = 0; i < regions; ++i) endpoint[i] = http.endpoint(i);
  const std::string& path = options_.probe_state_file;
  const std::int64_t now_ms = clock_->utc_unix_ms();
  std::vector<std::int64_t> stored(regions, 0), measured(regions, 0);
  std::vector<ProbeSample> samples;  // what the file will hold
  if (!path.empty()) {
    std::string text;
    Status st = read_file_bounded(path.c_str(), kProbeStateMaxBytes, "probe state file", &text);
    ProbeStateRead read;
    if (st.ok()) {
      st = parse_probe_state(text, catalog, now_ms, options_.probe_state_max_age_ms, &read);
      if (!st.ok()) st = Status::error(st.code(), "probe state file %s: %s", path.c_str(), st.message());
    }
    if (!st.ok() && st.code() != Code::kNotFound) note(std::string(st.message()) + "; probing again");
    for (ProbeSample& s : read.samples) {
      const std::size_t i = static_cast<std::size_t>(catalog.find_region(s.region));
      if (s.endpoint == endpoint[i]) stored[i] = s.rtt_us * 1000;
      samples.push_back(std::move(s));
    }
  }
  StateProber prober(http, stored, &measured);
  http.set_deadline_ns(deadline_ns);
  (void)routing.router->probe_now(clock_->monotonic_ns(), next_random(), prober);
  http.set_deadline_ns(0);
  if (path.empty() || prober.sent() == 0) return prober.sent();

  for (std::size_t i = 0; i < regions; ++i) {
    if (measured[i] <= 0) continue;
    ProbeSample fresh;
    fresh.region = std::string(catalog.region_name(i));
    fresh.endpoint = endpoint[i];
    fresh.rtt_us = measured[i] / 1000 > 0 ? measured[i] / 1000 : 1;
    fresh.measured_unix_ms = now_ms;
    fresh.expires_unix_ms = now_ms + options_.probe_state_max_age_ms;
    bool replaced = false;
    for (ProbeSample& s : samples) {
      if (s.region != fresh.region) continue;
      s = fresh;
      replaced = true;
    }
    if (!replaced) samples.push_back(std::move(fresh));
  }
  const Status saved = write_file_atomically(path.c_str(), format_probe_state(samples), "probe state file");
  if (!saved.ok()) note(std::string(saved.message()) + "; the next run probes again");
  return prober.sent();
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
  const std::shared_ptr<Routing> routing = current();
  return std::string(base_model_view(*routing->catalog, model_id));
}

std::string_view Runtime::base_model_view(const Catalog& catalog, std::string_view model_id) {
  int model = catalog.find_model(model_id);
  for (std::size_t i = 0; model == Catalog::kNone && i < catalog.candidate_count(); ++i) {
    const Candidate& c = catalog.candidate(i);
    if (catalog.identifier(c) == model_id) model = c.model;
  }
  return model == Catalog::kNone ? std::string_view() : catalog.model_name(static_cast<std::size_t>(model));
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
  // The Client refuses what the newest policy does not allow: after a catalog
  // swap, even a call that started on the previous generation.
  config.residency = &gate_;
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
    // Views into the catalog generation the report keeps alive (run_call).
    report_->identifier = route.identifier;
    report_->source_region = route.source_region;
    report_->endpoint = route.host;
    // Residency is checked once more where the request is built: the Client holds
    // the policy (ClientConfig::residency) and refuses a disallowed route, unsent.
    bedrock::CallOptions options;
    options.region.assign(route.source_region.data(), route.source_region.size());
    options.model_id = route.identifier;
    const std::int64_t left_ms = (deadline_ns - runtime_.clock_->monotonic_ns()) / kNsPerMs;
    options.deadline_ms = left_ms > 1 ? left_ms : 1;
    std::vector<bedrock::Attempt> attempts;
    bedrock::Error error = send_(client_, options, &attempts);
    // A buffering caller has shown nothing yet: a broken stream may go elsewhere.
    if (settings_.buffered) error.output_delivered = false;
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
    if (report_->attempts.empty()) {
      report_->attempts = std::move(attempts);
    } else {
      report_->attempts.insert(report_->attempts.end(), std::make_move_iterator(attempts.begin()),
                               std::make_move_iterator(attempts.end()));
    }
    out.outcome = error.cls;
    out.output_delivered = error.output_delivered;
    out.timed_out = error.timed_out;
    out.retry_after_ms = error.retry_after_ms;
    // The passive latency sample: a new connection's set-up time, the same measure
    // as a cold probe; none on a kept-alive connection.
    if (!report_->attempts.empty() && report_->attempts.back().connect_ns > 0) {
      out.rtt_ns = report_->attempts.back().connect_ns;
    }
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

std::string CallReport::path() const {
  std::string out;
  const std::uint32_t n = attempt_count < FailoverOptions::kMaxAttempts ? attempt_count : FailoverOptions::kMaxAttempts;
  for (std::uint32_t i = 0; i < n; ++i) {
    if (i > 0) out += ", ";
    out.append(steps[i].source_region.data(), steps[i].source_region.size());
    out += ' ';
    out += steps[i].drill ? "fail drill" : to_string(steps[i].outcome);
  }
  return out;
}

void Runtime::run_call(const char* operation, const std::string& model_id, const CallSettings& settings,
                       const SendFn& send, CallReport* report) {
  const std::int64_t start = clock_->monotonic_ns();
  const std::int64_t start_utc_ms = clock_->utc_unix_ms();
  // The call keeps this generation of catalog, policy and router alive until it
  // ends, whatever a catalog refresh swaps in meanwhile.
  const std::shared_ptr<Routing> routing = current();
  report->catalog_ = routing;  // the report's route views point into it
  const Catalog& catalog = *routing->catalog;
  const std::string_view model = base_model_view(catalog, model_id);  // the catalog's, no copy
  if (model.empty()) {
    report->error = local_error(operation, "", "no route: model " + model_id + " is not in the catalog");
    notify_call(operation, catalog, model, nullptr, *report, start, start_utc_ms);
    return;
  }
  Status st;
  std::unique_ptr<Lane> lane = take_lane(&st);
  if (!st.ok()) {
    report->error = local_error(operation, "", st.message());
    notify_call(operation, catalog, model, nullptr, *report, start, start_utc_ms);
    return;
  }
  const std::int64_t deadline_ms = settings.deadline_ms > 0 ? settings.deadline_ms : options_.deadline_ms;
  // Nearest by default: the first call measures first, within half its deadline.
  if (probe_pending_.load(std::memory_order_acquire)) (void)probe_if_pending(start + deadline_ms * kNsPerMs / 2);
  RoutedCall call(*routing->router, budget_, model, settings.session, start + deadline_ms * kNsPerMs,
                  options_.failover);
  // Observers hear of the call on every way out, once the report is final.
  struct NotifyAtEnd {
    const Runtime& runtime;
    const char* operation;
    const Catalog& catalog;
    std::string_view model;
    const RoutedCall& call;
    const CallReport& report;
    std::int64_t start_ns, start_utc_ms;
    ~NotifyAtEnd() { runtime.notify_call(operation, catalog, model, &call, report, start_ns, start_utc_ms); }
  } notify_at_end{*this, operation, catalog, model, call, *report, start, start_utc_ms};
  Attempter attempter(*this, *lane->client, operation, settings, send, report);
  ThreadSleeper sleeper(*clock_);
  Random random(next_random());
  run(call, attempter, *clock_, sleeper, random);
  give_back(std::move(lane));
  monitor_->record(call, clock_->monotonic_ns());

  report->attempt_count = static_cast<std::uint32_t>(call.attempt_count());
  for (std::size_t i = 0; i < call.attempt_count(); ++i) {
    const RoutedCall::AttemptRecord& a = call.attempt(i);
    report->steps[i].source_region = a.route.source_region;
    report->steps[i].outcome = a.outcome;
    report->steps[i].drill = a.drill;
  }
  report->failed_over = call.failed_over();
  report->waited_ms = call.waited_ns() / kNsPerMs;
  if (call.ok()) {
    report->error = bedrock::Error();
    return;
  }
  switch (call.ending()) {
    case RoutedCall::Ending::kNotRetryable:
      name_profiles_of_profile_only_model(*routing, std::string(model), &report->error);
      return;  // otherwise the last attempt's own error says it all
    case RoutedCall::Ending::kOutputDelivered:
      return;
    case RoutedCall::Ending::kNoRoute:
    case RoutedCall::Ending::kRefused: {
      std::string why = call.status().message();
      // A model the policy leaves nothing (say, since a refresh widened its only
      // profile): the policy's reason says why, which "no candidate" does not.
      const Status allowed = routing->policy->require_candidate(static_cast<std::size_t>(catalog.find_model(model)));
      if (call.ending() == RoutedCall::Ending::kNoRoute && !allowed.ok()) {
        why = std::string(allowed.message()) + " under allow " + options_.allow;
      }
      report->error = local_error(operation, report->endpoint,
                                  std::string(call.ending() == RoutedCall::Ending::kRefused ? "refused to send: "
                                                                                           : "no route: ") +
                                      why);
      return;
    }
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
              "; candidates: " + candidate_states(*routing, std::string(model));
  report->error = std::move(e);
}

void Runtime::notify_call(const char* operation, const Catalog& catalog, std::string_view model,
                          const RoutedCall* call, const CallReport& report, std::int64_t start_ns,
                          std::int64_t start_utc_ms) const {
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
  event.catalog = &catalog;
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
  // The request is sent as given, under the routed identifier (CallOptions::model_id).
  // One pointer captured: std::function keeps it without a heap block.
  struct Context {
    const bedrock::ConverseRequest& request;
    const bedrock::StreamCallback& on_event;
    ConverseResult& result;
  } context{request, on_event, result};
  const SendFn send = [c = &context](bedrock::Client& client, const bedrock::CallOptions& options,
                                     std::vector<bedrock::Attempt>* attempts) {
    c->result.response = bedrock::ConverseResponse();  // each attempt starts afresh
    const bedrock::Error e = c->on_event ? client.converse_stream(c->request, options, c->on_event, &c->result.response)
                                         : client.converse(c->request, options, &c->result.response);
    *attempts = std::move(c->result.response.attempts);
    return e;
  };
  run_call(operation, request.model_id, settings, send, &result);
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
  struct Context {
    const bedrock::InvokeRequest& request;
    const bedrock::ChunkCallback& on_chunk;
    InvokeResult& result;
  } context{request, on_chunk, result};
  const SendFn send = [c = &context](bedrock::Client& client, const bedrock::CallOptions& options,
                                     std::vector<bedrock::Attempt>* attempts) {
    c->result.response = bedrock::InvokeResponse();
    const bedrock::Error e =
        c->on_chunk ? client.invoke_model_with_response_stream(c->request, options, c->on_chunk, &c->result.response)
                    : client.invoke_model(c->request, options, &c->result.response);
    *attempts = std::move(c->result.response.attempts);
    return e;
  };
  run_call(operation, request.model_id, settings, send, &result);
  return result;
}

std::size_t Runtime::probe_now(int rounds, std::int64_t deadline_ns, Status* last_error) {
  const std::shared_ptr<Routing> routing = current();
  std::lock_guard<std::mutex> lock(probe_mutex_);
  probe_pending_ = false;  // the application measures: no probes of the first call's own
  HttpProber& prober = *routing->prober;
  prober.set_deadline_ns(deadline_ns);
  std::size_t probes = 0;
  Status error;
  for (int round = 0; round < rounds; ++round) {
    const std::int64_t now = clock_->monotonic_ns();
    if (deadline_ns > 0 && now >= deadline_ns) break;
    probes += routing->router->probe_now(now, next_random(), prober);
    if (!prober.last_error().ok()) error = prober.last_error();
  }
  prober.set_deadline_ns(0);
  if (last_error != nullptr) *last_error = error;
  return probes;
}

std::size_t Runtime::poll(std::int64_t now_ns) {
  if (options_.catalog_refresh_interval_s > 0) {
    std::int64_t due = 0;
    {
      std::lock_guard<std::mutex> lock(refresh_->mutex);
      due = refresh_->state.next_due_ns;
    }
    // A failure is reported through catalog_refresh_state() and the hook.
    if (due > 0 && now_ns >= due) (void)refresh_catalog();
  }
  const std::shared_ptr<Routing> routing = current();
  std::lock_guard<std::mutex> lock(probe_mutex_);
  const std::size_t probes = routing->router->tick(now_ns, next_random(), *routing->prober);
  if (probes > 0) probe_pending_ = false;
  return probes;
}

std::int64_t Runtime::next_poll_ns() const {
  const std::int64_t probe = current()->router->next_probe_ns();
  if (options_.catalog_refresh_interval_s <= 0) return probe;
  std::lock_guard<std::mutex> lock(refresh_->mutex);
  const std::int64_t refresh = refresh_->state.next_due_ns;
  return refresh > 0 && refresh < probe ? refresh : probe;
}

Status Runtime::drill(const std::string& region, DrillKind kind, std::int64_t until_ns) {
  const std::shared_ptr<Routing> routing = current();
  const Catalog& catalog = *routing->catalog;
  const int index = catalog.find_region(region);
  if (index == Catalog::kNone) return Status::error(Code::kNotFound, "drill: region %s is not in the catalog", region.c_str());
  bool allowed_there = false;
  for (std::size_t i = 0; i < catalog.candidate_count() && !allowed_there; ++i) {
    const Candidate& c = catalog.candidate(i);
    allowed_there = c.source_region == static_cast<std::size_t>(index) && routing->policy->check(c).allowed();
  }
  if (!allowed_there) {
    return Status::error(Code::kInvalidArgument, "drill: no call may go to %s under allow %s, so a drill there would do nothing",
                         region.c_str(), options_.allow.c_str());
  }
  return routing->router->drill(region, kind, until_ns, clock_->monotonic_ns());
}

std::string Runtime::candidate_states(const std::string& model_id) const { return candidate_states(*current(), model_id); }

std::string Runtime::candidate_states(const Routing& routing, const std::string& model_id) const {
  const Catalog& catalog = *routing.catalog;
  const int model = catalog.find_model(model_id);
  if (model == Catalog::kNone) return "none";
  const std::int64_t now = clock_->monotonic_ns();
  std::string out;
  std::size_t disallowed = 0;
  const std::size_t first = catalog.model_first_candidate(static_cast<std::size_t>(model));
  const std::size_t end = first + catalog.model_candidate_count(static_cast<std::size_t>(model));
  for (std::size_t i = first; i < end; ++i) {
    const Candidate& c = catalog.candidate(i);
    if (!routing.policy->check(c).allowed()) {
      ++disallowed;
      continue;
    }
    if (!out.empty()) out += ", ";
    out += std::string(catalog.identifier(c)) + "@" + std::string(catalog.region_name(c.source_region)) + " ";
    const EndpointStats st = routing.router->endpoint_stats(c.source_region, now);
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
