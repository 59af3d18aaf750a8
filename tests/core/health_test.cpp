// Endpoint health: full-jitter backoff bounds, throttling cooldown with a single
// half-open trial, circuit breaker, CUBIC adaptive rate, retry budget, zero heap.
// Every time is an explicit monotonic ns value; every random number is an input.
#include <cmath>
#include <cstdint>
#include <limits>

#include <gtest/gtest.h>

#include <vector>

#include "alloc_counter.h"
#include "edgeroute/health.h"
#include "edgeroute/random.h"

namespace edgeroute {
namespace {

constexpr std::int64_t kMs = 1000000;
constexpr std::int64_t kS = 1000 * kMs;
constexpr std::int64_t kMaxI64 = std::numeric_limits<std::int64_t>::max();

Report outcome(OutcomeClass o, bool trial = false, double unit = 0.0, std::int64_t retry_after_ms = -1) {
  Report r;
  r.outcome = o;
  r.trial = trial;
  r.random_unit = unit;
  r.retry_after_ms = retry_after_ms;
  return r;
}

// ---------------------------------------------------------------------------
// Outcome classes

TEST(HealthOutcome, NamesAndWhatCounts) {
  EXPECT_STREQ(to_string(OutcomeClass::kSuccess), "success");
  EXPECT_STREQ(to_string(OutcomeClass::kThrottle), "throttle");
  EXPECT_STREQ(to_string(OutcomeClass::kQuota), "quota");
  EXPECT_STREQ(to_string(OutcomeClass::kModelNotReady), "model_not_ready");
  EXPECT_STREQ(to_string(OutcomeClass::kTransient), "transient");
  EXPECT_STREQ(to_string(OutcomeClass::kClient), "client");
  EXPECT_STREQ(to_string(OutcomeClass::kAuth), "auth");
  EXPECT_STREQ(to_string(OutcomeClass::kClockSkew), "clock_skew");
  for (OutcomeClass o : {OutcomeClass::kSuccess, OutcomeClass::kThrottle, OutcomeClass::kQuota,
                         OutcomeClass::kModelNotReady, OutcomeClass::kTransient}) {
    EXPECT_TRUE(counts_against_endpoint(o)) << to_string(o);
  }
  for (OutcomeClass o : {OutcomeClass::kClient, OutcomeClass::kAuth, OutcomeClass::kClockSkew}) {
    EXPECT_FALSE(counts_against_endpoint(o)) << to_string(o);
    EXPECT_FALSE(is_throttle_class(o));
    EXPECT_FALSE(is_rate_signal(o));
  }
  EXPECT_TRUE(is_throttle_class(OutcomeClass::kModelNotReady));
  EXPECT_FALSE(is_rate_signal(OutcomeClass::kModelNotReady));
  EXPECT_TRUE(is_rate_signal(OutcomeClass::kQuota));
  EXPECT_FALSE(is_throttle_class(OutcomeClass::kTransient));
}

// ---------------------------------------------------------------------------
// Backoff

TEST(BackoffTest, ExactValues) {
  EXPECT_EQ(full_jitter_backoff_ns(0, 100, 1000, 0.5), 50);
  EXPECT_EQ(full_jitter_backoff_ns(3, 100, 1000, 0.5), 400);   // 0.5 * 800
  EXPECT_EQ(full_jitter_backoff_ns(4, 100, 1000, 0.5), 500);   // 0.5 * min(1000, 1600)
  EXPECT_EQ(full_jitter_backoff_ns(4, 100, 1000, 0.0), 0);
  EXPECT_EQ(full_jitter_backoff_ns(2, 100, 1000, 1.0), 400);   // clamped to the ceiling
  EXPECT_EQ(full_jitter_backoff_ns(2, 100, 1000, 7.0), 400);
  EXPECT_EQ(full_jitter_backoff_ns(2, 100, 1000, -1.0), 0);
  EXPECT_EQ(full_jitter_backoff_ns(2, 100, 1000, std::nan("")), 0);
  EXPECT_EQ(full_jitter_backoff_ns(2, 0, 1000, 0.5), 0);
  EXPECT_EQ(full_jitter_backoff_ns(2, -5, 1000, 0.5), 0);
  EXPECT_EQ(full_jitter_backoff_ns(2, 100, 0, 0.5), 0);
  EXPECT_LT(full_jitter_backoff_ns(2, 100, 1000, 0.9999999), 400);
  // No overflow: huge attempts and an int64-sized cap.
  EXPECT_EQ(full_jitter_backoff_ns(1000000, 100, 1000, 1.0), 1000);
  EXPECT_EQ(full_jitter_backoff_ns(62, 3, kMaxI64, 1.0), kMaxI64);
  EXPECT_EQ(full_jitter_backoff_ns(63, 1, kMaxI64, 1.0), kMaxI64);
  EXPECT_EQ(full_jitter_backoff_ns(61, 1, kMaxI64, 1.0), std::int64_t{1} << 61);
  EXPECT_LE(full_jitter_backoff_ns(70, kMaxI64, kMaxI64, 0.999999999999), kMaxI64);
  EXPECT_GE(full_jitter_backoff_ns(70, kMaxI64, kMaxI64, 0.999999999999), 0);
}

// Property: 0 <= b <= min(cap, base * 2^n), over many random inputs, with the
// ceiling computed independently (saturating doubling in uint64).
TEST(BackoffTest, BoundsHoldForRandomInputs) {
  Random rnd(0x6a17);
  for (int i = 0; i < 200000; ++i) {
    const std::uint32_t attempt = static_cast<std::uint32_t>(rnd.next_below(i % 10 == 0 ? 5000 : 80));
    const std::int64_t base = static_cast<std::int64_t>(rnd.next_u64() >> (1 + rnd.next_below(63)));
    const std::int64_t cap = static_cast<std::int64_t>(rnd.next_u64() >> (1 + rnd.next_below(63)));
    const double unit = (i % 1000 == 0) ? 0.9999999999999999 : rnd.next_unit();
    const std::int64_t b = full_jitter_backoff_ns(attempt, base, cap, unit);
    std::uint64_t ceiling = 0;
    if (base > 0 && cap > 0) {
      ceiling = static_cast<std::uint64_t>(base);
      for (std::uint32_t k = 0; k < attempt && ceiling < static_cast<std::uint64_t>(cap); ++k) ceiling *= 2;
      if (ceiling > static_cast<std::uint64_t>(cap)) ceiling = static_cast<std::uint64_t>(cap);
    }
    ASSERT_GE(b, 0) << "attempt " << attempt << " base " << base << " cap " << cap << " unit " << unit;
    ASSERT_LE(static_cast<std::uint64_t>(b), ceiling)
        << "attempt " << attempt << " base " << base << " cap " << cap << " unit " << unit;
    // Full jitter spreads over the whole range: roughly unit * ceiling.
    const double expect = unit * static_cast<double>(ceiling);
    ASSERT_NEAR(static_cast<double>(b), expect, 1.0 + expect * 1e-12);
  }
}

// ---------------------------------------------------------------------------
// EndpointHealth (cooldown after throttling)

TEST(HealthCooldown, ThrottleCoolsThenOneTrialThenCloses) {
  EndpointHealth h;  // base 500 ms, cap 20 s
  EXPECT_EQ(h.state(0), EndpointHealth::State::kHealthy);
  EXPECT_TRUE(h.available(0));
  EXPECT_EQ(h.acquire(0), Admission::kNormal);
  EXPECT_EQ(h.acquire(0), Admission::kNormal);  // healthy: no limit

  h.record(outcome(OutcomeClass::kThrottle, false, 0.5), 1 * kS);
  EXPECT_EQ(h.consecutive_throttles(), 1u);
  EXPECT_EQ(h.cooling_until_ns(), 1 * kS + 250 * kMs);  // 0.5 * 500 ms
  EXPECT_EQ(h.state(1 * kS + 249 * kMs), EndpointHealth::State::kCooling);
  EXPECT_FALSE(h.available(1 * kS + 249 * kMs));
  EXPECT_EQ(h.acquire(1 * kS + 249 * kMs), Admission::kDenied);

  const std::int64_t due = 1 * kS + 250 * kMs;
  EXPECT_EQ(h.state(due), EndpointHealth::State::kHalfOpen);
  EXPECT_TRUE(h.available(due));
  EXPECT_EQ(h.acquire(due), Admission::kTrial);
  EXPECT_TRUE(h.trial_in_flight(due));
  // Only one caller gets the trial.
  EXPECT_FALSE(h.available(due));
  EXPECT_EQ(h.acquire(due), Admission::kDenied);
  EXPECT_EQ(h.acquire(due + 5 * kS), Admission::kDenied);

  h.record(outcome(OutcomeClass::kSuccess, true), due + 100 * kMs);
  EXPECT_EQ(h.state(due + 100 * kMs), EndpointHealth::State::kHealthy);
  EXPECT_EQ(h.consecutive_throttles(), 0u);
  EXPECT_FALSE(h.trial_in_flight(due + 100 * kMs));
  EXPECT_EQ(h.acquire(due + 100 * kMs), Admission::kNormal);
  EXPECT_EQ(h.total_throttles(), 1u);
}

TEST(HealthCooldown, FailedTrialReopensWithNextBackoff) {
  EndpointHealth h;
  std::int64_t t = 0;
  h.record(outcome(OutcomeClass::kThrottle, false, 1.0), t);  // n = 1: up to 500 ms
  EXPECT_EQ(h.cooling_until_ns(), 500 * kMs);
  // Each failed trial doubles the window: 1 s, 2 s, 4 s, 8 s, 16 s, then the 20 s cap.
  const std::int64_t expected_ms[] = {1000, 2000, 4000, 8000, 16000, 20000, 20000};
  std::uint32_t n = 1;
  for (std::int64_t ms : expected_ms) {
    t = h.cooling_until_ns();
    ASSERT_EQ(h.acquire(t - 1), Admission::kDenied);
    ASSERT_EQ(h.acquire(t), Admission::kTrial);
    t += 10 * kMs;
    h.record(outcome(n % 2 ? OutcomeClass::kThrottle : OutcomeClass::kTransient, true, 1.0), t);
    ++n;
    EXPECT_EQ(h.consecutive_throttles(), n);
    EXPECT_EQ(h.cooling_until_ns(), t + ms * kMs) << "n=" << n;
    EXPECT_EQ(h.state(t), EndpointHealth::State::kCooling);
  }
  // Quota and model-not-ready trials re-open as well.
  t = h.cooling_until_ns();
  ASSERT_EQ(h.acquire(t), Admission::kTrial);
  h.record(outcome(OutcomeClass::kQuota, true, 0.25), t);
  EXPECT_EQ(h.cooling_until_ns(), t + 5 * kS);  // 0.25 * 20 s
  t = h.cooling_until_ns();
  ASSERT_EQ(h.acquire(t), Admission::kTrial);
  h.record(outcome(OutcomeClass::kModelNotReady, true, 0.0), t);  // zero jitter: due at once
  EXPECT_EQ(h.state(t), EndpointHealth::State::kHalfOpen);
  ASSERT_EQ(h.acquire(t), Admission::kTrial);
  h.record(outcome(OutcomeClass::kSuccess, true), t);
  EXPECT_EQ(h.state(t), EndpointHealth::State::kHealthy);
}

TEST(HealthCooldown, RetryAfterOverridesBackoffAndIsCapped) {
  EndpointHealth h;
  h.record(outcome(OutcomeClass::kThrottle, false, 1.0, 3000), 10 * kS);
  EXPECT_EQ(h.cooling_until_ns(), 13 * kS);  // not the 500 ms backoff
  ASSERT_EQ(h.acquire(13 * kS), Admission::kTrial);
  h.record(outcome(OutcomeClass::kThrottle, true, 0.0, 1000000000000LL), 14 * kS);  // ~31 years
  EXPECT_EQ(h.cooling_until_ns(), 14 * kS + 60 * kS);                               // capped at 60 s
  EXPECT_EQ(h.consecutive_throttles(), 2u);
  ASSERT_EQ(h.acquire(74 * kS), Admission::kTrial);
  h.record(outcome(OutcomeClass::kThrottle, true, 1.0, 0), 75 * kS);  // "retry now"
  EXPECT_EQ(h.cooling_until_ns(), 75 * kS);
  EXPECT_TRUE(h.available(75 * kS));

  CooldownOptions o;
  o.max_retry_after_ns = 2 * kS;
  EndpointHealth small(o);
  small.record(outcome(OutcomeClass::kThrottle, false, 0.0, 9000), 0);
  EXPECT_EQ(small.cooling_until_ns(), 2 * kS);
}

TEST(HealthCooldown, ConcurrentThrottlesDoNotEscalate) {
  EndpointHealth h;
  h.record(outcome(OutcomeClass::kThrottle, false, 0.5), 0);  // until 250 ms
  // Calls that were in flight when the cooldown began come back throttled too.
  h.record(outcome(OutcomeClass::kThrottle, false, 1.0), 10 * kMs);
  h.record(outcome(OutcomeClass::kQuota, false, 1.0), 20 * kMs);
  EXPECT_EQ(h.consecutive_throttles(), 1u);
  EXPECT_EQ(h.total_throttles(), 3u);
  EXPECT_EQ(h.cooling_until_ns(), 250 * kMs);
  // ...but a longer x-amz-retry-after extends the cooldown; a shorter one does not cut it.
  h.record(outcome(OutcomeClass::kThrottle, false, 0.0, 5000), 30 * kMs);
  EXPECT_EQ(h.cooling_until_ns(), 5030 * kMs);
  h.record(outcome(OutcomeClass::kThrottle, false, 0.0, 1), 40 * kMs);
  EXPECT_EQ(h.cooling_until_ns(), 5030 * kMs);
  // A success sent before the cooldown does not close it; only the trial does.
  h.record(outcome(OutcomeClass::kSuccess), 50 * kMs);
  h.record(outcome(OutcomeClass::kTransient), 60 * kMs);
  EXPECT_EQ(h.state(60 * kMs), EndpointHealth::State::kCooling);
  EXPECT_EQ(h.consecutive_throttles(), 1u);
}

TEST(HealthCooldown, ClientAuthAndClockSkewNeverCount) {
  EndpointHealth h;
  for (OutcomeClass o : {OutcomeClass::kClient, OutcomeClass::kAuth, OutcomeClass::kClockSkew}) {
    h.record(outcome(o, false, 1.0, 5000), 0);
  }
  h.record(outcome(OutcomeClass::kTransient), 0);  // the breaker's business, not the cooldown's
  EXPECT_EQ(h.state(0), EndpointHealth::State::kHealthy);
  EXPECT_EQ(h.total_throttles(), 0u);

  h.record(outcome(OutcomeClass::kThrottle, false, 0.0), 1 * kS);  // due at once
  for (OutcomeClass o : {OutcomeClass::kClient, OutcomeClass::kAuth, OutcomeClass::kClockSkew}) {
    ASSERT_EQ(h.acquire(1 * kS), Admission::kTrial);
    h.record(outcome(o, true, 1.0), 1 * kS);  // teaches nothing: the trial is free again
    EXPECT_EQ(h.state(1 * kS), EndpointHealth::State::kHalfOpen) << to_string(o);
    EXPECT_EQ(h.consecutive_throttles(), 1u);
    EXPECT_FALSE(h.trial_in_flight(1 * kS));
  }
}

TEST(HealthCooldown, LostTrialIsReleasedAfterTimeout) {
  CooldownOptions o;
  o.trial_timeout_ns = 30 * kS;
  EndpointHealth h(o);
  h.record(outcome(OutcomeClass::kThrottle, false, 0.0), 0);
  ASSERT_EQ(h.acquire(1 * kS), Admission::kTrial);  // never reported
  EXPECT_EQ(h.acquire(31 * kS - 1), Admission::kDenied);
  EXPECT_TRUE(h.available(31 * kS));
  EXPECT_EQ(h.acquire(31 * kS), Admission::kTrial);
  EXPECT_EQ(h.acquire(31 * kS), Admission::kDenied);
}

// ---------------------------------------------------------------------------
// CircuitBreaker

TEST(BreakerTest, OpensAfterConsecutiveFailuresThenHalfOpenTrial) {
  CircuitBreaker b;  // 5 in a row, open 10 s
  EXPECT_EQ(b.state(0), CircuitBreaker::State::kClosed);
  for (int i = 0; i < 4; ++i) b.record(outcome(OutcomeClass::kTransient), i * kMs);
  EXPECT_EQ(b.state(4 * kMs), CircuitBreaker::State::kClosed);
  EXPECT_EQ(b.consecutive_failures(), 4u);
  b.record(outcome(OutcomeClass::kTransient), 5 * kS);
  EXPECT_EQ(b.state(5 * kS), CircuitBreaker::State::kOpen);
  EXPECT_EQ(b.trips(), 1u);
  EXPECT_EQ(b.open_until_ns(), 15 * kS);
  EXPECT_FALSE(b.available(15 * kS - 1));
  EXPECT_EQ(b.acquire(15 * kS - 1), Admission::kDenied);
  // A failure of a call sent before it opened does not extend it.
  b.record(outcome(OutcomeClass::kTransient), 6 * kS);
  EXPECT_EQ(b.open_until_ns(), 15 * kS);

  EXPECT_EQ(b.state(15 * kS), CircuitBreaker::State::kHalfOpen);
  EXPECT_TRUE(b.available(15 * kS));
  EXPECT_EQ(b.acquire(15 * kS), Admission::kTrial);
  EXPECT_FALSE(b.available(15 * kS));
  EXPECT_EQ(b.acquire(15 * kS), Admission::kDenied);
  b.record(outcome(OutcomeClass::kTransient, true), 16 * kS);  // trial failed: open again, twice as long
  EXPECT_EQ(b.state(16 * kS), CircuitBreaker::State::kOpen);
  EXPECT_EQ(b.open_until_ns(), 36 * kS);
  EXPECT_EQ(b.trips(), 2u);
  EXPECT_EQ(b.failed_trials(), 1u);

  EXPECT_EQ(b.acquire(36 * kS), Admission::kTrial);
  b.record(outcome(OutcomeClass::kSuccess, true), 37 * kS);
  EXPECT_EQ(b.state(37 * kS), CircuitBreaker::State::kClosed);
  EXPECT_EQ(b.consecutive_failures(), 0u);
  EXPECT_EQ(b.failed_trials(), 0u);
  EXPECT_EQ(b.window_requests(37 * kS), 0u);
  EXPECT_EQ(b.acquire(37 * kS), Admission::kNormal);
}

TEST(BreakerTest, FailedTrialsInARowDoubleTheTimeOpenUpToTheCapAndASuccessResetsIt) {
  BreakerOptions o;
  o.consecutive_failures = 1;
  o.open_ns = 10 * kS;
  o.max_open_ns = 50 * kS;
  CircuitBreaker b(o);
  std::int64_t t = 0;
  b.record(outcome(OutcomeClass::kTransient), t);
  std::vector<std::int64_t> open_for;
  for (int i = 0; i < 5; ++i) {
    open_for.push_back(b.open_until_ns() - t);
    t = b.open_until_ns();
    ASSERT_EQ(b.acquire(t), Admission::kTrial);
    b.record(outcome(OutcomeClass::kTransient, true), t);
  }
  EXPECT_EQ(open_for, (std::vector<std::int64_t>{10 * kS, 20 * kS, 40 * kS, 50 * kS, 50 * kS}));
  t = b.open_until_ns();
  ASSERT_EQ(b.acquire(t), Admission::kTrial);
  b.record(outcome(OutcomeClass::kSuccess, true), t);
  b.record(outcome(OutcomeClass::kTransient), t + kS);  // the next trip starts over at open_ns
  EXPECT_EQ(b.open_until_ns(), t + kS + 10 * kS);
}

TEST(BreakerTest, SuccessResetsTheConsecutiveCount) {
  CircuitBreaker b;
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 4; ++i) b.record(outcome(OutcomeClass::kTransient), round * kS);
    b.record(outcome(OutcomeClass::kSuccess), round * kS);
  }
  // Never 5 in a row, but 80 % failed: with the defaults the rate rule trips at the
  // first failure once 20 outcomes are in the window (round 4: 17 of 21).
  EXPECT_EQ(b.trips(), 1u);
  EXPECT_EQ(b.open_until_ns(), 14 * kS);
  EXPECT_EQ(b.state(10 * kS), CircuitBreaker::State::kOpen);
  BreakerOptions o;
  o.failure_rate_pct = 0;  // count rule only
  CircuitBreaker c(o);
  for (int round = 0; round < 10; ++round) {
    for (int i = 0; i < 4; ++i) c.record(outcome(OutcomeClass::kTransient), round * kS);
    c.record(outcome(OutcomeClass::kSuccess), round * kS);
  }
  EXPECT_EQ(c.state(10 * kS), CircuitBreaker::State::kClosed);
  EXPECT_EQ(c.trips(), 0u);
}

