#include "edgeroute/ascii.h"

#include <gtest/gtest.h>

namespace edgeroute {
namespace {

// Header names fold A-Z only; the same answers at compile time and at run time.
static_assert(iequals("X-Amz-Date", "x-amz-date"), "A-Z fold");
static_assert(!iequals("x-amz-date", "x-amz-dat"), "lengths differ");
static_assert(istarts_with("HTTPS://gw", "https://"), "scheme prefix");
static_assert(icompare("Host", "host") == 0, "same lowercase form");

TEST(Ascii, FoldsOnlyAsciiLetters) {
  EXPECT_TRUE(iequals("Content-Type", "content-type"));
  EXPECT_FALSE(iequals("content-type", "content_type"));
  // '@' (0x40) and '[' (0x5B) sit next to A and Z: not letters, never folded.
  EXPECT_FALSE(iequals("@", "`"));
  EXPECT_FALSE(iequals("[", "{"));
  // UTF-8 bytes compare as themselves: "\xC3\x84" (A umlaut) is not "\xC3\xA4".
  EXPECT_FALSE(iequals("\xC3\x84", "\xC3\xA4"));
  EXPECT_FALSE(istarts_with("http", "https://"));
  EXPECT_TRUE(istarts_with("Http://h", "http://"));
}

TEST(Ascii, ComparesAsLowercaseFormsWouldSort) {
  // SigV4 sorts header names by their lowercase form: '_' (0x5F) sorts after
  // 'A'..'Z' but before 'a'..'z', so folding must come before comparing.
  EXPECT_GT(icompare("B", "_a"), 0);  // "b" > "_a", though 'B' < '_'
  EXPECT_LT(icompare("_a", "B"), 0);
  EXPECT_LT(icompare("Host", "host2"), 0);
  EXPECT_GT(icompare("\xFF", "a"), 0);  // unsigned bytes
}

}  // namespace
}  // namespace edgeroute
