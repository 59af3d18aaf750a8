// RoutedCall (failover inside one call), the router features it relies on (avoid
// set, adaptive rate, drills, next-due time, primary) and FailoverMonitor, with a
// fake clock: every transition is driven by hand.
#include "edgeroute/failover.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "alloc_counter.h"
#include "edgeroute/catalog.h"
#include "edgeroute/clock.h"
#include "edgeroute/policy.h"
#include "edgeroute/router.h"
#include "rtt_prober.h"

namespace edgeroute {
namespace {

constexpr std::int64_t kMs = 1000000;
constexpr const char* kModel = "m";

// Three allowed EU sources (nearest first once probed), two US ones and a global
// profile that the EU policy excludes.
constexpr const char* kWorld = R"({
  "region_sets": {"eu": ["eu-central-1", "eu-west-1", "eu-west-3"], "us": ["us-east-1", "us-west-2"],
                  "global": ["eu-central-1", "eu-west-1", "eu-west-3", "us-east-1", "us-west-2"]},
  "profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu",
     "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"], "eu-west-3": ["eu"]}},
    {"id": "us.m", "model": "m", "geography": "us", "sources": {"us-east-1": ["us"], "us-west-2": ["us"]}},
    {"id": "global.m", "model": "m", "geography": "global", "sources": {"eu-central-1": ["global"]}}
  ],
  "in_region": []
})";

using testing::RttProber;

AttemptOutcome outcome_of(OutcomeClass c) {
  AttemptOutcome o;
  o.outcome = c;
  return o;
}

class FailoverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(catalog_->load_json(kWorld, "world.json", CatalogMerge::kReplace).ok());
    ASSERT_TRUE(policy_->set_allow("eu").ok());
    prober_.set("us-east-1", 1);  // nearest of all, and disallowed
    prober_.set("eu-central-1", 20);
    prober_.set("eu-west-1", 30);
    prober_.set("eu-west-3", 45);
  }
  void start(RouterOptions options = RouterOptions()) {
    ASSERT_TRUE(router_->init(*policy_, options).ok());
    ASSERT_EQ(router_->tick(now(), 1, prober_), 3u);
  }
  std::int64_t now() const { return clock_.monotonic_ns(); }
  RoutedCall make_call(std::int64_t deadline_ms = 30000, const FailoverOptions& options = FailoverOptions()) {
    return RoutedCall(*router_, budget_, kModel, "", now() + deadline_ms * kMs, options);
  }
  // Sends on kSend and returns the route's source region, or "" when not kSend.
  std::string send(RoutedCall& call) {
    if (call.next(now(), 7) != RoutedCall::Step::kSend) return "";
    return std::string(call.route().source_region);
  }
  // Makes the endpoint of `region` cool for about `ms` through a throttle report
  // carrying x-amz-retry-after.
  void throttle(const char* region, std::int64_t ms) {
    Route r;
    const int c = catalog_->find_candidate("eu.m", region);
    ASSERT_GE(c, 0);
    r.identifier = catalog_->identifier(catalog_->candidate(static_cast<std::size_t>(c)));
    r.source_region = region;
    r.candidate = static_cast<std::uint16_t>(c);
    ASSERT_TRUE(router_->report(r, OutcomeClass::kThrottle, 0, now(), ms, 0.5).ok());
  }

  std::unique_ptr<Catalog> catalog_ = std::make_unique<Catalog>();
  std::unique_ptr<Policy> policy_ = std::make_unique<Policy>(*catalog_);
  std::unique_ptr<Router> router_ = std::make_unique<Router>();
  RetryBudget budget_;
  ManualClock clock_{1000000000};
  RttProber prober_;
};

