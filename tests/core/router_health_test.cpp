// Router x endpoint health (issue 6): a throttled endpoint is skipped for its
// cooldown and comes back through one half-open trial, transient failures open
// its breaker, client-side errors never count, and when every allowed candidate
// is unhealthy the refusal names each one -- a disallowed candidate is never
// picked instead. Time is a ManualClock; no probes unless a test runs a round.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "alloc_counter.h"
#include "edgeroute/clock.h"
#include "edgeroute/router.h"
#include "rtt_prober.h"

namespace edgeroute {
namespace {

constexpr const char* kModel = "m";
// The same world as router_test.cpp: with allow "eu" the candidates of m are
// m@eu-central-1, eu.m@eu-central-1, eu.m@eu-west-1, eu.m@eu-west-3; us-east-1
// (nearest of all) and global.m are disallowed.
constexpr const char* kWorld = R"({
  "region_sets": {"eu": ["eu-central-1", "eu-west-1", "eu-north-1", "eu-west-3"], "us": ["us-east-1", "us-west-2"],
                  "global": ["eu-central-1", "eu-west-1", "eu-north-1", "eu-west-3", "us-east-1", "us-west-2"]},
  "profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu",
     "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"], "eu-west-3": ["eu"]}},
    {"id": "us.m", "model": "m", "geography": "us", "sources": {"us-east-1": ["us"], "us-west-2": ["us"]}},
    {"id": "global.m", "model": "m", "geography": "global", "sources": {"eu-central-1": ["global"]}}
  ],
  "in_region": [{"model": "m", "regions": ["eu-central-1", "us-east-1"]}]
})";

using testing::RttProber;

class RouterHealthTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(catalog_->load_json(kWorld, "world.json", CatalogMerge::kReplace).ok());
    ASSERT_TRUE(policy_->set_allow("eu").ok());
    prober_.set("us-east-1", 1);  // nearest, and disallowed
    prober_.set("eu-central-1", 20);
    prober_.set("eu-west-1", 30);
    prober_.set("eu-west-3", 45);
  }
  // Most tests here isolate the cooldown and the breaker; the adaptive rate, which
  // also engages at the first throttle, has tests of its own (with_rate).
  void start(RouterOptions options = RouterOptions(), bool with_rate = false) {
    options.adaptive_rate = with_rate;
    ASSERT_TRUE(router_->init(*policy_, options).ok());
    ASSERT_EQ(router_->tick(now(), 1, prober_), 3u);  // measure the three allowed sources
  }
  std::int64_t now() const { return clock_.monotonic_ns(); }
  Route pick(PickExplanation* why = nullptr, std::string_view session = {}) {
    Route r;
    const Status s = router_->pick(kModel, session, now(), 0, &r, why);
    EXPECT_TRUE(s.ok()) << s.message();
    return r;
  }
  static std::string where(const Route& r) { return std::string(r.identifier) + "@" + std::string(r.source_region); }
  Status report(const Route& r, OutcomeClass outcome, std::int64_t retry_after_ms = -1) {
    return router_->report(r, outcome, 0, now(), retry_after_ms, 0.5);
  }
  std::size_t region(const char* name) const { return static_cast<std::size_t>(catalog_->find_region(name)); }
  // The explanation entry of identifier@source.
  const PickExplanation::Entry* entry(const PickExplanation& why, const std::string& name) const {
    for (std::size_t i = 0; i < why.count; ++i) {
      const Candidate& c = catalog_->candidate(why.entries[i].candidate);
      if (std::string(catalog_->identifier(c)) + "@" + std::string(catalog_->region_name(c.source_region)) == name) {
        return &why.entries[i];
      }
    }
    return nullptr;
  }

  std::unique_ptr<Catalog> catalog_ = std::make_unique<Catalog>();
  std::unique_ptr<Policy> policy_ = std::make_unique<Policy>(*catalog_);
  std::unique_ptr<Router> router_ = std::make_unique<Router>();
  ManualClock clock_{1000000000};
  RttProber prober_;
};

