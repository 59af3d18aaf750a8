// Router: ranking, hysteresis, following a latency change, stickiness, weights,
// failover order, probe scheduling and budget, zero heap, many threads.
// Time is a ManualClock; probes go to a fake Prober with scripted RTTs.
#include <atomic>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "alloc_counter.h"
#include "edgeroute/clock.h"
#include "edgeroute/random.h"
#include "edgeroute/router.h"

namespace edgeroute {
namespace {

constexpr const char* kModel = "m";
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

class FakeProber : public Prober {
 public:
  ProbeResult probe(std::string_view host, std::uint16_t region) override {
    (void)region;
    const std::string h(host);
    probed.push_back(h);
    ProbeResult r;
    const auto it = rtt_ms.find(h);
    if (it == rtt_ms.end()) return r;  // no answer
    r.answered = true;
    r.rtt_ns = static_cast<std::int64_t>(it->second * 1e6);
    r.bytes = bytes_per_probe;
    return r;
  }
  void set(const char* region, double ms) { rtt_ms[std::string("bedrock-runtime.") + region + ".amazonaws.com"] = ms; }

  std::map<std::string, double> rtt_ms;
  std::vector<std::string> probed;
  std::uint32_t bytes_per_probe = 500;
};

class RouterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(catalog_->load_json(kWorld, "world.json", CatalogMerge::kReplace).ok());
    ASSERT_TRUE(policy_->set_allow("eu").ok());
    // The nearest endpoint is a disallowed one: it must never win.
    prober_.set("us-east-1", 1);
    prober_.set("eu-central-1", 20);
    prober_.set("eu-west-1", 30);
    prober_.set("eu-west-3", 45);
  }
  Status init(const RouterOptions& options = RouterOptions()) { return router_->init(*policy_, options); }
  // Runs the next probe round (advancing the clock to it); returns probes sent.
  std::size_t round() {
    const ProbeStats s = router_->probe_stats();
    if (s.rounds > 0 && s.next_round_ns > clock_.monotonic_ns()) {
      clock_.advance_ms((s.next_round_ns - clock_.monotonic_ns() + 999999) / 1000000);
    }
    return router_->tick(clock_.monotonic_ns(), random_.next_u64(), prober_);
  }
  Route pick(std::string_view session = {}, std::uint64_t random = 0, PickExplanation* why = nullptr) {
    Route r;
    Status s = router_->pick(kModel, session, clock_.monotonic_ns(), random, &r, why);
    EXPECT_TRUE(s.ok()) << s.message();
    return r;
  }
  std::string where(std::string_view session = {}) {
    const Route r = pick(session);
    return std::string(r.identifier) + "@" + std::string(r.source_region);
  }

  std::unique_ptr<Catalog> catalog_ = std::make_unique<Catalog>();
  std::unique_ptr<Policy> policy_ = std::make_unique<Policy>(*catalog_);
  std::unique_ptr<Router> router_ = std::make_unique<Router>();
  ManualClock clock_{1000000000};
  Random random_{42};
  FakeProber prober_;
};

TEST(LatencyEstimate, SmoothsRejectsASpikeAndFollowsALevelShift) {
  LatencyEstimate e;
  EXPECT_FALSE(e.measured());
  EXPECT_TRUE(e.add(20000000));
  for (int i = 0; i < 20; ++i) e.add(20000000);
  EXPECT_EQ(e.srtt_ns(), 20000000);
  EXPECT_FALSE(e.add(200000000));  // one spike: rejected, estimate untouched
  EXPECT_EQ(e.srtt_ns(), 20000000);
  EXPECT_TRUE(e.add(21000000));    // ordinary jitter is a sample
  EXPECT_FALSE(e.add(80000000));
  EXPECT_FALSE(e.add(80000000));
  EXPECT_TRUE(e.add(80000000));    // the third in a row is a new level
  EXPECT_EQ(e.srtt_ns(), 80000000);
  EXPECT_EQ(e.rejected(), 3u);
  e.add(10000000);
  e.add(10000000);
  EXPECT_GT(e.srtt_ns(), 10000000);
  e.add(10000000);                 // three low in a row: a new level too
  EXPECT_EQ(e.srtt_ns(), 10000000);
}

