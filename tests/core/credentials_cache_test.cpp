// The caching provider: refresh windows, jitter, single flight, failures and
// backoff, the expiry error, zero heap per warm call, and the profile provider's
// re-read-on-change. Time is the utc_now_ms each test passes in. All keys are fake.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <fcntl.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "alloc_counter.h"
#include "edgeroute/credentials.h"
#include "edgeroute/credentials_cache.h"

namespace edgeroute {
namespace {

constexpr char kSecret[] = "cAcHeTeStSeCrEt/K7MDENG+bPxRfiCYzzzz01";
constexpr char kToken[] = "FwoGZXIvYXdzCACHEsessionTOKENvalue0123456789";
constexpr std::int64_t kT0 = 1700000000000;
constexpr std::int64_t kMinute = 60 * 1000;

// A source that hands out numbered keys valid for lifetime_ms, or fails on demand.
class FakeSource final : public CredentialsProvider {
 public:
  Status get(std::int64_t utc_now_ms, AwsCredentials* out) const override {
    const int n = ++calls;
    if (delay_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    if (failing.load()) return Status::error(Code::kUnavailable, "fake: endpoint down");
    char key[32];
    std::snprintf(key, sizeof key, "ASIAFAKEKEY%09d", n);
    *out = AwsCredentials::sigv4_keys(key, kSecret, kToken, lifetime_ms == 0 ? 0 : utc_now_ms + lifetime_ms);
    out->set_source("fake");
    return Status();
  }
  mutable std::atomic<int> calls{0};
  std::atomic<bool> failing{false};
  std::int64_t lifetime_ms = 60 * kMinute;
  int delay_ms = 0;
};

CredentialsCacheOptions no_jitter() {
  CredentialsCacheOptions o;
  o.refresh_jitter_ms = 0;
  o.seed = 1;
  return o;
}

bool leaks(const Status& s) {
  const std::string m = s.message();
  return m.find(kSecret) != std::string::npos || m.find(kToken) != std::string::npos;
}

TEST(CredentialsCache, FetchesOnceThenServesFromTheCacheUntilTheAdvisoryWindow) {
  FakeSource source;  // 60-minute credentials; botocore's windows: 15 and 10 minutes
  CachingCredentialsProvider cache(source, no_jitter());
  ASSERT_TRUE(cache.prime(kT0).ok());
  AwsCredentials c;
  for (std::int64_t t = kT0; t < kT0 + 45 * kMinute; t += kMinute) ASSERT_TRUE(cache.get(t, &c).ok());
  EXPECT_EQ(source.calls.load(), 1);
  EXPECT_EQ(std::string(c.access_key_id()), "ASIAFAKEKEY000000001");
  EXPECT_STREQ(c.source(), "fake");
  ASSERT_TRUE(cache.get(kT0 + 45 * kMinute, &c).ok());  // 15 minutes left: advisory
  EXPECT_EQ(source.calls.load(), 2);
  EXPECT_EQ(std::string(c.access_key_id()), "ASIAFAKEKEY000000002");
  EXPECT_EQ(cache.state().refreshes, 2u);
}

TEST(CredentialsCache, ShortLivedCredentialsShrinkTheWindowsToTheirLifetime) {
  FakeSource source;
  source.lifetime_ms = 15 * kMinute;  // AWS IoT's shortest role-alias duration
  CachingCredentialsProvider cache(source, no_jitter());
  ASSERT_TRUE(cache.prime(kT0).ok());
  AwsCredentials c;
  // Unshrunk, the 15-minute advisory window would refresh on every call.
  ASSERT_TRUE(cache.get(kT0 + kMinute, &c).ok());
  ASSERT_TRUE(cache.get(kT0 + 7 * kMinute, &c).ok());
  EXPECT_EQ(source.calls.load(), 1);
  ASSERT_TRUE(cache.get(kT0 + 7 * kMinute + 30 * 1000, &c).ok());  // half the lifetime left
  EXPECT_EQ(source.calls.load(), 2);
}

TEST(CredentialsCache, JitterMovesTheRefreshEarlierWithinItsBound) {
  std::int64_t earliest = kT0 + 60 * kMinute, latest = 0;
  for (std::uint64_t seed = 1; seed <= 200; ++seed) {
    FakeSource source;
    CredentialsCacheOptions o;
    o.refresh_jitter_ms = 2 * kMinute;
    o.seed = seed;
    CachingCredentialsProvider cache(source, o);
    ASSERT_TRUE(cache.prime(kT0).ok());
    const std::int64_t at = cache.state().next_refresh_utc_ms;
    ASSERT_LE(at, kT0 + 45 * kMinute);
    ASSERT_GE(at, kT0 + 43 * kMinute);
    earliest = std::min(earliest, at);
    latest = std::max(latest, at);
  }
  // Spread out, not one second for the whole fleet.
  EXPECT_GT(latest - earliest, kMinute);
}

TEST(CredentialsCache, OneRefreshAtATimeHoweverManyThreadsCall) {
  FakeSource source;
  CachingCredentialsProvider cache(source, no_jitter());
  ASSERT_TRUE(cache.prime(kT0).ok());
  source.delay_ms = 200;
  // Inside the mandatory window: every caller wants a refresh and waits for it.
  const std::int64_t now = kT0 + 55 * kMinute;
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 16; ++i) {
    threads.emplace_back([&] {
      AwsCredentials c;
      if (!cache.get(now, &c).ok() || std::string(c.access_key_id()) != "ASIAFAKEKEY000000002") ++failures;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(source.calls.load(), 2);
  EXPECT_EQ(failures.load(), 0);
}

TEST(CredentialsCache, AdvisoryCallersDoNotWaitForARefreshInFlight) {
  FakeSource source;
  CachingCredentialsProvider cache(source, no_jitter());
  ASSERT_TRUE(cache.prime(kT0).ok());
  source.delay_ms = 500;
  const std::int64_t now = kT0 + 46 * kMinute;  // advisory, not mandatory
  std::thread refresher([&] {
    AwsCredentials c;
    EXPECT_TRUE(cache.get(now, &c).ok());
  });
  while (source.calls.load() < 2) std::this_thread::yield();
  const auto start = std::chrono::steady_clock::now();
  AwsCredentials c;
  ASSERT_TRUE(cache.get(now, &c).ok());
  const auto waited = std::chrono::steady_clock::now() - start;
  refresher.join();
  EXPECT_EQ(std::string(c.access_key_id()), "ASIAFAKEKEY000000001");  // the cached set, at once
  EXPECT_LT(waited, std::chrono::milliseconds(250));
}

TEST(CredentialsCache, AFailedRefreshKeepsServingWithBackoffThenFailsOnceExpired) {
  FakeSource source;
  CredentialsCacheOptions o = no_jitter();
  o.retry_initial_ms = 1000;
  o.retry_max_ms = 8000;
  CachingCredentialsProvider cache(source, o);
  ASSERT_TRUE(cache.prime(kT0).ok());
  source.failing = true;
  AwsCredentials c;
  std::int64_t t = kT0 + 50 * kMinute;  // inside the mandatory window
  ASSERT_TRUE(cache.get(t, &c).ok());
  EXPECT_EQ(source.calls.load(), 2);
  EXPECT_EQ(std::string(c.access_key_id()), "ASIAFAKEKEY000000001");
  // Backoff: no new attempt for 1 s, then 2 s, then 4 s.
  ASSERT_TRUE(cache.get(t + 999, &c).ok());
  EXPECT_EQ(source.calls.load(), 2);
  ASSERT_TRUE(cache.get(t + 1000, &c).ok());
  EXPECT_EQ(source.calls.load(), 3);
  ASSERT_TRUE(cache.get(t + 2999, &c).ok());
  EXPECT_EQ(source.calls.load(), 3);
  ASSERT_TRUE(cache.get(t + 3000, &c).ok());
  EXPECT_EQ(source.calls.load(), 4);
  EXPECT_EQ(cache.state().failures, 3u);
  // Expired: one line naming the source and the last error, no secret.
  const Status s = cache.get(kT0 + 60 * kMinute + 5000, &c);
  ASSERT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(std::string(s.message()).find("credentials from fake expired"), std::string::npos) << s.message();
  EXPECT_NE(std::string(s.message()).find("endpoint down"), std::string::npos) << s.message();
  EXPECT_EQ(std::string(s.message()).find('\n'), std::string::npos);
  EXPECT_FALSE(leaks(s));
  // The source comes back: the next attempt after the backoff recovers.
  source.failing = false;
  ASSERT_TRUE(cache.get(kT0 + 62 * kMinute, &c).ok());
  EXPECT_EQ(std::string(c.access_key_id()).substr(0, 11), "ASIAFAKEKEY");
}

TEST(CredentialsCache, NothingFetchedYetGivesTheSourceError) {
  FakeSource source;
  source.failing = true;
  CachingCredentialsProvider cache(source, no_jitter());
  EXPECT_FALSE(cache.prime(kT0).ok());
  AwsCredentials c;
  const Status s = cache.get(kT0 + 10, &c);  // within the backoff: no new attempt
  EXPECT_EQ(source.calls.load(), 1);
  ASSERT_FALSE(s.ok());
  EXPECT_NE(std::string(s.message()).find("endpoint down"), std::string::npos);
}

TEST(CredentialsCache, StaticCredentialsAreRecheckedOnlyAfterTheirInterval) {
  FakeSource source;
  source.lifetime_ms = 0;  // no expiry
  CredentialsCacheOptions o = no_jitter();
  o.static_recheck_ms = 5 * kMinute;
  CachingCredentialsProvider cache(source, o);
  ASSERT_TRUE(cache.prime(kT0).ok());
  AwsCredentials c;
  ASSERT_TRUE(cache.get(kT0 + 5 * kMinute - 1, &c).ok());
  EXPECT_EQ(source.calls.load(), 1);
  ASSERT_TRUE(cache.get(kT0 + 5 * kMinute, &c).ok());
  EXPECT_EQ(source.calls.load(), 2);
}

TEST(CredentialsCache, StateShowsTheKeyTailAndExpiryButNoSecret) {
  FakeSource source;
  CachingCredentialsProvider cache(source, no_jitter());
  ASSERT_TRUE(cache.prime(kT0).ok());
  const CredentialsCacheState st = cache.state();
  EXPECT_STREQ(st.access_key_id_tail, "0001");
  EXPECT_STREQ(st.source, "fake");
  EXPECT_EQ(st.expiration_utc_ms, kT0 + 60 * kMinute);
}

TEST(CredentialsCache, AWarmGetAllocatesNothing) {
  FakeSource source;
  CachingCredentialsProvider cache(source, no_jitter());
  ASSERT_TRUE(cache.prime(kT0).ok());
  AwsCredentials c;
  ASSERT_TRUE(cache.get(kT0, &c).ok());
  c.clear();  // what the client does after each call: the capacity stays
  testing::AllocationScope scope;
  for (int i = 0; i < 100; ++i) {
    Status s = cache.get(kT0 + i, &c);
    if (!s.ok()) break;
    c.clear();
  }
  EXPECT_EQ(scope.allocations(), 0u);
  EXPECT_EQ(source.calls.load(), 1);
}

class ProfileFiles : public ::testing::Test {
 protected:
  class MapEnvironment final : public Environment {
   public:
    const char* get(const char* name) const override {
      const auto it = vars.find(name);
      return it == vars.end() ? nullptr : it->second.c_str();
    }
    std::map<std::string, std::string> vars;
  };
  void SetUp() override {
    char dir[] = "/tmp/edgeroute-cache-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    env_.vars["HOME"] = dir_;
    std::filesystem::create_directories(dir_ + "/.aws");
    path_ = dir_ + "/.aws/credentials";
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  void write(const std::string& key) {
    std::ofstream(path_, std::ios::binary) << "[default]\naws_access_key_id = " << key
                                           << "\naws_secret_access_key = " << kSecret << "\n";
  }
  std::string dir_, path_;
  MapEnvironment env_;
};

// Overwritten in place with the same size, inode and modification time, the file
// is not read again: proof that an unchanged file costs no read.
TEST_F(ProfileFiles, AnUnchangedFileIsNotReadAgainAndAChangedOneIs) {
  write("AKIDFIRSTKEY00000001");
  struct stat before;
  ASSERT_EQ(stat(path_.c_str(), &before), 0);
  const ProfileCredentialsProvider provider(env_);
  AwsCredentials c;
  ASSERT_TRUE(provider.get(kT0, &c).ok());
  EXPECT_STREQ(c.source(), "shared credentials file");
  write("AKIDOTHERKEY00000002");  // same length
  struct timespec times[2] = {before.st_atim, before.st_mtim};
  ASSERT_EQ(utimensat(AT_FDCWD, path_.c_str(), times, 0), 0);
  ASSERT_TRUE(provider.get(kT0, &c).ok());
  EXPECT_EQ(std::string(c.access_key_id()), "AKIDFIRSTKEY00000001");
  // A new modification time: read again.
  struct timespec later[2] = {before.st_atim, {before.st_mtim.tv_sec + 10, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path_.c_str(), later, 0), 0);
  ASSERT_TRUE(provider.get(kT0, &c).ok());
  EXPECT_EQ(std::string(c.access_key_id()), "AKIDOTHERKEY00000002");
}

}  // namespace
}  // namespace edgeroute
