// The fleet simulation's engine: the world (regions, quotas, round trips, outages),
// the arrivals, the three clients, and the event loop that drives them in virtual
// time. The edgeroute client is the real Router and RoutedCall, unchanged.
#include "fleet_sim.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <queue>
#include <string>
#include <string_view>

#include "edgeroute/catalog.h"
#include "edgeroute/clock.h"
#include "edgeroute/failover.h"
#include "edgeroute/health.h"
#include "edgeroute/policy.h"
#include "edgeroute/random.h"
#include "edgeroute/router.h"

namespace fleet {

using edgeroute::AttemptOutcome;
using edgeroute::OutcomeClass;
using edgeroute::RoutedCall;

namespace {

constexpr std::int64_t kNsPerMs = 1000 * 1000;
constexpr std::int64_t kNsPerS = 1000 * kNsPerMs;
constexpr const char* kModel = "m";
// Attempts per call for the naive and SDK-like clients (edgeroute's default too).
constexpr std::uint32_t kMaxAttempts = 3;
// No client starts an attempt with less than this before the call's deadline
// (FailoverOptions::min_attempt_ns, so all three clients give up alike).
constexpr std::int64_t kMinAttemptNs = 10 * kNsPerMs;
// A throttle is answered at once by the front end: the round trip plus this.
constexpr std::int64_t kThrottleAnswerNs = 5 * kNsPerMs;
// The SDK-like client's backoff: full jitter, base 500 ms for throttles (the SDKs'
// throttling base), 100 ms for transient failures, 20 s cap.
constexpr std::int64_t kSdkThrottleBaseNs = 500 * kNsPerMs;
constexpr std::int64_t kSdkTransientBaseNs = 100 * kNsPerMs;
constexpr std::int64_t kSdkCapNs = 20 * kNsPerS;

// Independent random streams, one per purpose, so that one client's extra draws
// never shift another's arrivals or service times.
enum Stream : std::uint64_t { kRtt = 1, kService, kProbe, kBackoff, kBoot, kPick, kTick, kArrivals };

std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
std::uint64_t draw(std::uint64_t seed, std::uint64_t stream, std::uint64_t a, std::uint64_t b = 0) {
  return mix(seed ^ mix(stream ^ mix(a ^ mix(b))));
}
// Uniform in [0, 1).
double unit(std::uint64_t seed, std::uint64_t stream, std::uint64_t a, std::uint64_t b = 0) {
  return static_cast<double>(draw(seed, stream, a, b) >> 11) * (1.0 / 9007199254740992.0);
}
std::int64_t to_ns(double seconds) { return static_cast<std::int64_t>(std::llround(seconds * 1e9)); }

// One region's quota: requests per second with a one-second burst. A throttled
// request takes no token (AWS does not charge throttled calls to the quota).
struct TokenBucket {
  double rate = 0.0;
  double tokens = 0.0;
  std::int64_t last_ns = 0;
  bool take(std::int64_t now_ns) {
    tokens = std::min(rate, tokens + rate * static_cast<double>(now_ns - last_ns) / 1e9);
    last_ns = now_ns;
    if (tokens < 1.0) return false;
    tokens -= 1.0;
    return true;
  }
};

enum class EventType : std::uint8_t { kArrive, kReach, kRespond, kWake, kTick };

struct Event {
  std::int64_t t_ns;
  std::uint64_t seq;  // insertion order: ties resolve the same way in every run
  EventType type;
  std::uint32_t id;   // call, or device for kTick
  OutcomeClass outcome;
  bool timed_out;
  bool operator>(const Event& other) const {
    return t_ns != other.t_ns ? t_ns > other.t_ns : seq > other.seq;
  }
};

struct Arrival {
  std::int64_t t_ns;
  std::uint32_t device;
};

struct Call {
  std::uint32_t device = 0;
  std::int64_t arrival_ns = 0;
  std::int64_t deadline_ns = 0;
  std::uint32_t attempts = 0;     // sent
  std::size_t region = 0;         // of the attempt in flight (world index)
  std::int64_t timeout_ns = 0;    // of the attempt in flight
  std::uint32_t last_cost = 0;    // SDK-like: the budget paid for the last retry
  std::unique_ptr<RoutedCall> routed;
};

std::string catalog_json(const std::vector<RegionSpec>& regions) {
  // Model m is offered in-region everywhere; two profiles reach outside the EU
  // (global.m from an EU source, us.m), so the policy has something to refuse.
  std::string eu, us, all;
  for (const RegionSpec& r : regions) {
    std::string quoted = std::string("\"") + r.name + "\"";
    std::string& set = r.allowed ? eu : us;
    set += (set.empty() ? "" : ",") + quoted;
    all += (all.empty() ? "" : ",") + quoted;
  }
  std::string first_eu, us_sources;
  for (const RegionSpec& r : regions) {
    if (r.allowed && first_eu.empty()) first_eu = r.name;
    if (!r.allowed) us_sources += (us_sources.empty() ? "" : ",") + std::string("\"") + r.name + "\": [\"us\"]";
  }
  return "{\"region_sets\": {\"eu\": [" + eu + "], \"us\": [" + us + "], \"global\": [" + all +
         "]},\n \"profiles\": [{\"id\": \"global.m\", \"model\": \"m\", \"geography\": \"global\", \"sources\": {\"" +
         first_eu + "\": [\"global\"]}},\n  {\"id\": \"us.m\", \"model\": \"m\", \"geography\": \"us\", \"sources\": {" +
         us_sources + "}}],\n \"in_region\": [{\"model\": \"m\", \"regions\": [" + all + "]}]}";
}

class Simulation;

// Latency probes in virtual time: the device's round trip to the region, +-5 %;
// a region in outage does not answer.
class FleetProber final : public edgeroute::Prober {
 public:
  FleetProber(Simulation& sim, std::uint32_t device) : sim_(sim), device_(device) {}
  edgeroute::ProbeResult probe(std::string_view host, std::uint16_t region) override;