TEST_F(RouterTest, PicksTheNearestAllowedCandidateAndSaysWhyOthersWereSkipped) {
  ASSERT_TRUE(init().ok());
  EXPECT_EQ(round(), 3u);  // the allowed sources only: us-east-1 is never probed
  PickExplanation why;
  const Route r = pick({}, 0, &why);
  EXPECT_EQ(r.identifier, "m");  // in-region ID first among equals at eu-central-1
  EXPECT_EQ(r.source_region, "eu-central-1");
  EXPECT_EQ(r.host, "bedrock-runtime.eu-central-1.amazonaws.com");
  ASSERT_EQ(why.count, catalog_->model_candidate_count(0));
  std::map<std::string, std::string> reasons;
  for (std::size_t i = 0; i < why.count; ++i) {
    const Candidate& c = catalog_->candidate(why.entries[i].candidate);
    reasons[std::string(catalog_->identifier(c)) + "@" + std::string(catalog_->region_name(c.source_region))] =
        to_string(why.entries[i].reason) + std::string(":") + to_string(why.entries[i].verdict.exclusion);
  }
  EXPECT_EQ(reasons["m@eu-central-1"], "chosen:allowed");
  EXPECT_EQ(reasons["eu.m@eu-central-1"], "ranked_lower:allowed");
  EXPECT_EQ(reasons["eu.m@eu-west-1"], "ranked_lower:allowed");
  EXPECT_EQ(reasons["m@us-east-1"], "policy:source_not_allowed");
  EXPECT_EQ(reasons["us.m@us-west-2"], "policy:source_not_allowed");
  EXPECT_EQ(reasons["global.m@eu-central-1"], "policy:global_not_allowed");
  EXPECT_EQ(router_->endpoint_stats(static_cast<std::size_t>(catalog_->find_region("us-east-1"))).probes, 0u);
  EXPECT_TRUE(policy_->check_route(r.identifier, r.source_region).ok());
}

TEST_F(RouterTest, BeforeAnyMeasurementCatalogOrderDecides) {
  ASSERT_TRUE(init().ok());
  EXPECT_EQ(where(), "m@eu-central-1");
}

TEST_F(RouterTest, HysteresisKeepsTheChoiceUntilAnotherIsClearlyFaster) {
  RouterOptions options;
  options.hysteresis_pct = 10;
  options.hysteresis_min_us = 2000;
  ASSERT_TRUE(init(options).ok());
  for (int i = 0; i < 4; ++i) round();
  EXPECT_EQ(where(), "m@eu-central-1");
  // eu-west-1 becomes slightly faster (19 ms against 20): within 10 %, stay.
  prober_.set("eu-west-1", 19);
  for (int i = 0; i < 12; ++i) round();
  PickExplanation why;
  const Route r = pick({}, 0, &why);
  EXPECT_EQ(r.source_region, "eu-central-1");
  bool hysteresis_reported = false;
  for (std::size_t i = 0; i < why.count; ++i) {
    hysteresis_reported |= why.entries[i].reason == SkipReason::kHysteresis;
  }
  EXPECT_TRUE(hysteresis_reported);
  // Clearly faster (15 ms): move.
  prober_.set("eu-west-1", 15);
  for (int i = 0; i < 12; ++i) round();
  EXPECT_EQ(where(), "eu.m@eu-west-1");
}

