// The routed client's periodic catalog refresh, driven by poll() on a ManualClock
// over a scripted control plane: when it is due (jittered), what a refresh that
// widens a profile does to the next calls, a failed refresh that keeps the catalog
// in use, and a swap while a call is in flight (ASan holds it to no use after free).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "edgeroute/runtime.h"
#include "runtime_fixtures.h"

namespace edgeroute {
namespace {

using runtime_fixtures::kConverseOk;
using runtime_fixtures::StaticCredentials;

// eu.m from two EU sources, and m in-region at eu-west-1: when eu.m goes, m stays.
constexpr const char* kWorld = R"({
  "regions": {"eu-central-1": {"country": "DE"}, "eu-west-1": {"country": "IE"}, "eu-west-2": {"country": "GB"}},
  "region_sets": {"eu": ["eu-central-1", "eu-west-1"]},
  "profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu",
     "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"]}}
  ],
  "in_region": [{"model": "m", "regions": ["eu-west-1"]}]
})";

// Answers ListInferenceProfiles (eu.m with `destinations` from each source, or a
// refused connection while `down`) and Converse (recording host and path).
struct World {
  std::mutex mutex;
  std::string destinations = "eu-central-1,eu-west-1";
  bool down = false;
  int listings = 0;
  std::vector<std::string> calls;  // "host path" of each Converse
  std::function<void()> during_call;  // run inside the next Converse, once
};

class WorldTransport final : public Transport {
 public:
  explicit WorldTransport(World& w) : w_(w) {}
  Status send(const HttpRequest& request, const HttpTimeouts&, HttpResponseSink* sink, HttpTiming* timing) override {
    const std::string host(request.host);
    if (timing != nullptr) timing->connect_ns = 1000000;
    if (request.method == "POST") {
      std::function<void()> hook;
      {
        std::lock_guard<std::mutex> lock(w_.mutex);
        w_.calls.push_back(host + " " + std::string(request.path_and_query));
        hook.swap(w_.during_call);
      }
      if (hook) hook();
      Status s = sink->on_status(200);
      if (s.ok()) s = sink->on_header("content-type", "application/json");
      if (s.ok()) s = sink->on_body(kConverseOk, std::strlen(kConverseOk));
      return s;
    }
    if (request.path_and_query.substr(0, 20) != "/inference-profiles?") return sink->on_status(404);  // probes
    std::string destinations;
    {
      std::lock_guard<std::mutex> lock(w_.mutex);
      ++w_.listings;
      if (w_.down) return Status::error(Code::kUnavailable, "connection refused");
      destinations = w_.destinations;
    }
    const std::string body = runtime_fixtures::eu_m_listing(host, destinations);
    Status s = sink->on_status(200);
    if (s.ok()) s = sink->on_body(body.data(), body.size());
    return s;
  }

 private:
  World& w_;
};

constexpr std::int64_t kHourS = 3600;
constexpr std::int64_t kNsPerS = 1000000000;

class PeriodicRefreshTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(catalog_.path().empty()); }

  RuntimeOptions options() {
    RuntimeOptions o;
    o.allow = "eu";
    o.catalog_file = catalog_.path();
    o.credentials = &credentials_;
    o.clock = &clock_;
    o.catalog_refresh_interval_s = kHourS;
    World* world = &world_;
    o.make_transport = [world](std::unique_ptr<Transport>* t) {
      *t = std::make_unique<WorldTransport>(*world);
      return Status();
    };
    return o;
  }
  ConverseResult converse(Runtime& runtime) {
    bedrock::ConverseRequest request;
    request.model_id = "m";
    request.messages.push_back({"user", {bedrock::ContentBlock::of_text("Hello")}});
    CallSettings settings;
    settings.deadline_ms = 5000;
    return runtime.converse(request, settings);
  }
  // Polls until the refresh is due, as an application's loop would.
  void poll_until_refreshed(Runtime& runtime) {
    const std::int64_t due = runtime.catalog_refresh_state().next_due_ns;
    ASSERT_GT(due, clock_.monotonic_ns());
    clock_.advance_ns(due - clock_.monotonic_ns());
    (void)runtime.poll(clock_.monotonic_ns());
  }

  runtime_fixtures::CatalogFile catalog_{kWorld};
  ManualClock clock_{1000 * kNsPerS, 1767225600000};  // 2026-01-01T00:00:00Z
  World world_;
  StaticCredentials credentials_;
};

