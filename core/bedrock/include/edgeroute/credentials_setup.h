// edgeroute/credentials_setup.h -- which source signs requests, from settings.
//
// The chain when `source` is empty ("default"), first found wins:
//   1. the environment (AWS_BEARER_TOKEN_BEDROCK, else AWS_ACCESS_KEY_ID ...);
//   2. the shared files' static keys of the profile;
//   3. the profile's credential_process;
//   4. container / Greengrass credentials (AWS_CONTAINER_CREDENTIALS_*_URI), when set.
// AWS IoT Core (device certificate) and IAM Roles Anywhere (an X.509 certificate
// and its key) are used only when named: source "iot", "rolesanywhere". Any
// other named source is used alone, and a missing one is an error, not a fallback.
// Whatever the source, one CachingCredentialsProvider sits in front of it.
#ifndef EDGEROUTE_CREDENTIALS_SETUP_H
#define EDGEROUTE_CREDENTIALS_SETUP_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "edgeroute/clock.h"
#include "edgeroute/credentials.h"
#include "edgeroute/credentials_cache.h"
#include "edgeroute/credentials_remote.h"
#include "edgeroute/status.h"
#include "edgeroute/transport.h"
#include "edgeroute/x509.h"

namespace edgeroute {

struct CredentialsOptions {
  // "" or "default" (the chain above), "environment", "profile", "process",
  // "container", "iot", "rolesanywhere".
  std::string source;
  std::string profile;  // the shared files' profile; empty: AWS_PROFILE, else default
  // source "iot": the credentials endpoint, role alias, optional thing name, and
  // the device certificate and key (identity.key: a PEM file, or with key_type
  // "ENG" an engine key ID such as a PKCS#11 URI).
  std::string endpoint;
  std::string role_alias;
  std::string thing_name;
  TlsClientIdentity identity;
  // source "rolesanywhere": identity.certificate_file and identity.key (a PEM or
  // DER key file), an optional PEM file of intermediates, the ARNs, the region
  // (and `endpoint`, an https:// URL, only to override
  // rolesanywhere.<region>.amazonaws.com) and durationSeconds.
  std::string chain_file;
  std::string trust_anchor_arn;
  std::string profile_arn;
  std::string role_arn;
  std::string region;
  std::int64_t session_duration_s = 3600;
  CredentialsCacheOptions cache;
};

// Builds the transport a remote source uses (with `identity` as its client
// certificate when it is not empty).
using CredentialsTransportFactory =
    std::function<Status(const TlsClientIdentity& identity, std::unique_ptr<Transport>* out)>;

// The sources of one setting and the cache in front of them.
class CredentialsSetup {
 public:
  // The provider to sign with: the cache.
  const CredentialsProvider& provider() const { return *cache_; }
  CachingCredentialsProvider& cache() const { return *cache_; }
  // "environment, shared files, container" or "iot": what was configured.
  const std::string& chain() const { return chain_; }

 private:
  friend Status make_credentials(const CredentialsOptions&, const Environment&, const Clock&,
                                 const CredentialsTransportFactory&, std::unique_ptr<CredentialsSetup>*,
                                 const Crypto*, const X509Backend*);
  std::vector<std::unique_ptr<CredentialsProvider>> sources_;
  std::vector<const CredentialsProvider*> order_;
  std::unique_ptr<ChainCredentialsProvider> chain_provider_;
  std::unique_ptr<CachingCredentialsProvider> cache_;
  std::string chain_;
};

// Checks the settings (kInvalidArgument naming the setting; kPermissionDenied for
// a private key others may read) and builds the sources. Fetches nothing: call
// cache().prime() for that. Source "rolesanywhere" needs `crypto` and `x509`
// (mbedtls_crypto() and mbedtls_x509() in the routed client).
Status make_credentials(const CredentialsOptions& options, const Environment& env, const Clock& clock,
                        const CredentialsTransportFactory& make_transport, std::unique_ptr<CredentialsSetup>* out,
                        const Crypto* crypto = nullptr, const X509Backend* x509 = nullptr);

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CREDENTIALS_SETUP_H