// The documented bound (docs/routing.md): a lasting change in an endpoint among
// the best few is followed within LatencyEstimate::kConfirmSamples probe rounds.
TEST_F(RouterTest, FollowsALatencyChangeWithinThreeProbeRounds) {
  ASSERT_TRUE(init().ok());
  for (int i = 0; i < 5; ++i) round();  // stable: rounds have spaced out
  EXPECT_GT(router_->probe_stats().interval_ns, RouterOptions().probes.interval_ms * 1000000);
  ASSERT_EQ(where(), "m@eu-central-1");

  prober_.set("eu-central-1", 80);  // Frankfurt degrades
  int rounds = 0;
  while (where() != "eu.m@eu-west-1" && rounds < 10) {
    round();
    ++rounds;
  }
  EXPECT_LE(rounds, static_cast<int>(LatencyEstimate::kConfirmSamples));
  EXPECT_EQ(where(), "eu.m@eu-west-1");

  prober_.set("eu-west-3", 5);  // Paris becomes the nearest
  rounds = 0;
  while (where() != "eu.m@eu-west-3" && rounds < 10) {
    round();
    ++rounds;
  }
  EXPECT_LE(rounds, static_cast<int>(LatencyEstimate::kConfirmSamples));
}

TEST_F(RouterTest, ASessionStaysOnItsCandidateWhileOthersMove) {
  ASSERT_TRUE(init().ok());
  round();
  EXPECT_EQ(where("conversation-1"), "m@eu-central-1");
  prober_.set("eu-west-1", 5);
  for (int i = 0; i < 4; ++i) round();
  EXPECT_EQ(where(), "eu.m@eu-west-1");                // new calls follow latency
  PickExplanation why;
  const Route kept = pick("conversation-1", 0, &why);  // the session stays for its cache
  EXPECT_EQ(kept.source_region, "eu-central-1");
  EXPECT_TRUE(why.sticky);
  EXPECT_EQ(where("conversation-2"), "eu.m@eu-west-1");
  // Idle past sticky_idle_ms: the session is routed afresh.
  clock_.advance_ms(RouterOptions().sticky_idle_ms + 1);
  EXPECT_EQ(where("conversation-1"), "eu.m@eu-west-1");
}

TEST_F(RouterTest, StickyTableEvictsTheLeastRecentKeyWhenFull) {
  ASSERT_TRUE(init().ok());
  round();
  for (std::size_t i = 0; i < 4 * limits::kRouterStickySlots; ++i) {
    clock_.advance_ms(1);
    pick("session-" + std::to_string(i));
  }
  // Still answers, never allocates, and the newest key is remembered.
  clock_.advance_ms(1);
  PickExplanation why;
  pick("session-" + std::to_string(4 * limits::kRouterStickySlots - 1), 0, &why);
  EXPECT_TRUE(why.sticky);
}

TEST_F(RouterTest, WeightsSplitTrafficByTheRandomInput) {
  ModelRouting m;
  m.model = kModel;
  m.mode = RouteMode::kWeighted;
  m.weights = "eu-central-1=3, eu-west-1=1";
  RouterOptions options;
  options.models = &m;
  options.model_count = 1;
  ASSERT_TRUE(init(options).ok());
  std::map<std::string, int> count;
  for (std::uint64_t r = 0; r < 4000; ++r) ++count[std::string(pick({}, r).source_region)];
  EXPECT_EQ(count["eu-central-1"], 3000);
  EXPECT_EQ(count["eu-west-1"], 1000);
  EXPECT_EQ(count.size(), 2u);
  PickExplanation why;
  pick({}, 0, &why);
  for (std::size_t i = 0; i < why.count; ++i) {
    const Candidate& c = catalog_->candidate(why.entries[i].candidate);
    if (catalog_->region_name(c.source_region) == "eu-west-3") {
      EXPECT_EQ(why.entries[i].reason, SkipReason::kZeroWeight);
    }
  }
}

TEST_F(RouterTest, FailoverFollowsTheOrderNotLatency) {
  ModelRouting m;
  m.model = kModel;
  m.mode = RouteMode::kFailover;
  m.order = "eu-west-3,eu-west-1";
  RouterOptions options;
  options.models = &m;
  options.model_count = 1;
  ASSERT_TRUE(init(options).ok());
  round();
  PickExplanation why;
  const Route r = pick({}, 0, &why);
  EXPECT_EQ(r.source_region, "eu-west-3");
  for (std::size_t i = 0; i < why.count; ++i) {
    const Candidate& c = catalog_->candidate(why.entries[i].candidate);
    const std::string_view src = catalog_->region_name(c.source_region);
    if (src == "eu-central-1" && why.entries[i].verdict.allowed()) {
      EXPECT_EQ(why.entries[i].reason, SkipReason::kNotInOrder);
    }
    if (src == "eu-west-1") {
      EXPECT_EQ(why.entries[i].rank, 1);
    }
  }
}

