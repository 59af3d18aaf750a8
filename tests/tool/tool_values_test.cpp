// The tool's value syntax (tool_values.h), which the flags and --config share.
#include "tool_values.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace edgeroute {
namespace tool {
namespace {

TEST(WholeNumber, DigitsOnlyWithinTheRange) {
  std::int64_t v = 0;
  ASSERT_TRUE(parse_whole_number("5", 1, 3600000, &v));
  EXPECT_EQ(v, 5);
  ASSERT_TRUE(parse_whole_number("3600000", 1, 3600000, &v));
  EXPECT_EQ(v, 3600000);
  for (const char* bad : {"", " 5", "5 ", "+5", "-5", "5ms", "0x10", "1e3", "5.0", "0", "3600001",
                          "99999999999999999999999"}) {
    v = 42;
    EXPECT_FALSE(parse_whole_number(bad, 1, 3600000, &v)) << "'" << bad << "'";
    EXPECT_EQ(v, 42) << "'" << bad << "' changed the output";
  }
}

TEST(WholeNumber, TheLargestValuesDoNotOverflow) {
  std::int64_t v = 0;
  EXPECT_TRUE(parse_whole_number("9223372036854775807", 0, INT64_MAX, &v));
  EXPECT_EQ(v, INT64_MAX);
  EXPECT_FALSE(parse_whole_number("9223372036854775808", 0, INT64_MAX, &v));
}

TEST(Decimal, PlainFractionsOnly) {
  double v = 0;
  ASSERT_TRUE(parse_decimal("0.25", &v));
  EXPECT_DOUBLE_EQ(v, 0.25);
  ASSERT_TRUE(parse_decimal("1", &v));
  EXPECT_DOUBLE_EQ(v, 1.0);
  for (const char* bad : {"", " 0.2", "+0.2", "-0.2", ".5", "5.", "1e-1", "0x1p-1", "inf", "nan", "0.2.3"}) {
    EXPECT_FALSE(parse_decimal(bad, &v)) << "'" << bad << "'";
  }
}

TEST(List, CommaSeparatedWithoutEmptyItems) {
  std::vector<std::string> items;
  ASSERT_TRUE(parse_list("eu,us-east-1", &items));
  EXPECT_EQ(items, (std::vector<std::string>{"eu", "us-east-1"}));
  ASSERT_TRUE(parse_list("eu", &items));
  EXPECT_EQ(items, (std::vector<std::string>{"eu"}));
  for (const char* bad : {"", ",", "eu,", ",eu", "eu,,us"}) {
    items = {"kept"};
    EXPECT_FALSE(parse_list(bad, &items)) << "'" << bad << "'";
    EXPECT_EQ(items, (std::vector<std::string>{"kept"}));
  }
}

}  // namespace
}  // namespace tool
}  // namespace edgeroute
