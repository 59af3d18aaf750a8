// Signer behaviour beyond the AWS suite: Bedrock paths, the key cache, buffer
// sizing, payload options, bad input, and the no-heap contract.
#include <cstring>
#include <ostream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "alloc_counter.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/sigv4.h"

namespace edgeroute {
namespace {

using sigv4::Header;
using sigv4::Mode;
using sigv4::Options;
using sigv4::PayloadHash;
using sigv4::Request;
using sigv4::SignedRequest;
using sigv4::Signer;

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const std::string kToken(600, 'T');

// 2025-03-01T10:00:00Z
constexpr std::int64_t kTime = 1740823200;

struct Fixture {
  std::vector<Header> headers{{"Host", "bedrock-runtime.eu-central-1.amazonaws.com"},
                              {"Content-Type", "application/json"}};
  std::string body = R"({"messages":[{"role":"user","content":[{"text":"hello"}]}]})";
  Request request;
  Options options;
  sigv4::Credentials credentials{"AKIDEXAMPLE", kSecret, ""};

  explicit Fixture(std::string_view path = "/model/eu.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse") {
    request.method = "POST";
    request.path = path;
    options.region = "eu-central-1";
    options.service = "bedrock";
    options.time_unix_s = kTime;
    refresh();
  }
  void refresh() {
    request.headers = headers.data();
    request.header_count = headers.size();
    request.body = body.data();
    request.body_bytes = body.size();
  }
};

struct Result {
  std::vector<char> buf = std::vector<char>(16384);
  SignedRequest out;
  Status status;
};

Result sign_with(Signer& signer, const Fixture& f) {
  Result r;
  r.status = signer.sign(f.request, f.options, f.credentials, r.buf.data(), r.buf.size(), &r.out);
  return r;
}

Result sign(const Fixture& f) {
  Signer signer(mbedtls_crypto());
  return sign_with(signer, f);
}

std::string canonical_uri(const SignedRequest& out) {
  const std::string creq(out.canonical_request);
  const auto a = creq.find('\n');
  return creq.substr(a + 1, creq.find('\n', a + 1) - a - 1);
}

// ---------------------------------------------------------------------------
// Bedrock paths: model IDs carry ':' (sent as %3A, signed as %253A); ARNs carry '/'
// (sent as %2F, signed as %252F).

struct PathCase {
  const char* sent;
  const char* canonical;
};

// GoogleTest prints a parameter into the test's listed name; by default as its
// bytes, which are pointers here and differ from build to build.
void PrintTo(const PathCase& c, std::ostream* os) { *os << c.sent; }

class BedrockPaths : public ::testing::TestWithParam<PathCase> {};

TEST_P(BedrockPaths, AreEncodedTwice) {
  Fixture f(GetParam().sent);
  const Result r = sign(f);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(canonical_uri(r.out), GetParam().canonical);
}

INSTANTIATE_TEST_SUITE_P(
    Operations, BedrockPaths,
    ::testing::Values(
        PathCase{"/model/anthropic.claude-3-haiku-20240307-v1%3A0/converse",
                 "/model/anthropic.claude-3-haiku-20240307-v1%253A0/converse"},
        PathCase{"/model/eu.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse-stream",
                 "/model/eu.anthropic.claude-3-7-sonnet-20250219-v1%253A0/converse-stream"},
        PathCase{"/model/global.anthropic.claude-sonnet-4-20250514-v1%3A0/invoke",
                 "/model/global.anthropic.claude-sonnet-4-20250514-v1%253A0/invoke"},
        PathCase{"/model/us.amazon.nova-pro-v1%3A0/invoke-with-response-stream",
                 "/model/us.amazon.nova-pro-v1%253A0/invoke-with-response-stream"},
        PathCase{"/model/arn%3Aaws%3Abedrock%3Aeu-central-1%3A123456789012%3Ainference-profile%2F"
                 "eu.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse",
                 "/model/arn%253Aaws%253Abedrock%253Aeu-central-1%253A123456789012%253Ainference-"
                 "profile%252Feu.anthropic.claude-3-7-sonnet-20250219-v1%253A0/converse"},
        PathCase{"/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A%3Afoundation-model%2F"
                 "anthropic.claude-3-haiku-20240307-v1%3A0/invoke",
                 "/model/arn%253Aaws%253Abedrock%253Aus-east-1%253A%253Afoundation-model%252F"
                 "anthropic.claude-3-haiku-20240307-v1%253A0/invoke"}),
    // Named after the path, so a case keeps its name from build to build.
    [](const ::testing::TestParamInfo<PathCase>& path_case) {
      std::string name = path_case.param.sent;
      for (char& c : name) {
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))) c = '_';
      }
      return name;
    });