TEST(BreakerTest, OpensOnFailureRateOverTheWindow) {
  BreakerOptions o;
  o.consecutive_failures = 0;  // rate rule only
  o.min_requests = 20;
  o.failure_rate_pct = 50;
  o.window_ns = 30 * kS;  // 10 buckets of 3 s
  CircuitBreaker b(o);
  // Alternating success / failure: 50 %, but only with 20 outcomes in the window.
  for (int i = 0; i < 19; ++i) {
    b.record(outcome(i % 2 ? OutcomeClass::kTransient : OutcomeClass::kSuccess), i * 100 * kMs);
  }
  EXPECT_EQ(b.window_requests(2 * kS), 19u);
  EXPECT_EQ(b.window_failures(2 * kS), 9u);
  EXPECT_EQ(b.state(2 * kS), CircuitBreaker::State::kClosed);
  b.record(outcome(OutcomeClass::kTransient), 2 * kS);  // 10 of 20
  EXPECT_EQ(b.state(2 * kS), CircuitBreaker::State::kOpen);
  EXPECT_EQ(b.open_until_ns(), 12 * kS);
}

TEST(BreakerTest, OldOutcomesLeaveTheWindow) {
  BreakerOptions o;
  o.consecutive_failures = 0;
  o.min_requests = 10;
  o.failure_rate_pct = 50;
  o.window_ns = 30 * kS;
  CircuitBreaker b(o);
  for (int i = 0; i < 9; ++i) b.record(outcome(OutcomeClass::kTransient), 0);  // 9 of 9
  EXPECT_EQ(b.window_failures(29 * kS), 9u);
  EXPECT_EQ(b.window_failures(30 * kS), 0u);  // the bucket [0, 3 s) has left the window
  for (int i = 0; i < 9; ++i) b.record(outcome(OutcomeClass::kSuccess), 40 * kS);
  b.record(outcome(OutcomeClass::kTransient), 41 * kS);  // 1 of 10 in the window
  EXPECT_EQ(b.window_requests(41 * kS), 10u);
  EXPECT_EQ(b.state(41 * kS), CircuitBreaker::State::kClosed);
}