TEST_F(RouterTest, InitRejectsSettingsThatCannotWork) {
  ModelRouting m;
  m.model = kModel;
  m.mode = RouteMode::kFailover;
  m.order = "eu-central-1,us-east-1";  // us-east-1 is outside the EU policy
  RouterOptions options;
  options.models = &m;
  options.model_count = 1;
  Status s = init(options);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_STREQ(s.message(), "routing: m order names us-east-1, which has no allowed candidate of this model");

  m.mode = RouteMode::kWeighted;
  m.weights = "eu-central-1=heavy";
  EXPECT_EQ(init(options).code(), Code::kInvalidArgument);

  m.model = "unknown";
  EXPECT_EQ(init(options).code(), Code::kNotFound);

  ASSERT_TRUE(policy_->set_allow("eu-north-1").ok());  // a region with no candidate of m
  m.model = kModel;
  m.mode = RouteMode::kLatency;
  s = init(options);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(std::string(s.message()).find("policy leaves m no candidate"), std::string::npos);

  // Not listed, the same model fails at pick time with the same meaning.
  ASSERT_TRUE(init().ok());
  Route r;
  EXPECT_EQ(router_->pick(kModel, {}, 0, 0, &r).code(), Code::kPermissionDenied);
  EXPECT_EQ(router_->pick("unknown", {}, 0, 0, &r).code(), Code::kNotFound);
}

TEST_F(RouterTest, ProbesEverythingAtStartThenTheBestFewSpacingOutWhileStable) {
  RouterOptions options;
  options.probes.best_few = 2;
  options.probes.interval_ms = 10000;
  options.probes.max_interval_ms = 80000;
  options.probes.jitter_pct = 0;
  ASSERT_TRUE(init(options).ok());
  EXPECT_EQ(router_->tick(clock_.monotonic_ns(), 0, prober_), 3u);
  EXPECT_EQ(router_->tick(clock_.monotonic_ns(), 0, prober_), 0u);  // not due yet
  prober_.probed.clear();
  std::vector<std::int64_t> intervals;
  for (int i = 0; i < 6; ++i) {
    EXPECT_EQ(round(), 2u);
    intervals.push_back(router_->probe_stats().interval_ns / 1000000);
  }
  EXPECT_EQ(intervals, (std::vector<std::int64_t>{20000, 40000, 80000, 80000, 80000, 80000}));
  for (const std::string& host : prober_.probed) EXPECT_NE(host, "bedrock-runtime.eu-west-3.amazonaws.com");
  // A ranking change resets the spacing.
  prober_.set("eu-west-3", 1);
  prober_.set("eu-central-1", 90);
  for (int i = 0; i < 3; ++i) round();
  EXPECT_EQ(router_->probe_stats().interval_ns / 1000000, 10000);
}

TEST_F(RouterTest, AFullSweepRediscoversAnEndpointOutsideTheBestFew) {
  RouterOptions options;
  options.probes.best_few = 1;
  ASSERT_TRUE(init(options).ok());
  round();
  prober_.set("eu-west-3", 2);  // far away until now
  std::int64_t waited_ms = 0;
  while (where() != "eu.m@eu-west-3" && waited_ms <= options.probes.full_sweep_interval_ms * 2) {
    const std::int64_t before = clock_.monotonic_ns();
    round();
    waited_ms += (clock_.monotonic_ns() - before) / 1000000;
  }
  EXPECT_EQ(where(), "eu.m@eu-west-3");
  // Within a full sweep interval, plus the rounds that confirm the new level.
  EXPECT_LE(waited_ms, options.probes.full_sweep_interval_ms + 3 * options.probes.max_interval_ms * 6 / 5);
}

