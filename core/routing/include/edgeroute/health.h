// edgeroute/health.h -- per-endpoint health: cooldown after throttling, circuit
// breaker, adaptive send rate, and the client-wide retry budget (issue 6).
//
// Building blocks for Router::eligible() (is this endpoint usable now?) and
// Router::report() (what did the last call teach us?). Each is a small value type:
//
//   full_jitter_backoff_ns()  pure: rand(0, min(cap, base * 2^attempt))
//   EndpointHealth            throttling cooldown with a single half-open trial
//   CircuitBreaker            transient failures: closed / open / half-open
//   AdaptiveRate              CUBIC send-rate limiter (the SDKs' adaptive mode)
//   RetryBudget               token bucket of the SDKs' standard mode, shared
//
// Time is int64 monotonic nanoseconds passed in by the caller (Clock::monotonic_ns);
// random numbers are passed in as inputs (Random::next_unit), so every transition
// is deterministic under test. Nothing here reads a clock, allocates, throws or
// starts a thread.
//
// Thread-safety: EndpointHealth, CircuitBreaker and AdaptiveRate are NOT
// thread-safe; the router keeps one of each per endpoint under its own mutex.
// RetryBudget is lock-free (one atomic) because the whole client shares it.
//
// Single half-open trial: available() is const and side-effect free (for ranking
// and explanations); acquire() is called for the one candidate actually picked and
// returns Admission::kTrial to exactly one caller while half-open. The caller
// hands that back in its report (Report::trial) so only the trial's outcome closes
// or re-opens. A trial that is never reported is forgotten after trial_timeout_ns,
// so a lost report cannot park an endpoint for ever. Where several guards cover one
// endpoint (cooldown and breaker), check available() on all of them before calling
// acquire() on any, under one lock, and pass each its own trial flag back.
#ifndef EDGEROUTE_HEALTH_H
#define EDGEROUTE_HEALTH_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <atomic>
#include <cstdint>

#include "edgeroute/config.h"
#include "edgeroute/outcome.h"

namespace edgeroute {

// False for kClient, kAuth and kClockSkew: those never count against an endpoint.
bool counts_against_endpoint(OutcomeClass outcome);
// kThrottle, kQuota, kModelNotReady: the endpoint asked us to stay away a while
// (these start a cooldown).
bool is_throttle_class(OutcomeClass outcome);
// kThrottle, kQuota: the endpoint asked us to send less (these cut the adaptive
// rate; model-not-ready is about the model, not the send rate).
bool is_rate_signal(OutcomeClass outcome);

// Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff And
// Jitter"): random_unit * min(cap_ns, base_ns * 2^attempt), truncated to ns.
// Pure and overflow-safe for any attempt; random_unit is clamped into [0, 1]
// (NaN counts as 0); base_ns <= 0 or cap_ns <= 0 gives 0. The result b always
// satisfies 0 <= b <= min(cap_ns, base_ns * 2^attempt).
std::int64_t full_jitter_backoff_ns(std::uint32_t attempt, std::int64_t base_ns, std::int64_t cap_ns,
                                    double random_unit);

// What acquire() grants.
enum class Admission : std::uint8_t {
  kDenied,  // cooling / open, or the half-open trial is taken
  kNormal,  // healthy: send
  kTrial,   // the single half-open trial: send, and report with Report::trial = true
};

// One outcome, as the router's report() passes it on.
struct Report {
  OutcomeClass outcome = OutcomeClass::kSuccess;
  bool trial = false;               // this attempt was granted Admission::kTrial
  std::int64_t retry_after_ms = -1; // x-amz-retry-after of the response; < 0: absent
  double random_unit = 0.0;         // in [0, 1), for the jittered cooldown
};

// --- Cooldown after throttling ----------------------------------------------------
struct CooldownOptions {
  // The n-th consecutive throttle (n >= 1) cools the endpoint for
  // full_jitter_backoff_ns(n - 1, base_ns, cap_ns, random_unit): up to base_ns
  // after the first, doubling up to cap_ns (the SDKs' throttling base is 500 ms
  // and their maximum delay 20 s).
  std::int64_t base_ns = 500LL * 1000 * 1000;
  std::int64_t cap_ns = 20LL * 1000 * 1000 * 1000;
  // x-amz-retry-after (ms), when present, replaces the computed cooldown, cut to
  // this so a bogus header cannot park an endpoint for hours.
  std::int64_t max_retry_after_ns = 60LL * 1000 * 1000 * 1000;
  // A granted trial that was never reported is released after this long.
  std::int64_t trial_timeout_ns = 60LL * 1000 * 1000 * 1000;
};

class EndpointHealth {
 public:
  enum class State : std::uint8_t {
    kHealthy,   // no throttle since the last trial succeeded
    kCooling,   // skipped until cooling_until_ns()
    kHalfOpen,  // cooled down; one trial may go (or is in flight)
  };