TEST(BreakerTest, ThrottlesAndCallerErrorsDoNotCount) {
  CircuitBreaker b;
  for (int i = 0; i < 100; ++i) {
    b.record(outcome(static_cast<OutcomeClass>(1 + i % 3)), i * kMs);  // throttle, quota, not ready
    b.record(outcome(OutcomeClass::kClient), i * kMs);
    b.record(outcome(OutcomeClass::kAuth), i * kMs);
    b.record(outcome(OutcomeClass::kClockSkew), i * kMs);
  }
  EXPECT_EQ(b.state(1 * kS), CircuitBreaker::State::kClosed);
  EXPECT_EQ(b.window_requests(1 * kS), 0u);

  for (int i = 0; i < 5; ++i) b.record(outcome(OutcomeClass::kTransient), 1 * kS);
  ASSERT_EQ(b.state(1 * kS), CircuitBreaker::State::kOpen);
  ASSERT_EQ(b.acquire(11 * kS), Admission::kTrial);
  b.record(outcome(OutcomeClass::kAuth, true), 11 * kS);  // frees the trial, decides nothing
  EXPECT_EQ(b.state(11 * kS), CircuitBreaker::State::kHalfOpen);
  ASSERT_EQ(b.acquire(11 * kS), Admission::kTrial);
  b.record(outcome(OutcomeClass::kThrottle, true), 11 * kS);  // the endpoint answered: closed
  EXPECT_EQ(b.state(11 * kS), CircuitBreaker::State::kClosed);
}

