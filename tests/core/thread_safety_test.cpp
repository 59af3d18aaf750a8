// The shared objects that claim thread-safety (RetryBudget, FailoverMonitor, and a
// Router shared by RoutedCalls on several threads), hammered from several threads
// at once. Each test checks an invariant that a lost update would break; the tsan
// configuration of scripts/test runs them under ThreadSanitizer as well.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "edgeroute/catalog.h"
#include "edgeroute/failover.h"
#include "edgeroute/health.h"
#include "edgeroute/policy.h"
#include "edgeroute/random.h"
#include "edgeroute/router.h"
#include "rtt_prober.h"

namespace edgeroute {
namespace {

constexpr int kThreads = 4;

TEST(RetryBudgetThreads, ConcurrentRetriesNeverSpendMoreThanTheCapacity) {
  RetryBudget budget;  // 500 tokens, 5 per retry: exactly 100 retries
  std::atomic<std::uint32_t> granted{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (budget.try_acquire_retry(false) > 0) ++granted;
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(granted.load(), budget.capacity() / 5);
  EXPECT_EQ(budget.available(), 0u);
}

TEST(RetryBudgetThreads, RefundsFromManyThreadsRestoreTheCapacityExactly) {
  RetryBudget budget;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const std::uint32_t cost = budget.try_acquire_retry((i + t) % 3 == 0);
        if (cost > 0) budget.on_success(cost);
        EXPECT_LE(budget.available(), budget.capacity());
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(budget.available(), budget.capacity());
}

std::atomic<int> g_raised_alerts{0};

void count_raised(const Alert& alert, void*) {
  if (alert.raised) ++g_raised_alerts;
}

TEST(FailoverMonitorThreads, EveryCallIsCountedAndTheAlertRaisesOnce) {
  g_raised_alerts = 0;
  FailoverMonitor monitor(AlertOptions(), count_raised);
  constexpr int kCalls = 1000;
  const std::int64_t now_ns = 5LL * 1000 * 1000 * 1000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      // Every other call failed over: far above the 20 % alert threshold.
      for (int i = 0; i < kCalls; ++i) monitor.record(true, i % 2 == 0, i % 2 != 0, now_ns);
    });
  }
  for (std::thread& th : threads) th.join();
  const FailoverMonitor::Window w = monitor.window(now_ns);
  EXPECT_EQ(w.calls, static_cast<std::uint32_t>(kThreads * kCalls));
  EXPECT_EQ(w.successes, static_cast<std::uint32_t>(kThreads * kCalls));
  EXPECT_EQ(w.failovers, static_cast<std::uint32_t>(kThreads * kCalls / 2));
  EXPECT_TRUE(monitor.raised(AlertKind::kFailoverRate));
  EXPECT_EQ(g_raised_alerts.load(), 2);  // failover rate and non-primary share, once each
}

constexpr const char* kWorld = R"({
  "region_sets": {"eu": ["eu-central-1", "eu-west-1", "eu-west-3"], "us": ["us-east-1"]},
  "profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu",
     "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"], "eu-west-3": ["eu"]}},
    {"id": "us.m", "model": "m", "geography": "us", "sources": {"us-east-1": ["us"]}}
  ],
  "in_region": []
})";

// RoutedCalls on several threads share one Router, RetryBudget and FailoverMonitor
// while another thread drives probes: every call ends, inside the policy, and is
// counted once.
TEST(RoutedCallThreads, CallsOnSeveralThreadsShareTheRouterBudgetAndMonitor) {
  constexpr std::int64_t kMs = 1000000;
  auto catalog = std::make_unique<Catalog>();
  ASSERT_TRUE(catalog->load_json(kWorld, "world.json", CatalogMerge::kReplace).ok());
  auto policy = std::make_unique<Policy>(*catalog);
  ASSERT_TRUE(policy->set_allow("eu").ok());
  auto router = std::make_unique<Router>();
  ASSERT_TRUE(router->init(*policy, RouterOptions()).ok());
  RetryBudget budget;
  AlertOptions alert_options;
  alert_options.window_ns = 3600LL * 1000 * kMs;  // an hour: every call of the test in one window
  FailoverMonitor monitor(alert_options);
  testing::RttProber prober;
  prober.set("eu-central-1", 20);
  prober.set("eu-west-1", 30);
  prober.set("eu-west-3", 45);
  prober.set("us-east-1", 1);

  constexpr int kCalls = 300;
  // One clock for every thread (the router's times never go backwards): each look
  // at it moves it 0.1 ms on, and a wait moves it to the time waited for.
  std::atomic<std::int64_t> clock_ns{0};
  const auto now = [&] { return clock_ns.fetch_add(kMs / 10) + kMs / 10; };
  const auto wait_until = [&](std::int64_t t) {
    std::int64_t c = clock_ns.load();
    while (c < t && !clock_ns.compare_exchange_weak(c, t)) {
    }
  };
  std::atomic<int> outside{0};
  std::atomic<int> unfinished{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Random rnd(static_cast<std::uint64_t>(t) + 1);
      for (int i = 0; i < kCalls; ++i) {
        RoutedCall call(*router, budget, "m", "", now() + 30000 * kMs);
        // At most max_attempts sends, and waits that each move the clock on: bounded.
        for (int step = 0; step < 50 && !call.done(); ++step) {
          const RoutedCall::Step s = call.next(now(), rnd.next_u64());
          if (s == RoutedCall::Step::kWait) {
            wait_until(call.wait_until_ns());
            continue;
          }
          if (s != RoutedCall::Step::kSend) break;
          if (!policy->check_route(call.route().identifier, call.route().source_region).ok()) ++outside;
          AttemptOutcome o;
          o.outcome = (i + t) % 7 == 0 ? OutcomeClass::kThrottle : OutcomeClass::kSuccess;
          call.complete(o, now());
        }
        if (!call.done()) ++unfinished;
        monitor.record(call, now());
      }
    });
  }
  for (int i = 0; i < 50; ++i) router->tick(now(), 1, prober);
  for (std::thread& th : threads) th.join();
  EXPECT_EQ(outside.load(), 0);
  EXPECT_EQ(unfinished.load(), 0);
  // Every call was recorded inside the monitor's window.
  ASSERT_LT(clock_ns.load(), 3000LL * 1000 * kMs);
  EXPECT_EQ(monitor.window(clock_ns.load()).calls, static_cast<std::uint32_t>(kThreads * kCalls));
  EXPECT_LE(budget.available(), budget.capacity());
}

}  // namespace
}  // namespace edgeroute
