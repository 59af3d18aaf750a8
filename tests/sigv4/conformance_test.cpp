// The AWS SigV4 test suite (aws-c-auth layout) and botocore's extra cases, run
// through the signer in both modes. Case folders are enumerated at run time, so
// a further copy of the suite runs with the same code (EDGEROUTE_TESTDATA_DIR).
#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/sigv4.h"
#include "signing_case.h"
#include "suite_util.h"

namespace edgeroute {
namespace {

using sigv4::Mode;
using testing::slurp;

// ctest runs this suite once more per SHA-256 backend, forced with
// EDGEROUTE_SHA256. When the CPU lacks the forced one, mbedtls_crypto() would
// quietly use another, so the whole run is skipped instead, saying why.
class ForcedSha256Backend : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* requested = std::getenv("EDGEROUTE_SHA256");
    const Sha256Selection s = sha256_selection();
    std::printf("[ sha256   ] %s%s\n", to_string(s.backend), s.forced ? " (EDGEROUTE_SHA256)" : "");
    if (requested != nullptr && requested[0] != '\0' && !s.forced) {
      GTEST_SKIP() << "sha256 backend unavailable: EDGEROUTE_SHA256=" << requested << ": " << s.note;
    }
  }
};
::testing::Environment* const forced_backend_env =
    ::testing::AddGlobalTestEnvironment(new ForcedSha256Backend);

std::string lower(std::string s) {
  for (char& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t");
  if (b == std::string::npos) return {};
  return s.substr(b, s.find_last_not_of(" \t") - b + 1);
}

// Headers as a multiset: lowercase name -> values in order.
using HeaderBag = std::multimap<std::string, std::string>;

HeaderBag header_bag(const tool::RequestText& r, bool trim_values) {
  HeaderBag bag;
  for (const auto& h : r.headers) {
    std::string v(h.value);
    bag.emplace(lower(std::string(h.name)), trim_values ? trim(v) : v);
  }
  return bag;
}

// Query parameters as a sorted list of decoded (key, value) pairs.
std::vector<std::pair<std::string, std::string>> query_set(std::string_view q) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!q.empty()) {
    const auto amp = q.find('&');
    const std::string pair(q.substr(0, amp));
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.empty()) continue;
    const auto eq = pair.find('=');
    out.emplace_back(testing::percent_decode(pair.substr(0, eq)),
                     eq == std::string::npos ? "" : testing::percent_decode(pair.substr(eq + 1)));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// The signing key by the four-HMAC chain, computed here independently of the
// signer's cache.
Digest32 signing_key(const tool::SigningContext& c, const std::string& date) {
  const Crypto& crypto = mbedtls_crypto();
  const std::string secret = "AWS4" + c.secret_access_key;
  Digest32 k;
  crypto.hmac_sha256(secret.data(), secret.size(), date.data(), date.size(), &k);
  crypto.hmac_sha256(k.bytes, 32, c.region.data(), c.region.size(), &k);
  crypto.hmac_sha256(k.bytes, 32, c.service.data(), c.service.size(), &k);
  crypto.hmac_sha256(k.bytes, 32, "aws4_request", 12, &k);
  return k;
}

std::string hex(const Digest32& d) {
  static const char* digits = "0123456789abcdef";
  std::string s;
  for (auto b : d.bytes) {
    s.push_back(digits[b >> 4]);
    s.push_back(digits[b & 15]);
  }
  return s;
}

// One signing run over a case's files.
struct Signed {
  tool::SigningContext context;
  tool::RequestText request;
  std::vector<char> buf;
  sigv4::SignedRequest out;
};

