// edgeroute/credentials_remote.h -- credentials fetched over HTTP or from a helper
// program: container / Greengrass token exchange, AWS IoT Core's credentials
// provider, and the shared config's credential_process.
//
// These sources are slow (a network round trip, a process) and return credentials
// that expire: put a CachingCredentialsProvider (credentials_cache.h) in front of
// each, which calls get() at start-up and ahead of expiry, one call at a time.
// get() is still safe from several threads (each provider serializes its own
// transport), and it may allocate.
//
// Secrets: no message names a secret, token, authorization token or key material;
// the certificate and key are named by path only. Response bodies are wiped after
// parsing.
#ifndef EDGEROUTE_CREDENTIALS_REMOTE_H
#define EDGEROUTE_CREDENTIALS_REMOTE_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "edgeroute/clock.h"
#include "edgeroute/credentials.h"
#include "edgeroute/status.h"
#include "edgeroute/transport.h"
#include "edgeroute/x509.h"

namespace edgeroute {

// Largest credentials answer read from an endpoint or a process, bytes.
constexpr std::size_t kMaxCredentialsResponseBytes = 64 * 1024;

// "2026-12-05T13:40:00Z", with optional fractional seconds, or a "+00:00" offset,
// as milliseconds since the epoch. False for anything else.
bool parse_iso8601_utc_ms(std::string_view text, std::int64_t* utc_ms);

// One parsed http(s) URL. IPv6 hosts are kept without brackets.
struct HttpUrl {
  bool tls = false;
  std::string host;
  std::uint16_t port = 0;
  std::string path_and_query = "/";
};
// kInvalidArgument for anything but "http://HOST[:PORT][/PATH]" or https://.
Status parse_http_url(std::string_view url, HttpUrl* out);

// --- Container and Greengrass credentials --------------------------------------
//
// AWS_CONTAINER_CREDENTIALS_RELATIVE_URI (appended to http://169.254.170.2), else
// AWS_CONTAINER_CREDENTIALS_FULL_URI. An "Authorization" header carries the
// contents of AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE, else
// AWS_CONTAINER_AUTHORIZATION_TOKEN (the file wins, as in botocore; re-read on
// every fetch, since the agent rotates it). Plain http:// may reach only what the
// AWS SDKs allow (botocore utils.ContainerMetadataFetcher): a loopback address,
// localhost, 169.254.170.2 (ECS), 169.254.170.23 or fd00:ec2::23 (EKS Pod
// Identity); any host over https://. The answer: {"AccessKeyId",
// "SecretAccessKey", "Token", "Expiration"}.
// kNotFound when neither variable is set (a chain moves on).
class ContainerCredentialsProvider final : public CredentialsProvider {
 public:
  // `transport` is used only by this provider; timeouts bound each fetch.
  ContainerCredentialsProvider(const Environment& env, std::unique_ptr<Transport> transport, const Clock& clock,
                               HttpTimeouts timeouts = HttpTimeouts{1000, 2000, 2000, 0});
  Status get(std::int64_t utc_now_ms, AwsCredentials* out) const override;
  // Whether the environment names a container endpoint at all.
  static bool configured(const Environment& env);

 private:
  const Environment& env_;
  std::unique_ptr<Transport> transport_;
  const Clock& clock_;
  HttpTimeouts timeouts_;
  mutable std::mutex mutex_;
};

// --- AWS IoT Core credentials provider ------------------------------------------

struct IotCredentialsOptions {
  // "<prefix>.credentials.iot.<region>.amazonaws.com" (aws iot describe-endpoint
  // --endpoint-type iot:CredentialProvider), or an https:// URL for tests and proxies.
  std::string endpoint;
  std::string role_alias;   // GET /role-aliases/<role_alias>/credentials
  std::string thing_name;   // optional: sent as x-amzn-iot-thingname
  // Named in messages; the transport (built with the same identity) presents them.
  TlsClientIdentity identity;
};

// Trades the device certificate for the role alias's credentials over mutual TLS.
// The transport must have been built with options.identity as its client
// certificate. Checked at construction and on each fetch: the certificate file is
// readable, and a PEM private-key file is not readable or writable by group or
// others (kPermissionDenied, naming the file and its mode). Errors, each one line
// naming the endpoint or file:
//   kPermissionDenied  the certificate was refused (TLS handshake, 401/403);
//   kNotFound          the role alias does not exist (404);
//   kThrottled         429;
//   kUnavailable / kTimeout  the endpoint cannot be reached or answered 5xx;
//   kParseError        the answer is not the documented JSON.
class IotCredentialsProvider final : public CredentialsProvider {
 public:
  IotCredentialsProvider(IotCredentialsOptions options, std::unique_ptr<Transport> transport, const Clock& clock,
                         HttpTimeouts timeouts = HttpTimeouts{5000, 5000, 5000, 0});
  Status get(std::int64_t utc_now_ms, AwsCredentials* out) const override;
  // The checks made before connecting (files, names, endpoint).
  Status check() const;

