// edgeroute/router.h -- which allowed (identifier, source region) serves this call.
//
// The router ranks the candidates the residency policy allows, by measured latency
// (with hysteresis), by a configured order (failover) or by weights, keeps session
// keys on one candidate, and schedules frugal latency probes. It does no I/O and
// owns no thread: the caller drives probes with tick(now) and performs them through
// a Prober it supplies; the client reports the outcome of every call.
//
// Memory: fixed tables sized by config.h (tens of KiB); init() is the only call
// that may fail for want of configuration; pick(), report() and tick() never touch
// the heap.
// Thread-safety: every member function may be called from any number of threads.
// One mutex guards the state; it is held for a few hundred nanoseconds per pick or
// report and never while a probe runs.
// Lifetime: the Policy (and through it the Catalog) must outlive the router and
// must not change after init(). Strings in a Route point into the catalog.
#ifndef EDGEROUTE_ROUTER_H
#define EDGEROUTE_ROUTER_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "edgeroute/catalog.h"
#include "edgeroute/config.h"
#include "edgeroute/health.h"
#include "edgeroute/policy.h"
#include "edgeroute/status.h"

namespace edgeroute {

enum class RouteMode : std::uint8_t {
  kLatency,   // nearest allowed candidate by smoothed RTT, with hysteresis
  kFailover,  // first allowed candidate in a configured order (active-passive)
  kWeighted,  // split across allowed candidates by weight (active-active)
};
const char* to_string(RouteMode mode);

// Selection settings of one model. Lists name source regions; where several
// candidates share a source region, catalog order decides (in-region IDs first).
struct ModelRouting {
  std::string_view model;  // base model ID, e.g. anthropic.claude-sonnet-4-5-20250929-v1:0
  RouteMode mode = RouteMode::kLatency;
  // kFailover: "eu-central-1,eu-west-1", primary first; sources not listed are not
  // used. Empty: every allowed candidate, in catalog order.
  std::string_view order;
  // kWeighted: "eu-central-1=3,eu-west-1=1"; sources not listed get no traffic.
  // Empty: equal weights.
  std::string_view weights;
};

struct ProbeOptions {
  // Between probe rounds while the ranking changes; doubled after each round that
  // leaves it unchanged, up to max_interval_ms.
  std::int64_t interval_ms = 30000;
  std::int64_t max_interval_ms = 240000;
  // Every endpoint in use is re-measured at least this often (and at the first
  // tick); ordinary rounds probe only the best few (at most 8; larger is cut to 8).
  std::int64_t full_sweep_interval_ms = 1800000;
  std::uint32_t best_few = 3;
  // Each round's spacing moves by up to +-jitter_pct percent, so a fleet that
  // booted together does not probe in lockstep.
  std::uint32_t jitter_pct = 20;
  // Probe traffic allowed per clock hour, bytes; a probe that would exceed it is
  // deferred (and counted). Cellular gateways pay for every byte.
  std::uint64_t budget_bytes_per_hour = 256u * 1024u;
  // What a probe is assumed to cost before the prober has reported one, bytes
  // (a cold TLS handshake with certificate chain is about 6 KiB).
  std::uint32_t expected_probe_bytes = 6u * 1024u;
};

struct RouterOptions {
  RouteMode default_mode = RouteMode::kLatency;  // for models not listed below
  const ModelRouting* models = nullptr;
  std::size_t model_count = 0;
  // Latency mode keeps its current choice unless another candidate is faster by
  // more than hysteresis_pct percent of the current RTT and hysteresis_min_us.
  std::uint32_t hysteresis_pct = 10;
  std::int64_t hysteresis_min_us = 2000;
  // A session key idle this long forgets its candidate (prompt caches last minutes).
  std::int64_t sticky_idle_ms = 900000;
  ProbeOptions probes;
  // Per-endpoint (source region) health, see edgeroute/health.h and
  // docs/routing.md "Endpoint health": a throttled endpoint cools down (full-jitter
  // backoff, or x-amz-retry-after) and transient failures open its breaker; either
  // way its candidates are skipped until a single half-open trial succeeds.
  CooldownOptions cooldown;
  BreakerOptions breaker;
  // After an endpoint's first throttle, its send rate follows the SDKs' adaptive
  // (CUBIC) limiter: a candidate whose endpoint has no token is skipped like a
  // cooling one, so a fleet sharing an account's quota sends less instead of
  // hammering it, and spare traffic goes to another allowed endpoint.
  bool adaptive_rate = true;
  AdaptiveRateOptions rate;
  // Wall-clock time (UTC, seconds since 1970) at init: a model the catalog says
  // has reached end of life by then is refused by init() (when listed) and pick(),
  // with an error naming the model to use instead. The router never reads the clock.
  std::int64_t utc_unix_s = 0;
};

// Failover drills (docs/routing.md "Drills"): an operator takes an endpoint out
// for a while to see that traffic moves, before an incident does it for them.
enum class DrillKind : std::uint8_t {
  kDrain,  // no new calls go there: its candidates are skipped until the drill ends
  kFail,   // calls are still routed there, and fail at once without being sent
           // (Route::drill_failure), exercising the failover path end to end
};
const char* to_string(DrillKind kind);

// Smoothed round-trip time of one endpoint: EWMA (gain 1/4, RFC 6298's variance)
// with outlier rejection. A sample above srtt + max(4 rttvar, srtt/4) is rejected
// unless it is the kConfirmSamples-th such sample in a row; then the estimate jumps
// to it (a level shift, not a spike). kConfirmSamples low samples in a row below
// srtt - max(4 rttvar, srtt/4) jump the same way (low samples are real: they also
// feed the average meanwhile). So a lasting change beyond the band is followed
// within kConfirmSamples samples; smaller ones converge by the EWMA (about 8
// samples to 90 %).
class LatencyEstimate {
 public:
  static constexpr std::uint32_t kConfirmSamples = 3;
  // Returns false when the sample was rejected as an outlier. rtt_ns > 0.
  bool add(std::int64_t rtt_ns);
  bool measured() const { return samples_ > 0; }
  std::int64_t srtt_ns() const { return srtt_ns_; }
  std::int64_t rttvar_ns() const { return rttvar_ns_; }
  std::uint32_t samples() const { return samples_; }
  std::uint32_t rejected() const { return rejected_; }
  // A recent sample lay outside the band and awaits confirmation.
  bool unsettled() const { return high_run_ > 0 || low_run_ > 0; }