// ---------------------------------------------------------------------------
// AdaptiveRate (CUBIC)

// Five responses in the first half second: measured rate 5 / 0.5 s * 0.8 = 8.
void warm_up_and_throttle(AdaptiveRate& r) {
  r.record(OutcomeClass::kSuccess, 100 * kMs);
  r.record(OutcomeClass::kSuccess, 200 * kMs);
  r.record(OutcomeClass::kSuccess, 300 * kMs);
  r.record(OutcomeClass::kSuccess, 400 * kMs);
  EXPECT_FALSE(r.enabled());
  r.record(OutcomeClass::kThrottle, 500 * kMs);
}

TEST(AdaptiveRateTest, DisabledUntilTheFirstThrottle) {
  AdaptiveRate r;
  for (int i = 0; i < 1000; ++i) {
    const AdaptiveRate::Acquire a = r.try_acquire(i * kMs);
    ASSERT_TRUE(a.allowed);
    ASSERT_EQ(a.wait_ns, 0);
    r.record(OutcomeClass::kSuccess, i * kMs);
  }
  EXPECT_FALSE(r.enabled());
  r.record(OutcomeClass::kClient, 2 * kS);  // never a throttle signal
  r.record(OutcomeClass::kModelNotReady, 2 * kS);
  EXPECT_FALSE(r.enabled());
}