 private:
  Simulation& sim_;
  std::uint32_t device_;
};

class Simulation {
 public:
  Simulation(const Scenario& scenario, const SimConfig& config, ClientKind client)
      : scenario_(scenario), config_(config), client_(client), regions_(world_regions()) {}

  ClientResult run();

  std::int64_t now() const { return clock_.monotonic_ns(); }
  bool region_down(std::size_t region, std::int64_t t_ns) const {
    return scenario_.outage != OutageKind::kNone && region == nearest_region_ && t_ns >= outage_start_ns_ &&
           t_ns < outage_end_ns_;
  }
  std::int64_t rtt_ns(std::uint32_t device, std::size_t region) const {
    return rtt_ns_[device * regions_.size() + region];
  }
  std::size_t world_region(std::uint16_t catalog_region) const { return world_of_catalog_[catalog_region]; }
  std::uint64_t seed() const { return config_.seed; }

 private:
  double offered_rps(std::int64_t t_ns) const {
    if (scenario_.spike_rps > 0 && t_ns >= to_ns(scenario_.spike_start * config_.seconds) &&
        t_ns < to_ns(scenario_.spike_end * config_.seconds)) {
      return scenario_.spike_rps;
    }
    return scenario_.base_rps;
  }
  bool set_up_edgeroute();
  void make_arrivals();
  void push(std::int64_t t_ns, EventType type, std::uint32_t id, OutcomeClass outcome = OutcomeClass::kSuccess,
            bool timed_out = false) {
    queue_.push(Event{t_ns, seq_++, type, id, outcome, timed_out});
  }
  void drive(std::uint32_t id);
  void send(std::uint32_t id, std::size_t region);
  void reach(std::uint32_t id);
  void respond(std::uint32_t id, OutcomeClass outcome, bool timed_out);
  void wake(std::uint32_t id);
  void tick(std::uint32_t device);
  void finish(std::uint32_t id, bool ok);
  template <typename F>
  void in_windows(std::int64_t t_ns, F f) {
    for (std::size_t w = 0; w < scenario_.window_count; ++w) {
      if (t_ns >= window_start_ns_[w] && t_ns < window_end_ns_[w]) f(result_.windows[w], w);
    }
  }

