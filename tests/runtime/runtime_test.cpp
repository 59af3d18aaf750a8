// The routed client (edgeroute::Runtime) over a recording transport: where each
// operation's requests go under a residency policy, failover inside the policy,
// refusals that send nothing, drills, probes driven by the caller, and several
// threads calling at once.
#include "edgeroute/runtime.h"
#include "runtime_fixtures.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

namespace edgeroute {
namespace {

using runtime_fixtures::kConverseOk;
using runtime_fixtures::StaticCredentials;

constexpr const char* kModel = "m";
// Three EU sources, two US ones and a global profile. The EU profile's candidates
// come first in the catalog; us.m is nearer by nothing but its name.
constexpr const char* kWorld = R"({
  "region_sets": {"eu": ["eu-central-1", "eu-west-1", "eu-west-3"], "us": ["us-east-1", "us-west-2"],
                  "global": ["eu-central-1", "eu-west-1", "eu-west-3", "us-east-1", "us-west-2"]},
  "profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu",
     "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"], "eu-west-3": ["eu"]}},
    {"id": "us.m", "model": "m", "geography": "us", "sources": {"us-east-1": ["us"], "us-west-2": ["us"]}},
    {"id": "global.m", "model": "m", "geography": "global", "sources": {"eu-central-1": ["global"]}}
  ],
  "in_region": [{"model": "m", "regions": ["us-east-1"]}]
})";

// Every transport the runtime makes records here; POSTs to a throttled region get
// a 429, other POSTs a Converse answer, GETs (probes) a 404.
struct Recorder {
  std::mutex mutex;
  std::vector<std::string> posts;  // hosts
  std::vector<std::string> gets;
  std::set<std::string> throttled;
  std::atomic<int> transports{0};
  std::atomic<int> get_delay_ms{0};  // each GET (probe) takes this long
  std::vector<std::string> post_hosts() {
    std::lock_guard<std::mutex> lock(mutex);
    return posts;
  }
};

class RecordingTransport final : public Transport {
 public:
  explicit RecordingTransport(Recorder& r) : r_(r) {}
  Status send(const HttpRequest& request, const HttpTimeouts&, HttpResponseSink* sink, HttpTiming* timing) override {
    const std::string host(request.host);
    bool throttle = false;
    {
      std::lock_guard<std::mutex> lock(r_.mutex);
      (request.method == "GET" ? r_.gets : r_.posts).push_back(host);
      for (const std::string& region : r_.throttled) throttle = throttle || host.find("." + region + ".") != std::string::npos;
    }
    timing->connect_ns = 1000000;
    timing->first_byte_ns = 2000000;
    if (request.method == "GET") {
      if (r_.get_delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(r_.get_delay_ms.load()));
      return sink->on_status(404);
    }
    if (throttle) {
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

 private:
  Recorder& r_;
};

bool in_eu(const std::string& host) {
  for (const char* r : {".eu-central-1.", ".eu-west-1.", ".eu-west-3."}) {
    if (host.find(r) != std::string::npos) return true;
  }
  return false;
}

class RuntimeTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_FALSE(catalog_.path().empty()); }

  RuntimeOptions options(const char* allow) {
    RuntimeOptions o;
    o.allow = allow;
    o.catalog_file = catalog_.path();
    o.credentials = &credentials_;
    Recorder* r = &recorder_;
    o.make_transport = [r](std::unique_ptr<Transport>* out) {
      ++r->transports;
      *out = std::make_unique<RecordingTransport>(*r);
      return Status();
    };
    o.deadline_ms = 5000;
    return o;
  }
  static bedrock::ConverseRequest hello() {
    bedrock::ConverseRequest r;
    r.model_id = kModel;
    r.messages.push_back(bedrock::Message{"user", {bedrock::ContentBlock::of_text("Hello")}});
    return r;
  }
  static bedrock::InvokeRequest invoke() {
    bedrock::InvokeRequest r;
    r.model_id = kModel;
    r.body = R"({"prompt":"Hello"})";
    return r;
  }

  runtime_fixtures::CatalogFile catalog_{kWorld};
  Recorder recorder_;
  StaticCredentials credentials_;
};