TEST(AdaptiveRateTest, ThrottleCutsTheRateByBeta) {
  AdaptiveRate r;
  warm_up_and_throttle(r);
  EXPECT_TRUE(r.enabled());
  EXPECT_DOUBLE_EQ(r.measured_rate(), 8.0);
  EXPECT_DOUBLE_EQ(r.last_max_rate(), 8.0);
  EXPECT_NEAR(r.time_window_s(), 1.8171205928321397, 1e-12);  // cbrt(8 * 0.3 / 0.4) = cbrt(6)
  EXPECT_NEAR(r.fill_rate(), 5.6, 1e-12);                      // 8 * 0.7
  EXPECT_NEAR(r.max_capacity(), 5.6, 1e-12);
  // Before enabling, the bucket filled at the 0.5/s floor from 0.1 s to 0.5 s: 0.2.
  EXPECT_NEAR(r.capacity(), 0.2, 1e-9);

  // 0.8 tokens short at 5.6/s: 142857142.9 ns, rounded up.
  const AdaptiveRate::Acquire denied = r.try_acquire(500 * kMs);
  EXPECT_FALSE(denied.allowed);
  EXPECT_EQ(denied.wait_ns, 142857143);
  EXPECT_EQ(r.wait_ns(500 * kMs), 142857143);
  EXPECT_FALSE(r.try_acquire(500 * kMs + 142857142).allowed);
  EXPECT_TRUE(r.try_acquire(500 * kMs + 142857143).allowed);
  EXPECT_FALSE(r.try_acquire(500 * kMs + 142857143).allowed);  // that token is spent
}