TEST_F(FailoverTest, AThrottleMovesTheCallToTheNextAllowedRegionAtOnce) {
  start();
  RoutedCall call = make_call();
  ASSERT_EQ(send(call), "eu-central-1");
  EXPECT_TRUE(call.route().primary);
  clock_.advance_ms(15);
  call.complete(outcome_of(OutcomeClass::kThrottle), now());
  ASSERT_EQ(send(call), "eu-west-1");  // no wait: another allowed region has headroom
  EXPECT_FALSE(call.route().primary);
  EXPECT_EQ(budget_.available(), 495u);  // the retry cost 5
  call.complete(outcome_of(OutcomeClass::kSuccess), now());
  EXPECT_EQ(call.next(now(), 7), RoutedCall::Step::kDone);
  EXPECT_TRUE(call.ok());
  EXPECT_TRUE(call.failed_over());
  EXPECT_FALSE(call.served_by_primary());
  EXPECT_EQ(call.waits(), 0u);
  ASSERT_EQ(call.attempt_count(), 2u);
  EXPECT_EQ(call.attempt(0).outcome, OutcomeClass::kThrottle);
  EXPECT_EQ(call.attempt(0).end_ns - call.attempt(0).start_ns, 15 * kMs);
  EXPECT_EQ(budget_.available(), 500u);  // a successful retry refunds its cost
  // The router learned: the next call avoids the cooling endpoint by itself.
  RoutedCall next = make_call();
  EXPECT_EQ(send(next), "eu-west-1");
}

TEST_F(FailoverTest, XAmzRetryAfterFromTheAttemptSetsTheCooldown) {
  start(RouterOptions());
  const std::size_t central = static_cast<std::size_t>(catalog_->find_region("eu-central-1"));
  RoutedCall call = make_call();
  ASSERT_EQ(send(call), "eu-central-1");
  AttemptOutcome throttled = outcome_of(OutcomeClass::kThrottle);
  throttled.retry_after_ms = 4000;  // far beyond the jittered backoff's first 500 ms
  call.complete(throttled, now());
  const EndpointStats st = router_->endpoint_stats(central, now());
  EXPECT_EQ(st.health, EndpointCondition::kCooling);
  EXPECT_EQ(st.health_until_ns, now() + 4000 * kMs);
}

TEST_F(FailoverTest, ATransientFailureIsNotRetriedOnTheSameRegionWhileAnotherIsUsable) {
  start();
  RoutedCall call = make_call();
  ASSERT_EQ(send(call), "eu-central-1");
  call.complete(outcome_of(OutcomeClass::kTransient), now());  // one failure: the breaker stays closed
  EXPECT_EQ(router_->endpoint_stats(static_cast<std::size_t>(catalog_->find_region("eu-central-1")), now()).health,
            EndpointCondition::kUsable);
  EXPECT_EQ(send(call), "eu-west-1");
  call.complete(outcome_of(OutcomeClass::kTransient), now());
  EXPECT_EQ(send(call), "eu-west-3");
  call.complete(outcome_of(OutcomeClass::kSuccess), now());
  EXPECT_TRUE(call.ok());
}

TEST_F(FailoverTest, WithEveryRegionTriedARetryGoesBackToOneAlreadyTried) {
  start();
  FailoverOptions options;
  options.max_attempts = 5;
  RoutedCall call = make_call(30000, options);
  for (const char* region : {"eu-central-1", "eu-west-1", "eu-west-3"}) {
    ASSERT_EQ(send(call), region);
    call.complete(outcome_of(OutcomeClass::kTransient), now());
  }
  EXPECT_EQ(send(call), "eu-central-1");  // the nearest, tried, rather than nothing
}

// The waits below follow the cooldowns alone; with the adaptive rate on, a
// throttled endpoint also waits for its first token (see the rate test).
RouterOptions cooldown_only() {
  RouterOptions options;
  options.adaptive_rate = false;
  return options;
}

TEST_F(FailoverTest, WhenEveryAllowedRegionCoolsTheCallWaitsForTheEarliestThenSends) {
  start(cooldown_only());
  throttle("eu-central-1", 900);
  throttle("eu-west-1", 400);
  throttle("eu-west-3", 700);
  EXPECT_EQ(router_->next_due_ns(kModel, now()), now() + 400 * kMs);
  RoutedCall call = make_call();
  ASSERT_EQ(call.next(now(), 7), RoutedCall::Step::kWait);
  EXPECT_EQ(call.wait_until_ns(), now() + 400 * kMs);
  clock_.advance_ms(400);
  ASSERT_EQ(send(call), "eu-west-1");  // the half-open trial of the first one due
  EXPECT_TRUE(call.route().cooldown_trial);
  call.complete(outcome_of(OutcomeClass::kSuccess), now());
  EXPECT_TRUE(call.ok());
  EXPECT_EQ(call.waits(), 1u);
  EXPECT_EQ(call.waited_ns(), 400 * kMs);
  EXPECT_FALSE(call.failed_over());     // one attempt: nothing failed within the call
  EXPECT_FALSE(call.served_by_primary());  // but health moved it off the primary
}

