// The routed client's start-up catalog refresh over a scripted control plane: live
// destinations replace the catalog's, a profile they take outside the allowed set
// is refused, and a failed refresh keeps routing on the last good one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "edgeroute/runtime.h"
#include "runtime_fixtures.h"

namespace edgeroute {
namespace {

using runtime_fixtures::StaticCredentials;

constexpr const char* kWorld = R"({
  "regions": {"eu-central-1": {"country": "DE"}, "eu-west-1": {"country": "IE"}, "eu-west-2": {"country": "GB"}},
  "region_sets": {"eu": ["eu-central-1", "eu-west-1"]},
  "profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu",
     "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"]}}
  ]
})";

// Answers ListInferenceProfiles: eu.m with `destinations` from each source, or a
// 503 while `down`.
class ControlPlane final : public Transport {
 public:
  std::string destinations = "eu-central-1,eu-west-1";
  bool down = false;
  int listings = 0;

  Status send(const HttpRequest& request, const HttpTimeouts&, HttpResponseSink* sink, HttpTiming*) override {
    if (request.method != "GET" || request.path_and_query.substr(0, 20) != "/inference-profiles?") {
      return sink->on_status(404);
    }
    ++listings;
    if (down) return Status::error(Code::kUnavailable, "connection refused");
    const std::string body = runtime_fixtures::eu_m_listing(request.host, destinations);
    Status s = sink->on_status(200);
    if (s.ok()) s = sink->on_body(body.data(), body.size());
    return s;
  }
};

class Transports final : public Transport {
 public:
  explicit Transports(ControlPlane& plane) : plane_(plane) {}
  Status send(const HttpRequest& r, const HttpTimeouts& t, HttpResponseSink* s, HttpTiming* timing) override {
    return plane_.send(r, t, s, timing);
  }

 private:
  ControlPlane& plane_;
};

class RuntimeRefreshTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/edgeroute-runtime-refresh-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    std::ofstream(dir_ + "/catalog.json") << kWorld;
  }
  void TearDown() override {
    std::remove((dir_ + "/catalog.json").c_str());
    std::remove((dir_ + "/live.json").c_str());
    rmdir(dir_.c_str());
  }
  Status create(std::unique_ptr<Runtime>* out) {
    RuntimeOptions o;
    o.allow = "eu";
    o.catalog_file = dir_ + "/catalog.json";
    o.credentials = &credentials_;
    o.refresh_catalog_at_start = true;
    o.catalog_cache_file = dir_ + "/live.json";
    ControlPlane* plane = &plane_;
    o.make_transport = [plane](std::unique_ptr<Transport>* t) {
      *t = std::make_unique<Transports>(*plane);
      return Status();
    };
    return Runtime::create(o, out);
  }

  std::string dir_;
  ControlPlane plane_;
  StaticCredentials credentials_;
};

TEST_F(RuntimeRefreshTest, LiveDestinationsOutsideTheAllowedSetRefuseTheProfileFromStartUp) {
  std::unique_ptr<Runtime> runtime;
  ASSERT_TRUE(create(&runtime).ok());
  EXPECT_EQ(plane_.listings, 2);  // one per allowed source
  EXPECT_EQ(runtime->catalog_refresh_report().find("catalog refreshed: ListInferenceProfiles in eu-central-1, eu-west-1"),
            0u)
      << runtime->catalog_refresh_report();
  EXPECT_TRUE(runtime->policy().check_route("eu.m", "eu-central-1").ok());

  plane_.destinations = "eu-central-1,eu-west-1,eu-west-2";
  runtime.reset();
  ASSERT_TRUE(create(&runtime).ok());
  const Status refused = runtime->policy().check_route("eu.m", "eu-central-1");
  EXPECT_EQ(refused.code(), Code::kPermissionDenied);
  EXPECT_NE(std::string(refused.message()).find("destination eu-west-2 (GB) outside eu"), std::string::npos)
      << refused.message();
}

TEST_F(RuntimeRefreshTest, AFailedRefreshRoutesOnTheLastGoodOneAndSaysSo) {
  std::unique_ptr<Runtime> runtime;
  plane_.destinations = "eu-central-1";  // narrower than the catalog's: live wins
  ASSERT_TRUE(create(&runtime).ok());
  runtime.reset();
  plane_.down = true;
  ASSERT_TRUE(create(&runtime).ok());
  const std::string& report = runtime->catalog_refresh_report();
  EXPECT_NE(report.find("catalog refresh: eu-central-1: ListInferenceProfiles: connection refused"), std::string::npos)
      << report;
  EXPECT_NE(report.find("; routing on the last good refresh, " + dir_ + "/live.json"), std::string::npos) << report;
  EXPECT_EQ(report.find('\n'), std::string::npos);
  const Catalog& catalog = runtime->catalog();
  const int c = catalog.find_candidate("eu.m", "eu-west-1");
  ASSERT_NE(c, Catalog::kNone);
  EXPECT_EQ(catalog.candidate(static_cast<std::size_t>(c)).destinations.count(), 1u);  // the saved live data
  // Without a saved refresh, the catalog as loaded.
  std::remove((dir_ + "/live.json").c_str());
  runtime.reset();
  ASSERT_TRUE(create(&runtime).ok());
  EXPECT_NE(runtime->catalog_refresh_report().find("; routing on the catalog as loaded"), std::string::npos);
  EXPECT_TRUE(runtime->policy().check_route("eu.m", "eu-west-1").ok());
}

}  // namespace
}  // namespace edgeroute