TEST(Signer, SingleEncodingKeepsExistingEscapes) {
  Fixture f("/bucket/a%3Ab c");
  f.options.double_encode_path = false;
  f.options.normalize_path = false;
  const Result r = sign(f);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(canonical_uri(r.out), "/bucket/a%3Ab%20c");
}

TEST(Signer, NormalizationIsOptional) {
  Fixture f("/a/./b/../c//d/");
  Result r = sign(f);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(canonical_uri(r.out), "/a/c/d/");
  f.options.normalize_path = false;
  r = sign(f);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(canonical_uri(r.out), "/a/./b/../c//d/");
}

// ---------------------------------------------------------------------------
// What a signed Bedrock request looks like

TEST(Signer, HeaderModeAddsDateTokenAndAuthorization) {
  Fixture f;
  f.credentials.session_token = kToken;
  const Result r = sign(f);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  EXPECT_EQ(r.out.amz_date, "20250301T100000Z");
  EXPECT_EQ(r.out.credential_scope, "20250301/eu-central-1/bedrock/aws4_request");
  EXPECT_EQ(r.out.signed_headers, "content-type;host;x-amz-date;x-amz-security-token");
  ASSERT_EQ(r.out.added_header_count, 3u);
  EXPECT_EQ(r.out.added_headers[0].name, "X-Amz-Date");
  EXPECT_EQ(r.out.added_headers[1].name, "X-Amz-Security-Token");
  EXPECT_EQ(r.out.added_headers[1].value, kToken);
  EXPECT_EQ(r.out.added_headers[2].name, "Authorization");
  EXPECT_EQ(r.out.authorization,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20250301/eu-central-1/bedrock/aws4_request, "
            "SignedHeaders=content-type;host;x-amz-date;x-amz-security-token, Signature=" +
                std::string(r.out.signature));
  EXPECT_TRUE(r.out.query.empty());
}

TEST(Signer, QueryModeBuildsAPresignedQuery) {
  Fixture f;
  f.options.mode = Mode::kQuery;
  f.options.expires_s = 300;
  f.request.query = "b=2&a=1";
  const Result r = sign(f);
  ASSERT_TRUE(r.status.ok()) << r.status.message();
  const std::string q(r.out.query);
  // Sorted by byte: the X-Amz-* parameters come before lowercase keys; the
  // signature is appended last.
  EXPECT_EQ(q.find("X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDEXAMPLE%2F20250301%2F"
                   "eu-central-1%2Fbedrock%2Faws4_request&X-Amz-Date=20250301T100000Z&"),
            0u);
  const std::string tail = "&a=1&b=2&X-Amz-Signature=" + std::string(r.out.signature);
  ASSERT_GT(q.size(), tail.size());
  EXPECT_EQ(q.substr(q.size() - tail.size()), tail);
  EXPECT_NE(q.find("X-Amz-Expires=300"), std::string::npos);
  EXPECT_NE(q.find("X-Amz-SignedHeaders=content-type%3Bhost"), std::string::npos);
  EXPECT_EQ(r.out.added_header_count, 0u);
  EXPECT_TRUE(r.out.authorization.empty());

  // Re-signing the presigned query (as a server verifying it does) gives the same
  // signature: the X-Amz-* parameters already present are replaced, not signed.
  Fixture again;
  again.options = f.options;
  const std::string presigned(r.out.query);
  again.request.query = presigned;
  const Result r2 = sign(again);
  ASSERT_TRUE(r2.status.ok()) << r2.status.message();
  EXPECT_EQ(r2.out.signature, r.out.signature);
}

TEST(Signer, OmittedTokenIsAttachedAfterSigning) {
  Fixture plain;
  const Result without = sign(plain);
  Fixture f;
  f.credentials.session_token = kToken;
  f.options.omit_session_token = true;
  const Result r = sign(f);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.out.signature, without.out.signature);
  ASSERT_EQ(r.out.added_header_count, 3u);
  EXPECT_EQ(r.out.added_headers[1].value, kToken);
}