TEST_F(PeriodicRefreshTest, TheRefreshIsDueWithinTenPercentOfTheIntervalAndRunsOnlyFromPoll) {
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(options(), &runtime).ok());
  const std::int64_t start = clock_.monotonic_ns();
  const CatalogRefreshState state = runtime->catalog_refresh_state();
  EXPECT_GE(state.next_due_ns, start + kHourS * kNsPerS * 9 / 10);
  EXPECT_LE(state.next_due_ns, start + kHourS * kNsPerS * 11 / 10);
  EXPECT_LE(runtime->next_poll_ns(), state.next_due_ns);
  EXPECT_EQ(state.report, "");
  // Not due: poll lists nothing, however often it is called.
  clock_.advance_ns(state.next_due_ns - start - 1);
  for (int i = 0; i < 3; ++i) (void)runtime->poll(clock_.monotonic_ns());
  EXPECT_EQ(world_.listings, 0);
  clock_.advance_ns(1);
  (void)runtime->poll(clock_.monotonic_ns());
  EXPECT_EQ(world_.listings, 2);  // one per allowed source
  const CatalogRefreshState after = runtime->catalog_refresh_state();
  EXPECT_TRUE(after.last_ok);
  EXPECT_EQ(after.refreshes, 1u);
  EXPECT_EQ(after.generation, 1u);
  EXPECT_EQ(runtime->routing()->generation, 1u);
  EXPECT_EQ(after.report.find("catalog refreshed: ListInferenceProfiles in eu-central-1, eu-west-1"), 0u) << after.report;
  EXPECT_GE(after.next_due_ns, clock_.monotonic_ns() + kHourS * kNsPerS * 9 / 10);
  EXPECT_LE(after.next_due_ns, clock_.monotonic_ns() + kHourS * kNsPerS * 11 / 10);
}

TEST_F(PeriodicRefreshTest, FleetMembersStartedTogetherDoNotRefreshInTheSameMinute) {
  std::vector<std::int64_t> due;
  for (int i = 0; i < 8; ++i) {
    std::unique_ptr<Runtime> runtime;
    ASSERT_TRUE(Runtime::create(options(), &runtime).ok());
    due.push_back(runtime->catalog_refresh_state().next_due_ns);
  }
  std::int64_t lo = due[0], hi = due[0];
  for (std::int64_t d : due) {
    lo = std::min(lo, d);
    hi = std::max(hi, d);
  }
  EXPECT_GT(hi - lo, 60 * kNsPerS);  // 8 draws over a 12-minute window: all in one minute is ~1e-6
}

TEST_F(PeriodicRefreshTest, AfterARefreshWidensAProfileOutsideThePolicyTheNextCallsNeverUseIt) {
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(options(), &runtime).ok());
  EXPECT_TRUE(runtime->policy().check_route("eu.m", "eu-central-1").ok());
  world_.destinations = "eu-central-1,eu-west-1,eu-west-2";  // the EU profile gains London
  poll_until_refreshed(*runtime);
  ASSERT_TRUE(runtime->catalog_refresh_state().last_ok) << runtime->catalog_refresh_state().report;
  const Status refused = runtime->policy().check_route("eu.m", "eu-central-1");
  EXPECT_EQ(refused.code(), Code::kPermissionDenied);
  EXPECT_NE(std::string(refused.message()).find("destination eu-west-2 (GB) outside eu"), std::string::npos)
      << refused.message();
  world_.calls.clear();
  for (int i = 0; i < 5; ++i) {
    const ConverseResult r = converse(*runtime);
    ASSERT_TRUE(r.ok()) << r.error.to_string();
    EXPECT_EQ(r.identifier, "m");
    EXPECT_EQ(r.source_region, "eu-west-1");
  }
  ASSERT_EQ(world_.calls.size(), 5u);
  for (const std::string& c : world_.calls) EXPECT_EQ(c.find("eu.m"), std::string::npos) << c;
}

