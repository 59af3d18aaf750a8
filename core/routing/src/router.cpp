// Router: selection over the policy's verdicts (cached at init), sticky sessions,
// latency estimates and the probe scheduler. No heap after init(): everything is a
// fixed table, scanned linearly (a model has at most a few dozen candidates).
#include "edgeroute/router.h"

#include <cstdarg>
#include <cstdio>

namespace edgeroute {
namespace {

constexpr std::int64_t kNsPerMs = 1000000;
constexpr std::int64_t kNsPerHour = 3600 * 1000 * kNsPerMs;
// Sticky keys probe this many consecutive slots before evicting the least recent.
constexpr std::size_t kStickyProbe = 4;

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// Splits the next comma-separated item off `list`.
std::string_view next_item(std::string_view* list) {
  const std::size_t comma = list->find(',');
  const std::string_view item = trim_spaces(list->substr(0, comma));
  *list = comma == std::string_view::npos ? std::string_view() : list->substr(comma + 1);
  return item;
}

// FNV-1a: session keys are caller-chosen, not adversarial; a collision only
// shares stickiness, never bypasses the policy.
std::uint64_t hash_key(std::string_view key, std::size_t model) {
  std::uint64_t h = 0xcbf29ce484222325ull ^ (static_cast<std::uint64_t>(model) << 32);
  for (char c : key) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ull;
  }
  return h;
}

// splitmix64: report()'s cooldown jitter when the caller gives no random number.
std::uint64_t splitmix64(std::uint64_t* state) {
  std::uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

// ns from now, in whole ms rounded up (0 when past).
long long ms_until(std::int64_t until_ns, std::int64_t now_ns) {
  if (until_ns <= now_ns) return 0;
  return static_cast<long long>((until_ns - now_ns + kNsPerMs - 1) / kNsPerMs);
}

}  // namespace

const char* to_string(EndpointCondition condition) {
  switch (condition) {
    case EndpointCondition::kUsable: return "usable";
    case EndpointCondition::kCooling: return "cooling";
    case EndpointCondition::kCircuitOpen: return "circuit_open";
    case EndpointCondition::kTrialInFlight: return "trial_in_flight";
    case EndpointCondition::kRateLimited: return "rate_limited";
    case EndpointCondition::kDrained: return "drained";
  }
  return "unknown";
}

const char* to_string(DrillKind kind) {
  switch (kind) {
    case DrillKind::kDrain: return "drain";
    case DrillKind::kFail: return "fail";
  }
  return "unknown";
}

std::size_t describe_health(const PickExplanation& why, const PickExplanation::Entry& entry, char* buf,
                            std::size_t capacity) {
  int n = 0;
  switch (entry.health) {
    case EndpointCondition::kUsable: n = std::snprintf(buf, capacity, "usable"); break;
    case EndpointCondition::kCooling:
      n = std::snprintf(buf, capacity, "cooling until %lld (%lld ms)", static_cast<long long>(entry.health_until_ns),
                        ms_until(entry.health_until_ns, why.now_ns));
      break;
    case EndpointCondition::kCircuitOpen:
      n = std::snprintf(buf, capacity, "circuit open until %lld (%lld ms)",
                        static_cast<long long>(entry.health_until_ns), ms_until(entry.health_until_ns, why.now_ns));
      break;
    case EndpointCondition::kTrialInFlight: n = std::snprintf(buf, capacity, "trial in flight"); break;
    case EndpointCondition::kRateLimited:
      n = std::snprintf(buf, capacity, "rate limited until %lld (%lld ms)",
                        static_cast<long long>(entry.health_until_ns), ms_until(entry.health_until_ns, why.now_ns));
      break;
    case EndpointCondition::kDrained:
      n = std::snprintf(buf, capacity, "drained until %lld (%lld ms)", static_cast<long long>(entry.health_until_ns),
                        ms_until(entry.health_until_ns, why.now_ns));
      break;
  }
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

const char* to_string(RouteMode mode) {
  switch (mode) {
    case RouteMode::kLatency: return "latency";
    case RouteMode::kFailover: return "failover";
    case RouteMode::kWeighted: return "weighted";
  }
  return "unknown";
}

const char* to_string(SkipReason reason) {
  switch (reason) {
    case SkipReason::kChosen: return "chosen";
    case SkipReason::kPolicy: return "policy";
    case SkipReason::kNotInOrder: return "not_in_order";
    case SkipReason::kZeroWeight: return "zero_weight";
    case SkipReason::kHysteresis: return "hysteresis";
    case SkipReason::kRankedLower: return "ranked_lower";
  }
  return "unknown";
}

// ---------------------------------------------------------------------------
// LatencyEstimate

void LatencyEstimate::restart(std::int64_t rtt_ns) {
  srtt_ns_ = rtt_ns;
  // A new level is taken as steady (RFC 6298's rtt/2 suits timeouts, not
  // filtering: it would hide the next change for many samples).
  rttvar_ns_ = rtt_ns / 8;
  high_run_ = 0;
  low_run_ = 0;
}

bool LatencyEstimate::add(std::int64_t rtt_ns) {
  if (samples_ == 0) {
    restart(rtt_ns);
    samples_ = 1;
    return true;
  }
  // The band never shrinks below a quarter of the RTT: a steady link drives rttvar
  // towards zero, and ordinary jitter must not then count as an outlier.
  const std::int64_t band = 4 * rttvar_ns_ > srtt_ns_ / 4 ? 4 * rttvar_ns_ : srtt_ns_ / 4;
  // A run is judged against the limit in force when it began: the low samples it
  // lets through widen the band, which must not end the run.
  const bool high = high_run_ > 0 ? rtt_ns > run_limit_ns_ : rtt_ns > srtt_ns_ + band;
  const bool low = !high && (low_run_ > 0 ? rtt_ns < run_limit_ns_ : rtt_ns < srtt_ns_ - band);
  if (high) {
    if (high_run_ == 0) run_limit_ns_ = srtt_ns_ + band;
    low_run_ = 0;
    if (++high_run_ < kConfirmSamples) {
      ++rejected_;
      return false;
    }
    restart(rtt_ns);
    ++samples_;
    return true;
  }
  high_run_ = 0;
  if (low) {
    if (low_run_ == 0) run_limit_ns_ = srtt_ns_ - band;
    if (++low_run_ >= kConfirmSamples) {
      restart(rtt_ns);
      ++samples_;
      return true;
    }
  } else {
    low_run_ = 0;
  }
  const std::int64_t error = rtt_ns > srtt_ns_ ? rtt_ns - srtt_ns_ : srtt_ns_ - rtt_ns;
  rttvar_ns_ += (error - rttvar_ns_) / 4;
  srtt_ns_ += (rtt_ns - srtt_ns_) / 4;
  ++samples_;
  return true;
}

// ---------------------------------------------------------------------------
// Configuration

Status Router::init(const Policy& policy, const RouterOptions& options) {
  std::lock_guard<std::mutex> lock(mutex_);
  policy_ = &policy;
  catalog_ = &policy.catalog();
  options_ = options;
  options_.models = nullptr;  // not kept: the caller's array may not outlive init
  options_.model_count = 0;
  if (options_.probes.best_few > kMaxBestFew) options_.probes.best_few = kMaxBestFew;

  for (std::size_t i = 0; i < catalog_->candidate_count(); ++i) {
    verdicts_[i] = policy.check(catalog_->candidate(i));
    candidate_stats_[i] = CandidateStats();
  }
  for (std::size_t r = 0; r < limits::kRouterMaxRegions; ++r) {
    endpoints_[r] = Endpoint();
    endpoints_[r].health = EndpointHealth(options_.cooldown);
    endpoints_[r].breaker = CircuitBreaker(options_.breaker);
    endpoints_[r].rate = AdaptiveRate(options_.rate);
  }
  guarded_endpoints_ = 0;
  jitter_state_ = 0x65646765726f7574ull;  // fixed seed: deterministic under test
  for (std::size_t i = 0; i < catalog_->candidate_count(); ++i) {
    if (verdicts_[i].allowed()) endpoints_[catalog_->candidate(i).source_region].probed = true;
  }
  // Defaults: every source in order (catalog order decides), equal weights.
  for (std::size_t m = 0; m < catalog_->model_count(); ++m) {
    ModelState& state = models_[m];
    state.mode = options.default_mode;
    state.end_of_life = !catalog_->check_lifecycle(m, options.utc_unix_s).ok();
    state.incumbent = -1;
    for (std::size_t r = 0; r < limits::kRouterMaxRegions; ++r) {
      state.order[r] = 0;
      state.weight[r] = 1;
    }
  }
  for (std::size_t i = 0; i < options.model_count; ++i) {
    for (std::size_t j = 0; j < i; ++j) {
      if (options.models[j].model == options.models[i].model) {
        return Status::error(Code::kInvalidArgument, "routing: model %.*s is configured twice",
                             static_cast<int>(options.models[i].model.size()), options.models[i].model.data());
      }
    }
    Status s = configure_model(options.models[i]);
    if (!s.ok()) return s;
  }
  for (StickyEntry& e : sticky_) e = StickyEntry();
  next_round_ns_ = INT64_MIN;
  next_full_sweep_ns_ = INT64_MIN;
  hour_start_ns_ = INT64_MIN;
  round_interval_ns_ = options_.probes.interval_ms * kNsPerMs;
  last_ranking_size_ = 0;
  probe_stats_ = ProbeStats();
  return Status();
}

Status Router::configure_model(const ModelRouting& routing) {
  const int model = catalog_->find_model(routing.model);
  const int name_len = static_cast<int>(routing.model.size());
  if (model == Catalog::kNone) {
    return Status::error(Code::kNotFound, "routing: model %.*s is not in the catalog", name_len,
                         routing.model.data());
  }
  Status s = catalog_->check_lifecycle(static_cast<std::size_t>(model), options_.utc_unix_s);
  if (s.ok()) s = policy_->require_candidate(static_cast<std::size_t>(model));
  if (!s.ok()) return s;
  ModelState& state = models_[model];
  state.mode = routing.mode;
  const bool failover = routing.mode == RouteMode::kFailover;
  const bool weighted = routing.mode == RouteMode::kWeighted;
  std::string_view list = failover ? routing.order : (weighted ? routing.weights : std::string_view());
  if (list.empty()) return Status();
  for (std::size_t r = 0; r < limits::kRouterMaxRegions; ++r) {
    state.order[r] = kUnlisted;
    state.weight[r] = 0;
  }
  std::uint16_t position = 0;
  while (!list.empty()) {
    std::string_view item = next_item(&list);
    if (item.empty()) continue;
    std::uint32_t weight = 0;
    if (weighted) {
      const std::size_t eq = item.find('=');
      const std::string_view digits = eq == std::string_view::npos ? std::string_view() : trim_spaces(item.substr(eq + 1));
      bool valid = !digits.empty() && digits.size() <= 5;
      for (char c : digits) {
        valid = valid && c >= '0' && c <= '9';
        if (valid) weight = weight * 10 + static_cast<std::uint32_t>(c - '0');
      }
      if (!valid || weight > 65535) {
        return Status::error(Code::kInvalidArgument,
                             "routing: %.*s weights: '%.*s' is not REGION=WEIGHT (0..65535)", name_len,
                             routing.model.data(), static_cast<int>(item.size()), item.data());
      }
      item = trim_spaces(item.substr(0, eq));
    }
    const int region = catalog_->find_region(item);
    bool has_allowed = false;
    const std::size_t first = catalog_->model_first_candidate(static_cast<std::size_t>(model));
    const std::size_t count = catalog_->model_candidate_count(static_cast<std::size_t>(model));
    for (std::size_t i = first; i < first + count && region != Catalog::kNone; ++i) {
      has_allowed = has_allowed || (verdicts_[i].allowed() && catalog_->candidate(i).source_region == region);
    }
    // A list naming a source the model cannot use is a configuration mistake that
    // would otherwise surface only when its primary fails.
    if (!has_allowed) {
      return Status::error(Code::kInvalidArgument,
                           "routing: %.*s %s names %.*s, which has no allowed candidate of this model",
                           name_len, routing.model.data(), failover ? "order" : "weights",
                           static_cast<int>(item.size()), item.data());
    }
    state.order[region] = position++;
    state.weight[region] = weight;
  }
  return Status();
}

// ---------------------------------------------------------------------------
// Selection

// Allowed by the policy and used by the model's mode (health aside).
bool Router::listed(const ModelState& state, const Candidate& c, std::size_t index) const {
  if (!verdicts_[index].allowed()) return false;
  switch (state.mode) {
    case RouteMode::kLatency: return true;
    case RouteMode::kFailover: return state.order[c.source_region] != kUnlisted;
    case RouteMode::kWeighted: return state.weight[c.source_region] != 0;
  }
  return false;
}

// The policy comes first, then the mode (listed(), spelled out: this runs for
// every candidate of every pick), then health: neither guard of the endpoint keeps
// a call out now (available() is side-effect free).
bool Router::eligible(const ModelState& state, const Candidate& c, std::size_t index, std::int64_t now_ns) const {
  if (!verdicts_[index].allowed()) return false;
  bool in_mode = false;
  switch (state.mode) {
    case RouteMode::kLatency: in_mode = true; break;
    case RouteMode::kFailover: in_mode = state.order[c.source_region] != kUnlisted; break;
    case RouteMode::kWeighted: in_mode = state.weight[c.source_region] != 0; break;
  }
  if (!in_mode) return false;
  const Endpoint& e = endpoints_[c.source_region];
  return !e.guarded || usable(e, now_ns);
}

// Every guard of a guarded endpoint lets a call through now.
bool Router::usable(const Endpoint& e, std::int64_t now_ns) const {
  return e.drain_until_ns <= now_ns && e.health.available(now_ns) && e.breaker.available(now_ns) &&
         (!e.rate.enabled() || e.rate.wait_ns(now_ns) == 0);
}

void Router::update_guard(Endpoint& e, std::int64_t now_ns) {
  const bool guarded = e.health.consecutive_throttles() > 0 ||
                       e.breaker.state(now_ns) != CircuitBreaker::State::kClosed || e.rate.enabled() ||
                       e.drain_until_ns > now_ns || e.fail_until_ns > now_ns;
  if (guarded != e.guarded) {
    guarded_endpoints_ += guarded ? 1u : static_cast<std::uint32_t>(-1);
    e.guarded = guarded;
  }
}

EndpointCondition Router::condition(std::size_t region, std::int64_t now_ns, std::int64_t* until_ns) const {
  const Endpoint& e = endpoints_[region];
  *until_ns = 0;
  if (!e.guarded) return EndpointCondition::kUsable;
  if (e.drain_until_ns > now_ns) {
    *until_ns = e.drain_until_ns;
    return EndpointCondition::kDrained;
  }
  // Where both guards keep it out, the later end is when it is due.
  const bool cooling = e.health.state(now_ns) == EndpointHealth::State::kCooling;
  const bool open = e.breaker.state(now_ns) == CircuitBreaker::State::kOpen;
  if (cooling || open) {
    const std::int64_t cool_until = cooling ? e.health.cooling_until_ns() : 0;
    const std::int64_t open_until = open ? e.breaker.open_until_ns() : 0;
    *until_ns = cool_until > open_until ? cool_until : open_until;
    return cool_until >= open_until ? EndpointCondition::kCooling : EndpointCondition::kCircuitOpen;
  }
  if (!e.health.available(now_ns) || !e.breaker.available(now_ns)) return EndpointCondition::kTrialInFlight;
  if (e.rate.enabled()) {
    const std::int64_t wait = e.rate.wait_ns(now_ns);
    if (wait > 0) {
      *until_ns = now_ns + wait;
      return EndpointCondition::kRateLimited;
    }
  }
  return EndpointCondition::kUsable;
}

namespace {

// snprintf at *used into buf, cut at the end of buf; *used stops at cap - 1.
#if defined(__GNUC__)
__attribute__((format(printf, 4, 5)))
#endif
void append_format(char* buf, std::size_t cap, std::size_t* used, const char* format, ...) {
  const std::size_t room = cap - *used;
  if (room <= 1) return;
  va_list args;
  va_start(args, format);
  const int n = std::vsnprintf(buf + *used, room, format, args);
  va_end(args);
  if (n > 0) *used += static_cast<std::size_t>(n) < room ? static_cast<std::size_t>(n) : room - 1;
}

}  // namespace

// Every listed candidate is unhealthy: name each with its state, and when the
// earliest is due. Formatted on the stack (no heap); cut to the status's size.
Status Router::unavailable(std::size_t model, std::string_view model_id, std::int64_t now_ns) const {
  char text[limits::kStatusMessageBytes];
  text[0] = '\0';
  std::size_t used = 0;
  const ModelState& state = models_[model];
  const std::size_t first = catalog_->model_first_candidate(model);
  const std::size_t end = first + catalog_->model_candidate_count(model);
  // When the earliest is due comes first: a long list is cut at the end.
  std::int64_t earliest = INT64_MAX;
  for (std::size_t i = first; i < end; ++i) {
    const Candidate& c = catalog_->candidate(i);
    std::int64_t until = 0;
    if (listed(state, c, i) && condition(c.source_region, now_ns, &until) != EndpointCondition::kTrialInFlight &&
        until > 0 && until < earliest) {
      earliest = until;
    }
  }
  append_format(text, sizeof text, &used, "router: no allowed candidate of %.*s usable", static_cast<int>(model_id.size()), model_id.data());
  if (earliest != INT64_MAX) {
    append_format(text, sizeof text, &used, "; earliest due in %lld ms:", ms_until(earliest, now_ns));
  } else {
    append_format(text, sizeof text, &used, "; due when a half-open trial is reported:");
  }
  for (std::size_t i = first; i < end; ++i) {
    const Candidate& c = catalog_->candidate(i);
    if (!listed(state, c, i)) continue;
    std::int64_t until = 0;
    const EndpointCondition cond = condition(c.source_region, now_ns, &until);
    const std::string_view id = catalog_->identifier(c);
    const std::string_view src = catalog_->region_name(c.source_region);
    const int id_len = static_cast<int>(id.size());
    const int src_len = static_cast<int>(src.size());
    switch (cond) {
      case EndpointCondition::kCooling:
      case EndpointCondition::kCircuitOpen:
      case EndpointCondition::kRateLimited:
      case EndpointCondition::kDrained:
        append_format(text, sizeof text, &used, " %.*s@%.*s %s %lldms", id_len, id.data(), src_len, src.data(),
                      cond == EndpointCondition::kCooling       ? "cooling"
                      : cond == EndpointCondition::kCircuitOpen ? "open"
                      : cond == EndpointCondition::kRateLimited ? "rate limited"
                                                                : "drained",
                      ms_until(until, now_ns));
        break;
      case EndpointCondition::kTrialInFlight:
      case EndpointCondition::kUsable:
        append_format(text, sizeof text, &used, " %.*s@%.*s %s", id_len, id.data(), src_len, src.data(),
                      cond == EndpointCondition::kTrialInFlight ? "trial in flight" : "usable");
        break;
    }
  }
  if (used + 1 >= sizeof text) {  // cut: say so (explain() has every candidate)
    text[sizeof text - 4] = '.';
    text[sizeof text - 3] = '.';
    text[sizeof text - 2] = '.';
  }
  return Status::error(Code::kUnavailable, "%s", text);
}

std::int64_t Router::srtt(const Candidate& c) const {
  const LatencyEstimate& e = endpoints_[c.source_region].latency;
  return e.measured() ? e.srtt_ns() : kUnmeasured;
}

// Lower is preferred; ties go to the lower catalog index.
std::int64_t Router::preference(const ModelState& state, const Candidate& c) const {
  switch (state.mode) {
    case RouteMode::kLatency: return srtt(c);
    case RouteMode::kFailover: return state.order[c.source_region];
    case RouteMode::kWeighted: return -static_cast<std::int64_t>(state.weight[c.source_region]);
  }
  return 0;
}

// How much faster than `current_ns` another candidate must be to take over.
std::int64_t Router::hysteresis_ns(std::int64_t current_ns) const {
  const std::int64_t relative = current_ns / 100 * static_cast<std::int64_t>(options_.hysteresis_pct);
  const std::int64_t absolute = options_.hysteresis_min_us * 1000;
  return relative > absolute ? relative : absolute;
}

// The chosen candidate index or -1. *passed_over: the better-ranked candidate that
// hysteresis passed over, or -1.
int Router::choose(std::size_t model, std::uint64_t random, std::int64_t now_ns, const RegionMask* avoid,
                   int* passed_over) {
  ModelState& state = models_[model];
  const std::size_t first = catalog_->model_first_candidate(model);
  const std::size_t end = first + catalog_->model_candidate_count(model);
  *passed_over = -1;
  const auto ok = [&](const Candidate& c, std::size_t i) {
    return eligible(state, c, i, now_ns) && (avoid == nullptr || !avoid->test(c.source_region));
  };
  if (state.mode == RouteMode::kWeighted) {
    // A source's weight goes to its first eligible candidate only.
    RegionMask counted;
    std::uint64_t total = 0;
    for (std::size_t i = first; i < end; ++i) {
      const Candidate& c = catalog_->candidate(i);
      if (!ok(c, i) || counted.test(c.source_region)) continue;
      counted.set(c.source_region);
      total += state.weight[c.source_region];
    }
    if (total == 0) return -1;
    std::uint64_t draw = random % total;
    RegionMask seen;
    for (std::size_t i = first; i < end; ++i) {
      const Candidate& c = catalog_->candidate(i);
      if (!ok(c, i) || seen.test(c.source_region)) continue;
      seen.set(c.source_region);
      if (draw < state.weight[c.source_region]) return static_cast<int>(i);
      draw -= state.weight[c.source_region];
    }
    return -1;
  }
  int best = -1;
  std::int64_t best_key = 0;
  for (std::size_t i = first; i < end; ++i) {
    const Candidate& c = catalog_->candidate(i);
    if (!ok(c, i)) continue;
    const std::int64_t key = preference(state, c);
    if (best < 0 || key < best_key) {
      best = static_cast<int>(i);
      best_key = key;
    }
  }
  // A failover pick (avoid given) neither keeps nor moves latency mode's choice.
  if (state.mode != RouteMode::kLatency || best < 0 || avoid != nullptr) return best;
  // Hysteresis: stay unless the best is clearly faster than the current choice.
  const int incumbent = state.incumbent;
  if (incumbent >= 0 && incumbent != best &&
      eligible(state, catalog_->candidate(static_cast<std::size_t>(incumbent)), static_cast<std::size_t>(incumbent),
               now_ns)) {
    const std::int64_t current = srtt(catalog_->candidate(static_cast<std::size_t>(incumbent)));
    if (current == best_key ||
        (current != kUnmeasured && current - best_key <= hysteresis_ns(current))) {
      *passed_over = best;
      return incumbent;
    }
  }
  state.incumbent = best;
  return best;
}

// Whether `chosen` is what this mode prefers with every endpoint healthy: no
// better-preferred listed candidate was passed over for health, a drill or `avoid`.
bool Router::is_primary(std::size_t model, int chosen, std::int64_t now_ns, const RegionMask* avoid) const {
  if (guarded_endpoints_ == 0 && avoid == nullptr) return true;
  const ModelState& state = models_[model];
  const std::int64_t chosen_key = preference(state, catalog_->candidate(static_cast<std::size_t>(chosen)));
  const std::size_t first = catalog_->model_first_candidate(model);
  const std::size_t end = first + catalog_->model_candidate_count(model);
  for (std::size_t i = first; i < end; ++i) {
    const Candidate& c = catalog_->candidate(i);
    if (static_cast<int>(i) == chosen || !listed(state, c, i)) continue;
    const bool skipped = !eligible(state, c, i, now_ns) || (avoid != nullptr && avoid->test(c.source_region));
    if (skipped && preference(state, c) < chosen_key) return false;
  }
  return true;
}

Router::StickyEntry* Router::sticky_slot(std::uint64_t key_hash, std::size_t model, std::int64_t now_ns,
                                         bool* hit) {
  const std::int64_t idle_ns = options_.sticky_idle_ms * kNsPerMs;
  StickyEntry* victim = nullptr;
  *hit = false;
  for (std::size_t k = 0; k < kStickyProbe; ++k) {
    StickyEntry& e = sticky_[(key_hash + k) % limits::kRouterStickySlots];
    const bool live = e.used && now_ns - e.last_used_ns < idle_ns;
    if (live && e.key_hash == key_hash && e.model == model) {
      *hit = true;
      return &e;
    }
    if (!live) {
      if (victim == nullptr || victim->used) victim = &e;
    } else if (victim == nullptr || (victim->used && e.last_used_ns < victim->last_used_ns)) {
      victim = &e;
    }
  }
  return victim;
}

Status Router::pick(std::string_view model_id, std::string_view session_key, std::int64_t now_ns,
                    std::uint64_t random, Route* route, PickExplanation* why, const RegionMask* avoid) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (catalog_ == nullptr) return Status::error(Code::kInternal, "router: pick before init");
  const int found = catalog_->find_model(model_id);
  if (found == Catalog::kNone) {
    return Status::error(Code::kNotFound, "router: model %.*s is not in the catalog",
                         static_cast<int>(model_id.size()), model_id.data());
  }
  const std::size_t model = static_cast<std::size_t>(found);
  if (models_[model].end_of_life) return catalog_->check_lifecycle(model, options_.utc_unix_s);
  int chosen = -1;
  int passed_over = -1;
  bool sticky = false;
  StickyEntry* slot = nullptr;
  if (!session_key.empty()) {
    const std::uint64_t key_hash = hash_key(session_key, model);
    slot = sticky_slot(key_hash, model, now_ns, &sticky);
    if (sticky && (!eligible(models_[model], catalog_->candidate(slot->candidate), slot->candidate, now_ns) ||
                   (avoid != nullptr && avoid->test(catalog_->candidate(slot->candidate).source_region)))) {
      sticky = false;
    }
    if (sticky) chosen = slot->candidate;
    slot->key_hash = key_hash;
    slot->model = static_cast<std::uint16_t>(model);
  }
  if (avoid != nullptr && avoid->empty()) avoid = nullptr;
  if (chosen < 0) chosen = choose(model, random, now_ns, avoid, &passed_over);
  if (chosen < 0 && avoid != nullptr) {
    // Every other candidate is out: one already tried is better than none.
    static const RegionMask kNone;
    chosen = choose(model, random, now_ns, &kNone, &passed_over);
  }
  if (why != nullptr) explain(model, chosen, passed_over, sticky, now_ns, why);
  if (chosen < 0) {
    if (slot != nullptr) slot->used = false;
    const ModelState& state = models_[model];
    const std::size_t first = catalog_->model_first_candidate(model);
    const std::size_t end = first + catalog_->model_candidate_count(model);
    for (std::size_t i = first; i < end; ++i) {
      if (listed(state, catalog_->candidate(i), i)) return unavailable(model, model_id, now_ns);
    }
    return Status::error(Code::kPermissionDenied,
                         "router: no allowed candidate of %.*s is eligible in %s mode",
                         static_cast<int>(model_id.size()), model_id.data(), to_string(models_[model].mode));
  }
  if (slot != nullptr) {
    slot->candidate = static_cast<std::uint16_t>(chosen);
    slot->last_used_ns = now_ns;
    slot->used = true;
  }
  const Candidate& c = catalog_->candidate(static_cast<std::size_t>(chosen));
  route->identifier = catalog_->identifier(c);
  route->source_region = catalog_->region_name(c.source_region);
  route->host = catalog_->region_host(c.source_region);
  route->candidate = static_cast<std::uint16_t>(chosen);
  // eligible() saw both guards available under this lock, so neither denies; a
  // half-open endpoint gives its single trial to this call.
  Endpoint& endpoint = endpoints_[c.source_region];
  route->cooldown_trial = endpoint.guarded && endpoint.health.acquire(now_ns) == Admission::kTrial;
  route->breaker_trial = endpoint.guarded && endpoint.breaker.acquire(now_ns) == Admission::kTrial;
  route->drill_failure = endpoint.guarded && endpoint.fail_until_ns > now_ns;
  if (endpoint.guarded && endpoint.rate.enabled()) (void)endpoint.rate.try_acquire(now_ns);
  route->primary = is_primary(model, chosen, now_ns, avoid);
  ++candidate_stats_[chosen].picks;
  return Status();
}

void Router::explain(std::size_t model, int chosen, int passed_over, bool sticky, std::int64_t now_ns,
                     PickExplanation* why) const {
  const ModelState& state = models_[model];
  const std::size_t first = catalog_->model_first_candidate(model);
  const std::size_t end = first + catalog_->model_candidate_count(model);
  why->mode = state.mode;
  why->sticky = sticky;
  why->now_ns = now_ns;
  why->count = 0;
  // Eligibility and preference once per candidate; ranks compare the arrays.
  bool ok[limits::kRouterMaxCandidatesPerModel];
  std::int64_t key[limits::kRouterMaxCandidatesPerModel];
  for (std::size_t i = first; i < end; ++i) {
    const Candidate& c = catalog_->candidate(i);
    const std::size_t k = why->count++;
    PickExplanation::Entry& e = why->entries[k];
    e.candidate = static_cast<std::uint16_t>(i);
    e.verdict = verdicts_[i];
    e.srtt_ns = srtt(c) == kUnmeasured ? -1 : srtt(c);
    e.rank = 0;
    e.health = EndpointCondition::kUsable;
    e.health_until_ns = 0;
    const bool in_mode = listed(state, c, i);
    if (in_mode) e.health = condition(c.source_region, now_ns, &e.health_until_ns);
    ok[k] = in_mode && e.health == EndpointCondition::kUsable;
    key[k] = ok[k] ? preference(state, c) : 0;
    if (static_cast<int>(i) == chosen) {
      e.reason = SkipReason::kChosen;
    } else if (!verdicts_[i].allowed()) {
      e.reason = SkipReason::kPolicy;
    } else if (in_mode && !ok[k]) {
      e.reason = SkipReason::kRankedLower;  // skipped for health: see e.health
    } else if (!ok[k]) {
      e.reason = state.mode == RouteMode::kFailover ? SkipReason::kNotInOrder : SkipReason::kZeroWeight;
    } else if (static_cast<int>(i) == passed_over) {
      e.reason = SkipReason::kHysteresis;
    } else {
      e.reason = SkipReason::kRankedLower;
    }
  }
  for (std::size_t a = 0; a < why->count; ++a) {
    if (!ok[a]) continue;
    for (std::size_t b = 0; b < why->count; ++b) {
      if (b == a || !ok[b]) continue;
      if (key[b] < key[a] || (key[b] == key[a] && b < a)) ++why->entries[a].rank;
    }
  }
}

Status Router::report(const Route& route, OutcomeClass outcome, std::int64_t rtt_ns, std::int64_t now_ns,
                      std::int64_t retry_after_ms, double random_unit) {
  HealthReport health;
  health.retry_after_ms = retry_after_ms;
  health.random_unit = random_unit;
  return report_locked(route, outcome, rtt_ns, now_ns, &health);
}

Status Router::report_locked(const Route& route, OutcomeClass outcome, std::int64_t rtt_ns, std::int64_t now_ns,
                             const HealthReport* health) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (catalog_ == nullptr || route.candidate >= catalog_->candidate_count() ||
      catalog_->identifier(catalog_->candidate(route.candidate)).data() != route.identifier.data()) {
    return Status::error(Code::kInvalidArgument, "router: report for a route pick() did not return");
  }
  CandidateStats& stats = candidate_stats_[route.candidate];
  switch (outcome) {
    case OutcomeClass::kSuccess: ++stats.successes; break;
    case OutcomeClass::kThrottle:
    case OutcomeClass::kQuota: ++stats.throttles; break;
    case OutcomeClass::kModelNotReady:
    case OutcomeClass::kTransient: ++stats.failures; break;
    case OutcomeClass::kClient:
    case OutcomeClass::kAuth:
    case OutcomeClass::kClockSkew: break;  // the request's (or client's) fault, not the endpoint's
  }
  Endpoint& endpoint = endpoints_[catalog_->candidate(route.candidate).source_region];
  if (rtt_ns > 0) endpoint.latency.add(rtt_ns);
  Report r;
  r.outcome = outcome;
  r.retry_after_ms = health->retry_after_ms;
  // NaN or < 0: the router draws the jitter itself.
  r.random_unit = health->random_unit >= 0.0 ? health->random_unit
                                     : static_cast<double>(splitmix64(&jitter_state_) >> 11) * 0x1.0p-53;
  r.trial = route.cooldown_trial;
  endpoint.health.record(r, now_ns);
  r.trial = route.breaker_trial;
  endpoint.breaker.record(r, now_ns);
  if (options_.adaptive_rate) endpoint.rate.record(outcome, now_ns);
  update_guard(endpoint, now_ns);
  return Status();
}