void sign_case(const std::string& dir, const std::string& request_file, Mode mode,
               const tool::SigningContext* fixed_context, Signed* s) {
  if (fixed_context == nullptr) {
    const Status st = tool::parse_context(slurp(dir + "/context.json"), &s->context);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  const tool::SigningContext& ctx = fixed_context != nullptr ? *fixed_context : s->context;
  const Status pst = tool::parse_request(slurp(dir + "/" + request_file), &s->request);
  ASSERT_TRUE(pst.ok()) << pst.message();
  const sigv4::Request req = s->request.request();
  const sigv4::Options opt = ctx.options(mode);
  s->buf.resize(sigv4::required_buffer_bytes(req, opt, ctx.credentials()));
  sigv4::Signer signer(mbedtls_crypto());
  const Status st = signer.sign(req, opt, ctx.credentials(), s->buf.data(), s->buf.size(), &s->out);
  ASSERT_TRUE(st.ok()) << st.message();
}

// ---------------------------------------------------------------------------
// aws-c-auth suite

class AwsSuite : public ::testing::TestWithParam<std::tuple<std::string, Mode>> {
 protected:
  std::string dir() const { return testing::testdata_dir() + "/sigv4/" + std::get<0>(GetParam()); }
  Mode mode() const { return std::get<1>(GetParam()); }
  std::string expected(const char* what) const {
    return slurp(dir() + "/" + (mode() == Mode::kHeader ? "header-" : "query-") + what);
  }
};

TEST_P(AwsSuite, CanonicalRequestStringToSignSignature) {
  Signed s;
  ASSERT_NO_FATAL_FAILURE(sign_case(dir(), "request.txt", mode(), nullptr, &s));
  EXPECT_EQ(s.out.canonical_request, expected("canonical-request.txt"));
  EXPECT_EQ(s.out.string_to_sign, expected("string-to-sign.txt"));
  EXPECT_EQ(s.out.signature, expected("signature.txt"));
}

TEST_P(AwsSuite, SignedRequest) {
  Signed s;
  ASSERT_NO_FATAL_FAILURE(sign_case(dir(), "request.txt", mode(), nullptr, &s));
  const std::string ours_text = tool::format_signed_request(s.request, s.out, mode());
  tool::RequestText ours, theirs;
  ASSERT_TRUE(tool::parse_request(ours_text, &ours).ok());
  ASSERT_TRUE(tool::parse_request(expected("signed-request.txt"), &theirs).ok());
  EXPECT_EQ(ours.method, theirs.method);
  EXPECT_EQ(ours.path, theirs.path);
  EXPECT_EQ(header_bag(ours, false), header_bag(theirs, false));
  EXPECT_EQ(query_set(ours.query), query_set(theirs.query));
  EXPECT_EQ(ours.body, theirs.body);
  if (mode() == Mode::kHeader) {
    std::string authorization;
    for (const auto& h : theirs.headers) {
      if (lower(std::string(h.name)) == "authorization") authorization = std::string(h.value);
    }
    EXPECT_EQ(s.out.authorization, authorization);
  }
}

// As aws-c-auth's harness does: the expected signature follows from the expected
// canonical request alone (hash, string to sign, key, HMAC), which pins the key
// derivation and string-to-sign layout independently of canonicalization.
TEST_P(AwsSuite, SignatureFollowsFromExpectedCanonicalRequest) {
  tool::SigningContext ctx;
  ASSERT_TRUE(tool::parse_context(slurp(dir() + "/context.json"), &ctx).ok());
  const std::string creq = expected("canonical-request.txt");
  Digest32 h;
  mbedtls_crypto().sha256(creq.data(), creq.size(), &h);
  char amz_date[17];
  ASSERT_TRUE(sigv4::format_amz_date(ctx.time_unix_s, amz_date));
  const std::string date(amz_date, 8);
  const std::string sts = "AWS4-HMAC-SHA256\n" + std::string(amz_date) + "\n" + date + "/" +
                          ctx.region + "/" + ctx.service + "/aws4_request\n" + hex(h);
  EXPECT_EQ(sts, expected("string-to-sign.txt"));
  const Digest32 key = signing_key(ctx, date);
  Digest32 sig;
  mbedtls_crypto().hmac_sha256(key.bytes, 32, sts.data(), sts.size(), &sig);
  EXPECT_EQ(hex(sig), expected("signature.txt"));
}

TEST_P(AwsSuite, VerifyAcceptsTheExpectedSignatureOnly) {
  Signed s;
  ASSERT_NO_FATAL_FAILURE(sign_case(dir(), "request.txt", mode(), nullptr, &s));
  const sigv4::Request req = s.request.request();
  const sigv4::Options opt = s.context.options(mode());
  sigv4::Signer signer(mbedtls_crypto());
  std::string good = expected("signature.txt");
  EXPECT_TRUE(signer.verify(req, opt, s.context.credentials(), good, s.buf.data(), s.buf.size()).ok());
  good[10] = good[10] == '0' ? '1' : '0';
  const Status st = signer.verify(req, opt, s.context.credentials(), good, s.buf.data(), s.buf.size());
  EXPECT_EQ(st.code(), Code::kChecksumMismatch);
}

std::vector<std::string> aws_cases() {
  return testing::case_folders(testing::testdata_dir() + "/sigv4", "context.json");
}

INSTANTIATE_TEST_SUITE_P(
    Sigv4, AwsSuite, ::testing::Combine(::testing::ValuesIn(aws_cases()),
                                        ::testing::Values(Mode::kHeader, Mode::kQuery)),
    [](const ::testing::TestParamInfo<AwsSuite::ParamType>& p) {
      return testing::test_name(std::get<0>(p.param)) +
             (std::get<1>(p.param) == Mode::kHeader ? "_header" : "_query");
    });

TEST(AwsSuiteData, IsPresent) {
  // Guards against a moved data folder turning the suite into zero tests.
  EXPECT_FALSE(aws_cases().empty()) << "no SigV4 cases under " << testing::testdata_dir();
}

// ---------------------------------------------------------------------------
// botocore's extra cases (.req/.creq/.sts/.authz/.sreq), header mode only

void fixed_botocore_context(tool::SigningContext* c) {
  c->access_key_id = "AKIDEXAMPLE";
  c->secret_access_key = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
  c->region = "us-east-1";
  c->service = "service";
  ASSERT_TRUE(sigv4::parse_timestamp("2015-08-30T12:36:00Z", &c->time_unix_s).ok());
  c->normalize = true;
  c->sign_body = false;
}

class BotocoreExtra : public ::testing::TestWithParam<std::string> {};

TEST_P(BotocoreExtra, MatchesEveryFile) {
  const std::string name = GetParam();
  const std::string dir = testing::testdata_dir() + "/sigv4-botocore-extra/" + name;
  tool::SigningContext ctx;
  ASSERT_NO_FATAL_FAILURE(fixed_botocore_context(&ctx));
  Signed s;
  ASSERT_NO_FATAL_FAILURE(sign_case(dir, name + ".req", Mode::kHeader, &ctx, &s));
  EXPECT_EQ(s.out.canonical_request, slurp(dir + "/" + name + ".creq"));
  EXPECT_EQ(s.out.string_to_sign, slurp(dir + "/" + name + ".sts"));
  EXPECT_EQ(s.out.authorization, slurp(dir + "/" + name + ".authz"));

  const std::string ours_text =
      tool::format_signed_request(s.request, s.out, Mode::kHeader);
  tool::RequestText ours, theirs;
  ASSERT_TRUE(tool::parse_request(ours_text, &ours).ok());
  ASSERT_TRUE(tool::parse_request(slurp(dir + "/" + name + ".sreq"), &theirs).ok());
  EXPECT_EQ(header_bag(ours, true), header_bag(theirs, true));
  EXPECT_EQ(ours.body, theirs.body);
}

std::vector<std::string> botocore_cases() {
  std::vector<std::string> out;
  const std::string dir = testing::testdata_dir() + "/sigv4-botocore-extra";
  for (const std::string& name : testing::case_folders(dir, ".")) {
    if (std::ifstream(dir + "/" + name + "/" + name + ".req")) out.push_back(name);
  }
  return out;
}

INSTANTIATE_TEST_SUITE_P(Sigv4, BotocoreExtra, ::testing::ValuesIn(botocore_cases()),
                         [](const ::testing::TestParamInfo<std::string>& p) {
                           return testing::test_name(p.param);
                         });

TEST(BotocoreExtraData, IsPresent) { EXPECT_FALSE(botocore_cases().empty()); }

}  // namespace
}  // namespace edgeroute