TEST_F(FailoverTest, NothingDueBeforeTheDeadlineEndsTheCallNamingEachCandidate) {
  start();
  throttle("eu-central-1", 9000);
  throttle("eu-west-1", 8000);
  throttle("eu-west-3", 7000);
  RoutedCall call = make_call(2000);
  EXPECT_EQ(call.next(now(), 7), RoutedCall::Step::kDone);
  EXPECT_EQ(call.ending(), RoutedCall::Ending::kDeadline);
  EXPECT_EQ(call.attempt_count(), 0u);
  const std::string m = call.status().message();
  EXPECT_NE(m.find("earliest due in 7000 ms"), std::string::npos) << m;
  EXPECT_NE(m.find("eu.m@eu-central-1 cooling 9000ms"), std::string::npos) << m;
  EXPECT_EQ(m.find("us.m"), std::string::npos) << m;  // disallowed: never a candidate
}

TEST_F(FailoverTest, NoAttemptStartsTooCloseToTheDeadline) {
  start();
  FailoverOptions options;
  options.min_attempt_ns = 50 * kMs;
  RoutedCall call = make_call(1000, options);
  ASSERT_EQ(send(call), "eu-central-1");
  clock_.advance_ms(960);  // 40 ms left: less than an attempt needs
  call.complete(outcome_of(OutcomeClass::kThrottle), now());
  EXPECT_EQ(call.next(now(), 7), RoutedCall::Step::kDone);
  EXPECT_EQ(call.ending(), RoutedCall::Ending::kDeadline);
  EXPECT_NE(std::string(call.status().message()).find("after 1 attempts (last: throttle)"), std::string::npos)
      << call.status().message();
  EXPECT_EQ(budget_.available(), 500u);  // no retry was paid for
}

TEST_F(FailoverTest, NothingIsRetriedAfterOutputReachedTheCaller) {
  start();
  RoutedCall call = make_call();
  ASSERT_EQ(send(call), "eu-central-1");
  AttemptOutcome o = outcome_of(OutcomeClass::kThrottle);
  o.output_delivered = true;
  call.complete(o, now());
  EXPECT_EQ(call.next(now(), 7), RoutedCall::Step::kDone);
  EXPECT_EQ(call.ending(), RoutedCall::Ending::kOutputDelivered);
  EXPECT_EQ(call.attempt_count(), 1u);
  EXPECT_NE(std::string(call.status().message()).find("after output reached the caller"), std::string::npos);
}

TEST_F(FailoverTest, ClientAndAuthErrorsAreFinal) {
  start();
  for (const OutcomeClass c : {OutcomeClass::kClient, OutcomeClass::kAuth, OutcomeClass::kClockSkew}) {
    RoutedCall call = make_call();
    ASSERT_EQ(send(call), "eu-central-1");
    call.complete(outcome_of(c), now());
    EXPECT_EQ(call.next(now(), 7), RoutedCall::Step::kDone);
    EXPECT_EQ(call.ending(), RoutedCall::Ending::kNotRetryable) << to_string(c);
    EXPECT_EQ(call.attempt_count(), 1u);
  }
  EXPECT_EQ(budget_.available(), 500u);
}