// ---------------------------------------------------------------------------
// Probes

// The best `capacity` probed endpoints by smoothed RTT (measured ones only).
std::size_t Router::ranking(std::uint16_t* top, std::size_t capacity) const {
  std::size_t n = 0;
  if (capacity == 0) return 0;
  for (std::size_t r = 0; r < catalog_->region_count(); ++r) {
    const Endpoint& e = endpoints_[r];
    if (!e.probed || !e.latency.measured()) continue;
    const std::int64_t rtt = e.latency.srtt_ns();
    if (n == capacity && rtt >= endpoints_[top[n - 1]].latency.srtt_ns()) continue;
    // Insertion into a short sorted list; when full, the last one drops out.
    std::size_t at = n < capacity ? n : capacity - 1;
    while (at > 0 && endpoints_[top[at - 1]].latency.srtt_ns() > rtt) {
      top[at] = top[at - 1];
      --at;
    }
    top[at] = static_cast<std::uint16_t>(r);
    if (n < capacity) ++n;
  }
  return n;
}

std::size_t Router::probe_now(std::int64_t now_ns, std::uint64_t random, Prober& prober) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (probing_) return 0;
    next_round_ns_ = now_ns;
    next_full_sweep_ns_ = now_ns;
  }
  return tick(now_ns, random, prober);
}

