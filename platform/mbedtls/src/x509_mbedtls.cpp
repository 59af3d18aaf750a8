#include "edgeroute/mbedtls_x509.h"

#include <mbedtls/asn1.h>
#include <mbedtls/ctr_drbg.h>
#include <mbedtls/entropy.h>
#include <mbedtls/pem.h>
#include <mbedtls/pk.h>
#include <mbedtls/version.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "edgeroute/file.h"

namespace edgeroute {

namespace {

constexpr std::size_t kMaxPemFileBytes = 256 * 1024;

// A big-endian unsigned integer in decimal (a certificate's serial number is at
// most 20 octets, RFC 5280 4.1.2.2; longer ones are accepted).
std::string to_decimal(const unsigned char* bytes, std::size_t n) {
  std::vector<unsigned char> v(bytes, bytes + n);
  std::string digits;
  std::size_t start = 0;
  while (start < v.size() && v[start] == 0) ++start;
  while (start < v.size()) {
    unsigned remainder = 0;
    for (std::size_t i = start; i < v.size(); ++i) {
      const unsigned cur = remainder * 256 + v[i];
      v[i] = static_cast<unsigned char>(cur / 10);
      remainder = cur % 10;
    }
    digits.push_back(static_cast<char>('0' + remainder));
    while (start < v.size() && v[start] == 0) ++start;
  }
  if (digits.empty()) digits = "0";
  return std::string(digits.rbegin(), digits.rend());
}

// Certificate ::= SEQUENCE { tbsCertificate SEQUENCE { [0] version OPTIONAL,
// serialNumber INTEGER, signature, issuer, validity, subject, subjectPublicKeyInfo,
// ... }, ... } (RFC 5280 4.1).
bool parse_certificate_der(const unsigned char* der, std::size_t der_bytes, X509Certificate* out) {
  unsigned char* p = const_cast<unsigned char*>(der);
  const unsigned char* end = der + der_bytes;
  std::size_t len = 0;
  const int seq = MBEDTLS_ASN1_CONSTRUCTED | MBEDTLS_ASN1_SEQUENCE;
  if (mbedtls_asn1_get_tag(&p, end, &len, seq) != 0 || p + len != end) return false;
  if (mbedtls_asn1_get_tag(&p, end, &len, seq) != 0) return false;
  const unsigned char* tbs_end = p + len;
  if (p < tbs_end && *p == (MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0)) {
    if (mbedtls_asn1_get_tag(&p, tbs_end, &len, MBEDTLS_ASN1_CONTEXT_SPECIFIC | MBEDTLS_ASN1_CONSTRUCTED | 0) != 0) {
      return false;
    }
    p += len;
  }
  if (mbedtls_asn1_get_tag(&p, tbs_end, &len, MBEDTLS_ASN1_INTEGER) != 0 || len == 0) return false;
  out->serial_decimal = to_decimal(p, len);
  p += len;
  for (int i = 0; i < 4; ++i) {  // signature, issuer, validity, subject
    if (mbedtls_asn1_get_tag(&p, tbs_end, &len, seq) != 0) return false;
    p += len;
  }
  unsigned char* spki = p;
  if (mbedtls_asn1_get_tag(&p, tbs_end, &len, seq) != 0) return false;
  out->subject_public_key_der.assign(spki, p + len);
  out->der.assign(der, end);
  return true;
}

class MbedtlsKey final : public X509PrivateKey {
 public:
  MbedtlsKey() {
    mbedtls_pk_init(&pk_);
    mbedtls_entropy_init(&entropy_);
    mbedtls_ctr_drbg_init(&drbg_);
  }
  ~MbedtlsKey() override {
    mbedtls_pk_free(&pk_);
    mbedtls_ctr_drbg_free(&drbg_);
    mbedtls_entropy_free(&entropy_);
  }
  int seed() {
    static const char kPersonalization[] = "edgeroute x509 key";
    return mbedtls_ctr_drbg_seed(&drbg_, mbedtls_entropy_func, &entropy_,
                                 reinterpret_cast<const unsigned char*>(kPersonalization), sizeof kPersonalization - 1);
  }
  X509KeyType type() const override { return type_; }
  Status sign_sha256(const Digest32& digest, std::uint8_t* out, std::size_t out_bytes,
                     std::size_t* out_len) const override {
    unsigned char sig[MBEDTLS_PK_SIGNATURE_MAX_SIZE];
    std::size_t sig_len = 0;
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    const int rc = mbedtls_pk_sign(&pk_, MBEDTLS_MD_SHA256, digest.bytes, sizeof digest.bytes, sig, sizeof sig,
                                   &sig_len, mbedtls_ctr_drbg_random, &drbg_);
#else
    const int rc = mbedtls_pk_sign(&pk_, MBEDTLS_MD_SHA256, digest.bytes, sizeof digest.bytes, sig, &sig_len,
                                   mbedtls_ctr_drbg_random, &drbg_);
#endif
    if (rc != 0) return Status::error_with_backend(Code::kCrypto, rc, "x509: signing failed (mbedTLS -0x%04x)", -rc);
    if (sig_len > out_bytes) {
      return Status::error(Code::kBufferTooSmall, "x509: the signature is %zu bytes, the buffer %zu", sig_len, out_bytes);
    }
    std::memcpy(out, sig, sig_len);
    *out_len = sig_len;
    return Status();
  }

