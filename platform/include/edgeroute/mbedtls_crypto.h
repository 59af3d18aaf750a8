// edgeroute/mbedtls_crypto.h -- the mbedTLS implementation of edgeroute::Crypto
// (library edgeroute_platform_mbedtls). Works with mbedTLS 2.28 and 3.x.
#ifndef EDGEROUTE_MBEDTLS_CRYPTO_H
#define EDGEROUTE_MBEDTLS_CRYPTO_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include "edgeroute/crypto.h"

namespace edgeroute {

// Stateless; one instance is shared by every thread.
const Crypto& mbedtls_crypto();

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_MBEDTLS_CRYPTO_H