TEST_F(RouterTest, TheByteBudgetCapsProbesPerHourAndIsCounted) {
  RouterOptions options;
  options.probes.budget_bytes_per_hour = 2000;
  options.probes.expected_probe_bytes = 500;
  prober_.bytes_per_probe = 500;
  ASSERT_TRUE(init(options).ok());
  std::size_t sent = 0;
  const std::int64_t start = clock_.monotonic_ns();
  while (clock_.monotonic_ns() - start < 3600LL * 1000000000 - 600LL * 1000000000) sent += round();
  EXPECT_EQ(sent, 4u);
  ProbeStats s = router_->probe_stats();
  EXPECT_EQ(s.bytes_total, 2000u);
  EXPECT_EQ(s.bytes_this_hour, 2000u);
  EXPECT_GT(s.probes_deferred, 0u);
  clock_.advance_ms(3600 * 1000);  // a new hour: probing resumes
  EXPECT_GT(round(), 0u);
}

TEST_F(RouterTest, AnUnansweredProbeCountsAsAFailureNotASample) {
  prober_.rtt_ms.erase("bedrock-runtime.eu-west-3.amazonaws.com");
  ASSERT_TRUE(init().ok());
  round();
  const EndpointStats s = router_->endpoint_stats(static_cast<std::size_t>(catalog_->find_region("eu-west-3")));
  EXPECT_EQ(s.probe_failures, 1u);
  EXPECT_EQ(s.srtt_ns, -1);
  EXPECT_EQ(router_->probe_stats().bytes_total, 1000u);  // the two that answered
}

TEST_F(RouterTest, ReportCountsOutcomesAndTakesPassiveSamples) {
  ASSERT_TRUE(init().ok());
  const Route r = pick();
  ASSERT_TRUE(router_->report(r, OutcomeClass::kSuccess, 7000000, clock_.monotonic_ns()).ok());
  ASSERT_TRUE(router_->report(r, OutcomeClass::kThrottle, 0, clock_.monotonic_ns()).ok());
  ASSERT_TRUE(router_->report(r, OutcomeClass::kTransient, 0, clock_.monotonic_ns()).ok());
  ASSERT_TRUE(router_->report(r, OutcomeClass::kClient, 0, clock_.monotonic_ns()).ok());
  const CandidateStats c = router_->candidate_stats(r.candidate);
  EXPECT_EQ(c.picks, 1u);
  EXPECT_EQ(c.successes, 1u);
  EXPECT_EQ(c.throttles, 1u);
  EXPECT_EQ(c.failures, 1u);
  EXPECT_EQ(router_->endpoint_stats(static_cast<std::size_t>(catalog_->find_region("eu-central-1"))).srtt_ns, 7000000);
  Route forged = r;
  forged.identifier = "m";  // same text, not from the catalog
  EXPECT_EQ(router_->report(forged, OutcomeClass::kSuccess, 0, 0).code(), Code::kInvalidArgument);
}

// Answers every probe with the same RTT and keeps no record: no heap of its own.
class SteadyProber : public Prober {
 public:
  ProbeResult probe(std::string_view, std::uint16_t) override {
    ProbeResult r;
    r.answered = true;
    r.rtt_ns = 20000000;
    r.bytes = 400;
    return r;
  }
};

TEST_F(RouterTest, PickReportAndTickAllocateNothing) {
  ASSERT_TRUE(init().ok());
  SteadyProber steady;
  auto why = std::make_unique<PickExplanation>();
  testing::AllocationScope scope;
  std::size_t probes = 0;
  for (int i = 0; i < 100; ++i) {
    clock_.advance_ms(60000);
    probes += router_->tick(clock_.monotonic_ns(), static_cast<std::uint64_t>(i), steady);
    Route r;
    ASSERT_TRUE(router_->pick(kModel, i % 2 ? "conversation" : "", clock_.monotonic_ns(), 7, &r, why.get()).ok());
    ASSERT_TRUE(router_->report(r, OutcomeClass::kSuccess, 20000000, clock_.monotonic_ns()).ok());
  }
  Route r;
  EXPECT_FALSE(router_->pick("unknown", {}, 0, 0, &r).ok());  // errors too
  // The rounds ran (so the loop measured tick), and tick counted what it sent.
  EXPECT_GT(probes, 0u);
  EXPECT_EQ(probes, router_->probe_stats().probes_sent);
  EXPECT_EQ(scope.allocations(), 0u);
}

