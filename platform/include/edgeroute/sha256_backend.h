// edgeroute/sha256_backend.h -- the SHA-256 implementations behind the crypto seam.
//
// SigV4 spends nearly all of its time in SHA-256 (the body, the canonical request,
// the HMAC). Where the CPU has SHA instructions, edgeroute hashes with them; the
// choice is made once, at first use, by the Crypto that mbedtls_crypto() returns
// (edgeroute/mbedtls_crypto.h), and mbedTLS's portable code is the fallback on
// every other CPU (armhf included).
//
// Every backend gives the same digests (known-answer tests per backend), allocates
// nothing, and is safe to call from any thread.
#ifndef EDGEROUTE_SHA256_BACKEND_H
#define EDGEROUTE_SHA256_BACKEND_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "edgeroute/crypto.h"

namespace edgeroute {

enum class Sha256Backend : std::uint8_t {
  kMbedtls,  // mbedTLS's portable C code: every CPU; the software floor
  kArmv8Ce,  // ARMv8 Crypto Extensions (SHA256H/H2/SU0/SU1): aarch64 whose kernel reports HWCAP_SHA2
  kShaNi,    // Intel SHA extensions: x86-64 whose cpuid reports SHA, SSE4.1 and SSSE3
};
constexpr std::size_t kSha256BackendCount = 3;

// "mbedtls", "armv8-ce", "sha-ni": the names EDGEROUTE_SHA256 and the tool use.
const char* to_string(Sha256Backend backend);
// The inverse of to_string; false for any other name.
bool sha256_backend_from_name(std::string_view name, Sha256Backend* out);

// True when this build has the backend's code and this CPU its instructions.
// kMbedtls is always true. The CPU is asked once; later calls are cheap.
bool sha256_backend_supported(Sha256Backend backend);

// The hardware backend as a Crypto (streaming SHA-256 and HMAC on its
// instructions), or nullptr for kMbedtls and for a backend this CPU or build
// lacks. The object is static: it lives as long as the program.
const Crypto* hardware_sha256_crypto(Sha256Backend backend);

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_SHA256_BACKEND_H
