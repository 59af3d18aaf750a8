// HttpProber over a scripted transport: every probe carries a total deadline (its
// own limit, capped by the stage's), a probe past the stage's deadline is not sent,
// and only a complete answer is a latency sample -- an endpoint whose first byte
// comes at once and whose answer then drips is not ranked at all.
#include "edgeroute/http_prober.h"

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "edgeroute/catalog.h"
#include "edgeroute/clock.h"
#include "edgeroute/policy.h"
#include "edgeroute/router.h"

namespace edgeroute {
namespace {

constexpr std::int64_t kMs = 1000000;

constexpr const char* kWorld = R"({
  "region_sets": {"eu": ["eu-central-1", "eu-west-1"]},
  "profiles": [{"id": "eu.m", "model": "m", "geography": "eu",
                "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"]}}],
  "in_region": []
})";

// Answers each request as scripted for its host: a status line at once, then
// either the end of the answer or (dripping) the transport's own deadline error.
class ScriptedTransport final : public Transport {
 public:
  explicit ScriptedTransport(ManualClock& clock) : clock_(clock) {}
  Status send(const HttpRequest& request, const HttpTimeouts& timeouts, HttpResponseSink* sink,
              HttpTiming* timing) override {
    ++sends;
    last_deadline_ns = timeouts.deadline_monotonic_ns;
    last_connect = request.connect_port != 0
                       ? std::string(request.connect_host) + ":" + std::to_string(request.connect_port)
                       : std::string(request.host);
    const bool drips = std::string(request.host).find(dripping_region) != std::string::npos;
    const bool warm = keep_alive && std::string(request.host) == open_host;
    open_host = std::string(request.host);
    timing->reused_connection = warm;
    timing->connect_ns = warm ? 0 : drips ? 1 * kMs : 20 * kMs;  // the dripper's handshake is the fastest
    timing->first_byte_ns = timing->connect_ns + (warm ? warm_rtt_ms * kMs : kMs);
    (void)sink->on_status(404);
    (void)sink->on_header("content-length", "100000");
    if (drips) {
      // Headers and body a byte at a time: the exchange lasts until the deadline.
      clock_.advance_ns(timeouts.deadline_monotonic_ns - clock_.monotonic_ns());
      return Status::error(Code::kTimeout, "deadline passed during GET %.*s/", static_cast<int>(request.host.size()),
                           request.host.data());
    }
    clock_.advance_ms(25);
    return Status();
  }
  std::string dripping_region = "eu-west-1";
  bool keep_alive = false;  // a second request to the same host reuses its connection
  std::int64_t warm_rtt_ms = 7;
  std::string open_host;
  int sends = 0;
  std::int64_t last_deadline_ns = 0;
  std::string last_connect;  // where the last request's connection went

 private:
  ManualClock& clock_;
};

class HttpProberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(catalog_.load_json(kWorld, "world.json", CatalogMerge::kReplace).ok());
  }
  std::uint16_t region(const char* name) { return static_cast<std::uint16_t>(catalog_.find_region(name)); }

  ManualClock clock_{1000 * kMs};
  ScriptedTransport transport_{clock_};
  Catalog catalog_;
  HttpTimeouts timeouts_;
};

TEST_F(HttpProberTest, EveryProbeCarriesItsTotalDeadline) {
  HttpProber prober(transport_, catalog_, timeouts_, 800, clock_);
  const std::int64_t start = clock_.monotonic_ns();
  const ProbeResult r = prober.probe("bedrock-runtime.eu-central-1.amazonaws.com", region("eu-central-1"));
  EXPECT_EQ(transport_.last_deadline_ns, start + 800 * kMs);
  EXPECT_TRUE(r.answered);
  EXPECT_EQ(r.rtt_ns, 20 * kMs);  // cold, and no warm answer: the connect time
  EXPECT_EQ(transport_.sends, 2);  // the second request found no kept-alive connection
  EXPECT_TRUE(prober.last_error().ok());
}