TEST_F(RouterTest, ManyThreadsShareOneRouter) {
  ASSERT_TRUE(init().ok());
  constexpr int kThreads = 4;
  constexpr int kCalls = 5000;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Random rnd(static_cast<std::uint64_t>(t));
      for (int i = 0; i < kCalls; ++i) {
        Route r;
        const std::string key = "s" + std::to_string(i % 50);
        if (!router_->pick(kModel, key, i, rnd.next_u64(), &r).ok() ||
            !router_->report(r, OutcomeClass::kSuccess, 1000000 + i, i).ok() ||
            !policy_->check_route(r.identifier, r.source_region).ok()) {
          ++failures;
        }
      }
    });
  }
  FakeProber quiet;
  quiet.set("eu-central-1", 20);
  for (int i = 0; i < 100; ++i) router_->tick(static_cast<std::int64_t>(i) * 60000000000LL, 1, quiet);
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0);
  std::uint32_t picks = 0;
  for (std::size_t i = 0; i < catalog_->candidate_count(); ++i) picks += router_->candidate_stats(i).picks;
  EXPECT_EQ(picks, static_cast<std::uint32_t>(kThreads * kCalls));
}

// 2026-09-10 00:00:00 UTC and the day before.
constexpr std::int64_t kEndOfLifeUnixS = 1788998400;

TEST(RouterLifecycle, AnEndOfLifeModelIsRefusedNamingTheOneToUseInstead) {
  auto catalog = std::make_unique<Catalog>();
  ASSERT_TRUE(catalog->load_json(R"({
    "region_sets": {"eu": ["eu-central-1", "eu-west-1"]},
    "models": {"old": {"lifecycle": "legacy", "end_of_life": "2026-09-10", "successor": "new"},
               "new": {"lifecycle": "active"}},
    "in_region": [{"model": "old", "regions": ["eu-central-1"]}, {"model": "new", "regions": ["eu-west-1"]}]
  })", "c.json", CatalogMerge::kReplace).ok());
  Policy policy(*catalog);
  ASSERT_TRUE(policy.set_allow("eu").ok());
  auto owned = std::make_unique<Router>();
  Router& router = *owned;
  RouterOptions options;
  Route route;
  // The day before: still served.
  options.utc_unix_s = kEndOfLifeUnixS - 1;
  ASSERT_TRUE(router.init(policy, options).ok());
  EXPECT_TRUE(router.pick("old", {}, 0, 0, &route).ok());
  // From that day on: refused, by pick() and by init() when the model is listed.
  options.utc_unix_s = kEndOfLifeUnixS;
  ASSERT_TRUE(router.init(policy, options).ok());
  Status s = router.pick("old", {}, 0, 0, &route);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_STREQ(s.message(), "model old reached end of life on 2026-09-10; use new");
  EXPECT_TRUE(router.pick("new", {}, 0, 0, &route).ok());
  ModelRouting listed;
  listed.model = "old";
  options.models = &listed;
  options.model_count = 1;
  s = router.init(policy, options);
  EXPECT_STREQ(s.message(), "model old reached end of life on 2026-09-10; use new");
  // The refusal, like every pick, allocates nothing.
  options.models = nullptr;
  options.model_count = 0;
  ASSERT_TRUE(router.init(policy, options).ok());
  testing::AllocationScope scope;
  EXPECT_FALSE(router.pick("old", {}, 0, 0, &route).ok());
  EXPECT_EQ(scope.allocations(), 0u);
}

}  // namespace
}  // namespace edgeroute
