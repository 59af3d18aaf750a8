// SHA-256 and HMAC-SHA256 over mbedTLS. Works with mbedTLS 2.28 (the *_ret
// functions) and 3.x (the same functions without the suffix).
#include <mbedtls/md.h>
#include <mbedtls/sha256.h>
#include <mbedtls/version.h>

#include <cstdlib>
#include <cstring>
#include <new>

#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/sha256_backend.h"

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

// The fastest backend this CPU runs, or the one EDGEROUTE_SHA256 names when it
// runs here. Decided once; never fails (mbedTLS runs everywhere).
Sha256Selection select_sha256_backend() {
  Sha256Selection s{Sha256Backend::kMbedtls, false, ""};
  const char* requested = std::getenv("EDGEROUTE_SHA256");
  if (requested != nullptr && requested[0] != '\0' && std::strcmp(requested, "auto") != 0) {
    Sha256Backend b;
    if (!sha256_backend_from_name(requested, &b)) {
      s.note = "EDGEROUTE_SHA256 names no SHA-256 backend (use auto, mbedtls, armv8-ce or sha-ni); chose automatically";
    } else if (!sha256_backend_supported(b)) {
      s.note = "EDGEROUTE_SHA256 names a backend this CPU or build lacks; chose automatically";
    } else {
      s.backend = b;
      s.forced = true;
      return s;
    }
  }
  for (Sha256Backend b : {Sha256Backend::kArmv8Ce, Sha256Backend::kShaNi}) {
    if (sha256_backend_supported(b)) {
      s.backend = b;
      break;
    }
  }
  return s;
}

}  // namespace

const Crypto& mbedtls_software_crypto() {
  static const MbedtlsCrypto instance;
  return instance;
}

const Crypto* crypto_for_sha256_backend(Sha256Backend backend) {
  if (backend == Sha256Backend::kMbedtls) return &mbedtls_software_crypto();
  return hardware_sha256_crypto(backend);
}

Sha256Selection sha256_selection() {
  static const Sha256Selection selection = select_sha256_backend();
  return selection;
}

const Crypto& mbedtls_crypto() {
  static const Crypto& chosen = *crypto_for_sha256_backend(sha256_selection().backend);
  return chosen;
}

}  // namespace edgeroute