TEST_F(FailoverTest, AttemptsStopAtMaxAttempts) {
  start();
  FailoverOptions options;
  options.max_attempts = 2;
  RoutedCall call = make_call(30000, options);
  ASSERT_EQ(send(call), "eu-central-1");
  call.complete(outcome_of(OutcomeClass::kTransient), now());
  ASSERT_EQ(send(call), "eu-west-1");
  call.complete(outcome_of(OutcomeClass::kQuota), now());
  EXPECT_EQ(call.next(now(), 7), RoutedCall::Step::kDone);
  EXPECT_EQ(call.ending(), RoutedCall::Ending::kAttempts);
  EXPECT_NE(std::string(call.status().message()).find("2 attempts failed (last: quota on eu-west-1)"),
            std::string::npos)
      << call.status().message();
}

TEST_F(FailoverTest, AnEmptyRetryBudgetStopsRetriesNotFirstAttempts) {
  start();
  RetryBudgetOptions small;
  small.capacity = 12;  // two ordinary retries, or one after a timeout
  RetryBudget budget(small);
  RoutedCall call(*router_, budget, kModel, "", now() + 30000 * kMs);
  ASSERT_EQ(call.next(now(), 7), RoutedCall::Step::kSend);
  AttemptOutcome timeout = outcome_of(OutcomeClass::kTransient);
  timeout.timed_out = true;
  call.complete(timeout, now());
  ASSERT_EQ(call.next(now(), 7), RoutedCall::Step::kSend);  // costs 10
  EXPECT_EQ(budget.available(), 2u);
  call.complete(outcome_of(OutcomeClass::kThrottle), now());
  EXPECT_EQ(call.next(now(), 7), RoutedCall::Step::kDone);  // 5 > 2
  EXPECT_EQ(call.ending(), RoutedCall::Ending::kBudget);
  EXPECT_NE(std::string(call.status().message()).find("retry budget exhausted (2 of 12 tokens left)"),
            std::string::npos)
      << call.status().message();
  // A new call still makes its first attempt: an empty budget never blocks calls.
  RoutedCall fresh(*router_, budget, kModel, "", now() + 30000 * kMs);
  EXPECT_EQ(fresh.next(now(), 7), RoutedCall::Step::kSend);
  fresh.complete(outcome_of(OutcomeClass::kSuccess), now());
  EXPECT_EQ(budget.available(), 3u);  // +1 for a success without retry
}

TEST_F(FailoverTest, AFailDrillFailsAttemptsUnsentAndTheCallMovesOn) {
  start();
  ASSERT_TRUE(router_->drill("eu-central-1", DrillKind::kFail, now() + 60000 * kMs, now()).ok());
  RoutedCall call = make_call();
  ASSERT_EQ(send(call), "eu-west-1");  // the drill's failure was consumed inside next()
  ASSERT_EQ(call.attempt_count(), 1u);
  EXPECT_TRUE(call.attempt(0).drill);
  EXPECT_EQ(call.attempt(0).route.source_region, "eu-central-1");
  call.complete(outcome_of(OutcomeClass::kSuccess), now());
  EXPECT_TRUE(call.ok());
  EXPECT_TRUE(call.failed_over());
  // Ending the drill brings the region back.
  ASSERT_TRUE(router_->drill("eu-central-1", DrillKind::kFail, 0, now()).ok());
  RoutedCall after = make_call();
  EXPECT_EQ(send(after), "eu-central-1");
}

TEST_F(FailoverTest, ACallWhoseEveryAttemptWasDrilledEndsAsAFailureNotASuccess) {
  start();
  for (const char* region : {"eu-central-1", "eu-west-1", "eu-west-3"}) {
    ASSERT_TRUE(router_->drill(region, DrillKind::kFail, now() + 60000 * kMs, now()).ok());
  }
  RoutedCall call = make_call();
  // Every attempt is a drill's, consumed inside next(): nothing is ever sent.
  EXPECT_EQ(call.next(now(), 7), RoutedCall::Step::kDone);
  EXPECT_FALSE(call.ok());
  EXPECT_EQ(call.ending(), RoutedCall::Ending::kAttempts);
  ASSERT_EQ(call.attempt_count(), 3u);
  for (std::size_t i = 0; i < call.attempt_count(); ++i) EXPECT_TRUE(call.attempt(i).drill);
  // The class a caller's error is built from: a retryable failure, never success.
  EXPECT_EQ(call.outcome(), OutcomeClass::kTransient);
  EXPECT_NE(std::string(call.status().message()).find("fail drill"), std::string::npos)
      << call.status().message();
}

