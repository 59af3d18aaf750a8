// The routed client's observers: metrics and the audit trail hear of every
// exchange and every call, from a Runtime over a transport that throttles one
// region (no network).
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <vector>

#include "edgeroute/audit.h"
#include "edgeroute/metrics.h"
#include "edgeroute/runtime.h"
#include "runtime_fixtures.h"

namespace edgeroute {
namespace {

using runtime_fixtures::StaticCredentials;

constexpr const char* kWorld = R"({
  "region_sets": {"eu": ["eu-central-1", "eu-west-1", "eu-west-3"], "us": ["us-east-1", "us-west-2"]},
  "profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu",
     "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"], "eu-west-3": ["eu"]}},
    {"id": "us.m", "model": "m", "geography": "us", "sources": {"us-east-1": ["us"], "us-west-2": ["us"]}}
  ],
  "in_region": []
})";
constexpr const char* kConverseOk =
    R"({"output":{"message":{"role":"assistant","content":[{"text":"the answer"}]}},"stopReason":"end_turn",)"
    R"("usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4},"metrics":{"latencyMs":5}})";

// eu-central-1 throttles every POST; the others answer. Probes (GET) get a 404.
class ThrottlingTransport final : public Transport {
 public:
  Status send(const HttpRequest& request, const HttpTimeouts&, HttpResponseSink* sink, HttpTiming* timing) override {
    const std::string host(request.host);
    timing->connect_ns = 1000000;
    timing->first_byte_ns = 2000000;
    if (request.method == "GET") return sink->on_status(404);
    if (host.find(".eu-central-1.") != std::string::npos) {
      Status s = sink->on_status(429);
      if (s.ok()) s = sink->on_header("x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/");
      if (s.ok()) s = sink->on_header("x-amzn-RequestId", "req-throttled");
      const std::string body = R"({"message":"Too many requests, please wait before trying again."})";
      if (s.ok()) s = sink->on_body(body.data(), body.size());
      return s;
    }
    Status s = sink->on_status(200);
    if (s.ok()) s = sink->on_header("content-type", "application/json");
    if (s.ok()) s = sink->on_header("x-amzn-RequestId", "req-" + host);
    if (s.ok()) s = sink->on_body(kConverseOk, std::strlen(kConverseOk));
    return s;
  }
};

// Keeps what it hears, for the checks.
class Recorder final : public CallObserver {
 public:
  void on_attempt(const AttemptEvent& e) override {
    std::lock_guard<std::mutex> lock(mutex);
    attempts.push_back(std::string(e.route->source_region) + " " + to_string(e.outcome) + " " +
                       std::to_string(e.http_status) + (e.first_byte_ns == 2000000 ? " fb" : ""));
  }
  void on_call(const CallEvent& e) override {
    std::lock_guard<std::mutex> lock(mutex);
    calls.push_back(std::string(e.operation) + " " + (e.ok ? "ok " : "failed ") + std::string(e.request_id) + " " +
                    std::string(e.policy));
  }
  std::mutex mutex;
  std::vector<std::string> attempts, calls;
};

class ObserverTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/edgeroute-observer-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::ofstream(dir_ + "/catalog.json") << kWorld;
  }
  void TearDown() override { (void)std::system(("rm -rf '" + dir_ + "'").c_str()); }
  RuntimeOptions options() {
    RuntimeOptions o;
    o.allow = "eu";
    o.catalog_file = dir_ + "/catalog.json";
    o.credentials = &credentials_;
    o.make_transport = [](std::unique_ptr<Transport>* out) {
      *out = std::make_unique<ThrottlingTransport>();
      return Status();
    };
    o.models = {"m"};
    o.mode = RouteMode::kFailover;
    o.order = "eu-central-1,eu-west-1";
    o.deadline_ms = 5000;
    return o;
  }
  static bedrock::ConverseRequest hello() {
    bedrock::ConverseRequest r;
    r.model_id = "m";
    r.messages.push_back(bedrock::Message{"user", {bedrock::ContentBlock::of_text("a private prompt")}});
    return r;
  }
  std::string read(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  std::string dir_;
  StaticCredentials credentials_{"secret-session"};
};

