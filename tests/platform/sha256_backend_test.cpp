// Every SHA-256 backend behind the crypto seam against published vectors and
// against mbedTLS's software code. A backend this build or CPU lacks is skipped
// with the reason, never passed.
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "alloc_counter.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/sha256_backend.h"

namespace edgeroute {
namespace {

std::string hex(const Digest32& d) {
  static const char* digits = "0123456789abcdef";
  std::string out;
  for (unsigned char b : d.bytes) {
    out += digits[b >> 4];
    out += digits[b & 15];
  }
  return out;
}

std::string hex(const void* p, std::size_t n) {
  Digest32 d{};
  std::memcpy(d.bytes, p, n);
  return hex(d).substr(0, 2 * n);
}

// Bytes that are not all the same, so a lost or repeated word shows.
std::vector<unsigned char> pattern(std::size_t n) {
  std::vector<unsigned char> v(n);
  std::uint32_t x = 0x12345678u;
  for (auto& b : v) {
    x = x * 1103515245u + 12345u;
    b = static_cast<unsigned char>(x >> 24);
  }
  return v;
}

class EveryBackend : public ::testing::TestWithParam<Sha256Backend> {
 protected:
  void SetUp() override {
    crypto_ = crypto_for_sha256_backend(GetParam());
    if (crypto_ == nullptr) {
      GTEST_SKIP() << "this build or CPU has no " << to_string(GetParam())
                   << " SHA-256 (sha256_backend_supported is false)";
    }
  }
  const Crypto& c() const { return *crypto_; }
  std::string streamed(const void* data, std::size_t len, std::size_t piece) const {
    Sha256Ctx ctx;
    c().sha256_begin(&ctx);
    const unsigned char* p = static_cast<const unsigned char*>(data);
    for (std::size_t at = 0; at < len; at += piece) {
      c().sha256_update(&ctx, p + at, len - at < piece ? len - at : piece);
    }
    Digest32 d;
    c().sha256_finish(&ctx, &d);
    return hex(d);
  }

