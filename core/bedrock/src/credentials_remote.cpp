#include "edgeroute/credentials_remote.h"

#include <cjson/cJSON.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <string>

#include "edgeroute/config.h"
#include "edgeroute/crypto.h"
#include "edgeroute/file.h"
#include "edgeroute/process.h"
#include "credentials_internal.h"

namespace edgeroute {

using namespace detail;

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t at, std::size_t n, int* out) {
  if (at + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = at; i < at + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

const char* string_member(const cJSON* object, const char* name) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, name);
  return cJSON_IsString(item) ? item->valuestring : nullptr;
}

bool is_loopback_or_allowed_plain_http_host(std::string_view host) {
  // botocore utils.ContainerMetadataFetcher._ALLOWED_HOSTS, and loopback addresses.
  if (host == "169.254.170.2" || host == "169.254.170.23" || host == "fd00:ec2::23" || host == "localhost" ||
      host == "::1") {
    return true;
  }
  // 127.0.0.0/8, dotted quad only.
  if (host.substr(0, 4) != "127.") return false;
  int parts = 0;
  std::size_t i = 0;
  while (i <= host.size()) {
    std::size_t j = host.find('.', i);
    if (j == std::string_view::npos) j = host.size();
    const std::string_view part = host.substr(i, j - i);
    if (part.empty() || part.size() > 3) return false;
    int v = 0;
    for (char c : part) {
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    if (v > 255) return false;
    ++parts;
    i = j + 1;
  }
  return parts == 4;
}

}  // namespace

namespace detail {

// cJSON keeps its own copies of strings: wipe them before freeing the tree.
void wipe_json(cJSON* node) {
  for (; node != nullptr; node = node->next) {
    if (node->valuestring != nullptr) secure_wipe(node->valuestring, std::strlen(node->valuestring));
    wipe_json(node->child);
  }
}

class BodySink final : public HttpResponseSink {
 public:
  explicit BodySink(SecretText* body) : body_(body) {}
  Status on_status(int http_status) override {
    status = http_status;
    return Status();
  }
  Status on_header(std::string_view, std::string_view) override { return Status(); }
  Status on_body(const void* data, std::size_t bytes) override {
    if (body_->text.size() + bytes > kMaxCredentialsResponseBytes) {
      return Status::error(Code::kLimitExceeded, "the answer is larger than %zu bytes", kMaxCredentialsResponseBytes);
    }
    if (body_->text.capacity() < kMaxCredentialsResponseBytes) body_->text.reserve(kMaxCredentialsResponseBytes);
    body_->text.append(static_cast<const char*>(data), bytes);  // never reallocates: no unwiped copy
    return Status();
  }
  int status = 0;

 private:
  SecretText* body_;
};

Status fetch(Transport& transport, const Clock& clock, const HttpTimeouts& timeouts, const HttpUrl& url,
             const HttpHeader* headers, std::size_t header_count, SecretText* body, int* http_status,
             std::string_view method, std::string_view request_body) {
  HttpRequest request;
  request.method = method;
  request.body = request_body.data();
  request.body_bytes = request_body.size();
  request.host = url.host;
  request.port = url.port;
  request.tls = url.tls;
  request.path_and_query = url.path_and_query;
  request.headers = headers;
  request.header_count = header_count;
  HttpTimeouts t = timeouts;
  // The whole fetch is bounded, whatever the endpoint does.
  const std::int64_t total_ns =
      (static_cast<std::int64_t>(t.connect_ms) + t.first_byte_ms + t.idle_ms) * 1000000LL;
  if (t.deadline_monotonic_ns == 0) t.deadline_monotonic_ns = clock.monotonic_ns() + total_ns;
  BodySink sink(body);
  const Status s = transport.send(request, t, &sink, nullptr);
  *http_status = sink.status;
  return s;
}

}  // namespace detail

