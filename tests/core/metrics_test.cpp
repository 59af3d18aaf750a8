// Metrics (fixed memory, no heap when recording), their Prometheus and EMF
// exports, and the audit trail's verifier, over a small catalog and a RoutedCall
// driven by hand.
#include "edgeroute/metrics.h"

#include <cjson/cJSON.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "alloc_counter.h"
#include "edgeroute/audit.h"
#include "edgeroute/catalog.h"
#include "edgeroute/clock.h"
#include "edgeroute/failover.h"
#include "edgeroute/policy.h"
#include "edgeroute/router.h"
#include "rtt_prober.h"

namespace edgeroute {
namespace {

constexpr std::int64_t kMs = 1000000;

constexpr const char* kWorld = R"({
  "region_sets": {"eu": ["eu-central-1", "eu-west-1", "eu-west-3"], "us": ["us-east-1", "us-west-2"]},
  "profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu",
     "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"], "eu-west-3": ["eu"]}},
    {"id": "us.m", "model": "m", "geography": "us", "sources": {"us-east-1": ["us"], "us-west-2": ["us"]}}
  ],
  "in_region": [{"model": "m", "regions": ["eu-west-1"]}]
})";

// The value of the one sample line that starts with `series` (name and labels).
double sample(const std::string& text, const std::string& series) {
  const std::size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + 1 + series.size() + 1));
}

class MetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(catalog_->load_json(kWorld, "world.json", CatalogMerge::kReplace).ok());
    ASSERT_TRUE(policy_->set_allow("eu").ok());
    ASSERT_TRUE(router_->init(*policy_, RouterOptions()).ok());
    prober_.set("eu-central-1", 20);
    prober_.set("eu-west-1", 30);
    prober_.set("eu-west-3", 45);
    ASSERT_GT(router_->tick(clock_.monotonic_ns(), 1, prober_), 0u);
  }
  Route route(const char* identifier, const char* region) {
    const int c = catalog_->find_candidate(identifier, region);
    EXPECT_GE(c, 0);
    Route r;
    r.identifier = catalog_->identifier(catalog_->candidate(static_cast<std::size_t>(c)));
    r.source_region = region;
    r.candidate = static_cast<std::uint16_t>(c);
    return r;
  }
  // A call that is throttled on the nearest region and served by the next, with
  // each exchange and the end told to `metrics`.
  void throttled_then_served(Metrics* metrics, std::int64_t duration_ns) {
    RoutedCall call(*router_, budget_, "m", "", clock_.monotonic_ns() + 30000 * kMs);
    for (int i = 0; i < 2; ++i) {
      ASSERT_EQ(call.next(clock_.monotonic_ns(), 7), RoutedCall::Step::kSend);
      AttemptEvent e;
      e.operation = "Converse";
      e.route = &call.route();
      e.outcome = i == 0 ? OutcomeClass::kThrottle : OutcomeClass::kSuccess;
      e.http_status = i == 0 ? 429 : 200;
      e.first_byte_ns = i == 0 ? 30 * kMs : 70 * kMs;
      metrics->on_attempt(e);
      AttemptOutcome o;
      o.outcome = e.outcome;
      call.complete(o, clock_.monotonic_ns());
    }
    ASSERT_EQ(call.next(clock_.monotonic_ns(), 7), RoutedCall::Step::kDone);
    CallEvent end;
    end.operation = "Converse";
    end.model = "m";
    end.call = &call;
    end.ok = call.ok();
    end.duration_ns = duration_ns;
    metrics->on_call(end);
  }
  MetricsSources sources(const Metrics& m) {
    MetricsSources s;
    s.metrics = &m;
    s.catalog = catalog_.get();
    s.router = router_.get();
    s.retry_budget = &budget_;
    s.now_ns = clock_.monotonic_ns();
    return s;
  }

  std::unique_ptr<Catalog> catalog_ = std::make_unique<Catalog>();
  std::unique_ptr<Policy> policy_ = std::make_unique<Policy>(*catalog_);
  std::unique_ptr<Router> router_ = std::make_unique<Router>();
  RetryBudget budget_;
  ManualClock clock_{1000000000};
  testing::RttProber prober_;
};