TEST(Signer, HeadersTheSignatureReplacesAreIgnored) {
  Fixture plain;
  plain.credentials.session_token = kToken;
  const Result expected = sign(plain);
  Fixture f;
  f.credentials.session_token = kToken;
  f.headers.push_back({"Authorization", "AWS4-HMAC-SHA256 Credential=old"});
  f.headers.push_back({"X-Amz-Date", "20000101T000000Z"});
  f.headers.push_back({"x-amz-security-token", "stale"});
  f.refresh();
  const Result r = sign(f);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.out.signature, expected.out.signature);
}

TEST(Signer, RepeatedAndUntidyHeadersAreCanonicalized) {
  Fixture f;
  f.headers.push_back({"X-Custom", "  a   b\t c  "});
  f.headers.push_back({"x-custom", "second"});
  f.headers.push_back({"X-CUSTOM", ""});
  f.refresh();
  const Result r = sign(f);
  ASSERT_TRUE(r.status.ok());
  EXPECT_NE(std::string(r.out.canonical_request).find("\nx-custom:a b c,second,\n"),
            std::string::npos);
  EXPECT_EQ(r.out.signed_headers, "content-type;host;x-amz-date;x-custom");
}

TEST(Signer, PayloadHashOptions) {
  Fixture f;
  const Result hashed = sign(f);
  ASSERT_TRUE(hashed.status.ok());
  Digest32 d;
  mbedtls_crypto().sha256(f.body.data(), f.body.size(), &d);
  char hex[65];
  for (int i = 0; i < 32; ++i) std::snprintf(hex + 2 * i, 3, "%02x", d.bytes[i]);
  EXPECT_EQ(hashed.out.payload_hash, std::string(hex));

  Fixture pre;
  pre.options.payload = PayloadHash::kPrecomputed;
  pre.options.precomputed_payload_hash = hex;
  pre.body = "not what is hashed";
  pre.refresh();
  const Result r = sign(pre);
  ASSERT_TRUE(r.status.ok());
  EXPECT_EQ(r.out.signature, hashed.out.signature);

  Fixture unsigned_payload;
  unsigned_payload.options.payload = PayloadHash::kUnsignedPayload;
  unsigned_payload.options.add_content_sha256_header = true;
  const Result u = sign(unsigned_payload);
  ASSERT_TRUE(u.status.ok());
  EXPECT_EQ(u.out.payload_hash, "UNSIGNED-PAYLOAD");
  EXPECT_NE(std::string(u.out.canonical_request).find("x-amz-content-sha256:UNSIGNED-PAYLOAD\n"),
            std::string::npos);
  EXPECT_EQ(u.out.added_headers[1].name, "x-amz-content-sha256");
}

// ---------------------------------------------------------------------------
// Buffer sizing

TEST(Signer, TooSmallBufferNamesTheExactSizeAndNeverTruncates) {
  for (Mode mode : {Mode::kHeader, Mode::kQuery}) {
    Fixture f;
    f.options.mode = mode;
    f.credentials.session_token = kToken;
    f.request.query = "x=%E1%88%B4&y= z";
    const std::size_t bound = sigv4::required_buffer_bytes(f.request, f.options, f.credentials);
    std::vector<char> buf(bound);
    Signer signer(mbedtls_crypto());
    SignedRequest out;
    ASSERT_TRUE(signer.sign(f.request, f.options, f.credentials, buf.data(), bound, &out).ok());
    const std::size_t used = static_cast<std::size_t>(
        out.signature.data() + out.signature.size() - buf.data());
    ASSERT_LE(used, bound);
    // Find the exact need from the error message, then check it is exact.
    const Status small = signer.sign(f.request, f.options, f.credentials, buf.data(), 10, &out);
    ASSERT_EQ(small.code(), Code::kBufferTooSmall);
    const char* needs = std::strstr(small.message(), "needs ");
    ASSERT_NE(needs, nullptr) << small.message();
    const std::size_t exact = std::strtoul(needs + 6, nullptr, 10);
    ASSERT_GT(exact, 100u);
    ASSERT_LE(exact, bound);
    for (std::size_t n : {std::size_t{0}, exact / 2, exact - 1}) {
      const Status s = signer.sign(f.request, f.options, f.credentials, buf.data(), n, &out);
      EXPECT_EQ(s.code(), Code::kBufferTooSmall) << n;
      EXPECT_TRUE(out.signature.empty());
    }
    SignedRequest reference;
    std::vector<char> big(bound);
    ASSERT_TRUE(signer.sign(f.request, f.options, f.credentials, big.data(), bound, &reference).ok());
    std::vector<char> tight(exact);
    ASSERT_TRUE(signer.sign(f.request, f.options, f.credentials, tight.data(), exact, &out).ok());
    EXPECT_EQ(out.signature, reference.signature);
    EXPECT_EQ(out.canonical_request, reference.canonical_request);
  }
}