TEST_F(RouterHealthTest, AThrottledNearestEndpointIsSkippedForItsCooldownThenComesBackThroughOneTrial) {
  start();
  const Route first = pick();
  ASSERT_EQ(where(first), "m@eu-central-1");
  EXPECT_FALSE(first.cooldown_trial);
  EXPECT_FALSE(first.breaker_trial);
  ASSERT_TRUE(report(first, OutcomeClass::kThrottle, /*retry_after_ms=*/2000).ok());

  // At once: the next allowed source, both eu-central-1 candidates skipped.
  auto why = std::make_unique<PickExplanation>();
  EXPECT_EQ(where(pick(why.get())), "eu.m@eu-west-1");
  const PickExplanation::Entry* cooling = entry(*why, "m@eu-central-1");
  ASSERT_NE(cooling, nullptr);
  EXPECT_EQ(cooling->reason, SkipReason::kRankedLower);
  EXPECT_EQ(cooling->health, EndpointCondition::kCooling);
  EXPECT_EQ(cooling->health_until_ns, now() + 2000LL * 1000000);
  EXPECT_EQ(entry(*why, "eu.m@eu-central-1")->health, EndpointCondition::kCooling);
  EXPECT_EQ(entry(*why, "eu.m@eu-west-1")->health, EndpointCondition::kUsable);
  EXPECT_EQ(entry(*why, "m@us-east-1")->reason, SkipReason::kPolicy);
  char text[96];
  describe_health(*why, *cooling, text, sizeof text);
  EXPECT_EQ(std::string(text), "cooling until " + std::to_string(now() + 2000LL * 1000000) + " (2000 ms)");
  EXPECT_EQ(router_->endpoint_stats(region("eu-central-1"), now()).health, EndpointCondition::kCooling);
  EXPECT_EQ(router_->endpoint_stats(region("eu-central-1")).total_throttles, 1u);

  clock_.advance_ms(1999);
  EXPECT_EQ(where(pick()), "eu.m@eu-west-1");  // still cooling

  // Due: exactly one call is the half-open trial; the others go elsewhere meanwhile.
  clock_.advance_ms(1);
  int trials = 0;
  Route trial;
  for (int i = 0; i < 5; ++i) {
    const Route r = pick(why.get());
    if (r.source_region == "eu-central-1") {
      ++trials;
      trial = r;
      EXPECT_TRUE(r.cooldown_trial);
      EXPECT_FALSE(r.breaker_trial);
    } else {
      EXPECT_EQ(where(r), "eu.m@eu-west-1");
      EXPECT_EQ(entry(*why, "m@eu-central-1")->health, EndpointCondition::kTrialInFlight);
    }
  }
  EXPECT_EQ(trials, 1);
  ASSERT_TRUE(report(trial, OutcomeClass::kSuccess).ok());

  // Healthy again: back to the nearest, no more trials.
  for (int i = 0; i < 3; ++i) {
    const Route r = pick();
    EXPECT_EQ(where(r), "m@eu-central-1");
    EXPECT_FALSE(r.cooldown_trial);
  }
  EXPECT_EQ(router_->endpoint_stats(region("eu-central-1"), now()).health, EndpointCondition::kUsable);
}

TEST_F(RouterHealthTest, AThrottledTrialCoolsAgainAndQuotaAndModelNotReadyCoolToo) {
  start();
  Route r = pick();
  ASSERT_TRUE(report(r, OutcomeClass::kQuota, 1000).ok());
  EXPECT_EQ(where(pick()), "eu.m@eu-west-1");
  clock_.advance_ms(1000);
  r = pick();
  ASSERT_TRUE(r.cooldown_trial);
  ASSERT_TRUE(report(r, OutcomeClass::kModelNotReady, 3000).ok());
  EXPECT_EQ(router_->endpoint_stats(region("eu-central-1"), now()).consecutive_throttles, 2u);
  clock_.advance_ms(2999);
  EXPECT_EQ(where(pick()), "eu.m@eu-west-1");
  clock_.advance_ms(1);
  EXPECT_TRUE(pick().cooldown_trial);
}