TEST_F(MetricsTest, RecordingTouchesNoHeap) {
  Metrics metrics;
  throttled_then_served(&metrics, 90 * kMs);  // the pairs' slots exist now
  RoutedCall call(*router_, budget_, "m", "", clock_.monotonic_ns() + 30000 * kMs);
  ASSERT_EQ(call.next(clock_.monotonic_ns(), 7), RoutedCall::Step::kSend);
  AttemptOutcome ok;
  call.complete(ok, clock_.monotonic_ns());
  AttemptEvent e;
  e.route = &call.route();
  e.first_byte_ns = 5 * kMs;
  CallEvent end;
  end.call = &call;
  end.ok = true;
  end.duration_ns = 6 * kMs;
  CallEvent unrouted;
  testing::AllocationScope scope;
  for (int i = 0; i < 100; ++i) {
    metrics.on_attempt(e);
    metrics.on_call(end);
    metrics.on_call(unrouted);
    metrics.count_credential_refresh();
  }
  EXPECT_EQ(scope.allocations(), 0u);
  auto snap = std::make_unique<MetricsSnapshot>();
  metrics.snapshot(snap.get());
  EXPECT_EQ(snap->unrouted_calls, 100u);
  EXPECT_EQ(snap->credential_refreshes, 100u);
}

TEST_F(MetricsTest, CountsEachExchangeAndCallWhereItEnded) {
  Metrics metrics;
  throttled_then_served(&metrics, 90 * kMs);
  auto snap = std::make_unique<MetricsSnapshot>();
  metrics.snapshot(snap.get());
  ASSERT_EQ(snap->candidate_count, 2u);
  const CandidateMetrics& first = snap->candidates[0];
  const CandidateMetrics& second = snap->candidates[1];
  EXPECT_EQ(first.attempts[static_cast<std::size_t>(OutcomeClass::kThrottle)], 1u);
  EXPECT_EQ(first.throttles, 1u);
  EXPECT_EQ(first.calls_ok + first.calls_failed, 0u);  // the call did not end there
  EXPECT_EQ(second.attempts[static_cast<std::size_t>(OutcomeClass::kSuccess)], 1u);
  EXPECT_EQ(second.calls_ok, 1u);
  EXPECT_EQ(second.failovers, 1u);
  EXPECT_EQ(second.call_duration.count, 1u);
  EXPECT_EQ(second.call_duration.buckets[2], 1u);  // 90 ms: in (0.05, 0.1]
  EXPECT_EQ(first.first_byte.buckets[1], 1u);      // 30 ms: in (0.025, 0.05]
}

TEST_F(MetricsTest, APairBeyondTheFixedCapacityIsCountedAsDropped) {
  Metrics metrics;
  AttemptEvent e;
  Route r;
  e.route = &r;
  for (std::size_t i = 0; i < limits::kMetricsMaxCandidates + 3; ++i) {
    r.candidate = static_cast<std::uint16_t>(i);
    metrics.on_attempt(e);
  }
  auto snap = std::make_unique<MetricsSnapshot>();
  metrics.snapshot(snap.get());
  EXPECT_EQ(snap->candidate_count, limits::kMetricsMaxCandidates);
  EXPECT_EQ(snap->dropped, 3u);
}