TEST_F(FailoverTest, TheCallsOutcomeIsTheLastAttemptsClassOrSuccess) {
  start();
  RoutedCall served = make_call();
  ASSERT_EQ(send(served), "eu-central-1");
  served.complete(outcome_of(OutcomeClass::kSuccess), now());
  EXPECT_EQ(served.outcome(), OutcomeClass::kSuccess);

  RoutedCall rejected = make_call();
  ASSERT_EQ(send(rejected), "eu-central-1");
  rejected.complete(outcome_of(OutcomeClass::kAuth), now());
  EXPECT_EQ(rejected.ending(), RoutedCall::Ending::kNotRetryable);
  EXPECT_EQ(rejected.outcome(), OutcomeClass::kAuth);

  RoutedCall late(*router_, budget_, kModel, "", now());  // no time for any attempt
  EXPECT_EQ(late.next(now(), 7), RoutedCall::Step::kDone);
  EXPECT_EQ(late.ending(), RoutedCall::Ending::kDeadline);
  EXPECT_EQ(late.outcome(), OutcomeClass::kTransient);

  RoutedCall unknown(*router_, budget_, "no-such-model", "", now() + 30000 * kMs);
  EXPECT_EQ(unknown.next(now(), 7), RoutedCall::Step::kDone);
  EXPECT_EQ(unknown.ending(), RoutedCall::Ending::kNoRoute);
  EXPECT_EQ(unknown.outcome(), OutcomeClass::kClient);
}

TEST_F(FailoverTest, ADrainDrillSkipsTheRegionUntilItEnds) {
  start();
  const std::size_t central = static_cast<std::size_t>(catalog_->find_region("eu-central-1"));
  ASSERT_TRUE(router_->drill("eu-central-1", DrillKind::kDrain, now() + 5000 * kMs, now()).ok());
  EXPECT_EQ(router_->endpoint_stats(central, now()).health, EndpointCondition::kDrained);
  RoutedCall call = make_call();
  EXPECT_EQ(send(call), "eu-west-1");
  EXPECT_FALSE(call.route().primary);
  EXPECT_EQ(call.attempt_count(), 0u);  // skipped, not tried
  call.complete(outcome_of(OutcomeClass::kSuccess), now());
  clock_.advance_ms(5000);
  RoutedCall after = make_call();
  EXPECT_EQ(send(after), "eu-central-1");
  EXPECT_TRUE(after.route().primary);
  EXPECT_EQ(router_->drill("atlantis-1", DrillKind::kDrain, now() + kMs, now()).code(), Code::kNotFound);
}

TEST_F(FailoverTest, ADrillOutsideTheAllowedSetIsRefusedNamingTheSet) {
  start();
  // us-east-1 is in the catalog (and nearest), but no EU-allowed candidate uses it:
  // a drill there would change nothing and say nothing.
  const Status s = router_->drill("us-east-1", DrillKind::kFail, now() + 1000 * kMs, now());
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()),
            "drill: region us-east-1 is outside the allowed set (allowed endpoints: eu-central-1, eu-west-1, "
            "eu-west-3)");
  EXPECT_EQ(router_->endpoint_stats(static_cast<std::size_t>(catalog_->find_region("us-east-1")), now()).health,
            EndpointCondition::kUsable);
}

TEST_F(FailoverTest, DrainingEveryAllowedRegionNeverFallsBackToADisallowedOne) {
  start();
  for (const char* region : {"eu-central-1", "eu-west-1", "eu-west-3"}) {
    ASSERT_TRUE(router_->drill(region, DrillKind::kDrain, now() + 1000 * kMs, now()).ok());
  }
  RoutedCall call = make_call(500);
  EXPECT_EQ(call.next(now(), 7), RoutedCall::Step::kDone);
  EXPECT_EQ(call.ending(), RoutedCall::Ending::kDeadline);
  EXPECT_NE(std::string(call.status().message()).find("drained"), std::string::npos) << call.status().message();
  RoutedCall longer = make_call(5000);
  ASSERT_EQ(longer.next(now(), 7), RoutedCall::Step::kWait);
  EXPECT_EQ(longer.wait_until_ns(), now() + 1000 * kMs);
}

