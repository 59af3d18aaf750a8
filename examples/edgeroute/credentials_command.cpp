// `edgeroute credentials`: which source won, the access key ID's last four
// characters and the expiry. Never a secret.
#include "credentials_command.h"

#include <cstdio>
#include <cstring>
#include <ctime>

#include "commands.h"
#include "edgeroute/clock.h"
#include "edgeroute/curl_transport.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/mbedtls_x509.h"
#include "tool_config.h"

namespace edgeroute {
namespace tool {

Status tool_credentials(const CredentialsOptions& options, const std::string& ca_bundle,
                        std::unique_ptr<CredentialsSetup>* out) {
  Status st = make_credentials(
      options, process_environment(), system_clock(),
      [ca_bundle](const TlsClientIdentity& identity, std::unique_ptr<Transport>* t) {
        CurlTransport::Config config;
        config.ca_bundle = ca_bundle;
        config.max_connections = 1;
        config.client = identity;
        std::unique_ptr<CurlTransport> transport;
        const Status created = CurlTransport::create(config, &transport);
        if (created.ok()) *t = std::move(transport);
        return created;
      },
      out, &mbedtls_crypto(), &mbedtls_x509());
  if (!st.ok()) return st;
  (void)(*out)->cache().prime(system_clock().utc_unix_ms());
  return Status();
}

namespace {

constexpr const char kUsage[] =
    "usage: edgeroute credentials [--config FILE] [--ca-bundle FILE]\n"
    "\n"
    "Fetches credentials as converse would and prints which source gave them, the\n"
    "access key ID's last four characters and when they expire. Never a secret.\n"
    "Sources: the \"credentials\" section of --config (source default, environment,\n"
    "profile, process, container or iot); by default the environment, the shared\n"
    "files' keys, the profile's credential_process, then container credentials\n"
    "(AWS_CONTAINER_CREDENTIALS_*_URI).\n";

}  // namespace

int credentials_command(int argc, char** argv) {
  std::string config_path, ca_bundle;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kUsage, stdout);
      return 0;
    }
    if ((arg == "--config" || arg == "--ca-bundle") && i + 1 < argc) {
      (arg == "--config" ? config_path : ca_bundle) = argv[++i];
      continue;
    }
    std::fprintf(stderr, "edgeroute credentials: unknown or incomplete option '%s' (see --help)\n", arg.c_str());
    return 2;
  }
  ToolConfig file;
  if (!config_path.empty()) {
    std::string error;
    if (!load_tool_config(config_path, &file, &error)) {
      std::fprintf(stderr, "edgeroute credentials: --config %s\n", error.c_str());
      return 2;
    }
    if (ca_bundle.empty()) ca_bundle = file.ca_bundle;
  }
  std::unique_ptr<CredentialsSetup> setup;
  Status st = tool_credentials(file.credentials, ca_bundle, &setup);
  if (!st.ok()) {
    std::fprintf(stderr, "edgeroute credentials: %s\n", st.message());
    return 1;
  }
  AwsCredentials c;
  const std::int64_t now_ms = system_clock().utc_unix_ms();
  st = setup->provider().get(now_ms, &c);
  c.clear();
  if (!st.ok()) {
    std::fprintf(stderr, "edgeroute credentials: %s (tried: %s)\n", st.message(), setup->chain().c_str());
    return 1;
  }
  const CredentialsCacheState state = setup->cache().state();
  std::printf("source: %s\n", state.source);
  std::printf("tried: %s\n", setup->chain().c_str());
  if (state.bearer) {
    std::printf("kind: Bedrock API key (bearer)\n");
  } else {
    std::printf("access key ID: ...%s\n", state.access_key_id_tail);
  }
  if (state.expiration_utc_ms == 0) {
    std::printf("expires: never\n");
  } else {
    const std::time_t t = static_cast<std::time_t>(state.expiration_utc_ms / 1000);
    std::tm tm{};
    gmtime_r(&t, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    std::printf("expires: %s (in %lld s)\n", when, static_cast<long long>((state.expiration_utc_ms - now_ms) / 1000));
  }
  return 0;
}

}  // namespace tool
}  // namespace edgeroute