  const Scenario& scenario_;
  SimConfig config_;
  ClientKind client_;
  const std::vector<RegionSpec>& regions_;
  edgeroute::ManualClock clock_{0};
  // The outage's victim: world_regions() lists first the region nearest to every
  // device (run() checks that).
  std::size_t nearest_region_ = 0;
  std::int64_t outage_start_ns_ = 0;
  std::int64_t outage_end_ns_ = 0;
  std::int64_t end_ns_ = 0;
  std::int64_t window_start_ns_[3] = {};
  std::int64_t window_end_ns_[3] = {};
  std::vector<std::int64_t> rtt_ns_;
  std::vector<std::size_t> nearest_of_device_;
  std::vector<TokenBucket> buckets_;
  std::vector<Arrival> arrivals_;
  std::vector<Call> calls_;
  std::priority_queue<Event, std::vector<Event>, std::greater<Event>> queue_;
  std::uint64_t seq_ = 0;
  std::vector<double> latencies_ms_[3];
  ClientResult result_;

  // edgeroute: one catalog and policy (read-only after init, like a shared config
  // file), and per device what its own process would hold.
  std::unique_ptr<edgeroute::Catalog> catalog_;
  std::unique_ptr<edgeroute::Policy> policy_;
  std::vector<std::unique_ptr<edgeroute::Router>> routers_;
  std::vector<std::unique_ptr<FleetProber>> probers_;
  std::vector<std::size_t> world_of_catalog_;
  // edgeroute and the SDK-like client: one retry budget per device (per process).
  std::vector<std::unique_ptr<edgeroute::RetryBudget>> budgets_;
};

edgeroute::ProbeResult FleetProber::probe(std::string_view, std::uint16_t region) {
  edgeroute::ProbeResult r;
  const std::size_t w = sim_.world_region(region);
  if (sim_.region_down(w, sim_.now())) return r;
  r.answered = true;
  const double jitter = 0.95 + 0.1 * unit(sim_.seed(), kProbe, device_, static_cast<std::uint64_t>(sim_.now()));
  r.rtt_ns = static_cast<std::int64_t>(static_cast<double>(sim_.rtt_ns(device_, w)) * jitter);
  r.bytes = 400;
  return r;
}

bool Simulation::set_up_edgeroute() {
  catalog_ = std::make_unique<edgeroute::Catalog>();
  const std::string json = catalog_json(regions_);
  edgeroute::Status s = catalog_->load_json(json, "fleet-world.json", edgeroute::CatalogMerge::kReplace);
  if (!s.ok()) {
    std::fprintf(stderr, "fleet_sim: %s\n", s.message());
    return false;
  }
  world_of_catalog_.assign(edgeroute::limits::kRouterMaxRegions, 0);
  for (std::size_t w = 0; w < regions_.size(); ++w) {
    const int c = catalog_->find_region(regions_[w].name);
    if (c < 0) {
      std::fprintf(stderr, "fleet_sim: region %s missing from the simulated catalog\n", regions_[w].name);
      return false;
    }
    world_of_catalog_[static_cast<std::size_t>(c)] = w;
  }
  policy_ = std::make_unique<edgeroute::Policy>(*catalog_);
  s = policy_->set_allow("eu");
  if (!s.ok()) {
    std::fprintf(stderr, "fleet_sim: %s\n", s.message());
    return false;
  }
  edgeroute::RouterOptions options;  // latency mode and every health default
  for (std::uint32_t d = 0; d < config_.devices; ++d) {
    routers_.push_back(std::make_unique<edgeroute::Router>());
    s = routers_.back()->init(*policy_, options);
    if (!s.ok()) {
      std::fprintf(stderr, "fleet_sim: %s\n", s.message());
      return false;
    }
    probers_.push_back(std::make_unique<FleetProber>(*this, d));
    // Gateways boot within the first second; each measures before its first call
    // that comes later.
    push(to_ns(unit(config_.seed, kBoot, d)), EventType::kTick, d);
  }
  return true;
}

void Simulation::make_arrivals() {
  // Each device is a Poisson process of rate offered / devices, thinned from the
  // peak rate so the spike needs no special case.
  const double peak = std::max(scenario_.base_rps, scenario_.spike_rps) / config_.devices;
  for (std::uint32_t d = 0; d < config_.devices; ++d) {
    edgeroute::Random random(draw(config_.seed, kArrivals, d));
    double t = 0.0;
    for (;;) {
      t += -std::log(1.0 - random.next_unit()) / peak;
      const std::int64_t t_ns = to_ns(t);
      if (t_ns >= end_ns_) break;
      if (random.next_unit() * peak * config_.devices < offered_rps(t_ns)) arrivals_.push_back(Arrival{t_ns, d});
    }
  }
  std::sort(arrivals_.begin(), arrivals_.end(), [](const Arrival& a, const Arrival& b) {
    return a.t_ns != b.t_ns ? a.t_ns < b.t_ns : a.device < b.device;
  });
}

ClientResult Simulation::run() {
  result_.client = client_;
  if (regions_.size() > sizeof result_.region_attempts / sizeof result_.region_attempts[0]) {
    std::fprintf(stderr, "fleet_sim: the world has more regions than ClientResult counts\n");
    std::exit(2);
  }
  end_ns_ = to_ns(config_.seconds);
  outage_start_ns_ = to_ns(scenario_.outage_start * config_.seconds);
  outage_end_ns_ = to_ns(scenario_.outage_end * config_.seconds);
  for (std::size_t w = 0; w < scenario_.window_count; ++w) {
    window_start_ns_[w] = to_ns(scenario_.windows[w].start * config_.seconds);
    window_end_ns_[w] = to_ns(scenario_.windows[w].end * config_.seconds);
    WindowResult& out = result_.windows[w];
    out.seconds = static_cast<double>(window_end_ns_[w] - window_start_ns_[w]) / 1e9;
    // Allowed capacity that is up, averaged over the window.
    for (std::size_t r = 0; r < regions_.size(); ++r) {
      if (!regions_[r].allowed) continue;
      double up_ns = static_cast<double>(window_end_ns_[w] - window_start_ns_[w]);
      if (scenario_.outage != OutageKind::kNone && r == nearest_region_) {
        const std::int64_t a = std::max(window_start_ns_[w], outage_start_ns_);
        const std::int64_t b = std::min(window_end_ns_[w], outage_end_ns_);
        if (b > a) up_ns -= static_cast<double>(b - a);
      }
      out.up_capacity_rps += regions_[r].capacity_rps * up_ns / static_cast<double>(window_end_ns_[w] - window_start_ns_[w]);
    }
  }

  rtt_ns_.resize(static_cast<std::size_t>(config_.devices) * regions_.size());
  nearest_of_device_.resize(config_.devices);
  for (std::uint32_t d = 0; d < config_.devices; ++d) {
    std::int64_t best = INT64_MAX;
    for (std::size_t r = 0; r < regions_.size(); ++r) {
      const double ms = regions_[r].rtt_min_ms + (regions_[r].rtt_max_ms - regions_[r].rtt_min_ms) * unit(config_.seed, kRtt, d, r);
      rtt_ns_[d * regions_.size() + r] = static_cast<std::int64_t>(ms * 1e6);
      if (regions_[r].allowed && rtt_ns_[d * regions_.size() + r] < best) {
        best = rtt_ns_[d * regions_.size() + r];
        nearest_of_device_[d] = r;
      }
    }
  }
  for (std::uint32_t d = 0; d < config_.devices; ++d) {
    if (nearest_of_device_[d] != nearest_region_) {
      std::fprintf(stderr, "fleet_sim: device %u is nearer to %s than to %s\n", d, regions_[nearest_of_device_[d]].name,
                   regions_[nearest_region_].name);
      std::exit(2);
    }
  }
  for (const RegionSpec& r : regions_) buckets_.push_back(TokenBucket{r.capacity_rps, r.capacity_rps, 0});

  if (client_ == ClientKind::kEdgeroute && !set_up_edgeroute()) std::exit(2);
  if (client_ != ClientKind::kNaive) {
    for (std::uint32_t d = 0; d < config_.devices; ++d) budgets_.push_back(std::make_unique<edgeroute::RetryBudget>());
  }
  make_arrivals();
  calls_.resize(arrivals_.size());
  for (std::size_t i = 0; i < arrivals_.size(); ++i) {
    Call& c = calls_[i];
    c.device = arrivals_[i].device;
    c.arrival_ns = arrivals_[i].t_ns;
    c.deadline_ns = arrivals_[i].t_ns + to_ns(config_.deadline_s);
    push(c.arrival_ns, EventType::kArrive, static_cast<std::uint32_t>(i));
  }
  result_.calls = arrivals_.size();

  while (!queue_.empty()) {
    const Event e = queue_.top();
    queue_.pop();
    ++result_.events;
    clock_.advance_ns(e.t_ns - now());
    switch (e.type) {
      case EventType::kArrive: {
        in_windows(now(), [](WindowResult& w, std::size_t) { ++w.arrivals; });
        Call& c = calls_[e.id];
        if (client_ == ClientKind::kEdgeroute) {
          c.routed = std::make_unique<RoutedCall>(*routers_[c.device], *budgets_[c.device], kModel, std::string_view(),
                                                  c.deadline_ns);
          drive(e.id);
        } else {
          send(e.id, nearest_of_device_[c.device]);
        }
        break;
      }
      case EventType::kReach: reach(e.id); break;
      case EventType::kRespond: respond(e.id, e.outcome, e.timed_out); break;
      case EventType::kWake: wake(e.id); break;
      case EventType::kTick: tick(e.id); break;
    }
  }

  for (std::size_t w = 0; w < scenario_.window_count; ++w) {
    std::vector<double>& v = latencies_ms_[w];
    if (v.empty()) continue;
    std::sort(v.begin(), v.end());
    result_.windows[w].p50_ms = v[(v.size() - 1) / 2];
    result_.windows[w].p99_ms = v[static_cast<std::size_t>(std::ceil(0.99 * static_cast<double>(v.size()))) - 1];
  }
  return result_;
}

void Simulation::tick(std::uint32_t device) {
  edgeroute::Router& router = *routers_[device];
  router.tick(now(), draw(config_.seed, kTick, device, static_cast<std::uint64_t>(now())), *probers_[device]);
  // Keep probing while calls may still be running; the router says when its next
  // round is due.
  const std::int64_t next = std::max(router.probe_stats().next_round_ns, now() + kNsPerMs);
  if (next < end_ns_ + to_ns(config_.deadline_s)) push(next, EventType::kTick, device);
}

void Simulation::drive(std::uint32_t id) {
  Call& c = calls_[id];
  RoutedCall& call = *c.routed;
  switch (call.next(now(), draw(config_.seed, kPick, id, c.attempts))) {
    case RoutedCall::Step::kSend: {
      const edgeroute::Route& route = call.route();
      const std::size_t region = world_region(catalog_->candidate(route.candidate).source_region);
      // The simulation's own residency oracle, independent of the Policy: only the
      // in-region model at an allowed source keeps the data in the EU.
      if (route.identifier != kModel || !regions_[region].allowed) ++result_.disallowed_requests;
      send(id, region);
      return;
    }
    case RoutedCall::Step::kWait: push(call.wait_until_ns(), EventType::kWake, id); return;
    case RoutedCall::Step::kDone:
      ++result_.endings[static_cast<std::size_t>(call.ending()) & 15u];
      finish(id, call.ok());
      return;
  }
}

void Simulation::send(std::uint32_t id, std::size_t region) {
  Call& c = calls_[id];
  ++c.attempts;
  ++result_.region_attempts[region];
  in_windows(now(), [](WindowResult& w, std::size_t) { ++w.attempts; });
  c.region = region;
  c.timeout_ns = std::min(now() + to_ns(config_.attempt_timeout_s), c.deadline_ns);
  push(now() + rtt_ns(c.device, region) / 2, EventType::kReach, id);
}

void Simulation::reach(std::uint32_t id) {
  Call& c = calls_[id];
  const std::int64_t one_way = rtt_ns(c.device, c.region) / 2;
  if (now() >= c.timeout_ns) {
    push(now(), EventType::kRespond, id, OutcomeClass::kTransient, true);
    return;
  }
  if (region_down(c.region, now())) {
    if (scenario_.outage == OutageKind::kRefuse) {
      push(now() + one_way, EventType::kRespond, id, OutcomeClass::kTransient, false);
    } else {
      push(c.timeout_ns, EventType::kRespond, id, OutcomeClass::kTransient, true);
    }
    return;
  }
  if (!buckets_[c.region].take(now())) {
    push(now() + kThrottleAnswerNs + one_way, EventType::kRespond, id, OutcomeClass::kThrottle, false);
    return;
  }
  // Service time: 400 ms plus an exponential tail of mean 600 ms, the same for a
  // given call and attempt whatever the client.
  const double u = unit(config_.seed, kService, id, c.attempts);
  const std::int64_t service_ns = 400 * kNsPerMs + to_ns(-0.6 * std::log(1.0 - u));
  const std::int64_t answer_ns = now() + service_ns + one_way;
  if (answer_ns > c.timeout_ns) {
    push(c.timeout_ns, EventType::kRespond, id, OutcomeClass::kTransient, true);
  } else {
    push(answer_ns, EventType::kRespond, id, OutcomeClass::kSuccess, false);
  }
}

void Simulation::respond(std::uint32_t id, OutcomeClass outcome, bool timed_out) {
  Call& c = calls_[id];
  const bool ok = outcome == OutcomeClass::kSuccess;
  if (outcome == OutcomeClass::kThrottle) ++result_.region_throttles[c.region];
  if (outcome == OutcomeClass::kTransient) ++result_.region_failures[c.region];
  switch (client_) {
    case ClientKind::kEdgeroute: {
      AttemptOutcome o;
      o.outcome = outcome;
      o.timed_out = timed_out;
      // A passive sample is a network round trip (the connect of a fresh
      // connection), which only a call that got through can give.
      o.rtt_ns = ok ? rtt_ns(c.device, c.region) : 0;
      c.routed->complete(o, now());
      drive(id);
      return;
    }
    case ClientKind::kNaive:
      if (ok) return finish(id, true);
      if (c.attempts >= kMaxAttempts || c.deadline_ns - now() < kMinAttemptNs) return finish(id, false);
      return send(id, c.region);
    case ClientKind::kSdk: {
      edgeroute::RetryBudget& budget = *budgets_[c.device];
      if (ok) {
        budget.on_success(c.attempts > 1 ? c.last_cost : 0);
        return finish(id, true);
      }
      if (c.attempts >= kMaxAttempts) return finish(id, false);
      const std::int64_t base = outcome == OutcomeClass::kThrottle ? kSdkThrottleBaseNs : kSdkTransientBaseNs;
      const std::int64_t delay =
          edgeroute::full_jitter_backoff_ns(c.attempts - 1, base, kSdkCapNs, unit(config_.seed, kBackoff, id, c.attempts));
      if (c.deadline_ns - (now() + delay) < kMinAttemptNs) return finish(id, false);
      c.last_cost = budget.try_acquire_retry(timed_out);
      if (c.last_cost == 0) return finish(id, false);
      push(now() + delay, EventType::kWake, id);
      return;
    }
  }
}

void Simulation::wake(std::uint32_t id) {
  if (client_ == ClientKind::kEdgeroute) {
    drive(id);
  } else {
    send(id, calls_[id].region);
  }
}

void Simulation::finish(std::uint32_t id, bool ok) {
  Call& c = calls_[id];
  const double latency_ms = static_cast<double>(now() - c.arrival_ns) / 1e6;
  const bool near = c.region == nearest_of_device_[c.device];
  in_windows(now(), [&](WindowResult& w, std::size_t index) {
    if (!ok) {
      ++w.failures;
      return;
    }
    ++w.successes;
    if (near) ++w.near_successes;
    latencies_ms_[index].push_back(latency_ms);
  });
  c.routed.reset();
}

}  // namespace

const char* to_string(ClientKind kind) {
  switch (kind) {
    case ClientKind::kEdgeroute: return "edgeroute";
    case ClientKind::kNaive: return "naive";
    case ClientKind::kSdk: return "sdk-standard";
  }
  return "unknown";
}

const std::vector<RegionSpec>& world_regions() {
  // Gateways in central Europe: Frankfurt is nearest for every one of them. The
  // US regions are closer to nothing but have quota to spare: a router that
  // ignored the policy under pressure would find them.
  static const std::vector<RegionSpec> regions = {
      {"eu-central-1", true, 40.0, 12.0, 28.0},
      {"eu-west-3", true, 30.0, 30.0, 45.0},
      {"eu-west-1", true, 30.0, 38.0, 60.0},
      {"us-east-1", false, 80.0, 90.0, 120.0},
      {"us-west-2", false, 80.0, 150.0, 190.0},
  };
  return regions;
}

const std::vector<Scenario>& scenarios() {
  static const std::vector<Scenario> list = [] {
    std::vector<Scenario> v;
    // Nearest region 40 req/s, allowed total 100 req/s.
    Scenario s{};
    s.name = "steady";
    s.summary = "24 calls/s, below the nearest region's quota";
    s.base_rps = 24.0;
    s.windows[0] = {"all", 0.05, 1.0, false, false};
    s.window_count = 1;
    v.push_back(s);

    s = Scenario{};
    s.name = "overload";
    s.summary = "60 calls/s: 1.5x the nearest region, 0.6x the allowed total";
    s.base_rps = 60.0;
    s.windows[0] = {"all", 0.05, 1.0, false, true};
    s.window_count = 1;
    v.push_back(s);

    s = Scenario{};
    s.name = "saturated";
    s.summary = "150 calls/s: 1.5x the allowed total";
    s.base_rps = 150.0;
    s.windows[0] = {"all", 0.05, 1.0, false, false};
    s.window_count = 1;
    v.push_back(s);

    s = Scenario{};
    s.name = "spike";
    s.summary = "24 calls/s with a spike to 120 calls/s over 10 % of the run";
    s.base_rps = 24.0;
    s.spike_rps = 120.0;
    s.spike_start = 0.4;
    s.spike_end = 0.5;
    s.windows[0] = {"spike", 0.4, 0.5, false, false};
    s.windows[1] = {"after", 0.5, 1.0, false, false};
    s.window_count = 2;
    v.push_back(s);

    for (OutageKind kind : {OutageKind::kRefuse, OutageKind::kStall}) {
      s = Scenario{};
      s.name = kind == OutageKind::kRefuse ? "outage" : "outage-stall";
      s.summary = kind == OutageKind::kRefuse
                      ? "36 calls/s; eu-central-1 refuses connections over 25-65 % of the run"
                      : "36 calls/s; eu-central-1 accepts and never answers over 25-65 % of the run";
      s.base_rps = 36.0;
      s.outage = kind;
      s.outage_start = 0.25;
      s.outage_end = 0.65;
      s.windows[0] = {"before", 0.05, 0.25, false, false};
      s.windows[1] = {"outage", 0.25, 0.65, true, false};
      s.windows[2] = {"recovery", 0.65, 1.0, false, false};
      s.window_count = 3;
      v.push_back(s);
    }
    return v;
  }();
  return list;
}

ClientResult simulate(const Scenario& scenario, const SimConfig& config, ClientKind client) {
  Simulation sim(scenario, config, client);
  return sim.run();
}

}  // namespace fleet