  EndpointHealth() = default;
  explicit EndpointHealth(const CooldownOptions& options) : options_(options) {}

  // Side-effect free: may a call go here now (healthy, or a trial is free)?
  bool available(std::int64_t now_ns) const;
  // For the candidate actually picked: grants kNormal, the single kTrial, or kDenied.
  Admission acquire(std::int64_t now_ns);
  // Throttle-class outcomes start or extend the cooldown; see the .cpp for the
  // table. Outcomes that do not count against an endpoint change nothing (but
  // release a trial they were the answer to).
  void record(const Report& report, std::int64_t now_ns);

  State state(std::int64_t now_ns) const;
  std::int64_t cooling_until_ns() const { return until_ns_; }
  std::uint32_t consecutive_throttles() const { return throttles_; }
  bool trial_in_flight(std::int64_t now_ns) const;
  std::uint32_t total_throttles() const { return total_throttles_; }

 private:
  void cool(const Report& report, std::int64_t now_ns);

  CooldownOptions options_;
  std::int64_t until_ns_ = 0;        // meaningful when throttles_ > 0
  std::int64_t trial_since_ns_ = -1; // >= 0 while a trial is in flight
  std::uint32_t throttles_ = 0;      // consecutive; 0 means healthy
  std::uint32_t total_throttles_ = 0;
};

// --- Circuit breaker for transient failures -------------------------------------
// Closed -> open when either
//   * consecutive_failures transient failures arrive in a row, or
//   * within the last window_ns (limits::kHealthWindowBuckets buckets) at least
//     min_requests successes + transient failures were seen and at least
//     failure_rate_pct percent of them were transient failures.
// Open -> half-open after open_ns. Half-open lets one trial through: success (or
// any answer that shows the endpoint is up: throttle, quota, model not ready)
// closes and clears the window; a transient failure re-opens, for twice as long
// as the last time (open_ns, 2 open_ns, 4 open_ns, ... up to max_open_ns).
// Client, auth and clock-skew outcomes are ignored (a trial they answer is freed).
struct BreakerOptions {
  std::uint32_t consecutive_failures = 5;
  std::uint32_t failure_rate_pct = 50;
  std::uint32_t min_requests = 20;
  std::int64_t window_ns = 30LL * 1000 * 1000 * 1000;
  std::int64_t open_ns = 10LL * 1000 * 1000 * 1000;
  // Longest time open after failed trials in a row; <= open_ns: always open_ns.
  std::int64_t max_open_ns = 60LL * 1000 * 1000 * 1000;
  std::int64_t trial_timeout_ns = 60LL * 1000 * 1000 * 1000;
};

class CircuitBreaker {
 public:
  enum class State : std::uint8_t { kClosed, kOpen, kHalfOpen };

  CircuitBreaker() = default;
  explicit CircuitBreaker(const BreakerOptions& options) : options_(options) {}

  bool available(std::int64_t now_ns) const;
  Admission acquire(std::int64_t now_ns);
  void record(const Report& report, std::int64_t now_ns);

  State state(std::int64_t now_ns) const;
  std::int64_t open_until_ns() const { return open_until_ns_; }
  std::uint32_t consecutive_failures() const { return consecutive_; }
  std::uint32_t trips() const { return trips_; }
  std::uint32_t failed_trials() const { return failed_trials_; }
  // Outcomes counted in the current window.
  std::uint32_t window_requests(std::int64_t now_ns) const;
  std::uint32_t window_failures(std::int64_t now_ns) const;

 private:
  struct Bucket {
    std::int64_t index = -1;  // now_ns / bucket width; -1: empty
    std::uint32_t requests = 0;
    std::uint32_t failures = 0;
  };
  std::int64_t bucket_width_ns() const;
  void add_to_window(bool failure, std::int64_t now_ns);
  void clear_window();
  void open(std::int64_t now_ns);