// Steady 20 requests/s so that 2 x measured rate never binds, then the cubic at
// hand-computable points: W(t) = 0.4 (t - 0.5 - K)^3 + 8 with K = cbrt(6).
TEST(AdaptiveRateTest, SuccessFollowsTheCubic) {
  AdaptiveRate r;
  warm_up_and_throttle(r);
  const std::int64_t k_ns = static_cast<std::int64_t>(std::llround(std::cbrt(6.0) * 1e9));
  std::int64_t t = 500 * kMs;
  auto traffic_until = [&](std::int64_t end) {
    for (t += 50 * kMs; t < end; t += 50 * kMs) r.record(OutcomeClass::kSuccess, t);
    t = end;
    r.record(OutcomeClass::kSuccess, t);
  };
  traffic_until(500 * kMs + k_ns / 2);  // t - 0.5 = K/2: 8 - 0.4 * 6 / 8 = 7.7
  EXPECT_NEAR(r.fill_rate(), 7.7, 1e-6);
  traffic_until(500 * kMs + k_ns);  // the plateau: back to last_max
  EXPECT_NEAR(r.fill_rate(), 8.0, 1e-6);
  traffic_until(500 * kMs + k_ns + 1 * kS);  // 0.4 * 1 + 8
  EXPECT_NEAR(r.fill_rate(), 8.4, 1e-6);
  traffic_until(500 * kMs + k_ns + 2 * kS);  // 0.4 * 8 + 8
  EXPECT_NEAR(r.fill_rate(), 11.2, 1e-6);
  EXPECT_NEAR(r.max_capacity(), 11.2, 1e-6);
  EXPECT_GT(r.measured_rate(), 11.2);

  // A second throttle: last_max = min(measured, fill rate) = 11.2, rate 7.84.
  r.record(OutcomeClass::kQuota, t);
  EXPECT_NEAR(r.last_max_rate(), 11.2, 1e-6);
  EXPECT_NEAR(r.fill_rate(), 7.84, 1e-6);
  EXPECT_NEAR(r.time_window_s(), std::cbrt(11.2 * 0.3 / 0.4), 1e-9);  // cbrt(8.4)
}

