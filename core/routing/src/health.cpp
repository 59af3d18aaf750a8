// Endpoint health: throttling cooldown, circuit breaker, adaptive send rate and the
// retry budget. No heap, no clock reads, no threads; see edgeroute/health.h.
#include "edgeroute/health.h"

#include <cmath>
#include <limits>

namespace edgeroute {
namespace {

constexpr std::int64_t kNsPerMs = 1000000;
constexpr double kNsPerSecond = 1e9;
constexpr std::int64_t kMaxNs = std::numeric_limits<std::int64_t>::max();

// now + delta without overflow (delta >= 0).
std::int64_t add_saturating(std::int64_t now_ns, std::int64_t delta_ns) {
  return delta_ns > kMaxNs - now_ns ? kMaxNs : now_ns + delta_ns;
}

// x-amz-retry-after (ms) as ns, cut to max_ns.
std::int64_t retry_after_ns(std::int64_t retry_after_ms, std::int64_t max_ns) {
  if (max_ns <= 0) return 0;
  if (retry_after_ms > max_ns / kNsPerMs) return max_ns;
  return retry_after_ms * kNsPerMs;
}

double seconds(std::int64_t now_ns) { return static_cast<double>(now_ns) / kNsPerSecond; }

// Seconds to ns, rounded up so that waiting that long is always enough.
std::int64_t to_ns_ceil(double s) {
  if (!(s > 0.0)) return 0;
  const double ns = std::ceil(s * kNsPerSecond);
  return ns >= 9.2e18 ? kMaxNs : static_cast<std::int64_t>(ns);
}

}  // namespace

bool counts_against_endpoint(OutcomeClass outcome) {
  return outcome != OutcomeClass::kClient && outcome != OutcomeClass::kAuth &&
         outcome != OutcomeClass::kClockSkew;
}

bool is_throttle_class(OutcomeClass outcome) {
  return outcome == OutcomeClass::kThrottle || outcome == OutcomeClass::kQuota ||
         outcome == OutcomeClass::kModelNotReady;
}

bool is_rate_signal(OutcomeClass outcome) {
  return outcome == OutcomeClass::kThrottle || outcome == OutcomeClass::kQuota;
}

// ---------------------------------------------------------------------------
// Backoff

std::int64_t full_jitter_backoff_ns(std::uint32_t attempt, std::int64_t base_ns, std::int64_t cap_ns,
                                    double random_unit) {
  if (base_ns <= 0 || cap_ns <= 0) return 0;
  // ceiling = min(cap, base * 2^attempt) without computing base * 2^attempt:
  // for integers, base * 2^a > cap  <=>  base > floor(cap / 2^a).
  const std::int64_t ceiling = (attempt >= 62 || base_ns > (cap_ns >> attempt)) ? cap_ns : (base_ns << attempt);
  if (!(random_unit > 0.0)) return 0;  // also NaN
  if (random_unit >= 1.0) return ceiling;
  const double b = random_unit * static_cast<double>(ceiling);
  if (b >= static_cast<double>(ceiling)) return ceiling;  // rounding near 2^63
  return static_cast<std::int64_t>(b);
}

// ---------------------------------------------------------------------------
// EndpointHealth
//
// outcome (counts)      healthy            cooling / half-open, not the trial   the trial
// throttle-class        n = 1, cool        n kept; retry-after may extend       n + 1, cool
// transient             -                  -                                    n + 1, cool
// success               -                  - (sent before the cooldown)         close (n = 0)
// client/auth/skew      -                  -                                    trial freed
// "cool": cooling until now + (retry-after, capped, if given, else backoff(n - 1)).
// Throttles of calls already in flight when the cooldown began do not escalate n:
// a burst of concurrent throttles is one signal, not n.

EndpointHealth::State EndpointHealth::state(std::int64_t now_ns) const {
  if (throttles_ == 0) return State::kHealthy;
  return now_ns < until_ns_ ? State::kCooling : State::kHalfOpen;
}

bool EndpointHealth::trial_in_flight(std::int64_t now_ns) const {
  return trial_since_ns_ >= 0 && now_ns - trial_since_ns_ < options_.trial_timeout_ns;
}

bool EndpointHealth::available(std::int64_t now_ns) const {
  switch (state(now_ns)) {
    case State::kHealthy: return true;
    case State::kCooling: return false;
    case State::kHalfOpen: return !trial_in_flight(now_ns);
  }
  return false;
}

Admission EndpointHealth::acquire(std::int64_t now_ns) {
  switch (state(now_ns)) {
    case State::kHealthy: return Admission::kNormal;
    case State::kCooling: return Admission::kDenied;
    case State::kHalfOpen:
      if (trial_in_flight(now_ns)) return Admission::kDenied;
      trial_since_ns_ = now_ns;
      return Admission::kTrial;
  }
  return Admission::kDenied;
}

void EndpointHealth::cool(const Report& report, std::int64_t now_ns) {
  const std::int64_t delay =
      report.retry_after_ms >= 0
          ? retry_after_ns(report.retry_after_ms, options_.max_retry_after_ns)
          : full_jitter_backoff_ns(throttles_ - 1, options_.base_ns, options_.cap_ns, report.random_unit);
  until_ns_ = add_saturating(now_ns, delay);
}

void EndpointHealth::record(const Report& report, std::int64_t now_ns) {
  if (report.trial) trial_since_ns_ = -1;
  if (!counts_against_endpoint(report.outcome)) return;
  const bool throttle = is_throttle_class(report.outcome);
  if (throttle) ++total_throttles_;
  if (report.trial && throttles_ > 0) {
    if (report.outcome == OutcomeClass::kSuccess) {
      throttles_ = 0;
      until_ns_ = 0;
    } else {
      ++throttles_;
      cool(report, now_ns);
    }
    return;
  }
  if (!throttle) return;
  if (throttles_ == 0) {
    throttles_ = 1;
    cool(report, now_ns);
  } else if (report.retry_after_ms >= 0) {
    const std::int64_t until =
        add_saturating(now_ns, retry_after_ns(report.retry_after_ms, options_.max_retry_after_ns));
    if (until > until_ns_) until_ns_ = until;
  }
}

// ---------------------------------------------------------------------------
// CircuitBreaker

std::int64_t CircuitBreaker::bucket_width_ns() const {
  const std::int64_t w = options_.window_ns / static_cast<std::int64_t>(limits::kHealthWindowBuckets);
  return w > 0 ? w : 1;
}

void CircuitBreaker::clear_window() {
  for (Bucket& b : buckets_) b = Bucket();
}

void CircuitBreaker::add_to_window(bool failure, std::int64_t now_ns) {
  const std::int64_t index = now_ns < 0 ? 0 : now_ns / bucket_width_ns();
  Bucket& b = buckets_[static_cast<std::size_t>(index % static_cast<std::int64_t>(limits::kHealthWindowBuckets))];
  if (b.index != index) b = Bucket{index, 0, 0};
  ++b.requests;
  if (failure) ++b.failures;
}

std::uint32_t CircuitBreaker::window_requests(std::int64_t now_ns) const {
  const std::int64_t now_index = now_ns < 0 ? 0 : now_ns / bucket_width_ns();
  std::uint32_t n = 0;
  for (const Bucket& b : buckets_) {
    if (b.index >= 0 && b.index <= now_index &&
        now_index - b.index < static_cast<std::int64_t>(limits::kHealthWindowBuckets)) {
      n += b.requests;
    }
  }
  return n;
}

std::uint32_t CircuitBreaker::window_failures(std::int64_t now_ns) const {
  const std::int64_t now_index = now_ns < 0 ? 0 : now_ns / bucket_width_ns();
  std::uint32_t n = 0;
  for (const Bucket& b : buckets_) {
    if (b.index >= 0 && b.index <= now_index &&
        now_index - b.index < static_cast<std::int64_t>(limits::kHealthWindowBuckets)) {
      n += b.failures;
    }
  }
  return n;
}

void CircuitBreaker::open(std::int64_t now_ns) {
  // Each failed trial in a row doubles the time open, up to max_open_ns: a region
  // that stays down costs a fleet one trial call per gateway per growing interval,
  // not one every open_ns.
  std::int64_t open_for = options_.open_ns;
  for (std::uint32_t i = 0; i < failed_trials_ && open_for < options_.max_open_ns; ++i) {
    open_for = open_for > INT64_MAX / 2 ? INT64_MAX : open_for * 2;
  }
  if (options_.max_open_ns > options_.open_ns && open_for > options_.max_open_ns) open_for = options_.max_open_ns;
  if (open_for < options_.open_ns) open_for = options_.open_ns;
  open_ = true;
  open_until_ns_ = add_saturating(now_ns, open_for);
  trial_since_ns_ = -1;
  ++trips_;
}

CircuitBreaker::State CircuitBreaker::state(std::int64_t now_ns) const {
  if (!open_) return State::kClosed;
  return now_ns < open_until_ns_ ? State::kOpen : State::kHalfOpen;
}

bool CircuitBreaker::available(std::int64_t now_ns) const {
  switch (state(now_ns)) {
    case State::kClosed: return true;
    case State::kOpen: return false;
    case State::kHalfOpen:
      return !(trial_since_ns_ >= 0 && now_ns - trial_since_ns_ < options_.trial_timeout_ns);
  }
  return false;
}

Admission CircuitBreaker::acquire(std::int64_t now_ns) {
  switch (state(now_ns)) {
    case State::kClosed: return Admission::kNormal;
    case State::kOpen: return Admission::kDenied;
    case State::kHalfOpen:
      if (!available(now_ns)) return Admission::kDenied;
      trial_since_ns_ = now_ns;
      return Admission::kTrial;
  }
  return Admission::kDenied;
}

void CircuitBreaker::record(const Report& report, std::int64_t now_ns) {
  if (report.trial) trial_since_ns_ = -1;
  if (!counts_against_endpoint(report.outcome)) return;
  const bool failure = report.outcome == OutcomeClass::kTransient;
  if (open_) {
    // Only the trial decides; results of calls sent before the breaker opened do not.
    if (!report.trial) return;
    if (failure) {
      ++failed_trials_;
      open(now_ns);
    } else {  // the endpoint answered: success, or a throttle the cooldown handles
      open_ = false;
      consecutive_ = 0;
      failed_trials_ = 0;
      clear_window();
    }
    return;
  }
  if (is_throttle_class(report.outcome)) return;  // the cooldown's business
  add_to_window(failure, now_ns);
  if (!failure) {
    consecutive_ = 0;
    return;
  }
  ++consecutive_;
  const bool by_count = options_.consecutive_failures > 0 && consecutive_ >= options_.consecutive_failures;
  const std::uint64_t requests = window_requests(now_ns);
  const std::uint64_t failures = window_failures(now_ns);
  const bool by_rate = options_.failure_rate_pct > 0 && requests >= options_.min_requests &&
                       failures * 100 >= requests * options_.failure_rate_pct;
  if (by_count || by_rate) {
    open(now_ns);
    consecutive_ = 0;
    clear_window();
  }
}

// ---------------------------------------------------------------------------
// AdaptiveRate
//
// Follows the AWS SDKs' adaptive retry mode (the client-side rate limiter of
// botocore's retries/bucket.py and retries/throttling.py, and the same algorithm
// in the Java, Go and JS SDKs): CUBIC (RFC 8312) with beta 0.7 and scale 0.4.

void AdaptiveRate::refill(double now_s) {
  if (!refilled_) {
    refilled_ = true;
    last_refill_s_ = now_s;
    return;
  }
  const double elapsed = now_s > last_refill_s_ ? now_s - last_refill_s_ : 0.0;
  const double filled = capacity_ + elapsed * fill_rate_;
  capacity_ = filled < max_capacity_ ? filled : max_capacity_;
  if (now_s > last_refill_s_) last_refill_s_ = now_s;
}

void AdaptiveRate::update_measured_rate(double now_s) {
  const double bucket = std::floor(now_s * 2.0) / 2.0;
  if (!measuring_) {
    measuring_ = true;
    last_bucket_s_ = bucket;
  }
  ++request_count_;
  if (bucket > last_bucket_s_) {
    const double current = static_cast<double>(request_count_) / (bucket - last_bucket_s_);
    measured_rate_ = current * options_.smooth + measured_rate_ * (1.0 - options_.smooth);
    request_count_ = 0;
    last_bucket_s_ = bucket;
  }
}

void AdaptiveRate::record(OutcomeClass outcome, std::int64_t now_ns) {
  if (!counts_against_endpoint(outcome)) return;
  const double t = seconds(now_ns);
  update_measured_rate(t);
  double rate;
  if (is_rate_signal(outcome)) {
    last_max_rate_ = enabled_ && fill_rate_ < measured_rate_ ? fill_rate_ : measured_rate_;
    time_window_s_ = std::cbrt(last_max_rate_ * (1.0 - options_.beta) / options_.scale);
    last_throttle_s_ = t;
    rate = last_max_rate_ * options_.beta;
    enabled_ = true;
  } else {
    time_window_s_ = std::cbrt(last_max_rate_ * (1.0 - options_.beta) / options_.scale);
    const double dt = t - last_throttle_s_ - time_window_s_;
    rate = options_.scale * dt * dt * dt + last_max_rate_;
  }
  const double limit = 2.0 * measured_rate_;
  if (rate > limit) rate = limit;
  refill(t);
  fill_rate_ = rate > options_.min_fill_rate ? rate : options_.min_fill_rate;
  max_capacity_ = rate > options_.min_capacity ? rate : options_.min_capacity;
  if (capacity_ > max_capacity_) capacity_ = max_capacity_;
}

std::int64_t AdaptiveRate::wait_ns(std::int64_t now_ns) const {
  if (!enabled_) return 0;
  const double t = seconds(now_ns);
  double capacity = capacity_;
  if (refilled_ && t > last_refill_s_) {
    capacity += (t - last_refill_s_) * fill_rate_;
    if (capacity > max_capacity_) capacity = max_capacity_;
  }
  if (capacity >= 1.0) return 0;
  if (!(fill_rate_ > 0.0)) return kMaxNs;
  return to_ns_ceil((1.0 - capacity) / fill_rate_);
}

AdaptiveRate::Acquire AdaptiveRate::try_acquire(std::int64_t now_ns) {
  Acquire a;
  if (!enabled_) return a;
  refill(seconds(now_ns));
  if (capacity_ >= 1.0) {
    capacity_ -= 1.0;
    return a;
  }
  a.allowed = false;
  a.wait_ns = fill_rate_ > 0.0 ? to_ns_ceil((1.0 - capacity_) / fill_rate_) : kMaxNs;
  if (a.wait_ns == 0) a.wait_ns = 1;
  return a;
}

// ---------------------------------------------------------------------------
// RetryBudget
//
// The standard retry mode's retry quota (AWS SDKs and Tools Reference Guide,
// "Retry behavior", https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html;
// constants as in aws-sdk-js-v3 middleware-retry constants.ts / defaultRetryQuota.ts
// and aws-sdk-core Aws::Plugins::Retries::RetryQuota: INITIAL_RETRY_TOKENS 500,
// RETRY_COST 5, TIMEOUT_RETRY_COST 10, NO_RETRY_INCREMENT 1). On success the SDKs
// release "the amount of capacity requested from the last retry", or
// NO_RETRY_INCREMENT when the call needed no retry, never above the initial
// capacity. (The SDKs' opt-in 2026 retry behaviour changes these costs; this is
// the long-standing standard mode.)

std::uint32_t RetryBudget::try_acquire_retry(bool after_timeout) {
  const std::uint32_t cost = after_timeout ? options_.timeout_retry_cost : options_.retry_cost;
  std::uint32_t have = tokens_.load(std::memory_order_relaxed);
  do {
    if (cost == 0 || have < cost) return 0;
  } while (!tokens_.compare_exchange_weak(have, have - cost, std::memory_order_relaxed));
  return cost;
}

void RetryBudget::on_success(std::uint32_t last_retry_cost) {
  const std::uint32_t refund = last_retry_cost > 0 ? last_retry_cost : options_.no_retry_increment;
  std::uint32_t have = tokens_.load(std::memory_order_relaxed);
  std::uint32_t next;
  do {
    next = have >= options_.capacity || refund >= options_.capacity - have ? options_.capacity : have + refund;
  } while (!tokens_.compare_exchange_weak(have, next, std::memory_order_relaxed));
}

}  // namespace edgeroute