TEST_F(RuntimeTest, ARoutedConverseReportsItsRouteAttemptsUsageAndRequestId) {
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(options("eu"), &runtime).ok());
  const ConverseResult r = runtime->converse(hello());
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  EXPECT_EQ(r.identifier, "eu.m");
  EXPECT_EQ(r.source_region, "eu-central-1");  // first in the catalog while nothing is measured
  EXPECT_EQ(r.endpoint, "bedrock-runtime.eu-central-1.amazonaws.com");
  ASSERT_EQ(r.attempts.size(), 1u);
  EXPECT_EQ(r.attempts[0].http_status, 200);
  EXPECT_EQ(r.response.text, "hi");
  EXPECT_EQ(r.response.usage.total_tokens, 4);
  EXPECT_EQ(r.response.request_id, "req-bedrock-runtime.eu-central-1.amazonaws.com");
  EXPECT_FALSE(r.failed_over);
  EXPECT_EQ(recorder_.post_hosts(), std::vector<std::string>{"bedrock-runtime.eu-central-1.amazonaws.com"});
}

TEST_F(RuntimeTest, AThrottledRegionFailsOverInsideThePolicy) {
  recorder_.throttled = {"eu-central-1"};
  RuntimeOptions o = options("eu");
  o.models = {kModel};
  o.mode = RouteMode::kFailover;
  o.order = "eu-central-1,eu-west-1";
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(o, &runtime).ok());
  const InvokeResult r = runtime->invoke_model(invoke());
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  EXPECT_TRUE(r.failed_over);
  EXPECT_EQ(r.source_region, "eu-west-1");
  ASSERT_EQ(r.attempts.size(), 2u);
  EXPECT_EQ(r.attempts[0].http_status, 429);
  EXPECT_EQ(r.path(), "eu-central-1 throttle, eu-west-1 success");
  for (const std::string& host : recorder_.post_hosts()) EXPECT_TRUE(in_eu(host)) << host;
}

// The report's route names are views into the catalog generation the call ran
// on; the report keeps that generation, so they outlive the Runtime (ASan
// reports a read of freed memory otherwise).
TEST_F(RuntimeTest, AReportsRouteOutlivesTheRuntime) {
  recorder_.throttled = {"eu-central-1"};
  RuntimeOptions o = options("eu");
  o.mode = RouteMode::kFailover;
  o.order = "eu-central-1,eu-west-1";
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(o, &runtime).ok());
  ConverseResult kept = runtime->converse(hello());
  ASSERT_TRUE(kept.ok()) << kept.error.to_string();
  const ConverseResult copy = kept;
  runtime.reset();
  kept = ConverseResult();  // the copy alone holds the generation now
  EXPECT_EQ(std::string(copy.identifier), "eu.m");
  EXPECT_EQ(std::string(copy.source_region), "eu-west-1");
  EXPECT_EQ(std::string(copy.endpoint), "bedrock-runtime.eu-west-1.amazonaws.com");
  ASSERT_EQ(copy.attempt_count, 2u);
  EXPECT_EQ(copy.steps[0].source_region, "eu-central-1");
  EXPECT_EQ(copy.steps[0].outcome, OutcomeClass::kThrottle);
  EXPECT_EQ(copy.steps[1].outcome, OutcomeClass::kSuccess);
  EXPECT_EQ(copy.path(), "eu-central-1 throttle, eu-west-1 success");
  EXPECT_TRUE(kept.identifier.empty());
  EXPECT_EQ(kept.path(), "");
}