TEST_F(RouterHealthTest, WithoutRetryAfterTheCooldownIsTheJitteredBackoff) {
  RouterOptions options;
  options.cooldown.base_ns = 800LL * 1000000;
  start(options);
  const Route r = pick();
  // random_unit 0.5 of min(cap, base * 2^0) = 400 ms.
  ASSERT_TRUE(router_->report(r, OutcomeClass::kThrottle, 0, now(), -1, 0.5).ok());
  EXPECT_EQ(router_->endpoint_stats(region("eu-central-1"), now()).health_until_ns, now() + 400LL * 1000000);
  clock_.advance_ms(399);
  EXPECT_EQ(where(pick()), "eu.m@eu-west-1");
  clock_.advance_ms(1);
  EXPECT_EQ(where(pick()), "m@eu-central-1");
}

TEST_F(RouterHealthTest, TransientFailuresOpenTheBreakerAndOnlyItsTrialClosesIt) {
  RouterOptions options;
  options.breaker.consecutive_failures = 3;
  options.breaker.open_ns = 10LL * 1000 * 1000000;
  start(options);
  const Route r = pick();
  ASSERT_EQ(where(r), "m@eu-central-1");
  ASSERT_TRUE(report(r, OutcomeClass::kTransient).ok());
  ASSERT_TRUE(report(r, OutcomeClass::kTransient).ok());
  EXPECT_EQ(where(pick()), "m@eu-central-1");  // two in a row: still closed
  ASSERT_TRUE(report(r, OutcomeClass::kTransient).ok());
  auto why = std::make_unique<PickExplanation>();
  EXPECT_EQ(where(pick(why.get())), "eu.m@eu-west-1");
  EXPECT_EQ(entry(*why, "m@eu-central-1")->health, EndpointCondition::kCircuitOpen);
  char text[96];
  describe_health(*why, *entry(*why, "m@eu-central-1"), text, sizeof text);
  EXPECT_NE(std::string(text).find("circuit open until"), std::string::npos) << text;
  EXPECT_EQ(router_->endpoint_stats(region("eu-central-1")).breaker_trips, 1u);
  EXPECT_EQ(router_->candidate_stats(r.candidate).failures, 3u);

  // The trial fails: open again, for twice open_ns.
  clock_.advance_ms(10000);
  Route trial = pick();
  ASSERT_EQ(where(trial), "m@eu-central-1");
  ASSERT_TRUE(trial.breaker_trial);
  EXPECT_FALSE(trial.cooldown_trial);
  EXPECT_EQ(where(pick()), "eu.m@eu-west-1");  // the one trial is out
  ASSERT_TRUE(report(trial, OutcomeClass::kTransient).ok());
  EXPECT_EQ(router_->endpoint_stats(region("eu-central-1")).breaker_trips, 2u);
  clock_.advance_ms(19999);
  EXPECT_EQ(where(pick()), "eu.m@eu-west-1");

  // The next trial succeeds: closed.
  clock_.advance_ms(1);
  trial = pick();
  ASSERT_TRUE(trial.breaker_trial);
  ASSERT_TRUE(report(trial, OutcomeClass::kSuccess).ok());
  EXPECT_EQ(where(pick()), "m@eu-central-1");
  EXPECT_EQ(router_->endpoint_stats(region("eu-central-1"), now()).health, EndpointCondition::kUsable);
}

