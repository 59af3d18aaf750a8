#include <cjson/cJSON.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "credentials_internal.h"
#include "edgeroute/bedrock.h"
#include "edgeroute/credentials_remote.h"
#include "edgeroute/sigv4.h"

namespace edgeroute {

using namespace detail;

namespace {

constexpr const char kService[] = "rolesanywhere";
// CreateSession's durationSeconds bounds (IAM Roles Anywhere API Reference).
constexpr std::int64_t kMinSessionSeconds = 900;
constexpr std::int64_t kMaxSessionSeconds = 43200;

std::string_view as_bytes(const std::vector<std::uint8_t>& der) {
  return std::string_view(reinterpret_cast<const char*>(der.data()), der.size());
}

// The certificate's key as the signer's StringToSignKey.
class CertificateKey final : public sigv4::StringToSignKey {
 public:
  explicit CertificateKey(const X509PrivateKey& key) : key_(key) {}
  std::string_view algorithm() const override {
    return key_.type() == X509KeyType::kRsa ? "AWS4-X509-RSA-SHA256" : "AWS4-X509-ECDSA-SHA256";
  }
  std::size_t max_signature_hex_bytes() const override { return 2 * kX509MaxSignatureBytes; }
  Status sign_hex(const Digest32& digest, char* out_hex, std::size_t out_hex_bytes,
                  std::size_t* out_len) const override {
    std::uint8_t signature[kX509MaxSignatureBytes];
    std::size_t n = 0;
    Status s = key_.sign_sha256(digest, signature, sizeof signature, &n);
    if (!s.ok()) return s;
    if (2 * n > out_hex_bytes) return Status::error(Code::kBufferTooSmall, "rolesanywhere: the signature does not fit");
    static const char kHex[] = "0123456789abcdef";
    for (std::size_t i = 0; i < n; ++i) {
      out_hex[2 * i] = kHex[signature[i] >> 4];
      out_hex[2 * i + 1] = kHex[signature[i] & 15];
    }
    *out_len = 2 * n;
    return Status();
  }

 private:
  const X509PrivateKey& key_;
};

bool arn_has(const std::string& arn, const char* service_and_type) {
  if (arn.size() > 2048 || arn.compare(0, 4, "arn:") != 0 || arn.find(service_and_type) == std::string::npos) {
    return false;
  }
  for (char c : arn) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f || c == '"') return false;
  }
  return true;
}

// The service's own words for a refusal: {"message": "..."}, printable ASCII,
// cut to one short line.
std::string service_message(const std::string& body) {
  JsonTree tree;
  tree.root = cJSON_ParseWithLength(body.data(), body.size());
  const cJSON* m = tree.root != nullptr ? cJSON_GetObjectItemCaseSensitive(tree.root, "message") : nullptr;
  std::string text;
  if (cJSON_IsString(m)) {
    for (const char* p = m->valuestring; *p != '\0' && text.size() < 160; ++p) {
      const auto c = static_cast<unsigned char>(*p);
      text.push_back(c >= 0x20 && c < 0x7f ? static_cast<char>(c) : ' ');
    }
  }
  return text.empty() ? std::string() : ": " + text;
}

}  // namespace

RolesAnywhereCredentialsProvider::RolesAnywhereCredentialsProvider(RolesAnywhereOptions options,
                                                                   std::unique_ptr<Transport> transport,
                                                                   const Clock& clock, const Crypto& crypto,
                                                                   const X509Backend& x509, HttpTimeouts timeouts)
    : options_(std::move(options)),
      transport_(std::move(transport)),
      clock_(clock),
      crypto_(crypto),
      x509_(x509),
      timeouts_(timeouts) {}