TEST_F(PeriodicRefreshTest, AFailedRefreshKeepsTheCatalogInUseReportsItAndTriesAgainSooner) {
  std::vector<CatalogRefreshState> heard;
  RuntimeOptions o = options();
  o.on_catalog_refresh = [&heard](const CatalogRefreshState& s) { heard.push_back(s); };
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(o, &runtime).ok());
  world_.destinations = "eu-central-1";  // narrower: live wins
  poll_until_refreshed(*runtime);
  ASSERT_EQ(heard.size(), 1u);
  EXPECT_TRUE(heard[0].last_ok);
  world_.down = true;
  world_.destinations = "eu-central-1,eu-west-1,eu-west-2";  // not seen: the listing fails
  poll_until_refreshed(*runtime);
  ASSERT_EQ(heard.size(), 2u);
  const CatalogRefreshState& failed = heard[1];
  EXPECT_FALSE(failed.last_ok);
  EXPECT_EQ(failed.failures, 1u);
  EXPECT_EQ(failed.generation, 1u);  // no swap
  EXPECT_EQ(failed.report,
            "catalog refresh: eu-central-1: ListInferenceProfiles: connection refused; routing on the catalog in use");
  EXPECT_EQ(failed.report.find("wJalr"), std::string::npos);
  // A tenth of the interval, jittered.
  EXPECT_GE(failed.next_due_ns, clock_.monotonic_ns() + kHourS * kNsPerS / 10 * 9 / 10);
  EXPECT_LE(failed.next_due_ns, clock_.monotonic_ns() + kHourS * kNsPerS / 10 * 11 / 10);
  // Still the last good catalog: eu.m from eu-west-1 reaches eu-central-1 only.
  const Catalog& catalog = runtime->catalog();
  const int c = catalog.find_candidate("eu.m", "eu-west-1");
  ASSERT_NE(c, Catalog::kNone);
  EXPECT_EQ(catalog.candidate(static_cast<std::size_t>(c)).destinations.count(), 1u);
  EXPECT_TRUE(runtime->policy().check_route("eu.m", "eu-west-1").ok());
  // Back up: the next try applies.
  world_.down = false;
  poll_until_refreshed(*runtime);
  EXPECT_TRUE(runtime->catalog_refresh_state().last_ok);
  EXPECT_EQ(runtime->policy().check_route("eu.m", "eu-west-1").code(), Code::kPermissionDenied);
}

TEST_F(PeriodicRefreshTest, AFailedStartUpRefreshIsTriedAgainAfterATenthOfTheInterval) {
  world_.down = true;
  RuntimeOptions o = options();
  o.refresh_catalog_at_start = true;
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(o, &runtime).ok());
  const CatalogRefreshState state = runtime->catalog_refresh_state();
  EXPECT_FALSE(state.last_ok);
  EXPECT_EQ(state.failures, 1u);
  EXPECT_NE(state.report.find("; routing on the catalog as loaded"), std::string::npos) << state.report;
  EXPECT_GE(state.next_due_ns, clock_.monotonic_ns() + kHourS * kNsPerS / 10 * 9 / 10);
  EXPECT_LE(state.next_due_ns, clock_.monotonic_ns() + kHourS * kNsPerS / 10 * 11 / 10);
}

TEST_F(PeriodicRefreshTest, ASwapDuringACallLeavesTheCallOnItsGenerationAndTheNextOnTheNew) {
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(options(), &runtime).ok());
  std::shared_ptr<const Runtime::RoutingSnapshot> before = runtime->routing();
  Runtime* rt = runtime.get();
  Status during;
  // The refresh runs inside the call's request, as another thread's poll would.
  world_.during_call = [&] {
    world_.destinations = "eu-central-1,eu-west-1,eu-west-2";
    during = rt->refresh_catalog();
  };
  const ConverseResult first = converse(*runtime);
  ASSERT_TRUE(during.ok()) << during.message();
  // The call finished (its report went to the old router) and nothing it held was freed.
  EXPECT_TRUE(first.ok()) << first.error.to_string();
  EXPECT_EQ(runtime->routing()->generation, 1u);
  EXPECT_EQ(before->generation, 0u);
  EXPECT_TRUE(before->policy->check_route("eu.m", "eu-central-1").ok());  // the old generation, still alive
  before.reset();
  const ConverseResult next = converse(*runtime);
  ASSERT_TRUE(next.ok()) << next.error.to_string();
  EXPECT_EQ(next.identifier, "m");
}

TEST_F(PeriodicRefreshTest, AnIntervalOutsideItsRangeIsRefusedAtCreate) {
  RuntimeOptions o = options();
  o.catalog_refresh_interval_s = 30;
  std::unique_ptr<Runtime> runtime;
  const Status st = Runtime::create(o, &runtime);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(std::string(st.message()).find("catalog_refresh_interval_s 30: expected 0 (never) or 60 to 2592000"),
            std::string::npos)
      << st.message();
  o.catalog_refresh_interval_s = 0;  // never: nothing is due, poll lists nothing
  ASSERT_TRUE(Runtime::create(o, &runtime).ok());
  EXPECT_EQ(runtime->catalog_refresh_state().next_due_ns, 0);
  clock_.advance_ns(100 * kHourS * kNsPerS);
  (void)runtime->poll(clock_.monotonic_ns());
  EXPECT_EQ(world_.listings, 0);
}

}  // namespace
}  // namespace edgeroute
