// edgeroute/mbedtls_x509.h -- edgeroute::X509Backend over mbedTLS's pk, PEM and
// ASN.1 modules (libmbedcrypto only; mbedTLS 2.28 and 3.x).
#ifndef EDGEROUTE_MBEDTLS_X509_H
#define EDGEROUTE_MBEDTLS_X509_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include "edgeroute/x509.h"

namespace edgeroute {

// Stateless; shared by every thread. Keys it loads may be used from one thread at
// a time each.
const X509Backend& mbedtls_x509();

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_MBEDTLS_X509_H