 private:
  IotCredentialsOptions options_;
  std::unique_ptr<Transport> transport_;
  const Clock& clock_;
  HttpTimeouts timeouts_;
  mutable std::mutex mutex_;
};

// --- IAM Roles Anywhere -----------------------------------------------------------

struct RolesAnywhereOptions {
  // The signing scope's region and, unless `endpoint` is set, the endpoint
  // rolesanywhere.<region>.amazonaws.com.
  std::string region;
  std::string endpoint;  // optional: an https:// URL for tests and proxies
  std::string certificate_file;  // PEM: the end-entity certificate (the first in the file)
  std::string key_file;          // its unencrypted RSA or EC private key, PEM or DER
  std::string chain_file;        // optional PEM: intermediate CA certificates
  std::string trust_anchor_arn;
  std::string profile_arn;
  std::string role_arn;
  std::int64_t session_duration_s = 3600;  // durationSeconds: 900..43200
};

// Trades an X.509 certificate for a role's credentials with CreateSession (POST
// /sessions, IAM Roles Anywhere User Guide, "The IAM Roles Anywhere authentication
// signing process"): signed with the certificate's own key, AWS4-X509-RSA-SHA256
// or AWS4-X509-ECDSA-SHA256, the SigV4 canonical request (sigv4::Signer) with
// X-Amz-X509 (and X-Amz-X509-Chain) among the signed headers, the credential
// scope <serial in decimal>/<date>/<region>/rolesanywhere/aws4_request. Files are
// read on each fetch, so a renewed certificate is used at the next refresh. The
// key file must not be readable or writable by group or others, and must be the
// certificate's key (kPermissionDenied naming the file). Errors, one line naming
// the endpoint or file:
//   kPermissionDenied  the endpoint refused the certificate or signature (401/403);
//   kNotFound          404; kThrottled 429; kUnavailable / kTimeout: unreachable, 5xx;
//   kParseError        the answer is not {"credentialSet": [{"credentials": ...}]}.
class RolesAnywhereCredentialsProvider final : public CredentialsProvider {
 public:
  RolesAnywhereCredentialsProvider(RolesAnywhereOptions options, std::unique_ptr<Transport> transport,
                                   const Clock& clock, const Crypto& crypto, const X509Backend& x509,
                                   HttpTimeouts timeouts = HttpTimeouts{5000, 5000, 5000, 0});
  Status get(std::int64_t utc_now_ms, AwsCredentials* out) const override;
  // The checks made before connecting (settings, files, the key matching the certificate).
  Status check() const;

 private:
  RolesAnywhereOptions options_;
  std::unique_ptr<Transport> transport_;
  const Clock& clock_;
  const Crypto& crypto_;
  const X509Backend& x509_;
  HttpTimeouts timeouts_;
  mutable std::mutex mutex_;
};

// A private key file that group or others may read or write is refused, as ssh
// refuses one: kPermissionDenied "<what> <path>: readable by group or others
// (mode 0644); chmod 600 it". kNotFound / kIo when it cannot be examined.
Status check_private_key_file(const std::string& path, const char* what);

// --- credential_process --------------------------------------------------------------
//
// The profile's `credential_process`, run as the AWS CLI runs it (botocore
// ProcessProvider): the command line is split into words by POSIX shell quoting
// rules as Python's shlex.split does (whitespace separates words; '...' is literal;
// "..." is literal but for \" and \\; a backslash outside quotes escapes the next
// character) and executed directly, with execvp -- no shell, so no variables,
// globs, pipes, redirections or command substitution: a ';' or '$(...)' is a
// literal argument. stdout is read (at most kMaxCredentialsResponseBytes), stderr
// passes through to ours, and the process is killed after timeout_ms. stdout must
// be {"Version": 1, "AccessKeyId", "SecretAccessKey", "SessionToken"?,
// "Expiration"?}. kNotFound when the profile has no credential_process.
class ProcessCredentialsProvider final : public CredentialsProvider {
 public:
  explicit ProcessCredentialsProvider(const Environment& env, ProfileOptions options = ProfileOptions(),
                                      std::int64_t timeout_ms = 60000)
      : env_(env), options_(std::move(options)), timeout_ms_(timeout_ms) {}
  Status get(std::int64_t utc_now_ms, AwsCredentials* out) const override;

 private:
  const Environment& env_;
  ProfileOptions options_;
  std::int64_t timeout_ms_;
};

// Splits a command line into words (the rules above). kInvalidArgument for an
// unterminated quote, a trailing backslash or an empty command.
Status split_command_line(std::string_view line, std::vector<std::string>* words);

// Parses a credentials answer into *out. Field names: the container / process
// spelling ("AccessKeyId", ...) or, with iot_shape, {"credentials": {"accessKeyId",
// "secretAccessKey", "sessionToken", "expiration"}}. `source` names it in messages
// and becomes out->source().
Status parse_credentials_json(std::string_view body, bool iot_shape, bool require_version_1, const char* source,
                              AwsCredentials* out);

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CREDENTIALS_REMOTE_H
