#include "edgeroute/civil_date.h"

#include <gtest/gtest.h>

namespace edgeroute {
namespace {

static_assert(days_from_civil(1970, 1, 1) == 0, "the epoch");
static_assert(days_from_civil(2000, 3, 1) == 11017, "after a leap day of a year divisible by 400");
static_assert(civil_from_days(-1).year == 1969 && civil_from_days(-1).month == 12 && civil_from_days(-1).day == 31,
              "before the epoch");

TEST(CivilDate, KnownDaysBothWays) {
  struct Known {
    std::int64_t days;
    std::int64_t year;
    unsigned month, day;
  };
  // 2024-02-29 (leap day), 1900-03-01 (1900 is not a leap year), 9999-12-31
  // (the last day a SigV4 date can name), 0000-03-01.
  const Known known[] = {{19782, 2024, 2, 29}, {-25508, 1900, 3, 1}, {2932896, 9999, 12, 31}, {-719468, 0, 3, 1}};
  for (const Known& k : known) {
    EXPECT_EQ(days_from_civil(k.year, k.month, k.day), k.days) << k.year << "-" << k.month << "-" << k.day;
    const CivilDate d = civil_from_days(k.days);
    EXPECT_EQ(d.year, k.year);
    EXPECT_EQ(d.month, k.month);
    EXPECT_EQ(d.day, k.day);
  }
}

TEST(CivilDate, RoundTripsEveryDayOfFourCenturies) {
  // 1900-01-01 .. 2299-12-31 covers every leap-year rule.
  const std::int64_t first = days_from_civil(1900, 1, 1), last = days_from_civil(2299, 12, 31);
  unsigned previous_day = 0;
  for (std::int64_t n = first; n <= last; ++n) {
    const CivilDate d = civil_from_days(n);
    ASSERT_EQ(days_from_civil(d.year, d.month, d.day), n);
    ASSERT_GE(d.month, 1u);
    ASSERT_LE(d.month, 12u);
    // Consecutive days: the day number goes up by one or starts a new month at 1.
    if (n > first) {
      ASSERT_TRUE(d.day == previous_day + 1 || d.day == 1) << n;
    }
    previous_day = d.day;
  }
}

}  // namespace
}  // namespace edgeroute
