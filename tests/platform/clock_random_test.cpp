#include <set>

#include <gtest/gtest.h>

#include "edgeroute/clock.h"
#include "edgeroute/random.h"

namespace edgeroute {
namespace {

TEST(SystemClock, MonotonicNeverDecreasesAndUtcIsPlausible) {
  const Clock& c = system_clock();
  std::int64_t last = c.monotonic_ns();
  for (int i = 0; i < 1000; ++i) {
    const std::int64_t now = c.monotonic_ns();
    ASSERT_GE(now, last);
    last = now;
  }
  EXPECT_GT(c.utc_unix_ms(), 1577836800000);  // after 2020-01-01
}

TEST(ManualClock, MovesOnlyWhenTold) {
  ManualClock c(5, 1000);
  EXPECT_EQ(c.monotonic_ns(), 5);
  c.advance_ms(2);
  EXPECT_EQ(c.monotonic_ns(), 2000005);
  EXPECT_EQ(c.utc_unix_ms(), 1002);
  c.set_utc_unix_ms(7);  // a wall-clock jump does not move monotonic time
  EXPECT_EQ(c.monotonic_ns(), 2000005);
}

TEST(Random, SameSeedSameSequenceDifferentSeedDifferent) {
  Random a(42), b(42), c(43);
  for (int i = 0; i < 100; ++i) {
    const std::uint64_t x = a.next_u64();
    EXPECT_EQ(x, b.next_u64());
    EXPECT_NE(x, c.next_u64());
  }
}

TEST(Random, BoundedValuesStayInRangeAndCoverIt) {
  Random r(7);
  std::set<std::uint64_t> seen;
  for (int i = 0; i < 10000; ++i) {
    const std::uint64_t v = r.next_below(10);
    ASSERT_LT(v, 10u);
    seen.insert(v);
    const double u = r.next_unit();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
  }
  EXPECT_EQ(seen.size(), 10u);
}

TEST(Random, OsSeededGeneratorsDiffer) {
  Random a = Random::from_os(), b = Random::from_os();
  EXPECT_NE(a.next_u64(), b.next_u64());
}

}  // namespace
}  // namespace edgeroute