bool parse_iso8601_utc_ms(std::string_view s, std::int64_t* utc_ms) {
  int year, month, day, hour, minute, second;
  if (!digits(s, 0, 4, &year) || s.size() < 19 || s[4] != '-' || !digits(s, 5, 2, &month) || s[7] != '-' ||
      !digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || !digits(s, 11, 2, &hour) ||
      s[13] != ':' || !digits(s, 14, 2, &minute) || s[16] != ':' || !digits(s, 17, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return false;
  std::size_t i = 19;
  std::int64_t millis = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int scale = 100;
    const std::size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      millis += scale * (s[i] - '0');
      scale /= 10;
      ++i;
    }
    if (i == start) return false;
  }
  const std::string_view zone = s.substr(i);
  if (zone != "Z" && zone != "z" && zone != "+00:00" && zone != "-00:00" && zone != "+0000") return false;
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  *utc_ms = ((days * 24 + hour) * 60 + minute) * 60000LL + second * 1000LL + millis;
  return true;
}

Status parse_http_url(std::string_view url, HttpUrl* out) {
  HttpUrl u;
  if (url.substr(0, 7) == "http://") {
    url.remove_prefix(7);
    u.port = 80;
  } else if (url.substr(0, 8) == "https://") {
    url.remove_prefix(8);
    u.tls = true;
    u.port = 443;
  } else {
    return Status::error(Code::kInvalidArgument, "expected an http:// or https:// URL");
  }
  const std::size_t slash = url.find('/');
  std::string_view authority = url.substr(0, slash);
  if (slash != std::string_view::npos) u.path_and_query.assign(url.substr(slash));
  if (authority.find('@') != std::string_view::npos) {
    return Status::error(Code::kInvalidArgument, "a URL with user information is not accepted");
  }
  std::string_view port_text;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) return Status::error(Code::kInvalidArgument, "'[' without ']' in the URL");
    u.host.assign(authority.substr(1, close - 1));
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return Status::error(Code::kInvalidArgument, "text after the host in the URL");
      port_text = rest.substr(1);
    }
  } else {
    const std::size_t colon = authority.find(':');
    u.host.assign(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (u.host.empty()) return Status::error(Code::kInvalidArgument, "the URL has no host");
  for (char c : u.host) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == '/' || c == '?' || c == '#') {
      return Status::error(Code::kInvalidArgument, "the URL's host has a character a host cannot have");
    }
  }
  if (!port_text.empty() || (port_text.data() != nullptr && port_text.empty() && authority.back() == ':')) {
    unsigned long port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) return Status::error(Code::kInvalidArgument, "the URL's port is not a number 1..65535");
      port = port * 10 + static_cast<unsigned long>(c - '0');
    }
    if (port == 0 || port > 65535) return Status::error(Code::kInvalidArgument, "the URL's port is not a number 1..65535");
    u.port = static_cast<std::uint16_t>(port);
  }
  for (char c : u.path_and_query) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return Status::error(Code::kInvalidArgument, "the URL's path has a space or a control character");
    }
  }
  *out = std::move(u);
  return Status();
}