// endpoint() names where probes of a region connect, the key under which a
// saved latency sample is reused: the same as the request the prober sends.
TEST_F(HttpProberTest, TheEndpointIsWhereTheProbesOfARegionConnect) {
  HttpProber prober(transport_, catalog_, timeouts_, 800, clock_);
  ASSERT_TRUE(prober.connect_to("eu-west-1", "127.0.0.1", 8443).ok());
  EXPECT_EQ(prober.endpoint(region("eu-central-1")), "bedrock-runtime.eu-central-1.amazonaws.com");
  EXPECT_EQ(prober.endpoint(region("eu-west-1")), "127.0.0.1:8443");
  EXPECT_EQ(prober.endpoint(catalog_.region_count()), "");  // not a region of the catalog
  for (const char* name : {"eu-central-1", "eu-west-1"}) {
    (void)prober.probe(catalog_.region_host(region(name)), region(name));
    EXPECT_EQ(transport_.last_connect, prober.endpoint(region(name))) << name;
  }
}

TEST_F(HttpProberTest, AColdProbeTakesItsSampleFromASecondRequestOnTheNewConnection) {
  transport_.keep_alive = true;
  HttpProber prober(transport_, catalog_, timeouts_, 800, clock_);
  const ProbeResult cold = prober.probe("bedrock-runtime.eu-central-1.amazonaws.com", region("eu-central-1"));
  EXPECT_TRUE(cold.answered);
  EXPECT_EQ(cold.rtt_ns, 7 * kMs);  // the warm round trip, not the 20 ms set-up
  EXPECT_EQ(transport_.sends, 2);
  EXPECT_GT(cold.bytes, HttpProber::kColdHandshakeBytes);
  // Once warm, one request per probe.
  transport_.warm_rtt_ms = 9;
  const ProbeResult again = prober.probe("bedrock-runtime.eu-central-1.amazonaws.com", region("eu-central-1"));
  EXPECT_EQ(again.rtt_ns, 9 * kMs);
  EXPECT_EQ(transport_.sends, 3);
  EXPECT_LT(again.bytes, HttpProber::kColdHandshakeBytes);
}

TEST_F(HttpProberTest, TheStageDeadlineCapsEachProbeAndStopsLaterOnes) {
  HttpProber prober(transport_, catalog_, timeouts_, 5000, clock_);
  prober.set_deadline_ns(clock_.monotonic_ns() + 30 * kMs);
  const std::int64_t start = clock_.monotonic_ns();
  (void)prober.probe("bedrock-runtime.eu-central-1.amazonaws.com", region("eu-central-1"));
  EXPECT_EQ(transport_.last_deadline_ns, start + 30 * kMs);  // not start + 5000 ms
  clock_.advance_ms(10);  // now past the stage's deadline
  const int sent_before = transport_.sends;
  const ProbeResult late = prober.probe("bedrock-runtime.eu-central-1.amazonaws.com", region("eu-central-1"));
  EXPECT_EQ(transport_.sends, sent_before);  // not sent
  EXPECT_FALSE(late.answered);
  EXPECT_EQ(late.bytes, 0u);
  EXPECT_EQ(prober.last_error().code(), Code::kTimeout);
  EXPECT_NE(std::string(prober.last_error().message()).find("deadline"), std::string::npos);
}

TEST_F(HttpProberTest, AnAnswerThatDripsPastTheDeadlineIsNoSample) {
  HttpProber prober(transport_, catalog_, timeouts_, 500, clock_);
  const std::int64_t start = clock_.monotonic_ns();
  const ProbeResult r = prober.probe("bedrock-runtime.eu-west-1.amazonaws.com", region("eu-west-1"));
  EXPECT_FALSE(r.answered);  // its status line came at once, but the answer never completed
  EXPECT_EQ(clock_.monotonic_ns(), start + 500 * kMs);
  EXPECT_EQ(prober.last_error().code(), Code::kTimeout);
}

TEST_F(HttpProberTest, ADrippingEndpointIsNotRankedNearest) {
  Policy policy(catalog_);
  ASSERT_TRUE(policy.set_allow("eu").ok());
  Router router;
  ASSERT_TRUE(router.init(policy, RouterOptions()).ok());
  HttpProber prober(transport_, catalog_, timeouts_, 500, clock_);
  ASSERT_EQ(router.tick(clock_.monotonic_ns(), 1, prober), 2u);
  const EndpointStats dripping = router.endpoint_stats(region("eu-west-1"));
  EXPECT_EQ(dripping.samples, 0u);
  EXPECT_EQ(dripping.probe_failures, 1u);
  Route route;
  ASSERT_TRUE(router.pick("m", "", clock_.monotonic_ns(), 1, &route).ok());
  EXPECT_EQ(route.source_region, "eu-central-1");
}

}  // namespace
}  // namespace edgeroute