Status RolesAnywhereCredentialsProvider::check() const {
  const RolesAnywhereOptions& o = options_;
  if (o.region.empty() || o.region.size() > 32 ||
      o.region.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789-") != std::string::npos) {
    return Status::error(Code::kInvalidArgument, "rolesanywhere: region is missing or not a region name");
  }
  if (!arn_has(o.trust_anchor_arn, ":rolesanywhere:") || o.trust_anchor_arn.find(":trust-anchor/") == std::string::npos) {
    return Status::error(Code::kInvalidArgument,
                         "rolesanywhere: trust_anchor_arn is missing or not arn:aws:rolesanywhere:REGION:ACCOUNT:trust-anchor/ID");
  }
  if (!arn_has(o.profile_arn, ":rolesanywhere:") || o.profile_arn.find(":profile/") == std::string::npos) {
    return Status::error(Code::kInvalidArgument,
                         "rolesanywhere: profile_arn is missing or not arn:aws:rolesanywhere:REGION:ACCOUNT:profile/ID");
  }
  if (!arn_has(o.role_arn, ":iam::") || o.role_arn.find(":role/") == std::string::npos) {
    return Status::error(Code::kInvalidArgument, "rolesanywhere: role_arn is missing or not arn:aws:iam::ACCOUNT:role/NAME");
  }
  if (o.session_duration_s < kMinSessionSeconds || o.session_duration_s > kMaxSessionSeconds) {
    return Status::error(Code::kInvalidArgument, "rolesanywhere: session duration %lld s is outside %lld..%lld s",
                         static_cast<long long>(o.session_duration_s), static_cast<long long>(kMinSessionSeconds),
                         static_cast<long long>(kMaxSessionSeconds));
  }
  if (o.certificate_file.empty()) return Status::error(Code::kInvalidArgument, "rolesanywhere: no certificate file");
  if (o.key_file.empty()) return Status::error(Code::kInvalidArgument, "rolesanywhere: no private key file");
  return check_private_key_file(o.key_file, "rolesanywhere: private key");
}