Status parse_credentials_json(std::string_view body, bool iot_shape, bool require_version_1, const char* source,
                              AwsCredentials* out) {
  JsonTree tree;
  tree.root = cJSON_ParseWithLength(body.data(), body.size());
  if (tree.root == nullptr || !cJSON_IsObject(tree.root)) {
    return Status::error(Code::kParseError, "%s: the answer is not a JSON object", source);
  }
  const cJSON* object = tree.root;
  if (iot_shape) {
    object = cJSON_GetObjectItemCaseSensitive(tree.root, "credentials");
    if (!cJSON_IsObject(object)) return Status::error(Code::kParseError, "%s: the answer has no \"credentials\" object", source);
    return parse_credentials_object(object, kLowerCamelCredentialNames, true, source, out);
  }
  if (require_version_1) {
    const cJSON* version = cJSON_GetObjectItemCaseSensitive(tree.root, "Version");
    if (!cJSON_IsNumber(version) || version->valuedouble != 1.0) {
      return Status::error(Code::kParseError, "%s: \"Version\" must be 1, the only version there is", source);
    }
    static const char* const kProcessNames[4] = {"AccessKeyId", "SecretAccessKey", "SessionToken", "Expiration"};
    return parse_credentials_object(object, kProcessNames, false, source, out);
  }
  static const char* const kContainerNames[4] = {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"};
  return parse_credentials_object(object, kContainerNames, true, source, out);
}

namespace detail {

const char* const kLowerCamelCredentialNames[4] = {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"};

Status parse_credentials_object(const cJSON* object, const char* const names[4], bool require_expiration,
                                const char* source, AwsCredentials* out) {
  const char* key_id = string_member(object, names[0]);
  const char* secret = string_member(object, names[1]);
  const char* token = string_member(object, names[2]);
  const char* expiration = string_member(object, names[3]);
  if (key_id == nullptr || secret == nullptr) {
    return Status::error(Code::kParseError, "%s: the answer lacks \"%s\" or \"%s\"", source, names[0], names[1]);
  }
  std::int64_t expiration_ms = 0;
  if (expiration != nullptr && !parse_iso8601_utc_ms(expiration, &expiration_ms)) {
    return Status::error(Code::kParseError, "%s: \"%s\" is not an ISO 8601 UTC time", source, names[3]);
  }
  if (expiration == nullptr && require_expiration) {
    return Status::error(Code::kParseError, "%s: the answer lacks \"%s\"", source, names[3]);
  }
  // Every value goes into a header: printable ASCII without spaces, bounded.
  const char* values[3] = {key_id, secret, token != nullptr ? token : ""};
  const char* what[3] = {"the access key ID", "the secret access key", "the session token"};
  const std::size_t limit[3] = {limits::kSigv4MaxAccessKeyBytes, kMaxCredentialValueBytes, kMaxCredentialValueBytes};
  for (int i = 0; i < 3; ++i) {
    const std::size_t n = std::strlen(values[i]);
    if ((i < 2 && n == 0) || n > limit[i]) {
      return Status::error(Code::kParseError, "%s: %s is empty or longer than %zu bytes", source, what[i], limit[i]);
    }
    for (std::size_t k = 0; k < n; ++k) {
      const auto c = static_cast<unsigned char>(values[i][k]);
      if (c <= 0x20 || c >= 0x7f) {
        return Status::error(Code::kParseError, "%s: %s contains a space or a non-printable character", source, what[i]);
      }
    }
  }
  *out = AwsCredentials::sigv4_keys(values[0], values[1], values[2], expiration_ms);
  out->set_source(source);
  return Status();
}

}  // namespace detail

// --- container ------------------------------------------------------------------

ContainerCredentialsProvider::ContainerCredentialsProvider(const Environment& env, std::unique_ptr<Transport> transport,
                                                           const Clock& clock, HttpTimeouts timeouts)
    : env_(env), transport_(std::move(transport)), clock_(clock), timeouts_(timeouts) {}

bool ContainerCredentialsProvider::configured(const Environment& env) {
  for (const char* name : {"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI"}) {
    const char* v = env.get(name);
    if (v != nullptr && *v != '\0') return true;
  }
  return false;
}

Status ContainerCredentialsProvider::get(std::int64_t /*utc_now_ms*/, AwsCredentials* out) const {
  const char* relative = env_.get("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const char* full = env_.get("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  std::string url_text;
  const char* variable = nullptr;
  if (relative != nullptr && *relative != '\0') {
    variable = "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI";
    if (*relative != '/') return Status::error(Code::kInvalidArgument, "%s: must start with '/'", variable);
    url_text.assign("http://169.254.170.2").append(relative);
  } else if (full != nullptr && *full != '\0') {
    variable = "AWS_CONTAINER_CREDENTIALS_FULL_URI";
    url_text.assign(full);
  } else {
    return Status::error(Code::kNotFound, "no AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI in the environment");
  }
  HttpUrl url;
  Status s = parse_http_url(url_text, &url);
  if (!s.ok()) return Status::error(Code::kInvalidArgument, "%s: %s", variable, s.message());
  if (!url.tls && !is_loopback_or_allowed_plain_http_host(url.host)) {
    return Status::error(Code::kInvalidArgument,
                         "%s: plain http:// may reach only a loopback address, localhost, 169.254.170.2, "
                         "169.254.170.23 or fd00:ec2::23; use https:// for %s",
                         variable, url.host.c_str());
  }
  SecretText token;
  const char* token_file = env_.get("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
  const char* token_env = env_.get("AWS_CONTAINER_AUTHORIZATION_TOKEN");
  const char* token_source = nullptr;
  if (token_file != nullptr && *token_file != '\0') {
    token_source = "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE";
    s = read_file_bounded(token_file, kMaxCredentialValueBytes, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", &token.text);
    if (!s.ok()) return s;
    // A trailing newline from `echo` is not part of the token.
    while (!token.text.empty() && (token.text.back() == '\n' || token.text.back() == '\r')) token.text.pop_back();
  } else if (token_env != nullptr && *token_env != '\0') {
    token_source = "AWS_CONTAINER_AUTHORIZATION_TOKEN";
    token.text.assign(token_env);
  }
  if (token_source != nullptr) {
    for (char c : token.text) {
      const auto u = static_cast<unsigned char>(c);
      if (u < 0x20 || u == 0x7f) {
        return Status::error(Code::kInvalidArgument, "%s: the token has a control character (CR, LF, ...)", token_source);
      }
    }
  }
  const HttpHeader headers[] = {{"Authorization", token.text}, {"Accept", "application/json"}};
  std::lock_guard<std::mutex> lock(mutex_);
  SecretText body;
  int http_status = 0;
  s = fetch(*transport_, clock_, timeouts_, url, token_source != nullptr ? headers : headers + 1,
            token_source != nullptr ? 2 : 1, &body, &http_status);
  if (!s.ok()) {
    return Status::error_with_backend(s.code(), s.backend_code(), "container credentials endpoint %s: %s",
                                      url.host.c_str(), s.message());
  }
  if (http_status != 200) {
    const Code code = http_status == 401 || http_status == 403 ? Code::kPermissionDenied
                      : http_status == 429                     ? Code::kThrottled
                      : http_status >= 500                     ? Code::kUnavailable
                                                               : Code::kNotFound;
    return Status::error_with_backend(code, http_status, "container credentials endpoint %s: HTTP %d%s",
                                      url.host.c_str(), http_status,
                                      code == Code::kPermissionDenied ? " (the authorization token was refused)" : "");
  }
  return parse_credentials_json(body.text, false, false, "container", out);
}

// --- AWS IoT Core -----------------------------------------------------------------

Status check_private_key_file(const std::string& path, const char* what) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    return Status::error_with_backend(errno == ENOENT ? Code::kNotFound : Code::kIo, errno, "%s %s: %s", what,
                                      path.c_str(), std::strerror(errno));
  }
  if (!S_ISREG(st.st_mode)) return Status::error(Code::kInvalidArgument, "%s %s: not a regular file", what, path.c_str());
  if ((st.st_mode & (S_IRGRP | S_IWGRP | S_IROTH | S_IWOTH)) != 0) {
    return Status::error(Code::kPermissionDenied, "%s %s: readable or writable by group or others (mode %04o); chmod 600 it",
                         what, path.c_str(), static_cast<unsigned>(st.st_mode & 07777));
  }
  return Status();
}

IotCredentialsProvider::IotCredentialsProvider(IotCredentialsOptions options, std::unique_ptr<Transport> transport,
                                               const Clock& clock, HttpTimeouts timeouts)
    : options_(std::move(options)), transport_(std::move(transport)), clock_(clock), timeouts_(timeouts) {}

namespace {

bool is_name(std::string_view s, const char* extra) {
  if (s.empty() || s.size() > 128) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::strchr(extra, c) != nullptr;
    if (!ok || c == '\0') return false;
  }
  return true;
}

}  // namespace

Status IotCredentialsProvider::check() const {
  if (options_.endpoint.empty()) {
    return Status::error(Code::kInvalidArgument,
                         "iot: no endpoint (aws iot describe-endpoint --endpoint-type iot:CredentialProvider)");
  }
  // AWS IoT role alias names: [\w=,@-]+, at most 128 characters.
  if (!is_name(options_.role_alias, "_=,@-")) {
    return Status::error(Code::kInvalidArgument, "iot: the role alias is missing or not a role alias name ([A-Za-z0-9_=,@-], at most 128)");
  }
  // Thing names: [a-zA-Z0-9:_-]+, at most 128.
  if (!options_.thing_name.empty() && !is_name(options_.thing_name, ":_-")) {
    return Status::error(Code::kInvalidArgument, "iot: the thing name is not a thing name ([A-Za-z0-9:_-], at most 128)");
  }
  if (options_.identity.certificate_file.empty()) {
    return Status::error(Code::kInvalidArgument, "iot: no device certificate file");
  }
  std::FILE* f = std::fopen(options_.identity.certificate_file.c_str(), "rb");
  if (f == nullptr) {
    return Status::error_with_backend(errno == ENOENT ? Code::kNotFound : Code::kIo, errno,
                                      "iot: device certificate %s: %s", options_.identity.certificate_file.c_str(),
                                      std::strerror(errno));
  }
  std::fclose(f);
  if (options_.identity.key.empty()) return Status::error(Code::kInvalidArgument, "iot: no private key");
  if (options_.identity.key_type == "PEM") {
    Status s = check_private_key_file(options_.identity.key, "iot: private key");
    if (!s.ok()) return s;
  }
  return Status();
}

Status IotCredentialsProvider::get(std::int64_t /*utc_now_ms*/, AwsCredentials* out) const {
  Status s = check();
  if (!s.ok()) return s;
  HttpUrl url;
  const std::string& endpoint = options_.endpoint;
  if (endpoint.find("://") != std::string::npos) {
    s = parse_http_url(endpoint, &url);
    if (!s.ok()) return Status::error(Code::kInvalidArgument, "iot: endpoint: %s", s.message());
    if (!url.tls) return Status::error(Code::kInvalidArgument, "iot: endpoint: mutual TLS needs https://");
    if (!url.path_and_query.empty() && url.path_and_query.back() == '/') url.path_and_query.pop_back();
  } else {
    url.tls = true;
    url.host = endpoint;
    url.port = 443;
    url.path_and_query.clear();
  }
  url.path_and_query.append("/role-aliases/").append(options_.role_alias).append("/credentials");
  const HttpHeader headers[] = {{"Accept", "application/json"}, {"x-amzn-iot-thingname", options_.thing_name}};
  std::lock_guard<std::mutex> lock(mutex_);
  SecretText body;
  int http_status = 0;
  s = fetch(*transport_, clock_, timeouts_, url, headers, options_.thing_name.empty() ? 1 : 2, &body, &http_status);
  if (!s.ok()) {
    // A refused client certificate ends the TLS handshake (or, in TLS 1.3, the
    // first read) with an alert; a certificate or key libcurl cannot load is its
    // own error (CURLE_SSL_CERTPROBLEM 58, CURLE_SSL_ENGINE_* 53/54/66).
    const std::int64_t curl_code = s.backend_code();
    if (curl_code == 58 || curl_code == 53 || curl_code == 54 || curl_code == 66) {
      return Status::error_with_backend(Code::kInvalidArgument, curl_code,
                                        "iot: cannot use the device certificate %s or its key: %s",
                                        options_.identity.certificate_file.c_str(), s.message());
    }
    // CURLE_SSL_CONNECT_ERROR 35, CURLE_GOT_NOTHING 52, CURLE_SEND_ERROR 55,
    // CURLE_RECV_ERROR 56: with a client certificate, mostly the endpoint refusing
    // it (an unknown CA, a revoked or inactive one). Under TLS 1.3 the client's
    // handshake completes before the server has checked the certificate; its alert
    // and reset then meet the request's send or the answer's read, whichever is
    // first, so each of these codes can carry the refusal.
    if (curl_code == 35 || curl_code == 52 || curl_code == 55 || curl_code == 56) {
      return Status::error_with_backend(Code::kPermissionDenied, curl_code,
                                        "iot: %s ended the TLS session: device certificate %s refused? (%s)",
                                        url.host.c_str(), options_.identity.certificate_file.c_str(), s.message());
    }
    return Status::error_with_backend(s.code(), curl_code, "iot: credentials endpoint %s unreachable (curl error %lld): %s",
                                      url.host.c_str(), static_cast<long long>(curl_code), s.message());
  }
  switch (http_status) {
    case 200:
      return parse_credentials_json(body.text, true, false, "iot", out);
    case 400:
    case 401:
    case 403:
      return Status::error_with_backend(Code::kPermissionDenied, http_status,
                                        "iot: %s refused the device certificate %s (HTTP %d)", url.host.c_str(),
                                        options_.identity.certificate_file.c_str(), http_status);
    case 404:
      return Status::error_with_backend(Code::kNotFound, http_status, "iot: %s: no role alias '%s' (HTTP 404)",
                                        url.host.c_str(), options_.role_alias.c_str());
    case 429:
      return Status::error_with_backend(Code::kThrottled, http_status, "iot: %s throttled the request (HTTP 429)",
                                        url.host.c_str());
    default:
      return Status::error_with_backend(http_status >= 500 ? Code::kUnavailable : Code::kPermissionDenied, http_status,
                                        "iot: %s answered HTTP %d", url.host.c_str(), http_status);
  }
}

// --- credential_process --------------------------------------------------------

Status split_command_line(std::string_view line, std::vector<std::string>* words) {
  words->clear();
  std::string word;
  bool in_word = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      if (in_word) words->push_back(word);
      word.clear();
      in_word = false;
    } else if (c == '\'') {
      const std::size_t close = line.find('\'', i + 1);
      if (close == std::string_view::npos) return Status::error(Code::kInvalidArgument, "unterminated ' quote");
      word.append(line.substr(i + 1, close - i - 1));
      in_word = true;
      i = close;
    } else if (c == '"') {
      in_word = true;
      for (++i;; ++i) {
        if (i >= line.size()) return Status::error(Code::kInvalidArgument, "unterminated \" quote");
        if (line[i] == '"') break;
        if (line[i] == '\\' && i + 1 < line.size() && (line[i + 1] == '"' || line[i + 1] == '\\')) ++i;
        word.push_back(line[i]);
      }
    } else if (c == '\\') {
      if (i + 1 >= line.size()) return Status::error(Code::kInvalidArgument, "a backslash at the end");
      word.push_back(line[++i]);
      in_word = true;
    } else {
      word.push_back(c);
      in_word = true;
    }
  }
  if (in_word) words->push_back(word);
  if (words->empty()) return Status::error(Code::kInvalidArgument, "an empty command");
  return Status();
}

Status ProcessCredentialsProvider::get(std::int64_t /*utc_now_ms*/, AwsCredentials* out) const {
  std::string command, file;
  Status s = profile_credential_process(env_, options_, &command, &file);
  if (!s.ok()) return s;
  std::vector<std::string> argv;
  s = split_command_line(command, &argv);
  if (!s.ok()) return Status::error(Code::kInvalidArgument, "%s: credential_process: %s", file.c_str(), s.message());
  SecretText output;
  s = run_process(argv, kMaxCredentialsResponseBytes, timeout_ms_, &output.text);
  if (!s.ok()) return Status::error_with_backend(s.code(), s.backend_code(), "credential_process %s", s.message());
  return parse_credentials_json(output.text, false, true, "process", out);
}

}  // namespace edgeroute