// ---------------------------------------------------------------------------
// The signing-key cache

TEST(SignerKeyCache, DerivesOncePerScopeAndDay) {
  Signer signer(mbedtls_crypto());
  Fixture f;
  ASSERT_TRUE(sign_with(signer, f).status.ok());
  f.options.time_unix_s += 3600;  // same day
  ASSERT_TRUE(sign_with(signer, f).status.ok());
  EXPECT_EQ(signer.key_derivations(), 1u);
  f.options.region = "eu-west-1";
  ASSERT_TRUE(sign_with(signer, f).status.ok());
  EXPECT_EQ(signer.key_derivations(), 2u);
  f.options.region = "eu-central-1";
  f.options.time_unix_s += 86400;  // next day
  ASSERT_TRUE(sign_with(signer, f).status.ok());
  EXPECT_EQ(signer.key_derivations(), 3u);
  signer.clear_key_cache();
  ASSERT_TRUE(sign_with(signer, f).status.ok());
  EXPECT_EQ(signer.key_derivations(), 4u);
}

TEST(SignerKeyCache, ARotatedSecretUnderTheSameKeyIdIsNotServedAStaleKey) {
  Signer signer(mbedtls_crypto());
  Fixture f;
  ASSERT_TRUE(sign_with(signer, f).status.ok());
  f.credentials.secret_access_key = "rotated-secret-rotated-secret-rotated-sec";
  const Result cached = sign_with(signer, f);
  const Result fresh = sign(f);
  ASSERT_TRUE(cached.status.ok());
  EXPECT_EQ(cached.out.signature, fresh.out.signature);
  EXPECT_EQ(signer.key_derivations(), 2u);
}

TEST(SignerKeyCache, EvictsTheLeastRecentlyUsedScope) {
  Signer signer(mbedtls_crypto());
  Fixture f;
  const std::size_t slots = limits::kSigv4KeyCacheSlots;
  std::vector<std::string> regions;
  for (std::size_t i = 0; i <= slots; ++i) regions.push_back("region-" + std::to_string(i));
  for (std::size_t i = 0; i < slots; ++i) {
    f.options.region = regions[i];
    ASSERT_TRUE(sign_with(signer, f).status.ok());
  }
  f.options.region = regions[0];  // touch the oldest: now region-1 is least recent
  ASSERT_TRUE(sign_with(signer, f).status.ok());
  EXPECT_EQ(signer.key_derivations(), slots);
  f.options.region = regions[slots];  // evicts region-1
  ASSERT_TRUE(sign_with(signer, f).status.ok());
  f.options.region = regions[0];
  ASSERT_TRUE(sign_with(signer, f).status.ok());
  EXPECT_EQ(signer.key_derivations(), slots + 1);
  f.options.region = regions[1];
  ASSERT_TRUE(sign_with(signer, f).status.ok());
  EXPECT_EQ(signer.key_derivations(), slots + 2);
}

// ---------------------------------------------------------------------------
// No heap

TEST(SignerHeap, SigningAndVerifyingAllocateNothing) {
  Signer signer(mbedtls_crypto());
  Fixture f;
  f.credentials.session_token = kToken;
  f.body.assign(64 * 1024, 'x');
  f.refresh();
  static char buf[32768];
  SignedRequest out;
  ASSERT_TRUE(signer.sign(f.request, f.options, f.credentials, buf, sizeof buf, &out).ok());
  const std::string signature(out.signature);
  {
    testing::AllocationScope scope;
    for (int i = 0; i < 3; ++i) {
      f.options.time_unix_s = kTime + i * 86400;  // new day: the key derivation runs too
      f.options.mode = i % 2 == 0 ? Mode::kHeader : Mode::kQuery;
      ASSERT_TRUE(signer.sign(f.request, f.options, f.credentials, buf, sizeof buf, &out).ok());
    }
    f.options.time_unix_s = kTime;
    f.options.mode = Mode::kHeader;
    ASSERT_TRUE(signer.verify(f.request, f.options, f.credentials, signature, buf, sizeof buf).ok());
    const Status too_small = signer.sign(f.request, f.options, f.credentials, buf, 64, &out);
    EXPECT_EQ(too_small.code(), Code::kBufferTooSmall);
    EXPECT_EQ(scope.allocations(), 0u) << scope.bytes() << " bytes";
  }
}