TEST_F(RuntimeTest, ADisallowedRouteCannotBeSentThroughAnyEntryPoint) {
  // Region-level policy: only eu-central-1. Every identifier of m there is a
  // profile whose destinations leave it, so nothing may be sent at all.
  std::unique_ptr<Runtime> runtime;
  RuntimeOptions listed = options("eu-central-1");
  listed.models = {kModel};
  const Status refused = Runtime::create(listed, &runtime);
  EXPECT_EQ(refused.code(), Code::kPermissionDenied) << refused.message();

  RuntimeOptions pinned = options("eu");
  pinned.models = {kModel};
  pinned.pin_region = "us-east-1";
  EXPECT_EQ(Runtime::create(pinned, &runtime).code(), Code::kInvalidArgument);

  ASSERT_TRUE(Runtime::create(options("eu-central-1"), &runtime).ok());
  const bedrock::StreamCallback on_event = [](const bedrock::StreamEvent&) { return Status(); };
  const bedrock::ChunkCallback on_chunk = [](std::string_view) { return Status(); };
  const bedrock::Error errors[] = {runtime->converse(hello()).error, runtime->converse_stream(hello(), on_event).error,
                                   runtime->invoke_model(invoke()).error,
                                   runtime->invoke_model_with_response_stream(invoke(), on_chunk).error};
  for (const bedrock::Error& e : errors) {
    EXPECT_EQ(e.cls, OutcomeClass::kClient) << e.to_string();
    EXPECT_NE(e.message.find("no route"), std::string::npos) << e.message;
  }
  // A drill cannot reach outside the policy either.
  EXPECT_EQ(runtime->drill("us-east-1", DrillKind::kFail, runtime->clock().monotonic_ns() + 1000000000).code(),
            Code::kInvalidArgument);
  EXPECT_TRUE(recorder_.post_hosts().empty());
  // A model named by a disallowed identifier is routed as its model: still in policy.
  ASSERT_TRUE(Runtime::create(options("eu"), &runtime).ok());
  bedrock::ConverseRequest us = hello();
  us.model_id = "us.m";
  const ConverseResult r = runtime->converse(us);
  ASSERT_TRUE(r.ok()) << r.error.to_string();
  EXPECT_EQ(r.identifier, "eu.m");
  for (const std::string& host : recorder_.post_hosts()) EXPECT_TRUE(in_eu(host)) << host;
}

TEST_F(RuntimeTest, ACallWhoseEveryAttemptWasDrilledFailsAndSendsNothing) {
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(options("eu"), &runtime).ok());
  const std::int64_t until = runtime->clock().monotonic_ns() + 60LL * 1000000000;
  for (const char* region : {"eu-central-1", "eu-west-1", "eu-west-3"}) {
    ASSERT_TRUE(runtime->drill(region, DrillKind::kFail, until).ok());
  }
  const ConverseResult r = runtime->converse(hello());
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error.cls, OutcomeClass::kTransient);
  EXPECT_NE(r.error.message.find("fail drill"), std::string::npos) << r.error.message;
  EXPECT_NE(r.error.message.find("eu.m@eu-west-1"), std::string::npos) << r.error.message;  // every candidate's state
  EXPECT_EQ(r.attempt_count, 3u);
  EXPECT_TRUE(r.attempts.empty());
  EXPECT_TRUE(recorder_.post_hosts().empty());
}

TEST_F(RuntimeTest, ProbesRunOnlyWhenTheApplicationAsks) {
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(options("eu"), &runtime).ok());
  EXPECT_TRUE(recorder_.gets.empty());  // no thread of its own probed anything
  EXPECT_EQ(runtime->probe_now(1), 3u);   // the three allowed EU endpoints, nothing else
  for (const std::string& host : recorder_.gets) EXPECT_TRUE(in_eu(host)) << host;
  const std::int64_t due = runtime->next_poll_ns();
  EXPECT_GT(due, runtime->clock().monotonic_ns());
  EXPECT_EQ(runtime->poll(due - 1), 0u);  // not due yet
  EXPECT_GT(runtime->poll(due), 0u);
}

TEST_F(RuntimeTest, SeveralThreadsCallAtOnce) {
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(options("eu"), &runtime).ok());
  constexpr int kThreads = 4, kCalls = 5;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kCalls; ++i) ok += runtime->converse(hello()).ok() ? 1 : 0;
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(ok.load(), kThreads * kCalls);
  EXPECT_EQ(recorder_.post_hosts().size(), static_cast<std::size_t>(kThreads * kCalls));
  // One transport for probes, and at most one per thread calling at once.
  EXPECT_LE(recorder_.transports.load(), 1 + kThreads);
}