  BreakerOptions options_;
  Bucket buckets_[limits::kHealthWindowBuckets];
  std::int64_t open_until_ns_ = 0;
  std::int64_t trial_since_ns_ = -1;
  std::uint32_t consecutive_ = 0;
  std::uint32_t trips_ = 0;
  std::uint32_t failed_trials_ = 0;  // in a row, since the breaker last closed
  bool open_ = false;  // open or half-open
};

// --- Adaptive send rate (CUBIC) ---------------------------------------------------
// The client-side rate limiter of the AWS SDKs' "adaptive" retry mode. Until the
// first throttle the bucket is disabled and everything is allowed. Rates are in
// requests per second, times in seconds internally (from the ns passed in).
//   measured rate: responses are counted in half-second buckets; when a new bucket
//     starts, rate = count / elapsed and measured = smooth*rate + (1-smooth)*measured
//   on throttle:   last_max = enabled ? min(measured, fill_rate) : measured;
//                  K = cbrt(last_max * (1 - beta) / scale); rate = last_max * beta;
//                  the bucket is enabled
//   otherwise:     rate = scale * (t - last_throttle - K)^3 + last_max
//   then:          fill_rate = max(min(rate, 2 * measured), min_fill_rate);
//                  max_capacity = max(min(rate, 2 * measured), min_capacity)
struct AdaptiveRateOptions {
  double beta = 0.7;
  double scale = 0.4;
  double smooth = 0.8;
  double min_fill_rate = 0.5;  // requests per second
  double min_capacity = 1.0;   // tokens
};

class AdaptiveRate {
 public:
  struct Acquire {
    bool allowed = true;
    std::int64_t wait_ns = 0;  // when not allowed: until one token is there
  };

  AdaptiveRate() = default;
  explicit AdaptiveRate(const AdaptiveRateOptions& options) : options_(options) {}

  // Takes one token when allowed; never blocks or sleeps. Cheap when disabled.
  Acquire try_acquire(std::int64_t now_ns);
  // Side-effect free: ns until a token would be there (0: now).
  std::int64_t wait_ns(std::int64_t now_ns) const;
  // Every response that counts against the endpoint; is_rate_signal() ones cut the
  // rate, the others grow it along the cubic. Client/auth/clock skew are ignored.
  void record(OutcomeClass outcome, std::int64_t now_ns);

  bool enabled() const { return enabled_; }
  double fill_rate() const { return fill_rate_; }
  double max_capacity() const { return max_capacity_; }
  double capacity() const { return capacity_; }
  double measured_rate() const { return measured_rate_; }
  double last_max_rate() const { return last_max_rate_; }
  double time_window_s() const { return time_window_s_; }  // K

 private:
  void refill(double now_s);
  void update_measured_rate(double now_s);

  AdaptiveRateOptions options_;
  double fill_rate_ = 0.0;
  double max_capacity_ = 0.0;
  double capacity_ = 0.0;
  double last_refill_s_ = 0.0;
  bool refilled_ = false;
  bool enabled_ = false;
  double measured_rate_ = 0.0;
  double last_bucket_s_ = 0.0;
  bool measuring_ = false;
  std::uint32_t request_count_ = 0;
  double last_max_rate_ = 0.0;
  double last_throttle_s_ = 0.0;
  double time_window_s_ = 0.0;
};

// --- Retry budget ------------------------------------------------------------------
// The retry quota of the AWS SDKs' standard retry mode, shared by the whole client:
// capacity 500 tokens; a retry costs 5 (10 when it follows a timeout); a call that
// succeeds returns what its last retry took, or 1 when it needed no retry; never
// above capacity. An empty budget means "do not retry", never "do not call".
struct RetryBudgetOptions {
  std::uint32_t capacity = 500;
  std::uint32_t retry_cost = 5;
  std::uint32_t timeout_retry_cost = 10;
  std::uint32_t no_retry_increment = 1;
};

class RetryBudget {
 public:
  RetryBudget() : RetryBudget(RetryBudgetOptions()) {}
  explicit RetryBudget(const RetryBudgetOptions& options) : options_(options), tokens_(options.capacity) {}
  RetryBudget(const RetryBudget&) = delete;
  RetryBudget& operator=(const RetryBudget&) = delete;

  // Before a retry: takes the cost and returns it (keep it for on_success), or
  // returns 0 and takes nothing when the budget cannot cover it. Costs are >= 1
  // (a configured cost of 0 denies every retry).
  std::uint32_t try_acquire_retry(bool after_timeout);
  // When a call succeeds: last_retry_cost is what try_acquire_retry returned for
  // the attempt that succeeded, 0 when the first attempt succeeded.
  void on_success(std::uint32_t last_retry_cost);

  std::uint32_t available() const { return tokens_.load(std::memory_order_relaxed); }
  std::uint32_t capacity() const { return options_.capacity; }

 private:
  RetryBudgetOptions options_;
  std::atomic<std::uint32_t> tokens_;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_HEALTH_H