TEST_F(MetricsTest, PrometheusTextNamesEachPairAndTheEndpoints) {
  Metrics metrics;
  throttled_then_served(&metrics, 90 * kMs);  // eu.m @ eu-central-1, then m in-region @ eu-west-1
  std::string text;
  ASSERT_TRUE(prometheus_text(sources(metrics), &text).ok());
  EXPECT_EQ(sample(text, R"(edgeroute_attempts_total{identifier="eu.m",source_region="eu-central-1",outcome="throttle"})"), 1);
  EXPECT_EQ(sample(text, R"(edgeroute_calls_total{identifier="m",source_region="eu-west-1",result="ok"})"), 1);
  EXPECT_EQ(sample(text, R"(edgeroute_call_duration_seconds_bucket{identifier="m",source_region="eu-west-1",le="0.05"})"), 0);
  EXPECT_EQ(sample(text, R"(edgeroute_call_duration_seconds_bucket{identifier="m",source_region="eu-west-1",le="0.1"})"), 1);
  EXPECT_EQ(sample(text, R"(edgeroute_call_duration_seconds_bucket{identifier="m",source_region="eu-west-1",le="+Inf"})"), 1);
  EXPECT_DOUBLE_EQ(sample(text, R"(edgeroute_call_duration_seconds_sum{identifier="m",source_region="eu-west-1"})"), 0.09);
  // The throttle put eu-central-1 in a cooldown; the router says so, the export repeats it.
  EXPECT_EQ(sample(text, R"(edgeroute_endpoint_state{source_region="eu-central-1",state="cooling"})"), 1);
  EXPECT_EQ(sample(text, R"(edgeroute_endpoint_state{source_region="eu-west-1",state="usable"})"), 1);
  EXPECT_EQ(sample(text, "edgeroute_retry_budget_tokens"), 500);
  EXPECT_EQ(sample(text, "edgeroute_probe_bytes_total"), 1200);  // three probes of 400 bytes
  EXPECT_EQ(text.find("us-east-1"), std::string::npos);  // never probed, never used
  EXPECT_EQ(text.back(), '\n');
}

TEST_F(MetricsTest, EmfLinesCarryWhatChangedSinceTheLastLines) {
  Metrics metrics;
  EmfWriter writer("edgeroute-test");
  throttled_then_served(&metrics, 90 * kMs);
  std::string first;
  ASSERT_TRUE(writer.lines(sources(metrics), 1796470000000, &first).ok());
  throttled_then_served(&metrics, 90 * kMs);  // a second call, also served by eu-west-1
  std::string second;
  ASSERT_TRUE(writer.lines(sources(metrics), 1796470060000, &second).ok());
  std::string third;
  ASSERT_TRUE(writer.lines(sources(metrics), 1796470120000, &third).ok());
  const auto count_lines = [](const std::string& s) { return std::count(s.begin(), s.end(), '\n'); };
  EXPECT_EQ(count_lines(first), 3);  // two pairs and the device line
  EXPECT_EQ(count_lines(third), 1);  // nothing changed: the device line only
  // The device line keeps the budget level, not a difference.
  EXPECT_NE(third.find(R"("RetryBudgetTokens":)"), std::string::npos);
  // Every line of the first batch: the EMF metadata, and each named metric and
  // dimension present at the root.
  std::size_t start = 0;
  int calls = 0;
  while (start < first.size()) {
    const std::size_t end = first.find('\n', start);
    std::unique_ptr<cJSON, void (*)(cJSON*)> doc(cJSON_ParseWithLength(first.data() + start, end - start), cJSON_Delete);
    ASSERT_NE(doc, nullptr);
    const cJSON* aws = cJSON_GetObjectItemCaseSensitive(doc.get(), "_aws");
    ASSERT_TRUE(cJSON_IsObject(aws));
    EXPECT_EQ(cJSON_GetObjectItemCaseSensitive(aws, "Timestamp")->valuedouble, 1796470000000.0);
    const cJSON* directive = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(aws, "CloudWatchMetrics"), 0);
    EXPECT_STREQ(cJSON_GetObjectItemCaseSensitive(directive, "Namespace")->valuestring, "edgeroute-test");
    const cJSON* m = nullptr;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(directive, "Metrics")) {
      const char* name = cJSON_GetObjectItemCaseSensitive(m, "Name")->valuestring;
      EXPECT_TRUE(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(doc.get(), name))) << name;
    }
    const cJSON* set = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(directive, "Dimensions"), 0);
    const cJSON* d = nullptr;
    cJSON_ArrayForEach(d, set) EXPECT_TRUE(cJSON_IsString(cJSON_GetObjectItemCaseSensitive(doc.get(), d->valuestring)));
    const cJSON* c = cJSON_GetObjectItemCaseSensitive(doc.get(), "Calls");
    if (c != nullptr) calls += c->valueint;
    start = end + 1;
  }
  EXPECT_EQ(calls, 1);
  EXPECT_NE(second.find(R"("Calls":1)"), std::string::npos);  // the second call only
}