 private:
  void restart(std::int64_t rtt_ns);
  std::int64_t srtt_ns_ = 0;
  std::int64_t rttvar_ns_ = 0;
  std::int64_t run_limit_ns_ = 0;  // the band edge a run of outliers is judged by
  std::uint32_t samples_ = 0;
  std::uint32_t rejected_ = 0;
  std::uint32_t high_run_ = 0;
  std::uint32_t low_run_ = 0;
};

// Where to send one call. Strings point into the catalog.
struct Route {
  std::string_view identifier;     // model or profile ID for the request path
  std::string_view source_region;  // SigV4 region
  std::string_view host;           // bedrock-runtime.<source_region>.amazonaws.com
  std::uint16_t candidate = 0;     // catalog candidate index, for report()
  // This call is the endpoint's single half-open trial (of the cooldown, of the
  // breaker): report() hands these back so only the trial's outcome decides.
  bool cooldown_trial = false;
  bool breaker_trial = false;
  // The candidate this mode prefers when every endpoint is healthy; false when
  // health, a drill or the caller's avoid set moved the call elsewhere.
  bool primary = true;
  // A kFail drill covers this endpoint: do not send; report OutcomeClass::kTransient.
  bool drill_failure = false;
};


// The health of a candidate's source endpoint when pick() looked at it.
enum class EndpointCondition : std::uint8_t {
  kUsable,         // healthy, or half-open with its trial free
  kCooling,        // throttled: skipped until health_until_ns
  kCircuitOpen,    // transient failures opened the breaker: skipped until health_until_ns
  kTrialInFlight,  // half-open, and the single trial is out: skipped until it is reported
  kRateLimited,    // the adaptive send rate has no token: skipped until health_until_ns
  kDrained,        // a kDrain drill: skipped until health_until_ns
};
const char* to_string(EndpointCondition condition);

// Why a candidate was not the one picked.
enum class SkipReason : std::uint8_t {
  kChosen,
  kPolicy,       // the residency policy excludes it (see verdict)
  kNotInOrder,   // failover: its source is not in the order
  kZeroWeight,   // weighted: its source has no weight
  kHysteresis,   // faster, but not by enough to move off the current choice
  kRankedLower,  // allowed, another ranked first (or won the weighted draw, or
                 // holds the session)
};
const char* to_string(SkipReason reason);

// The whole decision, for `edgeroute route` and logs.
struct PickExplanation {
  struct Entry {
    std::uint16_t candidate = 0;
    SkipReason reason = SkipReason::kRankedLower;
    Verdict verdict;
    std::int64_t srtt_ns = -1;  // of its source endpoint; -1 when not measured
    std::uint16_t rank = 0;     // place in this mode's preference among eligible ones
    // Not kUsable: the candidate is allowed (and listed in this mode) but was
    // skipped for its endpoint's health; reason is then kRankedLower and rank 0.
    // health_until_ns: when cooling / open ends (0 for kUsable / kTrialInFlight).
    EndpointCondition health = EndpointCondition::kUsable;
    std::int64_t health_until_ns = 0;
  };
  RouteMode mode = RouteMode::kLatency;
  bool sticky = false;  // the session key decided
  std::int64_t now_ns = 0;  // the pick's time, for health_until_ns
  std::size_t count = 0;
  Entry entries[limits::kRouterMaxCandidatesPerModel];
};

// One entry's health in words, relative to the pick: "usable",
// "cooling until T (480 ms)", "circuit open until T (9000 ms)", "trial in flight"
// (T in monotonic ns). Returns the bytes needed (excluding the NUL); the text is
// cut, NUL-terminated, when `capacity` is smaller.
std::size_t describe_health(const PickExplanation& why, const PickExplanation::Entry& entry, char* buf,
                            std::size_t capacity);

struct ProbeResult {
  bool answered = false;       // any HTTP answer (or completed handshake) counts
  std::int64_t rtt_ns = 0;     // one round trip when answered
  std::uint32_t bytes = 0;     // sent + received, as far as the prober can tell
};

// Performs latency probes; the client layer implements it over the transport (a
// cheap unauthenticated request, timed on a warm connection). Called from tick() on the caller's thread, outside the router's
// lock; it may block up to its own timeout and must not call back into the router.
class Prober {
 public:
  virtual ~Prober() = default;
  virtual ProbeResult probe(std::string_view host, std::uint16_t region) = 0;
};

struct EndpointStats {
  bool probed = false;  // a source of some allowed candidate: tick() measures it
  std::int64_t srtt_ns = -1;
  std::int64_t rttvar_ns = 0;
  std::uint32_t samples = 0;   // probe and passive samples accepted
  std::uint32_t rejected = 0;  // outliers
  std::uint32_t probes = 0;
  std::uint32_t probe_failures = 0;
  // Health at the time asked (see EndpointCondition).
  EndpointCondition health = EndpointCondition::kUsable;
  std::int64_t health_until_ns = 0;
  std::uint32_t consecutive_throttles = 0;
  std::uint32_t total_throttles = 0;
  std::uint32_t breaker_trips = 0;
  // Adaptive rate: requests per second allowed, 0 while the limiter is not engaged.
  double send_rate = 0.0;
  std::int64_t drain_until_ns = 0;  // > now: a kDrain drill is on
  std::int64_t fail_until_ns = 0;   // > now: a kFail drill is on
};

struct ProbeStats {
  std::uint64_t bytes_total = 0;
  std::uint64_t bytes_this_hour = 0;
  std::uint32_t probes_sent = 0;
  std::uint32_t probes_deferred = 0;  // skipped for the byte budget
  std::uint32_t rounds = 0;
  std::int64_t interval_ns = 0;       // current spacing between rounds
  std::int64_t next_round_ns = 0;
};

struct CandidateStats {
  std::uint32_t picks = 0;
  std::uint32_t successes = 0;
  std::uint32_t throttles = 0;
  std::uint32_t failures = 0;  // unavailable or timeout
};

class Router {
 public:
  Router() = default;
  Router(const Router&) = delete;
  Router& operator=(const Router&) = delete;