  mutable mbedtls_pk_context pk_;
  mbedtls_entropy_context entropy_;
  mutable mbedtls_ctr_drbg_context drbg_;
  X509KeyType type_ = X509KeyType::kRsa;
};

class MbedtlsX509 final : public X509Backend {
 public:
  Status load_certificates(const std::string& path, const char* what,
                           std::vector<X509Certificate>* out) const override {
    out->clear();
    std::string text;
    Status s = read_file_bounded(path.c_str(), kMaxPemFileBytes, what, &text);
    if (!s.ok()) return s;
    static const char kBegin[] = "-----BEGIN CERTIFICATE-----";
    for (std::size_t at = text.find(kBegin); at != std::string::npos; at = text.find(kBegin, at + 1)) {
      mbedtls_pem_context pem;
      mbedtls_pem_init(&pem);
      std::size_t used = 0;
      const int rc = mbedtls_pem_read_buffer(&pem, kBegin, "-----END CERTIFICATE-----",
                                             reinterpret_cast<const unsigned char*>(text.c_str() + at), nullptr, 0,
                                             &used);
      X509Certificate cert;
      const bool ok = rc == 0 && parse_certificate_der(pem.buf, pem.buflen, &cert);
      mbedtls_pem_free(&pem);
      if (!ok) {
        return Status::error(Code::kParseError, "%s %s: certificate %zu is not a valid PEM X.509 certificate", what,
                             path.c_str(), out->size() + 1);
      }
      out->push_back(std::move(cert));
    }
    if (out->empty()) {
      return Status::error(Code::kParseError, "%s %s: no PEM certificate (-----BEGIN CERTIFICATE-----) in it", what,
                           path.c_str());
    }
    return Status();
  }

  Status load_private_key(const std::string& path, const X509Certificate& certificate, const char* what,
                          std::unique_ptr<X509PrivateKey>* out) const override {
    std::unique_ptr<MbedtlsKey> key(new MbedtlsKey());
    int rc = key->seed();
    if (rc != 0) return Status::error_with_backend(Code::kCrypto, rc, "%s: cannot seed the random generator", what);
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
    rc = mbedtls_pk_parse_keyfile(&key->pk_, path.c_str(), nullptr, mbedtls_ctr_drbg_random, &key->drbg_);
#else
    rc = mbedtls_pk_parse_keyfile(&key->pk_, path.c_str(), nullptr);
#endif
    if (rc == MBEDTLS_ERR_PK_FILE_IO_ERROR) {
      return Status::error_with_backend(Code::kIo, rc, "%s %s: cannot be read", what, path.c_str());
    }
    if (rc == MBEDTLS_ERR_PK_PASSWORD_REQUIRED) {
      return Status::error_with_backend(Code::kInvalidArgument, rc,
                                        "%s %s: encrypted; an unencrypted PEM or DER key is needed", what, path.c_str());
    }
    if (rc != 0) {
      return Status::error_with_backend(Code::kParseError, rc, "%s %s: not a PEM or DER RSA or EC private key", what,
                                        path.c_str());
    }
    const mbedtls_pk_type_t type = mbedtls_pk_get_type(&key->pk_);
    if (type == MBEDTLS_PK_RSA) {
      key->type_ = X509KeyType::kRsa;
    } else if (type == MBEDTLS_PK_ECKEY || type == MBEDTLS_PK_ECDSA) {
      key->type_ = X509KeyType::kEcdsa;
    } else {
      return Status::error(Code::kInvalidArgument, "%s %s: neither an RSA nor an EC key", what, path.c_str());
    }
    mbedtls_pk_context pub;
    mbedtls_pk_init(&pub);
    rc = mbedtls_pk_parse_public_key(&pub, certificate.subject_public_key_der.data(),
                                     certificate.subject_public_key_der.size());
    if (rc == 0) {
#if MBEDTLS_VERSION_NUMBER >= 0x03000000
      rc = mbedtls_pk_check_pair(&pub, &key->pk_, mbedtls_ctr_drbg_random, &key->drbg_);
#else
      rc = mbedtls_pk_check_pair(&pub, &key->pk_);
#endif
    }
    mbedtls_pk_free(&pub);
    if (rc != 0) {
      return Status::error_with_backend(Code::kPermissionDenied, rc,
                                        "%s %s: not the private key of the certificate (serial %s)", what,
                                        path.c_str(), certificate.serial_decimal.c_str());
    }
    *out = std::move(key);
    return Status();
  }
};

}  // namespace

const X509Backend& mbedtls_x509() {
  static const MbedtlsX509 backend;
  return backend;
}

}  // namespace edgeroute
