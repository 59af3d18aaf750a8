// Residency through the C API: a pinned region outside the policy is refused at
// create, and a call naming another geography's identifier connects only to
// allowed regions. Each region is redirected (connect_to) to a loopback listener
// of its own that accepts and closes, so the listeners count where connections went.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "edgeroute/edgeroute.h"
#include "runtime_fixtures.h"  // CatalogFile

namespace {

constexpr const char* kWorld = R"({
  "region_sets": {"eu": ["eu-central-1", "eu-west-1"], "us": ["us-east-1", "us-west-2"]},
  "profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu", "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"]}},
    {"id": "us.m", "model": "m", "geography": "us", "sources": {"us-east-1": ["us"], "us-west-2": ["us"]}}
  ],
  "in_region": [{"model": "m", "regions": ["us-east-1"]}]
})";
const char* const kRegions[] = {"eu-central-1", "eu-west-1", "us-east-1", "us-west-2"};
constexpr int kRegionCount = 4;

// One loopback listener per region; a thread accepts, counts and closes, for at
// most 20 s or until stopped.
class Listeners {
 public:
  Listeners() {
    for (int i = 0; i < kRegionCount; ++i) {
      fds_[i] = socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in a{};
      a.sin_family = AF_INET;
      a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      socklen_t len = sizeof a;
      if (fds_[i] < 0 || bind(fds_[i], reinterpret_cast<sockaddr*>(&a), sizeof a) != 0 || listen(fds_[i], 16) != 0 ||
          getsockname(fds_[i], reinterpret_cast<sockaddr*>(&a), &len) != 0) {
        ok_ = false;
      }
      ports_[i] = ntohs(a.sin_port);
      counts_[i] = 0;
    }
    thread_ = std::thread([this] {
      pollfd p[kRegionCount];
      for (int i = 0; i < kRegionCount; ++i) p[i] = {fds_[i], POLLIN, 0};
      for (int round = 0; round < 400 && !stop_; ++round) {  // 400 x 50 ms
        if (poll(p, kRegionCount, 50) <= 0) continue;
        for (int i = 0; i < kRegionCount; ++i) {
          if ((p[i].revents & POLLIN) == 0) continue;
          const int c = accept(fds_[i], nullptr, nullptr);
          if (c >= 0) {
            ++counts_[i];
            close(c);
          }
        }
      }
    });
  }
  ~Listeners() {
    stop_ = true;
    thread_.join();
    for (int fd : fds_) close(fd);
  }
  bool ok() const { return ok_; }
  int port(int i) const { return ports_[i]; }
  int count(int i) const { return counts_[i]; }

 private:
  int fds_[kRegionCount] = {-1, -1, -1, -1};
  int ports_[kRegionCount] = {};
  std::atomic<int> counts_[kRegionCount];
  std::atomic<bool> stop_{false};
  bool ok_ = true;
  std::thread thread_;
};

class CApiResidencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(catalog_file_.path().empty());
    // Fake keys: nothing reaches AWS (every region is redirected to loopback).
    setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE", 1);
    setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", 1);
    unsetenv("AWS_SESSION_TOKEN");
    unsetenv("AWS_BEARER_TOKEN_BEDROCK");
  }
  edgeroute::runtime_fixtures::CatalogFile catalog_file_{kWorld};
  const std::string& catalog_ = catalog_file_.path();
};

TEST_F(CApiResidencyTest, APinnedRegionOutsideThePolicyIsRefusedAtCreate) {
  edgeroute_options o;
  edgeroute_options_init(&o);
  o.allow = "eu";
  o.catalog_file = catalog_.c_str();
  o.model = "m";
  o.pin_region = "us-east-1";
  edgeroute_runtime* rt = nullptr;
  char message[256] = "";
  EXPECT_NE(edgeroute_runtime_create(&o, &rt, message, sizeof message), EDGEROUTE_OK);
  EXPECT_EQ(rt, nullptr);
  EXPECT_NE(std::string(message).find("us-east-1"), std::string::npos) << message;
}