// --- The audit verifier -----------------------------------------------------------

std::string line_for(const char* identifier, const char* source, const char* destinations,
                     const char* attempt_source = nullptr) {
  const std::string attempt = std::string(R"({"identifier":")") + identifier + R"(","source_region":")" +
                              (attempt_source != nullptr ? attempt_source : source) + R"(","destinations":)" +
                              destinations + R"(,"outcome":"success","http_status":200,"request_id":"r1"})";
  return std::string(R"({"time":"2026-12-05T12:00:00.000Z","request_id":"r1","operation":"Converse","model":"m",)") +
         R"("result":"ok","error_class":null,"identifier":")" + identifier + R"(","source_region":")" + source +
         R"(","destinations":)" + destinations + R"(,"policy":"eu","attempts":[)" + attempt +
         R"(],"drills":[],"served_region":null})";
}

TEST_F(MetricsTest, AuditVerifyAcceptsALineInsideThePolicy) {
  const Status st = verify_audit_line(line_for("eu.m", "eu-west-1", R"(["eu-central-1","eu-west-1","eu-west-3"])"),
                                      *policy_);
  EXPECT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(verify_audit_line(line_for("m", "eu-west-1", R"(["eu-west-1"])"), *policy_).ok());
}

TEST_F(MetricsTest, AuditVerifyRejectsADisallowedSourceRegion) {
  const Status st = verify_audit_line(
      line_for("eu.m", "eu-west-1", R"(["eu-central-1","eu-west-1","eu-west-3"])", "us-east-1"), *policy_);
  EXPECT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("attempt 1:"), std::string::npos) << st.message();
}

TEST_F(MetricsTest, AuditVerifyRejectsAProfileOutsideThePolicy) {
  const Status st = verify_audit_line(line_for("us.m", "us-east-1", R"(["us-east-1","us-west-2"])"), *policy_);
  EXPECT_EQ(st.code(), Code::kPermissionDenied) << st.message();
  EXPECT_NE(std::string(st.message()).find("route:"), std::string::npos) << st.message();
}

TEST_F(MetricsTest, AuditVerifyRejectsDestinationsOtherThanTheCatalogs) {
  const Status widened = verify_audit_line(line_for("m", "eu-west-1", R"(["eu-west-1","us-east-1"])"), *policy_);
  EXPECT_EQ(widened.code(), Code::kPermissionDenied);
  EXPECT_NE(std::string(widened.message()).find("us-east-1"), std::string::npos) << widened.message();
  const Status narrowed = verify_audit_line(line_for("eu.m", "eu-west-1", R"(["eu-west-1"])"), *policy_);
  EXPECT_EQ(narrowed.code(), Code::kPermissionDenied);
  EXPECT_NE(std::string(narrowed.message()).find("leave out"), std::string::npos) << narrowed.message();
}

TEST_F(MetricsTest, AuditVerifyNamesWhatIsNotAnAuditLine) {
  EXPECT_EQ(verify_audit_line("not json", *policy_).code(), Code::kParseError);
  EXPECT_EQ(verify_audit_line("[1,2]", *policy_).code(), Code::kParseError);
  EXPECT_EQ(verify_audit_line(R"({"time":"t","operation":"Converse","result":"ok"})", *policy_).code(),
            Code::kParseError);
  EXPECT_EQ(verify_audit_line(line_for("eu.x", "eu-west-1", "[]"), *policy_).code(), Code::kNotFound);
}

}  // namespace
}  // namespace edgeroute