  // Validates the per-model settings against the catalog and policy:
  // kNotFound for an unknown model, kInvalidArgument for a malformed order or
  // weight list or one naming a source with no allowed candidate, and the
  // policy's kPermissionDenied when it leaves a listed model no candidate.
  Status init(const Policy& policy, const RouterOptions& options);

  // Chooses the candidate for one call of `model` (base model ID). A non-empty
  // session_key keeps the session on its previous candidate while that remains
  // usable. `random` is any uniformly random number (weighted mode draws with it).
  // Candidates whose endpoint is cooling, has its breaker open, or has its single
  // half-open trial out are skipped; when the pick is such a trial, route says so.
  // kNotFound: unknown model; kPermissionDenied: nothing allowed and listed in this
  // mode; kUnavailable: every such candidate is unhealthy -- the message names each
  // with its state and says when the earliest is due (a disallowed candidate is
  // never picked instead).
  // `why`, when given, receives every candidate of the model with its reason.
  // `avoid`, when given, holds source regions this call has already tried: they
  // are passed over while any other candidate is usable (failover), and picked
  // again only when nothing else is. Such a pick never moves latency mode's choice.
  Status pick(std::string_view model, std::string_view session_key, std::int64_t now_ns,
              std::uint64_t random, Route* route, PickExplanation* why = nullptr,
              const RegionMask* avoid = nullptr);