Status RolesAnywhereCredentialsProvider::get(std::int64_t utc_now_ms, AwsCredentials* out) const {
  Status s = check();
  if (!s.ok()) return s;
  std::vector<X509Certificate> leaf, chain;
  s = x509_.load_certificates(options_.certificate_file, "rolesanywhere: certificate", &leaf);
  if (!s.ok()) return s;
  if (!options_.chain_file.empty()) {
    s = x509_.load_certificates(options_.chain_file, "rolesanywhere: certificate chain", &chain);
    if (!s.ok()) return s;
  }
  std::unique_ptr<X509PrivateKey> key;
  s = x509_.load_private_key(options_.key_file, leaf.front(), "rolesanywhere: private key", &key);
  if (!s.ok()) return s;

  HttpUrl url;
  if (!options_.endpoint.empty()) {
    s = parse_http_url(options_.endpoint, &url);
    if (!s.ok()) return Status::error(Code::kInvalidArgument, "rolesanywhere: endpoint: %s", s.message());
    if (!url.tls) return Status::error(Code::kInvalidArgument, "rolesanywhere: endpoint: expected https://");
    if (url.path_and_query.find_first_of("?#") != std::string::npos) {
      return Status::error(Code::kInvalidArgument, "rolesanywhere: endpoint: expected no query or fragment");
    }
    if (!url.path_and_query.empty() && url.path_and_query.back() == '/') url.path_and_query.pop_back();
  } else {
    url.tls = true;
    url.host = std::string("rolesanywhere.") + options_.region + ".amazonaws.com";
    url.port = 443;
    url.path_and_query.clear();
  }
  url.path_and_query.append("/sessions");
  // Signed as curl sends it: the port only when it is not the scheme's default.
  std::string host_header = url.host.find(':') != std::string::npos ? "[" + url.host + "]" : url.host;
  if (url.port != 443) host_header.append(":").append(std::to_string(url.port));

  // {"durationSeconds", "profileArn", "roleArn", "trustAnchorArn"}: CreateSession's input.
  JsonTree request_json;
  request_json.root = cJSON_CreateObject();
  if (request_json.root == nullptr ||
      cJSON_AddNumberToObject(request_json.root, "durationSeconds", static_cast<double>(options_.session_duration_s)) == nullptr ||
      cJSON_AddStringToObject(request_json.root, "profileArn", options_.profile_arn.c_str()) == nullptr ||
      cJSON_AddStringToObject(request_json.root, "roleArn", options_.role_arn.c_str()) == nullptr ||
      cJSON_AddStringToObject(request_json.root, "trustAnchorArn", options_.trust_anchor_arn.c_str()) == nullptr) {
    return Status::error(Code::kInternal, "rolesanywhere: cannot build the request");
  }
  char* printed = cJSON_PrintUnformatted(request_json.root);
  if (printed == nullptr) return Status::error(Code::kInternal, "rolesanywhere: cannot build the request");
  const std::string body(printed);
  cJSON_free(printed);

  std::string x509_header, chain_header;
  bedrock::append_base64(as_bytes(leaf.front().der), &x509_header);
  for (const X509Certificate& c : chain) {
    if (!chain_header.empty()) chain_header.push_back(',');
    bedrock::append_base64(as_bytes(c.der), &chain_header);
  }
  const sigv4::Header signed_headers[] = {{"Content-Type", "application/json"},
                                          {"Host", host_header},
                                          {"X-Amz-X509", x509_header},
                                          {"X-Amz-X509-Chain", chain_header}};
  sigv4::Request request;
  request.method = "POST";
  request.path = url.path_and_query;  // signed as sent, a gateway's path prefix included
  request.headers = signed_headers;
  request.header_count = chain.empty() ? 3 : 4;
  request.body = body.data();
  request.body_bytes = body.size();
  sigv4::Options sign_options;
  sign_options.region = options_.region;
  sign_options.service = kService;
  sign_options.time_unix_s = utc_now_ms / 1000;
  const CertificateKey certificate_key(*key);
  std::unique_ptr<sigv4::Signer> signer(new sigv4::Signer(crypto_));
  std::vector<char> buf(sigv4::required_buffer_bytes(request, sign_options, sigv4::Credentials{}) +
                        certificate_key.max_signature_hex_bytes() * 3 + leaf.front().serial_decimal.size() * 2);
  sigv4::SignedRequest signed_request;
  s = signer->sign_with_key(request, sign_options, leaf.front().serial_decimal, certificate_key, buf.data(),
                            buf.size(), &signed_request);
  if (!s.ok()) return Status::error(s.code(), "rolesanywhere: signing: %s", s.message());

  std::vector<HttpHeader> headers;
  headers.push_back({"Content-Type", "application/json"});
  headers.push_back({"Accept", "application/json"});
  headers.push_back({"X-Amz-X509", x509_header});
  if (!chain.empty()) headers.push_back({"X-Amz-X509-Chain", chain_header});
  for (std::size_t i = 0; i < signed_request.added_header_count; ++i) {
    headers.push_back({signed_request.added_headers[i].name, signed_request.added_headers[i].value});
  }
  std::lock_guard<std::mutex> lock(mutex_);
  SecretText answer;
  int http_status = 0;
  s = fetch(*transport_, clock_, timeouts_, url, headers.data(), headers.size(), &answer, &http_status, "POST", body);
  if (!s.ok()) {
    return Status::error_with_backend(s.code(), s.backend_code(), "rolesanywhere: endpoint %s unreachable: %s",
                                      url.host.c_str(), s.message());
  }
  if (http_status < 200 || http_status > 299) {
    const Code code = http_status == 401 || http_status == 403 ? Code::kPermissionDenied
                      : http_status == 404                     ? Code::kNotFound
                      : http_status == 429                     ? Code::kThrottled
                      : http_status >= 500                     ? Code::kUnavailable
                                                               : Code::kInvalidArgument;
    const std::string why = service_message(answer.text);
    if (code == Code::kPermissionDenied) {
      return Status::error_with_backend(code, http_status, "rolesanywhere: %s refused certificate %s (HTTP %d%s)",
                                        url.host.c_str(), options_.certificate_file.c_str(), http_status, why.c_str());
    }
    return Status::error_with_backend(code, http_status, "rolesanywhere: %s answered HTTP %d%s", url.host.c_str(),
                                      http_status, why.c_str());
  }
  // {"credentialSet": [{"credentials": {"accessKeyId", ...}, ...}], "subjectArn"}
  JsonTree tree;
  tree.root = cJSON_ParseWithLength(answer.text.data(), answer.text.size());
  const cJSON* set = tree.root != nullptr ? cJSON_GetObjectItemCaseSensitive(tree.root, "credentialSet") : nullptr;
  const cJSON* first = cJSON_IsArray(set) ? cJSON_GetArrayItem(set, 0) : nullptr;
  const cJSON* credentials = first != nullptr ? cJSON_GetObjectItemCaseSensitive(first, "credentials") : nullptr;
  if (!cJSON_IsObject(credentials)) {
    return Status::error(Code::kParseError, "rolesanywhere: %s: the answer has no credentialSet[0].credentials",
                         url.host.c_str());
  }
  return parse_credentials_object(credentials, kLowerCamelCredentialNames, true, "rolesanywhere", out);
}

}  // namespace edgeroute