// ---------------------------------------------------------------------------
// Bad input: one clear line, no secret in it

struct BadInput {
  const char* what;
  void (*mutate)(Fixture*);
  Code code;
  const char* message_has;
};

void PrintTo(const BadInput& c, std::ostream* os) { *os << c.what; }

class SignerBadInput : public ::testing::TestWithParam<BadInput> {};

TEST_P(SignerBadInput, IsRejectedWithAClearLine) {
  Fixture f;
  f.credentials.session_token = "TOKEN-SHOULD-NEVER-BE-PRINTED";
  GetParam().mutate(&f);
  f.refresh();
  Result r = sign(f);
  EXPECT_EQ(r.status.code(), GetParam().code) << r.status.message();
  const std::string msg = r.status.message();
  EXPECT_NE(msg.find(GetParam().message_has), std::string::npos) << msg;
  EXPECT_EQ(msg.find('\n'), std::string::npos);
  EXPECT_EQ(msg.find(kSecret), std::string::npos);
  EXPECT_EQ(msg.find("TOKEN-SHOULD-NEVER"), std::string::npos);
  EXPECT_TRUE(r.out.signature.empty());
}

INSTANTIATE_TEST_SUITE_P(
    Cases, SignerBadInput,
    ::testing::Values(
        BadInput{"no_host", [](Fixture* f) { f->headers.erase(f->headers.begin()); },
                 Code::kInvalidArgument, "no Host header"},
        BadInput{"header_name_space", [](Fixture* f) { f->headers.push_back({"Bad Name", "v"}); },
                 Code::kInvalidArgument, "'Bad Name' is not a token"},
        BadInput{"header_crlf",
                 [](Fixture* f) { f->headers.push_back({"X-Injected", "a\r\nEvil: 1"}); },
                 Code::kInvalidArgument, "'X-Injected' has a CR, LF or NUL"},
        BadInput{"empty_region", [](Fixture* f) { f->options.region = ""; },
                 Code::kInvalidArgument, "region is empty"},
        BadInput{"region_slash", [](Fixture* f) { f->options.region = "eu/central"; },
                 Code::kInvalidArgument, "region 'eu/central'"},
        BadInput{"long_service",
                 [](Fixture* f) { f->options.service = "a-service-name-far-longer-than-any-real-one"; },
                 Code::kLimitExceeded, "service is 43 bytes, the limit is"},
        BadInput{"expires_zero",
                 [](Fixture* f) {
                   f->options.mode = Mode::kQuery;
                   f->options.expires_s = 0;
                 },
                 Code::kInvalidArgument, "expires_s is 0"},
        BadInput{"expires_eight_days",
                 [](Fixture* f) {
                   f->options.mode = Mode::kQuery;
                   f->options.expires_s = 8 * 86400;
                 },
                 Code::kInvalidArgument, "between 1 and 604800"},
        BadInput{"bad_precomputed_hash",
                 [](Fixture* f) {
                   f->options.payload = PayloadHash::kPrecomputed;
                   f->options.precomputed_payload_hash = "ABCDEF";
                 },
                 Code::kInvalidArgument, "64 lowercase hex"},
        BadInput{"time_before_1970", [](Fixture* f) { f->options.time_unix_s = -1; },
                 Code::kInvalidArgument, "outside 1970..9999"},
        BadInput{"method_with_space", [](Fixture* f) { f->request.method = "PO ST"; },
                 Code::kInvalidArgument, "not an HTTP token"},
        BadInput{"path_with_query", [](Fixture* f) { f->request.path = "/model/x?y=1"; },
                 Code::kInvalidArgument, "pass the query separately"},
        BadInput{"empty_access_key", [](Fixture* f) { f->credentials.access_key_id = ""; },
                 Code::kInvalidArgument, "access key ID is empty"},
        BadInput{"secret_as_key_id",
                 [](Fixture* f) { f->credentials.access_key_id = kSecret; },
                 Code::kInvalidArgument, "access key ID contains"},
        BadInput{"empty_secret", [](Fixture* f) { f->credentials.secret_access_key = ""; },
                 Code::kInvalidArgument, "secret access key is empty"},
        BadInput{"token_with_newline",
                 [](Fixture* f) { f->credentials.session_token = "TOKEN-SHOULD-NEVER\nBE"; },
                 Code::kInvalidArgument, "session token contains"},
        BadInput{"too_many_headers",
                 [](Fixture* f) {
                   static std::vector<std::string> names;
                   names.clear();
                   for (std::size_t i = 0; i < limits::kSigv4MaxHeaders; ++i) {
                     names.push_back("x-h" + std::to_string(i));
                   }
                   for (const auto& n : names) f->headers.push_back({n, "v"});
                 },
                 Code::kLimitExceeded, "more than"},
        BadInput{"too_many_path_segments",
                 [](Fixture* f) {
                   static std::string path;
                   path.clear();
                   for (std::size_t i = 0; i <= limits::kSigv4MaxPathSegments; ++i) path += "/s";
                   f->request.path = path;
                 },
                 Code::kLimitExceeded, "segments"}),
    [](const ::testing::TestParamInfo<BadInput>& p) { return std::string(p.param.what); });