  const Crypto* crypto_ = nullptr;
};

// FIPS 180-4 examples (NIST CSRC "SHA256.pdf", "SHA256 2 block") and the
// one-million-'a' message of FIPS 180-2 appendix B.3.
TEST_P(EveryBackend, MatchesFipsExamples) {
  Digest32 d;
  c().sha256("", 0, &d);
  EXPECT_EQ(hex(d), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  c().sha256("abc", 3, &d);
  EXPECT_EQ(hex(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  const std::string m448 = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  ASSERT_EQ(m448.size() * 8, 448u);
  c().sha256(m448.data(), m448.size(), &d);
  EXPECT_EQ(hex(d), "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  const std::string m896 =
      "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrs"
      "mnopqrstnopqrstu";
  c().sha256(m896.data(), m896.size(), &d);
  EXPECT_EQ(hex(d), "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1");
  const std::string million(1000000, 'a');
  const std::string expected = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0";
  c().sha256(million.data(), million.size(), &d);
  EXPECT_EQ(hex(d), expected);
  // The same million bytes in pieces that straddle block boundaries.
  for (std::size_t piece : {1u, 63u, 64u, 65u, 1000u}) {
    EXPECT_EQ(streamed(million.data(), million.size(), piece), expected) << "pieces of " << piece;
  }
}

// Every length across the padding cases (0..257 bytes: empty, one block, the
// 55/56-byte edge where the length spills into a second block, several blocks),
// one-shot and split at every point, against mbedTLS's software code.
TEST_P(EveryBackend, AgreesWithSoftwareForEveryLengthAndSplit) {
  const Crypto& ref = mbedtls_software_crypto();
  const std::vector<unsigned char> data = pattern(257);
  for (std::size_t len = 0; len <= data.size(); ++len) {
    Digest32 want, got;
    ref.sha256(data.data(), len, &want);
    c().sha256(data.data(), len, &got);
    ASSERT_EQ(hex(got), hex(want)) << "length " << len;
    for (std::size_t cut = 0; cut <= len; ++cut) {
      Sha256Ctx ctx;
      c().sha256_begin(&ctx);
      c().sha256_update(&ctx, data.data(), cut);
      c().sha256_update(&ctx, data.data() + cut, len - cut);
      c().sha256_finish(&ctx, &got);
      ASSERT_EQ(hex(got), hex(want)) << "length " << len << " split at " << cut;
    }
  }
}

// A copied state continues exactly like the original, and finish leaves the
// context ready for begin again.
TEST_P(EveryBackend, CopiedStateContinuesLikeTheOriginal) {
  const std::vector<unsigned char> data = pattern(200);
  Digest32 whole;
  mbedtls_software_crypto().sha256(data.data(), data.size(), &whole);
  for (std::size_t cut : {0u, 1u, 63u, 64u, 100u, 200u}) {
    Sha256Ctx a, b;
    c().sha256_begin(&a);
    c().sha256_update(&a, data.data(), cut);
    c().sha256_copy(&a, &b);
    Digest32 da, db;
    c().sha256_update(&a, data.data() + cut, data.size() - cut);
    c().sha256_finish(&a, &da);
    c().sha256_update(&b, data.data() + cut, data.size() - cut);
    c().sha256_finish(&b, &db);
    EXPECT_EQ(hex(da), hex(whole)) << cut;
    EXPECT_EQ(hex(db), hex(whole)) << cut;
    c().sha256_begin(&a);
    c().sha256_update(&a, data.data(), data.size());
    c().sha256_finish(&a, &da);
    EXPECT_EQ(hex(da), hex(whole)) << "reused context, " << cut;
  }
}

// RFC 4231 section 4, test cases 1-7 (case 5 is truncated to 128 bits), one-shot
// and with a prepared key.
TEST_P(EveryBackend, HmacMatchesRfc4231) {
  struct Case {
    std::string key, data, mac;
  };
  std::string key4;
  for (int i = 1; i <= 25; ++i) key4 += static_cast<char>(i);
  const Case cases[] = {
      {std::string(20, '\x0b'), "Hi There",
       "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?",
       "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'),
       "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {key4, std::string(50, '\xcd'), "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b"},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. The "
       "key needs to be hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  int number = 0;
  for (const Case& t : cases) {
    ++number;
    Digest32 d;
    c().hmac_sha256(t.key.data(), t.key.size(), t.data.data(), t.data.size(), &d);
    EXPECT_EQ(hex(d.bytes, t.mac.size() / 2), t.mac) << "RFC 4231 case " << number;
    Crypto::HmacKey prepared;
    c().hmac_sha256_prepare(t.key.data(), t.key.size(), &prepared);
    c().hmac_sha256_prepared(prepared, t.data.data(), t.data.size(), &d);
    EXPECT_EQ(hex(d.bytes, t.mac.size() / 2), t.mac) << "RFC 4231 case " << number << ", prepared key";
    secure_wipe(&prepared, sizeof prepared);
  }
}

TEST_P(EveryBackend, HashingAndHmacDoNotTouchTheHeap) {
  const std::vector<unsigned char> body = pattern(65536);
  Digest32 d;
  Crypto::HmacKey key;
  c().hmac_sha256_prepare("key", 3, &key);
  testing::AllocationScope scope;
  c().sha256(body.data(), body.size(), &d);
  c().hmac_sha256("key", 3, body.data(), body.size(), &d);
  c().hmac_sha256_prepared(key, body.data(), body.size(), &d);
  EXPECT_EQ(scope.allocations(), 0u);
}

INSTANTIATE_TEST_SUITE_P(Sha256, EveryBackend,
                         ::testing::Values(Sha256Backend::kMbedtls, Sha256Backend::kArmv8Ce,
                                           Sha256Backend::kShaNi),
                         [](const ::testing::TestParamInfo<Sha256Backend>& p) {
                           std::string name = to_string(p.param);
                           for (char& ch : name) {
                             if (ch == '-') ch = '_';
                           }
                           return name;
                         });

TEST(Sha256BackendNames, RoundTripAndRejectOthers) {
  for (Sha256Backend b : {Sha256Backend::kMbedtls, Sha256Backend::kArmv8Ce, Sha256Backend::kShaNi}) {
    Sha256Backend parsed = Sha256Backend::kMbedtls;
    EXPECT_TRUE(sha256_backend_from_name(to_string(b), &parsed)) << to_string(b);
    EXPECT_EQ(parsed, b);
  }
  Sha256Backend parsed;
  EXPECT_FALSE(sha256_backend_from_name("auto", &parsed));
  EXPECT_FALSE(sha256_backend_from_name("SHA-NI", &parsed));
  EXPECT_FALSE(sha256_backend_from_name("", &parsed));
}

TEST(Sha256Backends, SoftwareIsAlwaysThereAndHardwareOnlyWhereBuilt) {
  EXPECT_TRUE(sha256_backend_supported(Sha256Backend::kMbedtls));
  EXPECT_EQ(hardware_sha256_crypto(Sha256Backend::kMbedtls), nullptr);
#if !defined(__aarch64__)
  EXPECT_FALSE(sha256_backend_supported(Sha256Backend::kArmv8Ce));
#endif
#if !defined(__x86_64__)
  EXPECT_FALSE(sha256_backend_supported(Sha256Backend::kShaNi));
#endif
}

// Where the test configuration knows the CPU has a backend (the aarch64 build
// under qemu, whose CPU model has SHA2), it must run, not skip:
// EDGEROUTE_EXPECT_SHA256_BACKEND names it.
TEST(Sha256Backends, ExpectedHardwareBackendIsPresent) {
  const char* expected = std::getenv("EDGEROUTE_EXPECT_SHA256_BACKEND");
  if (expected == nullptr || expected[0] == '\0') {
    GTEST_SKIP() << "EDGEROUTE_EXPECT_SHA256_BACKEND is not set: nothing is known of this CPU";
  }
  Sha256Backend b;
  ASSERT_TRUE(sha256_backend_from_name(expected, &b)) << expected;
  EXPECT_TRUE(sha256_backend_supported(b)) << expected << " SHA-256 is not available on this CPU";
}

// Without EDGEROUTE_SHA256, mbedtls_crypto() takes the fastest backend the CPU
// runs; with it, the named one when it runs here, and says why not otherwise.
TEST(Sha256Selection, FollowsTheEnvironmentOrPicksTheFastest) {
  const Sha256Selection s = sha256_selection();
  ASSERT_TRUE(sha256_backend_supported(s.backend));
  EXPECT_EQ(&mbedtls_crypto(), crypto_for_sha256_backend(s.backend));
  const char* requested = std::getenv("EDGEROUTE_SHA256");
  Sha256Backend named;
  if (requested != nullptr && sha256_backend_from_name(requested, &named) &&
      sha256_backend_supported(named)) {
    EXPECT_TRUE(s.forced);
    EXPECT_EQ(s.backend, named);
    EXPECT_STREQ(s.note, "");
    return;
  }
  EXPECT_FALSE(s.forced);
  const bool asked = requested != nullptr && requested[0] != '\0' && std::strcmp(requested, "auto") != 0;
  if (asked) {
    EXPECT_NE(std::strstr(s.note, "EDGEROUTE_SHA256"), nullptr) << s.note;
  } else {
    EXPECT_STREQ(s.note, "");
  }
  const bool hardware = sha256_backend_supported(Sha256Backend::kArmv8Ce) ||
                        sha256_backend_supported(Sha256Backend::kShaNi);
  EXPECT_EQ(s.backend != Sha256Backend::kMbedtls, hardware) << to_string(s.backend);
}

}  // namespace
}  // namespace edgeroute