TEST_F(RuntimeTest, TheProbeThreadProbesWhileThreadsCall) {
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(options("eu"), &runtime).ok());
  constexpr int kThreads = 3, kCalls = 5;
  std::atomic<int> ok{0};
  {
    ProbeThread prober(*runtime, 1);
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&] {
        for (int i = 0; i < kCalls; ++i) ok += runtime->converse(hello()).ok() ? 1 : 0;
      });
    }
    for (std::thread& th : threads) th.join();
    // The first round is due at once; wait for it, at most 5 s.
    for (int i = 0; i < 500; ++i) {
      {
        std::lock_guard<std::mutex> lock(recorder_.mutex);
        if (!recorder_.gets.empty()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }  // stops and joins the helper
  EXPECT_EQ(ok.load(), kThreads * kCalls);
  std::lock_guard<std::mutex> lock(recorder_.mutex);
  EXPECT_FALSE(recorder_.gets.empty());
  for (const std::string& host : recorder_.gets) EXPECT_TRUE(in_eu(host)) << host;
}

TEST_F(RuntimeTest, TheFirstCallProbesEachAllowedEndpointOnceInLatencyMode) {
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(options("eu"), &runtime).ok());
  EXPECT_TRUE(recorder_.gets.empty());  // nothing before the first call
  ASSERT_TRUE(runtime->converse(hello()).ok());
  const std::set<std::string> probed(recorder_.gets.begin(), recorder_.gets.end());
  EXPECT_EQ(probed.size(), 3u);                 // the three allowed EU endpoints
  EXPECT_LE(recorder_.gets.size(), 2u * 3u);    // one probe each (a cold GET and a warm one)
  for (const std::string& host : probed) EXPECT_TRUE(in_eu(host)) << host;
  const std::size_t after_first = recorder_.gets.size();
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(runtime->converse(hello()).ok());
  EXPECT_EQ(recorder_.gets.size(), after_first);  // later calls do not probe
}

TEST_F(RuntimeTest, NoProbesBeforeTheFirstCallWhenTurnedOffOrNotInLatencyMode) {
  RuntimeOptions off = options("eu");
  off.probe_before_first_call = false;
  RuntimeOptions failover = options("eu");
  failover.models = {kModel};
  failover.mode = RouteMode::kFailover;
  failover.order = "eu-west-1,eu-central-1";
  for (const RuntimeOptions& o : {off, failover}) {
    std::unique_ptr<Runtime> runtime;
    ASSERT_TRUE(Runtime::create(o, &runtime).ok());
    ASSERT_TRUE(runtime->converse(hello()).ok());
    EXPECT_TRUE(recorder_.gets.empty());
  }
}

TEST_F(RuntimeTest, TheFirstCallsProbesEndWithinHalfItsDeadline) {
  recorder_.get_delay_ms = 400;  // a cold and a warm GET: 800 ms per endpoint
  RuntimeOptions o = options("eu");
  o.deadline_ms = 2000;
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(Runtime::create(o, &runtime).ok());
  const auto start = std::chrono::steady_clock::now();
  const ConverseResult r = runtime->converse(hello());
  const auto took_ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start).count();
  EXPECT_TRUE(r.ok()) << r.error.to_string();
  EXPECT_LT(took_ms, 2000);
  EXPECT_LT(recorder_.gets.size(), 2u * 3u);  // the stage stopped sending at half the deadline
}

TEST_F(RuntimeTest, TheProbeStateFileSparesTheNextRunItsProbes) {
  char dir[] = "/tmp/edgeroute-probe-state-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  RuntimeOptions o = options("eu");
  o.probe_state_file = probe_state_path(dir);
  std::vector<std::string> notes;
  o.on_note = [&notes](const std::string& n) { notes.push_back(n); };
  {
    std::unique_ptr<Runtime> runtime;
    ASSERT_TRUE(Runtime::create(o, &runtime).ok());
    ASSERT_TRUE(runtime->converse(hello()).ok());
  }
  EXPECT_FALSE(recorder_.gets.empty());
  EXPECT_TRUE(notes.empty());  // a missing file is no news
  recorder_.gets.clear();
  {
    std::unique_ptr<Runtime> runtime;
    ASSERT_TRUE(Runtime::create(o, &runtime).ok());
    ASSERT_TRUE(runtime->converse(hello()).ok());
  }
  EXPECT_TRUE(recorder_.gets.empty());  // every endpoint's sample was fresh
  // A foreign file: one note, probed again, replaced.
  std::ofstream(o.probe_state_file) << "{\"format\": \"something-else\"}";
  {
    std::unique_ptr<Runtime> runtime;
    ASSERT_TRUE(Runtime::create(o, &runtime).ok());
    ASSERT_TRUE(runtime->converse(hello()).ok());
  }
  EXPECT_FALSE(recorder_.gets.empty());
  ASSERT_EQ(notes.size(), 1u);
  EXPECT_NE(notes[0].find("not an edgeroute probe state file"), std::string::npos) << notes[0];
  EXPECT_NE(notes[0].find("probing again"), std::string::npos) << notes[0];
  std::remove(o.probe_state_file.c_str());
  rmdir(dir);
}

}  // namespace
}  // namespace edgeroute