TEST_F(CApiResidencyTest, AnotherGeographysIdentifierConnectsOnlyInsideThePolicy) {
  Listeners listeners;
  ASSERT_TRUE(listeners.ok());
  std::vector<std::string> redirects;
  for (int i = 0; i < kRegionCount; ++i) {
    redirects.push_back(std::string(kRegions[i]) + "=127.0.0.1:" + std::to_string(listeners.port(i)));
  }
  std::vector<const char*> connect_to;
  for (const std::string& r : redirects) connect_to.push_back(r.c_str());
  edgeroute_options o;
  edgeroute_options_init(&o);
  o.allow = "eu";
  o.catalog_file = catalog_.c_str();
  o.connect_to = connect_to.data();
  o.connect_to_count = connect_to.size();
  o.deadline_ms = 3000;
  o.max_attempts = 4;
  edgeroute_runtime* rt = nullptr;
  char message[256] = "";
  ASSERT_EQ(edgeroute_runtime_create(&o, &rt, message, sizeof message), EDGEROUTE_OK) << message;
  // A new runtime's first probe round is due at once: 0 ms, not an overflowed wait.
  EXPECT_EQ(edgeroute_next_poll_ms(rt), 0);
  for (const char* id : {"us.m", "m"}) {  // a US profile, and the base model (in-region only in us-east-1)
    edgeroute_result* r = nullptr;
    ASSERT_EQ(edgeroute_converse(rt, id, "Hello", nullptr, 0, &r), EDGEROUTE_ERR_CALL) << id;
    ASSERT_NE(r, nullptr);
    const std::string region = edgeroute_result_source_region(r);
    EXPECT_TRUE(region == "eu-central-1" || region == "eu-west-1") << id << ": " << region;
    EXPECT_EQ(std::string(edgeroute_result_identifier(r)), "eu.m");
    // Every attempt failed (the listeners close at once), each in the EU.
    const std::string path = edgeroute_result_path(r);
    std::vector<std::string> steps;
    for (std::size_t at = 0, end = 0; at < path.size(); at = end + 2) {
      end = std::min(path.find(", ", at), path.size());
      steps.push_back(path.substr(at, end - at));
    }
    ASSERT_EQ(steps.size(), edgeroute_result_attempts(r)) << id << ": " << path;
    EXPECT_FALSE(steps.empty()) << id;
    for (const std::string& step : steps) {
      EXPECT_TRUE(step.rfind("eu-central-1 ", 0) == 0 || step.rfind("eu-west-1 ", 0) == 0) << id << ": " << path;
      EXPECT_EQ(step.find("success"), std::string::npos) << id << ": " << path;
    }
    edgeroute_result_free(r);
  }
  edgeroute_runtime_destroy(rt);
  // The listeners saw the EU attempts (so they can see connections at all), and
  // nothing for a US region.
  EXPECT_GT(listeners.count(0) + listeners.count(1), 0);
  EXPECT_EQ(listeners.count(2), 0);
  EXPECT_EQ(listeners.count(3), 0);
}

TEST_F(CApiResidencyTest, TheCatalogRefreshOptionsReachTheRuntimeAndAFailedRefreshIsReported) {
  edgeroute_options o;
  edgeroute_options_init(&o);
  o.allow = "eu";
  o.catalog_file = catalog_.c_str();
  edgeroute_runtime* rt = nullptr;
  char message[256] = "";
  o.catalog_refresh_interval_s = 30;
  EXPECT_EQ(edgeroute_runtime_create(&o, &rt, message, sizeof message), EDGEROUTE_ERR_INVALID_ARGUMENT);
  EXPECT_NE(std::string(message).find("catalog_refresh_interval_s 30"), std::string::npos) << message;
  // The control plane of both EU sources is a listener that accepts and closes.
  Listeners listeners;
  ASSERT_TRUE(listeners.ok());
  const std::string redirects[] = {"eu-central-1=127.0.0.1:" + std::to_string(listeners.port(0)),
                                   "eu-west-1=127.0.0.1:" + std::to_string(listeners.port(1))};
  const char* connect_to[] = {redirects[0].c_str(), redirects[1].c_str()};
  o.connect_to = connect_to;
  o.connect_to_count = 2;
  o.catalog_refresh_interval_s = 3600;
  o.refresh_catalog_at_start = 1;
  ASSERT_EQ(edgeroute_runtime_create(&o, &rt, message, sizeof message), EDGEROUTE_OK) << message;
  EXPECT_EQ(edgeroute_catalog_refresh_report(rt, message, sizeof message), 0);
  EXPECT_EQ(std::string(message).rfind("catalog refresh: eu-central-1: ListInferenceProfiles: ", 0), 0u) << message;
  EXPECT_NE(std::string(message).find("; routing on the catalog as loaded"), std::string::npos) << message;
  EXPECT_EQ(std::string(message).find("wJalr"), std::string::npos);
  EXPECT_GT(listeners.count(0), 0);
  edgeroute_runtime_destroy(rt);
  o.refresh_catalog_at_start = 0;
  o.catalog_refresh_interval_s = 0;
  ASSERT_EQ(edgeroute_runtime_create(&o, &rt, message, sizeof message), EDGEROUTE_OK) << message;
  EXPECT_EQ(edgeroute_catalog_refresh_report(rt, message, sizeof message), -1);
  EXPECT_STREQ(message, "");
  edgeroute_runtime_destroy(rt);
}

}  // namespace