TEST_F(ObserverTest, ObserversHearEachExchangeAndEachCall) {
  Recorder recorder;
  RuntimeOptions o = options();
  o.observers = {&recorder};
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(o, &runtime).ok());
  const ConverseResult r = runtime->converse(hello());
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  EXPECT_EQ(recorder.attempts, (std::vector<std::string>{"eu-central-1 throttle 429 fb", "eu-west-1 success 200 fb"}));
  EXPECT_EQ(recorder.calls,
            (std::vector<std::string>{"Converse ok req-bedrock-runtime.eu-west-1.amazonaws.com eu"}));
  // A call the router cannot route is still told.
  bedrock::ConverseRequest unknown = hello();
  unknown.model_id = "no-such-model";
  EXPECT_FALSE(runtime->converse(unknown).ok());
  ASSERT_EQ(recorder.calls.size(), 2u);
  EXPECT_EQ(recorder.calls[1], "Converse failed  eu");
}

TEST_F(ObserverTest, MetricsAndAuditTrailRecordTheFailover) {
  Metrics metrics;
  std::unique_ptr<AuditTrail> audit;
  AuditTrail::Options audit_options;
  audit_options.path = dir_ + "/audit.jsonl";
  ASSERT_TRUE(AuditTrail::open(audit_options, &audit).ok());
  RuntimeOptions o = options();
  o.observers = {&metrics, audit.get()};
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(o, &runtime).ok());
  ASSERT_TRUE(runtime->converse(hello()).ok());
  // A fail drill on eu-west-1 while eu-central-1 cools: each of the call's three
  // attempts fails unsent there, and the call fails; all of it is recorded.
  ASSERT_TRUE(runtime->drill("eu-west-1", DrillKind::kFail, runtime->clock().monotonic_ns() + 60000000000LL).ok());
  const ConverseResult drilled = runtime->converse(hello());
  EXPECT_FALSE(drilled.ok());

  auto snap = std::make_unique<MetricsSnapshot>();
  metrics.snapshot(snap.get());
  std::uint64_t throttles = 0, successes = 0, calls = 0, failovers = 0, drills = 0;
  for (std::size_t i = 0; i < snap->candidate_count; ++i) {
    throttles += snap->candidates[i].attempts[static_cast<std::size_t>(OutcomeClass::kThrottle)];
    successes += snap->candidates[i].attempts[static_cast<std::size_t>(OutcomeClass::kSuccess)];
    calls += snap->candidates[i].calls_ok + snap->candidates[i].calls_failed;
    failovers += snap->candidates[i].failovers;
    drills += snap->candidates[i].drill_failures;
  }
  EXPECT_EQ(calls, 2u);
  EXPECT_EQ(failovers, 1u);
  EXPECT_EQ(throttles, 1u);
  EXPECT_EQ(successes, 1u);
  EXPECT_EQ(drills, 3u);

  const std::string trail = read(audit_options.path);
  ASSERT_EQ(std::count(trail.begin(), trail.end(), '\n'), 2) << trail;
  const std::string first = trail.substr(0, trail.find('\n'));
  EXPECT_NE(first.find(R"("identifier":"eu.m","source_region":"eu-west-1","destinations":["eu-central-1","eu-west-1","eu-west-3"])"),
            std::string::npos)
      << first;
  EXPECT_NE(first.find(R"("outcome":"throttle","http_status":429,"request_id":"req-throttled")"), std::string::npos)
      << first;
  EXPECT_NE(first.find(R"("policy":"eu")"), std::string::npos) << first;
  const std::string second = trail.substr(first.size() + 1);
  const std::string drill = R"({"identifier":"eu.m","source_region":"eu-west-1"})";
  EXPECT_NE(second.find(R"("attempts":[],"drills":[)" + drill + "," + drill + "," + drill + "]"), std::string::npos)
      << second;
  EXPECT_NE(second.find(R"("result":"failed","error_class":"transient")"), std::string::npos) << second;
  // Never the prompt, the answer, a service message or a credential.
  for (const char* secret : {"a private prompt", "the answer", "Too many requests", "wJalrXUtnFEMI", "secret-session"}) {
    EXPECT_EQ(trail.find(secret), std::string::npos) << secret;
  }
  // Each line passes the auditor's check against the policy it was written under.
  std::size_t start = 0;
  while (start < trail.size()) {
    const std::size_t end = trail.find('\n', start);
    const Status st = verify_audit_line(std::string_view(trail).substr(start, end - start), runtime->policy());
    EXPECT_TRUE(st.ok()) << st.message();
    start = end + 1;
  }
  EXPECT_EQ(audit->failed_lines(), 0u);
}

}  // namespace
}  // namespace edgeroute
