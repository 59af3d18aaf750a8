// Server text made safe (bedrock.h): the replacement rules, the cut of a long
// line at a character boundary, and a "\u0000" escape in a Converse answer.
#include <gtest/gtest.h>

#include <string>
#include <utility>

#include "edgeroute/bedrock.h"

namespace edgeroute {
namespace bedrock {
namespace {

constexpr char kFffd[] = "\xEF\xBF\xBD";

std::string safe(const std::string& in) {
  std::string out;
  append_safe_text(&out, in);
  return out;
}

TEST(SafeText, KeepsTextTabsNewlinesAndWellFormedUtf8) {
  const std::string text = "caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\tline\r\nnext\n";
  EXPECT_TRUE(is_safe_text(text));
  EXPECT_EQ(safe(text), text);
}

TEST(SafeText, ReplacesControlsDelAndC1) {
  EXPECT_EQ(safe("a\x1b[2Jb\x07" "c\x7f" "d"), std::string("a") + kFffd + "[2Jb" + kFffd + "c" + kFffd + "d");
  EXPECT_EQ(safe(std::string("x\0y", 3)), std::string("x") + kFffd + "y");
  EXPECT_EQ(safe("\xC2\x9B" "1m"), std::string(kFffd) + "1m");  // C1 CSI
  EXPECT_EQ(safe("a\rb"), std::string("a") + kFffd + "b");       // a lone CR rewrites a line
  EXPECT_FALSE(is_safe_text("a\x1b"));
}

TEST(SafeText, ReplacesEachMaximalIllFormedPart) {
  EXPECT_EQ(safe("\xFF\xFE"), std::string(kFffd) + kFffd);
  EXPECT_EQ(safe("\xE2\x82" "x"), std::string(kFffd) + "x");     // a cut sequence: one
  EXPECT_EQ(safe("\xED\xA0\x80"), std::string(kFffd) + kFffd + kFffd);  // a surrogate
  EXPECT_EQ(safe("\xC0\xAF"), std::string(kFffd) + kFffd);       // overlong '/'
  EXPECT_EQ(safe("\xF4\x90\x80\x80"), std::string(kFffd) + kFffd + kFffd + kFffd);  // > U+10FFFF
  EXPECT_EQ(safe("end\xC3"), std::string("end") + kFffd);
}

TEST(SafeText, ValidUtf8KeepsControlsForJson) {
  std::string out;
  append_valid_utf8(&out, "a\x1b\xFF");
  EXPECT_EQ(out, std::string("a\x1b") + kFffd);
}

TEST(SafeLine, OneLineAndShortTextUnchanged) {
  std::string out;
  assign_safe_line(&out, "Too many requests", 100);
  EXPECT_EQ(out, "Too many requests");
  assign_safe_line(&out, "two\r\nlines\tand\x1b", 100);
  EXPECT_EQ(out, std::string("two  lines and") + kFffd);
}

TEST(SafeLine, CutsAtACharacterBoundaryAndSaysHowMuch) {
  // 300 two-byte characters: a cut inside one would leave half a character.
  std::string text;
  for (int i = 0; i < 300; ++i) text += "\xC3\xA9";
  std::string out;
  assign_safe_line(&out, text, 100);
  EXPECT_LE(out.size(), 100u);
  const std::size_t note = out.find(" ... [");
  ASSERT_NE(note, std::string::npos) << out;
  EXPECT_EQ(note % 2, 0u) << "cut inside a character";
  EXPECT_EQ(out.substr(note), " ... [" + std::to_string(text.size() - note) + " bytes cut]");
}

TEST(SafeLine, ReplacementsCountTowardsTheLimit) {
  std::string out;
  assign_safe_line(&out, std::string(200, '\x07'), 100);
  EXPECT_LE(out.size(), 100u);
  EXPECT_NE(out.find("bytes cut]"), std::string::npos);
}

TEST(SafeText, AnEscapedNulInAConverseAnswerDoesNotEndTheText) {
  ConverseResponse out;
  const std::string body =
      R"({"output":{"message":{"content":[{"text":"a\u0000b \\u0000 c"}]}},"stopReason":"end_turn"})";
  ASSERT_TRUE(parse_converse_response(body, &out).ok());
  // The escaped backslash before "u0000" is text, not an escape.
  EXPECT_EQ(out.text, std::string("a") + kFffd + "b \\u0000 c");
}

TEST(SafeText, ErrorBodyMessagesKeepTheirEscapedNul) {
  std::string message;
  EXPECT_EQ(error_type_from_body(R"({"__type":"ValidationException","message":"x\u0000y"})", &message),
            "ValidationException");
  EXPECT_EQ(message, std::string("x") + kFffd + "y");
}

// RFC 4648 section 10's test vectors, both ways; every byte value survives a
// round trip; malformed text is refused.
TEST(Base64, Rfc4648VectorsBothWays) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},         {"f", "Zg=="},       {"fo", "Zm8="},
                                                         {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
                                                         {"foobar", "Zm9vYmFy"}};
  for (const auto& v : vectors) {
    std::string encoded = "prefix:";
    append_base64(v.first, &encoded);
    EXPECT_EQ(encoded, std::string("prefix:") + v.second) << v.first;
    std::string decoded;
    ASSERT_TRUE(base64_decode(v.second, &decoded)) << v.second;
    EXPECT_EQ(decoded, v.first);
  }
  std::string all;
  for (int b = 0; b < 256; ++b) all.push_back(static_cast<char>(b));
  std::string encoded, decoded;
  append_base64(all, &encoded);
  ASSERT_TRUE(base64_decode(encoded, &decoded));
  EXPECT_EQ(decoded, all);
  for (const char* bad : {"Zg=", "Z===", "Zg==Zg==", "Zm9v!A==", "Zm=v"}) {
    EXPECT_FALSE(base64_decode(bad, &decoded)) << bad;
  }
}

}  // namespace
}  // namespace bedrock
}  // namespace edgeroute
