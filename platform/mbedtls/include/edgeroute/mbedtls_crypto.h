// edgeroute/mbedtls_crypto.h -- the mbedTLS implementation of edgeroute::Crypto
// (library edgeroute_platform_mbedtls). Works with mbedTLS 2.28 and 3.x.
#ifndef EDGEROUTE_MBEDTLS_CRYPTO_H
#define EDGEROUTE_MBEDTLS_CRYPTO_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include "edgeroute/crypto.h"
#include "edgeroute/sha256_backend.h"

namespace edgeroute {

// The crypto edgeroute signs with: SHA-256 on the CPU's SHA instructions when it
// has them (ARMv8 Crypto Extensions, Intel SHA extensions), mbedTLS's portable
// code otherwise, with HMAC on top of either; the same digests every way. The
// backend is chosen once, at the first call: the one the environment variable
// EDGEROUTE_SHA256 names (auto, mbedtls, armv8-ce, sha-ni) when this CPU runs
// it, else the fastest one it runs. Stateless; one instance is shared by every
// thread.
const Crypto& mbedtls_crypto();

// mbedTLS's software SHA-256 whatever the CPU: the floor the benchmarks compare
// the hardware backends with.
const Crypto& mbedtls_software_crypto();

// The Crypto on exactly this backend, or nullptr when this CPU or build lacks it.
const Crypto* crypto_for_sha256_backend(Sha256Backend backend);

// What mbedtls_crypto() chose, and why.
struct Sha256Selection {
  Sha256Backend backend;
  bool forced;       // EDGEROUTE_SHA256 named it
  const char* note;  // empty, or one line on why EDGEROUTE_SHA256 was not followed
};
Sha256Selection sha256_selection();

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_MBEDTLS_CRYPTO_H
