// SHA-256 and HMAC-SHA256 over mbedTLS. Works with mbedTLS 2.28 (the *_ret
// functions) and 3.x (the same functions without the suffix).
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include <cstdlib>
#include <new>

#include "edgeroute/mbedtls_crypto.h"

#if MBEDTLS_VERSION_MAJOR < 3
#define EDGEROUTE_SHA256_STARTS mbedtls_sha256_starts_ret
#define EDGEROUTE_SHA256_UPDATE mbedtls_sha256_update_ret
#define EDGEROUTE_SHA256_FINISH mbedtls_sha256_finish_ret
#define EDGEROUTE_SHA256 mbedtls_sha256_ret
#else
#define EDGEROUTE_SHA256_STARTS mbedtls_sha256_starts
#define EDGEROUTE_SHA256_UPDATE mbedtls_sha256_update
#define EDGEROUTE_SHA256_FINISH mbedtls_sha256_finish
#define EDGEROUTE_SHA256 mbedtls_sha256
#endif

namespace edgeroute {
namespace {

static_assert(sizeof(mbedtls_sha256_context) <= sizeof(Sha256Ctx::opaque),
              "Sha256Ctx is too small for this mbedTLS build");
static_assert(alignof(mbedtls_sha256_context) <= alignof(Sha256Ctx),
              "Sha256Ctx is under-aligned for this mbedTLS build");

// mbedTLS reports errors only for bad arguments or a failing hardware engine;
// neither can be handled by the caller of a hash, so stop loudly.
void check(int rc) {
  if (rc != 0) std::abort();
}

mbedtls_sha256_context* as_mbedtls(Sha256Ctx* ctx) {
  return std::launder(reinterpret_cast<mbedtls_sha256_context*>(ctx->opaque));
}

class MbedtlsCrypto final : public Crypto {
 public:
  void sha256(const void* data, std::size_t len, Digest32* out) const override {
    check(EDGEROUTE_SHA256(static_cast<const unsigned char*>(data), len, out->bytes, 0));
  }

  void sha256_begin(Sha256Ctx* ctx) const override {
    mbedtls_sha256_context* c = new (ctx->opaque) mbedtls_sha256_context;
    mbedtls_sha256_init(c);
    check(EDGEROUTE_SHA256_STARTS(c, 0));
  }

  void sha256_update(Sha256Ctx* ctx, const void* data, std::size_t len) const override {
    check(EDGEROUTE_SHA256_UPDATE(as_mbedtls(ctx), static_cast<const unsigned char*>(data), len));
  }

  void sha256_copy(const Sha256Ctx* from, Sha256Ctx* to) const override {
    mbedtls_sha256_context* c = new (to->opaque) mbedtls_sha256_context;
    mbedtls_sha256_init(c);
    mbedtls_sha256_clone(c, std::launder(reinterpret_cast<const mbedtls_sha256_context*>(from->opaque)));
  }
  void sha256_finish(Sha256Ctx* ctx, Digest32* out) const override {
    mbedtls_sha256_context* c = as_mbedtls(ctx);
    check(EDGEROUTE_SHA256_FINISH(c, out->bytes));
    mbedtls_sha256_free(c);  // zeroizes the context
  }
};

}  // namespace

const Crypto& mbedtls_crypto() {
  static const MbedtlsCrypto instance;
  return instance;
}

}  // namespace edgeroute