TEST(AdaptiveRateTest, RateIsCappedAtTwiceTheMeasuredRate) {
  AdaptiveRate r;
  warm_up_and_throttle(r);
  // One response at 2.5 s: 1 request over 2 s -> 0.5/s; measured 0.8*0.5 + 0.2*8 = 2.0.
  // The cubic says 0.4 (2.0 - K)^3 + 8 = 8.00245, but the cap is 2 * 2.0 = 4.
  r.record(OutcomeClass::kSuccess, 2500 * kMs);
  EXPECT_DOUBLE_EQ(r.measured_rate(), 2.0);
  EXPECT_NEAR(r.fill_rate(), 4.0, 1e-12);
  // Rates never fall under the floors: 0.5/s and a capacity of 1 token.
  AdaptiveRate idle;
  idle.record(OutcomeClass::kThrottle, 0);  // nothing measured yet: last_max 0
  EXPECT_TRUE(idle.enabled());
  EXPECT_DOUBLE_EQ(idle.fill_rate(), 0.5);
  EXPECT_DOUBLE_EQ(idle.max_capacity(), 1.0);
  EXPECT_EQ(idle.try_acquire(0).wait_ns, 2 * kS);  // 1 token at 0.5/s
  EXPECT_TRUE(idle.try_acquire(2 * kS).allowed);
}

// ---------------------------------------------------------------------------
// RetryBudget