std::int64_t Router::next_probe_ns() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return next_round_ns_;
}

std::size_t Router::tick(std::int64_t now_ns, std::uint64_t random, Prober& prober) {
  std::uint16_t batch[limits::kRouterMaxRegions];
  std::size_t batch_size = 0;
  bool full_sweep = false;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (catalog_ == nullptr || probing_ || now_ns < next_round_ns_) return 0;
    if (hour_start_ns_ == INT64_MIN || now_ns - hour_start_ns_ >= kNsPerHour) {
      hour_start_ns_ = now_ns;
      probe_stats_.bytes_this_hour = 0;
    }
    full_sweep = now_ns >= next_full_sweep_ns_;
    std::uint16_t all[limits::kRouterMaxRegions];
    std::size_t wanted = 0;
    if (full_sweep) {
      for (std::size_t r = 0; r < catalog_->region_count(); ++r) {
        if (endpoints_[r].probed) all[wanted++] = static_cast<std::uint16_t>(r);
      }
    } else {
      // The best few, and any endpoint whose last sample hinted at a change: it is
      // confirmed (or dismissed) in the next rounds instead of at the next sweep.
      wanted = ranking(all, options_.probes.best_few);
      for (std::size_t r = 0; r < catalog_->region_count(); ++r) {
        bool listed = false;
        for (std::size_t k = 0; k < wanted; ++k) listed = listed || all[k] == r;
        if (!listed && endpoints_[r].probed && endpoints_[r].latency.unsettled()) {
          all[wanted++] = static_cast<std::uint16_t>(r);
        }
      }
    }
    std::uint64_t committed = probe_stats_.bytes_this_hour;
    for (std::size_t k = 0; k < wanted; ++k) {
      const Endpoint& e = endpoints_[all[k]];
      const std::uint64_t cost = e.last_probe_bytes != 0 ? e.last_probe_bytes : options_.probes.expected_probe_bytes;
      if (committed + cost > options_.probes.budget_bytes_per_hour) {
        ++probe_stats_.probes_deferred;
        continue;
      }
      committed += cost;
      batch[batch_size++] = all[k];
    }
    probing_ = true;
  }

  ProbeResult results[limits::kRouterMaxRegions];
  for (std::size_t k = 0; k < batch_size; ++k) {
    results[k] = prober.probe(catalog_->region_host(batch[k]), batch[k]);
  }

  std::lock_guard<std::mutex> lock(mutex_);
  probing_ = false;
  for (std::size_t k = 0; k < batch_size; ++k) {
    Endpoint& e = endpoints_[batch[k]];
    ++e.probes;
    ++probe_stats_.probes_sent;
    e.last_probe_bytes = results[k].bytes;
    probe_stats_.bytes_total += results[k].bytes;
    probe_stats_.bytes_this_hour += results[k].bytes;
    if (results[k].answered && results[k].rtt_ns > 0) {
      e.latency.add(results[k].rtt_ns);
    } else {
      ++e.probe_failures;
    }
  }
  // Space rounds out while the best few stay in the same order; start over when
  // they change, so a shift is confirmed quickly.
  std::uint16_t top[kMaxBestFew];
  const std::size_t n = ranking(top, options_.probes.best_few);
  bool same = n == last_ranking_size_;
  for (std::size_t k = 0; k < n && same; ++k) same = top[k] == last_ranking_[k];
  for (std::size_t k = 0; k < n; ++k) last_ranking_[k] = top[k];
  last_ranking_size_ = n;
  const std::int64_t base_ns = options_.probes.interval_ms * kNsPerMs;
  const std::int64_t max_ns = options_.probes.max_interval_ms * kNsPerMs;
  if (same) {
    round_interval_ns_ = round_interval_ns_ * 2 < max_ns ? round_interval_ns_ * 2 : max_ns;
  } else {
    round_interval_ns_ = base_ns;
  }
  // Jitter in [-jitter_pct, +jitter_pct) percent of the interval.
  const double unit = static_cast<double>(random >> 11) * 0x1.0p-53;
  const double jitter = (2.0 * unit - 1.0) * static_cast<double>(options_.probes.jitter_pct) / 100.0;
  next_round_ns_ = now_ns + round_interval_ns_ + static_cast<std::int64_t>(jitter * static_cast<double>(round_interval_ns_));
  if (full_sweep) next_full_sweep_ns_ = now_ns + options_.probes.full_sweep_interval_ms * kNsPerMs;
  probe_stats_.interval_ns = round_interval_ns_;
  probe_stats_.next_round_ns = next_round_ns_;
  ++probe_stats_.rounds;
  return batch_size;
}

