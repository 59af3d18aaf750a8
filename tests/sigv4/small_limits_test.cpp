// The signer built with the smallest limits config.h allows (as a memory-tight
// firmware build would set them): every table stops at its configured size with
// a limit error, and requests within the limits still sign correctly.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/sigv4.h"

static_assert(edgeroute::limits::kSigv4MaxHeaders == 4, "built with EDGEROUTE_SIGV4_MAX_HEADERS=4");
static_assert(edgeroute::limits::kSigv4MaxQueryParams == 8, "built with ..._MAX_QUERY_PARAMS=8");
static_assert(edgeroute::limits::kSigv4MaxPathSegments == 3, "built with ..._MAX_PATH_SEGMENTS=3");
static_assert(edgeroute::limits::kSigv4KeyCacheSlots == 1, "built with ..._KEY_CACHE_SLOTS=1");

namespace edgeroute {
namespace {

struct Input {
  std::vector<sigv4::Header> headers{{"host", "bedrock-runtime.us-east-1.amazonaws.com"}};
  sigv4::Request request;
  sigv4::Options options;
  sigv4::Credentials credentials{"AKIDEXAMPLE", "secret", ""};
  Input() {
    request.method = "POST";
    request.path = "/model/m/converse";
    options.region = "us-east-1";
    options.service = "bedrock";
    options.time_unix_s = 1700000000;
  }
  Status sign(std::string* signature = nullptr) {
    request.headers = headers.data();
    request.header_count = headers.size();
    sigv4::Signer signer(mbedtls_crypto());
    std::vector<char> buf(8192);
    sigv4::SignedRequest out;
    Status s = signer.sign(request, options, credentials, buf.data(), buf.size(), &out);
    if (signature != nullptr) *signature = std::string(out.signature);
    return s;
  }
};

TEST(SmallLimits, Headers) {
  Input in;  // one header of the caller's plus up to three that signing adds
  EXPECT_TRUE(in.sign().ok());
  in.headers.push_back({"x-a", "1"});
  const Status s = in.sign();
  EXPECT_EQ(s.code(), Code::kLimitExceeded) << s.message();
  EXPECT_NE(std::string(s.message()).find("more than 1 headers"), std::string::npos) << s.message();
}

TEST(SmallLimits, QueryParameters) {
  Input in;
  in.request.query = "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8";
  EXPECT_TRUE(in.sign().ok());
  in.request.query = "a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9";
  EXPECT_EQ(in.sign().code(), Code::kLimitExceeded);
  // Query signing needs seven slots of its own.
  in.options.mode = sigv4::Mode::kQuery;
  in.request.query = "a=1";
  EXPECT_TRUE(in.sign().ok());
  in.request.query = "a=1&b=2";
  EXPECT_EQ(in.sign().code(), Code::kLimitExceeded);
}

TEST(SmallLimits, PathSegments) {
  Input in;
  in.request.path = "/model/m/converse";
  std::string direct;
  ASSERT_TRUE(in.sign(&direct).ok());
  // Segments are counted after normalization.
  in.request.path = "/model/x/../m/./converse";
  std::string normalized;
  ASSERT_TRUE(in.sign(&normalized).ok());
  EXPECT_EQ(normalized, direct);
  in.request.path = "/a/model/m/converse";
  const Status s = in.sign();
  EXPECT_EQ(s.code(), Code::kLimitExceeded);
  EXPECT_STREQ(s.message(), "sigv4: path has more than 3 segments");
}

}  // namespace
}  // namespace edgeroute