  // When some listed, allowed candidate of `model` is usable next: now_ns when one
  // is usable now, the earliest end of a cooldown / open circuit / rate wait /
  // drain otherwise, INT64_MAX when only half-open trials are out (they end when
  // reported) or the model has no listed allowed candidate.
  std::int64_t next_due_ns(std::string_view model, std::int64_t now_ns) const;

  // Starts (or with until_ns <= now, ends) a drill on every endpoint of `region`.
  // kNotFound for a region the catalog does not know. A drill never makes a
  // disallowed candidate eligible; it only takes allowed ones out.
  Status drill(std::string_view region, DrillKind kind, std::int64_t until_ns, std::int64_t now_ns);

  // The outcome of a call made on `route`, as the client classified it. rtt_ns > 0
  // is a passive latency sample: a network round trip (the set-up time of a new
  // connection, say), never the time to the first token. kInvalidArgument when
  // the route did not come from pick().
  // It updates the endpoint's cooldown, breaker and send rate (kClient, kAuth and
  // kClockSkew never count against it). retry_after_ms: the
  // response's x-amz-retry-after, < 0 when absent. random_unit in [0, 1) jitters a
  // cooldown; < 0 (the default) lets the router draw one from its own generator.
  Status report(const Route& route, OutcomeClass outcome, std::int64_t rtt_ns, std::int64_t now_ns,
                std::int64_t retry_after_ms = -1, double random_unit = -1.0);

  // Runs a probe round when one is due: at the first call every endpoint, then the
  // best few, spacing out while the ranking is stable, within the byte budget.
  // Returns the number of probes performed. `random` jitters the next round.
  std::size_t tick(std::int64_t now_ns, std::uint64_t random, Prober& prober);
  // A full sweep of every allowed endpoint now, whatever the schedule says (at
  // start-up, or when the application knows the network changed); the schedule
  // then continues from now. Still within the byte budget. Returns the probes.
  std::size_t probe_now(std::int64_t now_ns, std::uint64_t random, Prober& prober);
  // When tick() will next probe (monotonic ns); INT64_MIN before the first round.
  std::int64_t next_probe_ns() const;

  // Without now_ns the health fields stay kUsable / 0 (the counters are filled).
  EndpointStats endpoint_stats(std::size_t region) const;
  EndpointStats endpoint_stats(std::size_t region, std::int64_t now_ns) const;
  ProbeStats probe_stats() const;
  CandidateStats candidate_stats(std::size_t candidate) const;
  // The policy init() was given (nullptr before): callers re-check routes with it.
  const Policy* policy() const { return policy_; }

 private:
  static constexpr std::uint16_t kUnlisted = 0xFFFF;
  static constexpr std::int64_t kUnmeasured = INT64_MAX;