std::int64_t Router::next_due_ns(std::string_view model_id, std::int64_t now_ns) const {
  std::lock_guard<std::mutex> lock(mutex_);
  if (catalog_ == nullptr) return INT64_MAX;
  const int found = catalog_->find_model(model_id);
  if (found == Catalog::kNone) return INT64_MAX;
  const std::size_t model = static_cast<std::size_t>(found);
  const ModelState& state = models_[model];
  const std::size_t first = catalog_->model_first_candidate(model);
  const std::size_t end = first + catalog_->model_candidate_count(model);
  std::int64_t due = INT64_MAX;
  for (std::size_t i = first; i < end; ++i) {
    const Candidate& c = catalog_->candidate(i);
    if (!listed(state, c, i)) continue;
    std::int64_t until = 0;
    switch (condition(c.source_region, now_ns, &until)) {
      case EndpointCondition::kUsable: return now_ns;
      case EndpointCondition::kTrialInFlight: break;
      case EndpointCondition::kCooling:
      case EndpointCondition::kCircuitOpen:
      case EndpointCondition::kRateLimited:
      case EndpointCondition::kDrained:
        if (until < due) due = until;
        break;
    }
  }
  return due;
}

Status Router::drill(std::string_view region, DrillKind kind, std::int64_t until_ns, std::int64_t now_ns) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (catalog_ == nullptr) return Status::error(Code::kInternal, "router: drill before init");
  const int r = catalog_->find_region(region);
  if (r == Catalog::kNone) {
    return Status::error(Code::kNotFound, "drill: region %.*s is not in the catalog", static_cast<int>(region.size()),
                         region.data());
  }
  // A drill on an endpoint no allowed candidate uses would change nothing and say
  // nothing: refuse it, naming the endpoints the policy does allow.
  bool used = false;
  std::uint64_t allowed_mask[(limits::kRouterMaxRegions + 63) / 64] = {};
  for (std::size_t i = 0; i < catalog_->candidate_count(); ++i) {
    const Candidate& c = catalog_->candidate(i);
    if (policy_ == nullptr || !policy_->check(c).allowed()) continue;
    used = used || c.source_region == static_cast<std::size_t>(r);
    allowed_mask[c.source_region / 64] |= std::uint64_t{1} << (c.source_region % 64);
  }
  if (!used) {
    char names[limits::kStatusMessageBytes] = "none";
    std::size_t at = 0;
    for (std::size_t i = 0; i < catalog_->region_count(); ++i) {
      if ((allowed_mask[i / 64] >> (i % 64) & 1) == 0) continue;
      const std::string_view name = catalog_->region_name(i);
      const int n = std::snprintf(names + at, sizeof names - at, "%s%.*s", at == 0 ? "" : ", ",
                                  static_cast<int>(name.size()), name.data());
      if (n < 0 || static_cast<std::size_t>(n) >= sizeof names - at) break;
      at += static_cast<std::size_t>(n);
    }
    return Status::error(Code::kInvalidArgument,
                         "drill: region %.*s is outside the allowed set (allowed endpoints: %s)",
                         static_cast<int>(region.size()), region.data(), names);
  }
  Endpoint& e = endpoints_[r];
  const std::int64_t until = until_ns > now_ns ? until_ns : 0;
  (kind == DrillKind::kDrain ? e.drain_until_ns : e.fail_until_ns) = until;
  update_guard(e, now_ns);
  return Status();
}

