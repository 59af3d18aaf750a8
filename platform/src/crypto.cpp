// HMAC-SHA256 with a prepared key, on top of any backend's streaming SHA-256.
#include <cstring>

#include "edgeroute/crypto.h"

namespace edgeroute {
namespace {
constexpr std::size_t kBlockBytes = 64;
}  // namespace

void Crypto::hmac_sha256_prepare(const void* key, std::size_t key_len, HmacKey* out) const {
  unsigned char k[kBlockBytes] = {};
  if (key_len > kBlockBytes) {
    Digest32 kh;
    sha256(key, key_len, &kh);
    std::memcpy(k, kh.bytes, sizeof kh.bytes);
    secure_wipe(&kh, sizeof kh);
  } else if (key_len > 0) {
    std::memcpy(k, key, key_len);
  }
  unsigned char pad[kBlockBytes];
  for (std::size_t i = 0; i < kBlockBytes; ++i) pad[i] = static_cast<unsigned char>(k[i] ^ 0x36u);
  sha256_begin(&out->inner);
  sha256_update(&out->inner, pad, sizeof pad);
  for (std::size_t i = 0; i < kBlockBytes; ++i) pad[i] = static_cast<unsigned char>(k[i] ^ 0x5cu);
  sha256_begin(&out->outer);
  sha256_update(&out->outer, pad, sizeof pad);
  secure_wipe(k, sizeof k);
  secure_wipe(pad, sizeof pad);
}

void Crypto::hmac_sha256(const void* key, std::size_t key_len, const void* data, std::size_t len,
                         Digest32* out) const {
  HmacKey prepared;
  hmac_sha256_prepare(key, key_len, &prepared);
  hmac_sha256_prepared(prepared, data, len, out);
  secure_wipe(&prepared, sizeof prepared);
}

void Crypto::hmac_sha256_prepared(const HmacKey& key, const void* data, std::size_t len,
                                  Digest32* out) const {
  Sha256Ctx ctx;
  Digest32 inner;
  sha256_copy(&key.inner, &ctx);
  sha256_update(&ctx, data, len);
  sha256_finish(&ctx, &inner);
  sha256_copy(&key.outer, &ctx);
  sha256_update(&ctx, inner.bytes, sizeof inner.bytes);
  sha256_finish(&ctx, out);
  secure_wipe(&inner, sizeof inner);
}

}  // namespace edgeroute
