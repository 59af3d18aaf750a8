// edgeroute/sigv4.h -- AWS Signature Version 4 (AWS4-HMAC-SHA256) signing.
//
// Header signing (an Authorization header) and query signing (a presigned URL),
// as specified by AWS and checked against the AWS SigV4 test suite and botocore.
//
// Contracts:
//   - No heap. Everything the signer produces is written into one caller-provided
//     buffer; the views in SignedRequest point into it and stay valid until the
//     buffer is reused. A buffer that is too small is Code::kBufferTooSmall (the
//     message says how many bytes were needed), never a truncated signature.
//   - No clock. The signing time is an input (Options::time_unix_s).
//   - No I/O, no logging. Secrets never appear in a Status message.
//   - Crypto only through edgeroute::Crypto (edgeroute/crypto.h).
//   - A Signer is not thread-safe (it owns a signing-key cache): use one per
//     thread, or guard it with a mutex. It is about 4.5 KiB with the default
//     EDGEROUTE_SIGV4_KEY_CACHE_SLOTS (8); the cache keeps each key as prepared
//     HMAC states, which saves two SHA-256 blocks per signature.
#ifndef EDGEROUTE_SIGV4_H
#define EDGEROUTE_SIGV4_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "edgeroute/config.h"
#include "edgeroute/crypto.h"
#include "edgeroute/status.h"

namespace edgeroute {
namespace sigv4 {

struct Header {
  std::string_view name;
  std::string_view value;
};

// Key material. The signer copies none of it except into its key cache, which
// holds derived keys only and wipes them when dropped.
struct Credentials {
  std::string_view access_key_id;
  std::string_view secret_access_key;
  std::string_view session_token;  // empty when there is none
};

enum class Mode : std::uint8_t {
  kHeader,  // add X-Amz-Date, [X-Amz-Security-Token], [x-amz-content-sha256], Authorization
  kQuery,   // presigned URL: add X-Amz-Algorithm ... X-Amz-Signature to the query string
};

enum class PayloadHash : std::uint8_t {
  kHashBody,         // SHA-256 of Request::body
  kPrecomputed,      // Options::precomputed_payload_hash (64 lowercase hex digits)
  kUnsignedPayload,  // the literal UNSIGNED-PAYLOAD
};

// The request as it will go on the wire. Header names are matched
// case-insensitively; the same name may appear more than once (values are joined
// with ',' in arrival order). The headers must include Host.
struct Request {
  std::string_view method;  // "POST"
  // The path as sent, e.g. "/model/eu.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse".
  // Raw bytes (spaces, UTF-8) are allowed and are percent-encoded when canonicalized.
  std::string_view path;
  std::string_view query;   // without the '?'; raw or percent-encoded; may be empty
  const Header* headers = nullptr;
  std::size_t header_count = 0;
  const void* body = nullptr;
  std::size_t body_bytes = 0;
};

struct Options {
  std::string_view region;   // "eu-central-1"
  std::string_view service;  // "bedrock" for Bedrock Runtime
  std::int64_t time_unix_s = 0;  // signing time, seconds since the epoch, UTC
  Mode mode = Mode::kHeader;
  // Remove "." and ".." segments and merge repeated '/' before encoding.
  bool normalize_path = true;
  // Non-S3 services (Bedrock included) percent-encode the path as it stands, so a
  // '%' already in it is encoded again: ":" travels as %3A and is signed as %253A.
  bool double_encode_path = true;
  PayloadHash payload = PayloadHash::kHashBody;
  std::string_view precomputed_payload_hash;  // with PayloadHash::kPrecomputed
  // Header mode: also sign and add "x-amz-content-sha256: <payload hash>".
  bool add_content_sha256_header = false;
  // Leave the session token out of the signature and attach it afterwards (a few
  // legacy services want this; Bedrock does not).
  bool omit_session_token = false;
  // Query mode: X-Amz-Expires, seconds, 1..604800.
  std::uint32_t expires_s = 3600;
};

// What signing produced. Every view points into the caller's buffer.
struct SignedRequest {
  std::string_view amz_date;           // "20150830T123600Z"
  std::string_view credential_scope;   // "20150830/us-east-1/service/aws4_request"
  std::string_view signed_headers;     // "host;x-amz-date"
  std::string_view payload_hash;       // 64 hex digits or "UNSIGNED-PAYLOAD"
  std::string_view canonical_request;
  std::string_view string_to_sign;
  std::string_view signature;          // 64 lowercase hex digits (sign_with_key: the key's)
  // Header mode: the value of the Authorization header. Empty in query mode.
  std::string_view authorization;
  // Query mode: the complete query string to send (without '?'): the request's own
  // parameters plus the X-Amz-* ones, ending in X-Amz-Signature. Empty in header mode.
  std::string_view query;
  // Header mode: the headers to add to the request, in this order: X-Amz-Date,
  // X-Amz-Security-Token (if a token), x-amz-content-sha256 (if asked), Authorization.
  Header added_headers[4];
  std::size_t added_header_count = 0;
};

// A private key that signs the string to sign itself, instead of an HMAC chain
// derived from a secret: IAM Roles Anywhere's AWS4-X509-RSA-SHA256 and
// AWS4-X509-ECDSA-SHA256 ("IAM Roles Anywhere authentication signing process").
// The canonical request, string to sign and Authorization header are SigV4's own.
class StringToSignKey {
 public:
  virtual ~StringToSignKey() = default;
  // The algorithm named in the string to sign and the Authorization header.
  virtual std::string_view algorithm() const = 0;
  // The longest signature sign_hex() writes, in hex digits.
  virtual std::size_t max_signature_hex_bytes() const = 0;
  // Signs SHA-256(string to sign) and writes the signature as lowercase hex into
  // out_hex (capacity out_hex_bytes), its length into *out_len. Must not name key
  // material in a message.
  virtual Status sign_hex(const Digest32& string_to_sign_sha256, char* out_hex, std::size_t out_hex_bytes,
                          std::size_t* out_len) const = 0;
};

class Signer {
 public:
  explicit Signer(const Crypto& crypto);
  ~Signer();  // wipes the key cache
  Signer(const Signer&) = delete;
  Signer& operator=(const Signer&) = delete;