EndpointStats Router::endpoint_stats(std::size_t region) const { return endpoint_stats(region, INT64_MIN); }

EndpointStats Router::endpoint_stats(std::size_t region, std::int64_t now_ns) const {
  std::lock_guard<std::mutex> lock(mutex_);
  EndpointStats s;
  if (region >= limits::kRouterMaxRegions) return s;
  const Endpoint& e = endpoints_[region];
  s.probed = e.probed;
  s.srtt_ns = e.latency.measured() ? e.latency.srtt_ns() : -1;
  s.rttvar_ns = e.latency.rttvar_ns();
  s.samples = e.latency.samples();
  s.rejected = e.latency.rejected();
  s.probes = e.probes;
  s.probe_failures = e.probe_failures;
  if (now_ns != INT64_MIN) s.health = condition(region, now_ns, &s.health_until_ns);
  s.consecutive_throttles = e.health.consecutive_throttles();
  s.total_throttles = e.health.total_throttles();
  s.breaker_trips = e.breaker.trips();
  s.send_rate = e.rate.enabled() ? e.rate.fill_rate() : 0.0;
  s.drain_until_ns = e.drain_until_ns;
  s.fail_until_ns = e.fail_until_ns;
  return s;
}

ProbeStats Router::probe_stats() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return probe_stats_;
}

CandidateStats Router::candidate_stats(std::size_t candidate) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return candidate < limits::kRouterMaxCandidates ? candidate_stats_[candidate] : CandidateStats();
}

}  // namespace edgeroute
