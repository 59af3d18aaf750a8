#include "edgeroute/status.h"

#include <gtest/gtest.h>

#include <cstring>
#include <string>

namespace edgeroute {
namespace {

TEST(Status, DefaultIsOkWithEmptyMessage) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Code::kOk);
  EXPECT_STREQ(s.message(), "");
}

TEST(Status, ErrorCarriesCodeMessageAndBackendCode) {
  Status s = Status::error_with_backend(Code::kIo, 2, "cannot open %s", "ctx.json");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kIo);
  EXPECT_STREQ(s.message(), "cannot open ctx.json");
  EXPECT_EQ(s.backend_code(), 2);
}

TEST(Status, ErrorWithOkCodeBecomesInternal) {
  Status s = Status::error(Code::kOk, "x");
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(s.code(), Code::kInternal);
}

TEST(Status, LongMessageIsCutWithEllipsisInsideTheBuffer) {
  std::string long_text(limits::kStatusMessageBytes * 2, 'a');
  Status s = Status::error(Code::kInvalidArgument, "%s", long_text.c_str());
  size_t len = std::strlen(s.message());
  EXPECT_LT(len, limits::kStatusMessageBytes);
  EXPECT_EQ(std::string(s.message()).substr(len - 3), "...");
}

TEST(Status, CutNeverSplitsAUtf8Sequence) {
  // Two-byte characters, so some cut point falls inside a sequence.
  std::string text;
  while (text.size() < limits::kStatusMessageBytes * 2) text += "\xC3\xA9";
  for (size_t prefix = 0; prefix < 2; ++prefix) {
    Status s = Status::error(Code::kInvalidArgument, "%s%s", prefix ? "x" : "", text.c_str());
    std::string m = s.message();
    std::string body = m.substr(prefix, m.size() - prefix - 3);
    ASSERT_EQ(body.size() % 2, 0u) << "cut inside a UTF-8 sequence";
  }
}

TEST(Status, MessageIsAlwaysOneLine) {
  Status s = Status::error(Code::kParseError, "line one\nline two\r");
  EXPECT_EQ(std::strchr(s.message(), '\n'), nullptr);
  EXPECT_EQ(std::strchr(s.message(), '\r'), nullptr);
}

TEST(Status, EveryCodeHasADistinctName) {
  const Code all[] = {Code::kOk, Code::kInvalidArgument, Code::kBufferTooSmall, Code::kLimitExceeded,
                      Code::kParseError, Code::kChecksumMismatch, Code::kNotFound,
                      Code::kPermissionDenied, Code::kCrypto, Code::kIo, Code::kTimeout,
                      Code::kUnavailable, Code::kThrottled, Code::kInternal};
  for (Code a : all) {
    EXPECT_STRNE(to_string(a), "unknown");
    for (Code b : all) {
      if (a != b) {
        EXPECT_STRNE(to_string(a), to_string(b));
      }
    }
  }
}

}  // namespace
}  // namespace edgeroute