TEST_F(FailoverTest, ARouteThePolicyNoLongerAllowsIsRefusedBeforeSending) {
  start();
  // The router's verdicts were cached at init; change the policy under it (which
  // the API forbids) to stand for corrupted tables: the check at send time holds.
  ASSERT_TRUE(policy_->set_allow("us").ok());
  RoutedCall call = make_call();
  EXPECT_EQ(call.next(now(), 7), RoutedCall::Step::kDone);
  EXPECT_EQ(call.ending(), RoutedCall::Ending::kRefused);
  EXPECT_EQ(call.attempt_count(), 0u);
  EXPECT_EQ(call.status().code(), Code::kPermissionDenied);
}

TEST_F(FailoverTest, AfterAThrottleTheAdaptiveRateSpacesCallsAndSpareOnesGoElsewhere) {
  RouterOptions options;
  options.cooldown.base_ns = 1;  // isolate the rate limiter from the cooldown
  options.cooldown.cap_ns = 1;
  start(options);
  const std::size_t central = static_cast<std::size_t>(catalog_->find_region("eu-central-1"));
  throttle("eu-central-1", 0);
  clock_.advance_ms(1);
  const EndpointStats st = router_->endpoint_stats(central, now());
  EXPECT_GT(st.send_rate, 0.0);
  // The limiter engaged with no token yet: the endpoint is rate limited, and the
  // call goes to the next allowed region instead of waiting.
  if (st.health == EndpointCondition::kRateLimited) {
    EXPECT_GT(st.health_until_ns, now());
    RoutedCall call = make_call();
    EXPECT_EQ(send(call), "eu-west-1");
    call.complete(outcome_of(OutcomeClass::kSuccess), now());
    clock_.advance_ns(st.health_until_ns - now());
  }
  // Once a token is there, the nearest is used again.
  RoutedCall later = make_call();
  EXPECT_EQ(send(later), "eu-central-1");
  later.complete(outcome_of(OutcomeClass::kSuccess), now());
  // With the limiter off, the same throttle leaves only the cooldown.
  RouterOptions off = options;
  off.adaptive_rate = false;
  start(off);
  throttle("eu-central-1", 0);
  clock_.advance_ms(1);
  EXPECT_EQ(router_->endpoint_stats(central, now()).send_rate, 0.0);
}

TEST_F(FailoverTest, RunDrivesACallThroughWaitsWithTheSleeper) {
  start(cooldown_only());
  throttle("eu-central-1", 300);
  throttle("eu-west-1", 300);
  throttle("eu-west-3", 200);
  class Fake final : public Attempter {
   public:
    explicit Fake(ManualClock& clock) : clock_(clock) {}
    AttemptOutcome attempt(const Route& route, std::int64_t deadline_ns) override {
      regions.emplace_back(route.source_region);
      EXPECT_LE(clock_.monotonic_ns() + 10 * kMs, deadline_ns);
      clock_.advance_ms(10);
      return outcome_of(regions.size() == 1 ? OutcomeClass::kThrottle : OutcomeClass::kSuccess);
    }
    std::vector<std::string> regions;

   private:
    ManualClock& clock_;
  };
  class Advance final : public Sleeper {
   public:
    explicit Advance(ManualClock& clock) : clock_(clock) {}
    void sleep_until(std::int64_t t) override {
      if (t > clock_.monotonic_ns()) clock_.advance_ns(t - clock_.monotonic_ns());
    }

   private:
    ManualClock& clock_;
  };
  Fake attempter(clock_);
  Advance sleeper(clock_);
  Random random(3);
  const std::int64_t start_ns = now();
  RoutedCall call = make_call();
  run(call, attempter, clock_, sleeper, random);
  EXPECT_TRUE(call.ok());
  // eu-west-3 came back first (200 ms) and throttled again; then the other two at 300 ms.
  ASSERT_EQ(attempter.regions.size(), 2u);
  EXPECT_EQ(attempter.regions[0], "eu-west-3");
  EXPECT_EQ(attempter.regions[1], "eu-central-1");
  EXPECT_EQ(now() - start_ns, 310 * kMs);  // waited to 200, tried 10, waited to 300, tried 10
  EXPECT_EQ(call.waits(), 2u);
}

