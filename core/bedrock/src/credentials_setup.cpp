#include "edgeroute/credentials_setup.h"

namespace edgeroute {

Status make_credentials(const CredentialsOptions& options, const Environment& env, const Clock& clock,
                        const CredentialsTransportFactory& make_transport, std::unique_ptr<CredentialsSetup>* out,
                        const Crypto* crypto, const X509Backend* x509) {
  std::unique_ptr<CredentialsSetup> setup(new CredentialsSetup());
  const std::string& source = options.source;
  const bool chain = source.empty() || source == "default";
  ProfileOptions profile;
  profile.profile = options.profile;
  auto add = [&](std::unique_ptr<CredentialsProvider> p, const char* name) {
    setup->order_.push_back(p.get());
    setup->sources_.push_back(std::move(p));
    setup->chain_.append(setup->chain_.empty() ? "" : ", ").append(name);
  };
  auto transport = [&](const TlsClientIdentity& identity, std::unique_ptr<Transport>* t) -> Status {
    if (!make_transport) return Status::error(Code::kInvalidArgument, "credentials: no transport to reach an endpoint");
    return make_transport(identity, t);
  };
  const bool rolesanywhere_settings = !options.chain_file.empty() || !options.trust_anchor_arn.empty() ||
                                     !options.profile_arn.empty() || !options.role_arn.empty() ||
                                     !options.region.empty();
  if (rolesanywhere_settings && source != "rolesanywhere") {
    return Status::error(Code::kInvalidArgument,
                         "credentials: chain, trust anchor, profile and role ARNs and region go with source "
                         "\"rolesanywhere\" only");
  }
  if (source == "rolesanywhere") {
    if (!options.role_alias.empty() || !options.thing_name.empty()) {
      return Status::error(Code::kInvalidArgument, "credentials: role alias and thing name go with source \"iot\" only");
    }
    if (options.identity.key_type != "" && options.identity.key_type != "PEM") {
      return Status::error(Code::kInvalidArgument, "credentials.key_type: rolesanywhere reads a key file only (PEM)");
    }
    if (crypto == nullptr || x509 == nullptr) {
      return Status::error(Code::kInvalidArgument, "credentials: rolesanywhere needs an X.509 backend (mbedtls_x509())");
    }
    RolesAnywhereOptions ra;
    ra.region = options.region;
    ra.endpoint = options.endpoint;
    ra.certificate_file = options.identity.certificate_file;
    ra.key_file = options.identity.key;
    ra.chain_file = options.chain_file;
    ra.trust_anchor_arn = options.trust_anchor_arn;
    ra.profile_arn = options.profile_arn;
    ra.role_arn = options.role_arn;
    ra.session_duration_s = options.session_duration_s;
    std::unique_ptr<Transport> t;
    Status s = transport(TlsClientIdentity(), &t);
    if (!s.ok()) return s;
    auto provider = std::make_unique<RolesAnywhereCredentialsProvider>(std::move(ra), std::move(t), clock, *crypto, *x509);
    s = provider->check();
    if (!s.ok()) return s;
    add(std::move(provider), "rolesanywhere");
  } else if (source == "iot") {
    IotCredentialsOptions iot;
    iot.endpoint = options.endpoint;
    iot.role_alias = options.role_alias;
    iot.thing_name = options.thing_name;
    iot.identity = options.identity;
    if (iot.identity.key_type.empty()) iot.identity.key_type = "PEM";
    if (iot.identity.key_type != "PEM" && iot.identity.key_type != "ENG") {
      return Status::error(Code::kInvalidArgument, "credentials.key_type: expected PEM or ENG");
    }
    std::unique_ptr<Transport> t;
    Status s = transport(iot.identity, &t);
    if (!s.ok()) return s;
    auto provider = std::make_unique<IotCredentialsProvider>(std::move(iot), std::move(t), clock);
    s = provider->check();
    if (!s.ok()) return s;
    add(std::move(provider), "iot");
  } else if (chain || source == "environment" || source == "profile" || source == "process" ||
             source == "container") {
    if (!options.endpoint.empty() || !options.role_alias.empty() || !options.identity.empty()) {
      return Status::error(Code::kInvalidArgument,
                           "credentials: endpoint, role alias and certificate go with source \"iot\" only");
    }
    if (chain || source == "environment") add(std::make_unique<EnvironmentCredentialsProvider>(env), "environment");
    if (chain || source == "profile") add(std::make_unique<ProfileCredentialsProvider>(env, profile), "shared files");
    if (chain || source == "process") add(std::make_unique<ProcessCredentialsProvider>(env, profile), "process");
    if ((chain && ContainerCredentialsProvider::configured(env)) || source == "container") {
      std::unique_ptr<Transport> t;
      Status s = transport(TlsClientIdentity(), &t);
      if (!s.ok()) return s;
      add(std::make_unique<ContainerCredentialsProvider>(env, std::move(t), clock), "container");
    }
  } else {
    return Status::error(Code::kInvalidArgument,
                         "credentials.source: expected default, environment, profile, process, container, iot or rolesanywhere");
  }
  setup->chain_provider_ = std::make_unique<ChainCredentialsProvider>(setup->order_.data(), setup->order_.size());
  setup->cache_ = std::make_unique<CachingCredentialsProvider>(*setup->chain_provider_, options.cache);
  *out = std::move(setup);
  return Status();
}

}  // namespace edgeroute