TEST(SignerVerify, RejectsAWrongOrShortSignature) {
  Signer signer(mbedtls_crypto());
  Fixture f;
  Result r = sign_with(signer, f);
  ASSERT_TRUE(r.status.ok());
  std::string sig(r.out.signature);
  std::vector<char> buf(16384);
  EXPECT_TRUE(signer.verify(f.request, f.options, f.credentials, sig, buf.data(), buf.size()).ok());
  EXPECT_EQ(signer.verify(f.request, f.options, f.credentials, sig.substr(0, 63), buf.data(),
                          buf.size())
                .code(),
            Code::kChecksumMismatch);
  sig[63] = sig[63] == 'a' ? 'b' : 'a';
  EXPECT_EQ(signer.verify(f.request, f.options, f.credentials, sig, buf.data(), buf.size()).code(),
            Code::kChecksumMismatch);
  f.body += " ";  // a changed body changes the signature
  f.refresh();
  sig = std::string(r.out.signature);
  EXPECT_EQ(signer.verify(f.request, f.options, f.credentials, sig, buf.data(), buf.size()).code(),
            Code::kChecksumMismatch);
}

// ---------------------------------------------------------------------------
// Time

TEST(SignerTime, FormatsAndParsesUtc) {
  char out[17];
  ASSERT_TRUE(sigv4::format_amz_date(0, out));
  EXPECT_STREQ(out, "19700101T000000Z");
  ASSERT_TRUE(sigv4::format_amz_date(951782400, out));  // leap day 2000
  EXPECT_STREQ(out, "20000229T000000Z");
  ASSERT_TRUE(sigv4::format_amz_date(4102444799, out));
  EXPECT_STREQ(out, "20991231T235959Z");
  EXPECT_FALSE(sigv4::format_amz_date(-1, out));
  EXPECT_FALSE(sigv4::format_amz_date(253402300800, out));

  std::int64_t t = 0;
  ASSERT_TRUE(sigv4::parse_timestamp("2015-08-30T12:36:00Z", &t).ok());
  EXPECT_EQ(t, 1440938160);
  ASSERT_TRUE(sigv4::parse_timestamp("20150830T123600Z", &t).ok());
  EXPECT_EQ(t, 1440938160);
  for (std::int64_t v : {std::int64_t{0}, std::int64_t{951868799}, std::int64_t{1709208000},
                         std::int64_t{4102444800}}) {
    ASSERT_TRUE(sigv4::format_amz_date(v, out));
    ASSERT_TRUE(sigv4::parse_timestamp(out, &t).ok()) << out;
    EXPECT_EQ(t, v) << out;
  }
  for (const char* bad : {"2015-08-30 12:36:00Z", "2015-02-29T00:00:00Z", "2015-13-01T00:00:00Z",
                          "2015-08-30T24:00:00Z", "1969-12-31T23:59:59Z", "", "2015-08-30T12:36:00",
                          "2015-08-3aT12:36:00Z"}) {
    const Status s = sigv4::parse_timestamp(bad, &t);
    EXPECT_EQ(s.code(), Code::kParseError) << bad;
  }
}

}  // namespace
}  // namespace edgeroute
