#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "alloc_counter.h"
#include "edgeroute/crypto.h"
#include "edgeroute/mbedtls_crypto.h"

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

// FIPS 180-2 examples.
TEST(Sha256, MatchesPublishedVectors) {
  const Crypto& c = mbedtls_crypto();
  Digest32 d;
  c.sha256("", 0, &d);
  EXPECT_EQ(hex(d), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  c.sha256("abc", 3, &d);
  EXPECT_EQ(hex(d), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  std::string million(1000000, 'a');
  c.sha256(million.data(), million.size(), &d);
  EXPECT_EQ(hex(d), "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST(Sha256, StreamingEqualsOneShotForEverySplit) {
  const Crypto& c = mbedtls_crypto();
  std::string text = "The quick brown fox jumps over the lazy dog, twice: the quick brown fox.";
  Digest32 whole;
  c.sha256(text.data(), text.size(), &whole);
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    Sha256Ctx ctx;
    Digest32 parts;
    c.sha256_begin(&ctx);
    c.sha256_update(&ctx, text.data(), cut);
    c.sha256_update(&ctx, text.data() + cut, text.size() - cut);
    c.sha256_finish(&ctx, &parts);
    ASSERT_EQ(hex(parts), hex(whole)) << "split at " << cut;
  }
}

// RFC 4231 test cases 1, 2 and 6 (key longer than the block).
TEST(HmacSha256, MatchesRfc4231) {
  const Crypto& c = mbedtls_crypto();
  Digest32 d;
  std::vector<unsigned char> key1(20, 0x0b);
  c.hmac_sha256(key1.data(), key1.size(), "Hi There", 8, &d);
  EXPECT_EQ(hex(d), "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
  c.hmac_sha256("Jefe", 4, "what do ya want for nothing?", 28, &d);
  EXPECT_EQ(hex(d), "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  std::vector<unsigned char> key6(131, 0xaa);
  std::string msg6 = "Test Using Larger Than Block-Size Key - Hash Key First";
  c.hmac_sha256(key6.data(), key6.size(), msg6.data(), msg6.size(), &d);
  EXPECT_EQ(hex(d), "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

TEST(Crypto, HashingAndHmacDoNotTouchTheHeap) {
  const Crypto& c = mbedtls_crypto();
  std::string body(65536, 'x');
  Digest32 d;
  testing::AllocationScope scope;
  c.sha256(body.data(), body.size(), &d);
  c.hmac_sha256("key", 3, body.data(), body.size(), &d);
  EXPECT_EQ(scope.allocations(), 0u);
}

TEST(Crypto, ConstantTimeEqualComparesEveryByte) {
  unsigned char a[32] = {}, b[32] = {};
  EXPECT_TRUE(constant_time_equal(a, b, sizeof a));
  b[31] = 1;
  EXPECT_FALSE(constant_time_equal(a, b, sizeof a));
  b[31] = 0;
  b[0] = 0x80;
  EXPECT_FALSE(constant_time_equal(a, b, sizeof a));
}

TEST(Crypto, SecureWipeZeroesTheBuffer) {
  unsigned char secret[48];
  for (size_t i = 0; i < sizeof secret; ++i) secret[i] = static_cast<unsigned char>(i + 1);
  secure_wipe(secret, sizeof secret);
  for (unsigned char b : secret) ASSERT_EQ(b, 0);
}

}  // namespace
}  // namespace edgeroute

namespace edgeroute {
namespace {

// RFC 4231 test case 6 (a 131-byte key, hashed first) and a short key: a
// prepared key gives the same MAC as the one-shot function, every time it is used.
TEST(CryptoPreparedHmac, MatchesOneShotHmac) {
  const Crypto& c = mbedtls_crypto();
  const std::string long_key(131, '\xaa');
  const std::string data = "Test Using Larger Than Block-Size Key - Hash Key First";
  for (const std::string& key : {long_key, std::string("key"), std::string()}) {
    Crypto::HmacKey prepared;
    c.hmac_sha256_prepare(key.data(), key.size(), &prepared);
    Digest32 expected, got;
    c.hmac_sha256(key.data(), key.size(), data.data(), data.size(), &expected);
    for (int use = 0; use < 3; ++use) {
      c.hmac_sha256_prepared(prepared, data.data(), data.size(), &got);
      EXPECT_EQ(0, std::memcmp(expected.bytes, got.bytes, 32)) << key.size() << " use " << use;
    }
    secure_wipe(&prepared, sizeof prepared);
  }
  Crypto::HmacKey prepared;
  c.hmac_sha256_prepare(long_key.data(), long_key.size(), &prepared);
  Digest32 got;
  c.hmac_sha256_prepared(prepared, data.data(), data.size(), &got);
  char hex[65];
  for (int i = 0; i < 32; ++i) std::snprintf(hex + 2 * i, 3, "%02x", got.bytes[i]);
  EXPECT_STREQ(hex, "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54");
}

}  // namespace
}  // namespace edgeroute