  // Signs request into buf. On error *out is left empty and the message names the
  // problem (a bad header, a limit from config.h, the buffer size needed).
  Status sign(const Request& request, const Options& options, const Credentials& credentials,
              char* buf, std::size_t buf_bytes, SignedRequest* out);

  // Header signing with `key` instead of a secret: the credential scope starts
  // with key_id (for Roles Anywhere, the certificate's serial number in decimal)
  // and SignedRequest::signature has the key's length. No session token, no query
  // mode (kInvalidArgument). Same buffer contract as sign().
  Status sign_with_key(const Request& request, const Options& options, std::string_view key_id,
                       const StringToSignKey& key, char* buf, std::size_t buf_bytes, SignedRequest* out);

  // Recomputes the signature and compares it with signature_hex in constant time.
  // OK when they match; Code::kChecksumMismatch when they do not.
  Status verify(const Request& request, const Options& options, const Credentials& credentials,
                std::string_view signature_hex, char* buf, std::size_t buf_bytes);

  // Drops and wipes every cached signing key (for example after a credential rotation).
  void clear_key_cache();

  // How many times the 4-HMAC signing-key derivation ran (cache misses), for tests
  // and metrics.
  std::uint64_t key_derivations() const { return key_derivations_; }

 private:
  // The signing key for (date, region, service, credentials), ready for HMAC:
  // from the cache, or derived with four HMACs and cached (the least recently
  // used slot is replaced). Points into the cache; valid until the next call.
  Status sign_impl(const Request& request, const Options& options, const Credentials& credentials,
                   const StringToSignKey* key, char* buf, std::size_t buf_bytes, SignedRequest* out);
  const Crypto::HmacKey& signing_key(std::string_view date, std::string_view region,
                                     std::string_view service, const Credentials& credentials);

  struct CachedKey {
    bool used;
    std::uint64_t last_use;
    char date[8];  // YYYYMMDD
    std::uint8_t region_len, service_len, access_key_len;
    char region[limits::kSigv4MaxScopePartBytes];
    char service[limits::kSigv4MaxScopePartBytes];
    char access_key_id[limits::kSigv4MaxAccessKeyBytes];
    // Tells a rotated secret under the same key ID apart: a 64-bit FNV-1a of the
    // secret, which reveals less about it than the derived key stored next to it.
    std::uint64_t secret_fingerprint;
    Crypto::HmacKey key;  // the derived signing key, absorbed into HMAC states
  };

  const Crypto& crypto_;
  CachedKey cache_[limits::kSigv4KeyCacheSlots];
  std::uint64_t use_counter_ = 0;
  std::uint64_t key_derivations_ = 0;
};

// An upper bound on the buffer that sign() needs for this request, in bytes.
std::size_t required_buffer_bytes(const Request& request, const Options& options,
                                  const Credentials& credentials);

// Formats the SigV4 timestamp "YYYYMMDDTHHMMSSZ" (16 characters + NUL) of a Unix time.
// Returns false for times before 1970 or after 9999.
bool format_amz_date(std::int64_t time_unix_s, char out[17]);

// Parses "YYYY-MM-DDTHH:MM:SSZ" (ISO 8601, UTC) or "YYYYMMDDTHHMMSSZ".
Status parse_timestamp(std::string_view text, std::int64_t* time_unix_s);

}  // namespace sigv4
}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_SIGV4_H