  struct ModelState {
    RouteMode mode = RouteMode::kLatency;
    bool end_of_life = false;  // Catalog::check_lifecycle failed at init
    std::int32_t incumbent = -1;  // latency mode's current choice (candidate index)
    std::uint16_t order[limits::kRouterMaxRegions];   // position per source region
    std::uint32_t weight[limits::kRouterMaxRegions];  // per source region
  };
  struct Endpoint {
    LatencyEstimate latency;
    bool probed = false;
    std::uint32_t probes = 0;
    std::uint32_t probe_failures = 0;
    std::uint32_t last_probe_bytes = 0;
    EndpointHealth health;
    CircuitBreaker breaker;
    AdaptiveRate rate;
    std::int64_t drain_until_ns = 0;
    std::int64_t fail_until_ns = 0;
    // False while the cooldown is healthy, the breaker closed, the rate limiter
    // idle and no drill on (they change only in report() and drill()): pick() then
    // skips asking them, the common case stays cheap.
    bool guarded = false;
  };
  struct StickyEntry {
    std::uint64_t key_hash = 0;
    std::int64_t last_used_ns = 0;
    std::uint16_t model = 0;
    std::uint16_t candidate = 0;
    bool used = false;
  };

  struct HealthReport {
    std::int64_t retry_after_ms = -1;
    double random_unit = -1.0;
  };
  Status report_locked(const Route& route, OutcomeClass outcome, std::int64_t rtt_ns, std::int64_t now_ns,
                       const HealthReport* health);
  Status configure_model(const ModelRouting& routing);
  bool listed(const ModelState& state, const Candidate& c, std::size_t index) const;
  bool eligible(const ModelState& state, const Candidate& c, std::size_t index, std::int64_t now_ns) const;
  bool usable(const Endpoint& e, std::int64_t now_ns) const;
  bool is_primary(std::size_t model, int chosen, std::int64_t now_ns, const RegionMask* avoid) const;
  void update_guard(Endpoint& e, std::int64_t now_ns);
  EndpointCondition condition(std::size_t region, std::int64_t now_ns, std::int64_t* until_ns) const;
  Status unavailable(std::size_t model, std::string_view model_id, std::int64_t now_ns) const;
  std::int64_t preference(const ModelState& state, const Candidate& c) const;
  std::int64_t srtt(const Candidate& c) const;
  std::int64_t hysteresis_ns(std::int64_t current_ns) const;
  int choose(std::size_t model, std::uint64_t random, std::int64_t now_ns, const RegionMask* avoid,
             int* passed_over);
  StickyEntry* sticky_slot(std::uint64_t key_hash, std::size_t model, std::int64_t now_ns, bool* hit);
  void explain(std::size_t model, int chosen, int passed_over, bool sticky, std::int64_t now_ns,
               PickExplanation* why) const;
  std::size_t ranking(std::uint16_t* top, std::size_t capacity) const;

  const Policy* policy_ = nullptr;
  const Catalog* catalog_ = nullptr;
  RouterOptions options_;
  mutable std::mutex mutex_;

  Verdict verdicts_[limits::kRouterMaxCandidates];
  CandidateStats candidate_stats_[limits::kRouterMaxCandidates];
  ModelState models_[limits::kRouterMaxModels];
  Endpoint endpoints_[limits::kRouterMaxRegions];
  std::uint32_t guarded_endpoints_ = 0;  // how many have `guarded` set
  StickyEntry sticky_[limits::kRouterStickySlots];
  std::uint64_t jitter_state_ = 0;  // report()'s own cooldown jitter (splitmix64)

  // Probe scheduling.
  static constexpr std::size_t kMaxBestFew = 8;
  bool probing_ = false;  // a tick is running its probes (outside the lock)
  std::int64_t next_round_ns_ = INT64_MIN;
  std::int64_t next_full_sweep_ns_ = INT64_MIN;
  std::int64_t round_interval_ns_ = 0;
  std::int64_t hour_start_ns_ = INT64_MIN;
  std::uint16_t last_ranking_[kMaxBestFew] = {};
  std::size_t last_ranking_size_ = 0;
  ProbeStats probe_stats_;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_ROUTER_H
