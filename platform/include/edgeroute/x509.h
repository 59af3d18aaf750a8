// edgeroute/x509.h -- an X.509 certificate and its private key, for signing with
// the key itself (IAM Roles Anywhere). The seam keeps the core free of any TLS
// stack's headers; platform/mbedtls implements it (edgeroute/mbedtls_x509.h).
//
// Used when credentials are fetched, not per call: these may allocate. Messages
// name files, never key material.
#ifndef EDGEROUTE_X509_H
#define EDGEROUTE_X509_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "edgeroute/crypto.h"
#include "edgeroute/status.h"

namespace edgeroute {

// Largest signature a key makes, bytes (RSA-8192; a DER ECDSA P-521 one is 139).
constexpr std::size_t kX509MaxSignatureBytes = 1024;

enum class X509KeyType : std::uint8_t { kRsa, kEcdsa };

struct X509Certificate {
  std::vector<std::uint8_t> der;   // the certificate as DER
  std::string serial_decimal;      // its serial number, in decimal
  std::vector<std::uint8_t> subject_public_key_der;  // SubjectPublicKeyInfo, DER
};

class X509PrivateKey {
 public:
  virtual ~X509PrivateKey() = default;
  virtual X509KeyType type() const = 0;
  // Signs a SHA-256 digest: RSA PKCS#1 v1.5, or ECDSA as a DER SEQUENCE{r, s}.
  // Writes at most out_bytes into out, the length into *out_len.
  virtual Status sign_sha256(const Digest32& digest, std::uint8_t* out, std::size_t out_bytes,
                             std::size_t* out_len) const = 0;
};

class X509Backend {
 public:
  virtual ~X509Backend() = default;
  // Every certificate of a PEM file, in file order. kNotFound / kIo when it cannot
  // be read; kParseError when it holds no certificate or a malformed one. `what`
  // starts each message ("rolesanywhere: certificate").
  virtual Status load_certificates(const std::string& path, const char* what,
                                   std::vector<X509Certificate>* out) const = 0;
  // The unencrypted PEM or DER private key at `path`, which must be RSA or EC and
  // must be the key of `certificate` (kPermissionDenied naming both files when it
  // is not).
  virtual Status load_private_key(const std::string& path, const X509Certificate& certificate, const char* what,
                                  std::unique_ptr<X509PrivateKey>* out) const = 0;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_X509_H