TEST(RetryBudgetTest, StandardModeArithmetic) {
  RetryBudget b;
  EXPECT_EQ(b.capacity(), 500u);
  EXPECT_EQ(b.available(), 500u);
  EXPECT_EQ(b.try_acquire_retry(false), 5u);
  EXPECT_EQ(b.available(), 495u);
  EXPECT_EQ(b.try_acquire_retry(true), 10u);
  EXPECT_EQ(b.available(), 485u);
  b.on_success(10);  // the retry after a timeout succeeded: its 10 come back
  EXPECT_EQ(b.available(), 495u);
  b.on_success(0);  // succeeded without a retry: +1
  EXPECT_EQ(b.available(), 496u);
  b.on_success(5);  // never above capacity
  EXPECT_EQ(b.available(), 500u);
  b.on_success(0);
  EXPECT_EQ(b.available(), 500u);
}

TEST(RetryBudgetTest, EmptyBudgetDeniesRetries) {
  RetryBudget b;
  for (int i = 0; i < 100; ++i) ASSERT_EQ(b.try_acquire_retry(false), 5u);  // 100 x 5 = 500
  EXPECT_EQ(b.available(), 0u);
  EXPECT_EQ(b.try_acquire_retry(false), 0u);
  EXPECT_EQ(b.try_acquire_retry(true), 0u);
  EXPECT_EQ(b.available(), 0u);
  for (int i = 0; i < 5; ++i) b.on_success(0);  // five first-try successes: 5 tokens
  EXPECT_EQ(b.try_acquire_retry(true), 0u);      // a timeout retry needs 10: denied, nothing taken
  EXPECT_EQ(b.available(), 5u);
  EXPECT_EQ(b.try_acquire_retry(false), 5u);
  EXPECT_EQ(b.available(), 0u);
  // A storm: 50 timeout retries in a row are all the budget pays for.
  RetryBudget storm;
  int granted = 0;
  while (storm.try_acquire_retry(true) != 0) ++granted;
  EXPECT_EQ(granted, 50);
}

TEST(RetryBudgetTest, CustomOptions) {
  RetryBudgetOptions o;
  o.capacity = 20;
  o.retry_cost = 7;
  o.timeout_retry_cost = 20;
  o.no_retry_increment = 2;
  RetryBudget b(o);
  EXPECT_EQ(b.try_acquire_retry(false), 7u);
  EXPECT_EQ(b.try_acquire_retry(false), 7u);
  EXPECT_EQ(b.try_acquire_retry(false), 0u);  // 6 left
  EXPECT_EQ(b.try_acquire_retry(true), 0u);
  b.on_success(0);
  EXPECT_EQ(b.available(), 8u);
  b.on_success(20);
  EXPECT_EQ(b.available(), 20u);
  EXPECT_EQ(b.try_acquire_retry(true), 20u);
  EXPECT_EQ(b.available(), 0u);
}

// ---------------------------------------------------------------------------
// No heap on any path

TEST(HealthAllocations, EveryPathAllocatesNothing) {
  EndpointHealth h;
  CircuitBreaker b;
  AdaptiveRate r;
  RetryBudget budget;
  Random rnd(7);
  testing::AllocationScope scope;
  std::int64_t now = 0;
  std::int64_t sink = 0;
  for (int i = 0; i < 5000; ++i) {
    now += static_cast<std::int64_t>(rnd.next_below(200)) * kMs;
    const OutcomeClass o = static_cast<OutcomeClass>(rnd.next_below(8));
    sink += full_jitter_backoff_ns(static_cast<std::uint32_t>(i % 80), 500 * kMs, 20 * kS, rnd.next_unit());
    const bool ok = h.available(now) && b.available(now);
    const Admission ah = ok ? h.acquire(now) : Admission::kDenied;
    const Admission ab = ok ? b.acquire(now) : Admission::kDenied;
    const AdaptiveRate::Acquire ar = r.try_acquire(now);
    sink += ar.wait_ns + r.wait_ns(now);
    Report rep = outcome(o, ah == Admission::kTrial, rnd.next_unit(), i % 7 == 0 ? 1500 : -1);
    h.record(rep, now);
    rep.trial = ab == Admission::kTrial;
    b.record(rep, now);
    r.record(o, now);
    const std::uint32_t cost = budget.try_acquire_retry(o == OutcomeClass::kTransient);
    if (o == OutcomeClass::kSuccess) budget.on_success(cost);
    sink += static_cast<std::int64_t>(h.state(now)) + static_cast<std::int64_t>(b.state(now)) +
            b.window_requests(now);
  }
  EXPECT_EQ(scope.allocations(), 0u);
  EXPECT_GE(sink, 0);
}

}  // namespace
}  // namespace edgeroute