TEST_F(FailoverTest, ACallAllocatesNothing) {
  start();
  throttle("eu-west-3", 100);
  testing::AllocationScope scope;
  for (int i = 0; i < 50; ++i) {
    RoutedCall call = make_call();
    ASSERT_EQ(call.next(now(), static_cast<std::uint64_t>(i)), RoutedCall::Step::kSend);
    call.complete(outcome_of(i % 3 == 0 ? OutcomeClass::kThrottle : OutcomeClass::kSuccess), now());
    if (!call.done()) {
      if (call.next(now(), 1) == RoutedCall::Step::kSend) call.complete(outcome_of(OutcomeClass::kSuccess), now());
    }
    clock_.advance_ms(600);
  }
  EXPECT_EQ(scope.allocations(), 0u);
}

// --- FailoverMonitor ----------------------------------------------------------

struct Fired {
  std::vector<Alert> alerts;
  static void hook(const Alert& a, void* self) { static_cast<Fired*>(self)->alerts.push_back(a); }
};

TEST(FailoverMonitorTest, RaisesOnceWhenTheFailoverRateCrossesAndClearsWhenItFalls) {
  AlertOptions options;
  options.failover_rate = 0.25;
  options.non_primary_share = 0;  // off
  options.min_calls = 8;
  options.window_ns = 12000 * kMs;
  Fired fired;
  FailoverMonitor monitor(options, &Fired::hook, &fired);
  std::int64_t t = 0;
  // 3 failovers in 7 calls: above the rate, but too few calls to judge.
  for (int i = 0; i < 7; ++i) monitor.record(true, i < 3, i >= 3, t += kMs);
  EXPECT_TRUE(fired.alerts.empty());
  monitor.record(true, false, true, t += kMs);  // 8 calls, 3/8 = 0.375
  ASSERT_EQ(fired.alerts.size(), 1u);
  EXPECT_EQ(fired.alerts[0].kind, AlertKind::kFailoverRate);
  EXPECT_TRUE(fired.alerts[0].raised);
  EXPECT_DOUBLE_EQ(fired.alerts[0].value, 3.0 / 8);
  EXPECT_TRUE(monitor.raised(AlertKind::kFailoverRate));
  for (int i = 0; i < 4; ++i) monitor.record(true, true, false, t += kMs);  // still raised: no new alert
  EXPECT_EQ(fired.alerts.size(), 1u);
  // The window slides past the failovers: the rate falls and the alert clears once.
  t += 13000 * kMs;
  for (int i = 0; i < 10; ++i) monitor.record(true, false, true, t += kMs);
  ASSERT_EQ(fired.alerts.size(), 2u);
  EXPECT_FALSE(fired.alerts[1].raised);
  EXPECT_FALSE(monitor.raised(AlertKind::kFailoverRate));
  EXPECT_EQ(monitor.window(t).calls, 10u);
}

TEST(FailoverMonitorTest, TheNonPrimaryShareCountsSuccessesServedAwayFromThePrimary) {
  AlertOptions options;
  options.failover_rate = 0;
  options.non_primary_share = 0.5;
  options.min_calls = 4;
  Fired fired;
  FailoverMonitor monitor(options, &Fired::hook, &fired);
  monitor.record(false, false, false, kMs);   // a failure is not a success served anywhere
  monitor.record(true, false, false, 2 * kMs);
  monitor.record(true, false, true, 3 * kMs);
  EXPECT_TRUE(fired.alerts.empty());
  monitor.record(true, false, false, 4 * kMs);  // 2 of 3 successes away from the primary
  ASSERT_EQ(fired.alerts.size(), 1u);
  EXPECT_EQ(fired.alerts[0].kind, AlertKind::kNonPrimaryShare);
  EXPECT_EQ(fired.alerts[0].calls, 4u);
}

}  // namespace
}  // namespace edgeroute