TEST_F(RouterHealthTest, EveryAllowedCandidateCoolingIsAnErrorNamingEachNeverADisallowedPick) {
  start();
  Route r = pick();
  ASSERT_EQ(where(r), "m@eu-central-1");
  ASSERT_TRUE(report(r, OutcomeClass::kThrottle, 2000).ok());
  r = pick();
  ASSERT_EQ(where(r), "eu.m@eu-west-1");
  ASSERT_TRUE(report(r, OutcomeClass::kThrottle, 5000).ok());
  r = pick();
  ASSERT_EQ(where(r), "eu.m@eu-west-3");
  ASSERT_TRUE(report(r, OutcomeClass::kThrottle, 3000).ok());

  auto why = std::make_unique<PickExplanation>();
  for (const char* session : {"", "conversation"}) {
    Route none;
    const Status s = router_->pick(kModel, session, now(), 0, &none, why.get());
    ASSERT_EQ(s.code(), Code::kUnavailable);
    const std::string m = s.message();
    EXPECT_NE(m.find("earliest due in 2000 ms"), std::string::npos) << m;
    EXPECT_NE(m.find(" m@eu-central-1 cooling 2000ms"), std::string::npos) << m;
    EXPECT_NE(m.find(" eu.m@eu-central-1 cooling 2000ms"), std::string::npos) << m;
    EXPECT_NE(m.find(" eu.m@eu-west-1 cooling 5000ms"), std::string::npos) << m;
    EXPECT_NE(m.find(" eu.m@eu-west-3 cooling 3000ms"), std::string::npos) << m;
    EXPECT_EQ(m.find("us-"), std::string::npos) << m;
    EXPECT_EQ(m.find("global"), std::string::npos) << m;
    for (std::size_t i = 0; i < why->count; ++i) EXPECT_NE(why->entries[i].reason, SkipReason::kChosen);
    EXPECT_EQ(entry(*why, "m@us-east-1")->reason, SkipReason::kPolicy);
    EXPECT_EQ(entry(*why, "m@us-east-1")->health, EndpointCondition::kUsable);  // not judged: disallowed
    EXPECT_EQ(entry(*why, "eu.m@eu-west-1")->health, EndpointCondition::kCooling);
  }
  // The earliest comes back, as a trial, and it is an allowed one.
  clock_.advance_ms(2000);
  r = pick();
  EXPECT_EQ(where(r), "m@eu-central-1");
  EXPECT_TRUE(r.cooldown_trial);
  EXPECT_TRUE(policy_->check_route(r.identifier, r.source_region).ok());
}

TEST_F(RouterHealthTest, ClientAuthAndClockSkewErrorsNeverCoolAnEndpoint) {
  start();
  const Route r = pick();
  for (int i = 0; i < 50; ++i) {
    ASSERT_TRUE(report(r, OutcomeClass::kClient, 60000).ok());
    ASSERT_TRUE(report(r, OutcomeClass::kAuth).ok());
    ASSERT_TRUE(report(r, OutcomeClass::kClockSkew).ok());
  }
  EXPECT_EQ(where(pick()), "m@eu-central-1");
  const EndpointStats s = router_->endpoint_stats(region("eu-central-1"), now());
  EXPECT_EQ(s.health, EndpointCondition::kUsable);
  EXPECT_EQ(s.total_throttles, 0u);
  EXPECT_EQ(s.breaker_trips, 0u);
  const CandidateStats c = router_->candidate_stats(r.candidate);
  EXPECT_EQ(c.throttles + c.failures + c.successes, 0u);
}

TEST_F(RouterHealthTest, PickAndReportWithHealthAllocateNothing) {
  start();
  auto why = std::make_unique<PickExplanation>();
  char text[96];
  testing::AllocationScope scope;
  for (int i = 0; i < 200; ++i) {
    clock_.advance_ms(37);
    Route r;
    const Status s = router_->pick(kModel, i % 2 ? "conversation" : "", now(), 7, &r, why.get());
    for (std::size_t k = 0; k < why->count; ++k) describe_health(*why, why->entries[k], text, sizeof text);
    if (!s.ok()) {
      EXPECT_EQ(s.code(), Code::kUnavailable);
      continue;
    }
    const OutcomeClass outcome = i % 3 == 0 ? OutcomeClass::kThrottle
                                 : i % 3 == 1 ? OutcomeClass::kTransient : OutcomeClass::kSuccess;
    ASSERT_TRUE(router_->report(r, outcome, 20000000, now(), i % 5 == 0 ? 500 : -1).ok());
  }
  EXPECT_EQ(scope.allocations(), 0u);
}

}  // namespace
}  // namespace edgeroute
