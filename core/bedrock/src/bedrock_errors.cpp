// Bedrock Runtime: error names and classes, identifiers on the wire, HTTP dates and
// endpoint configuration -- the parts of the client that need no network.
#include <cjson/cJSON.h>

#include <memory>
#include <utility>

#include "bedrock_internal.h"
#include "edgeroute/bedrock.h"

namespace edgeroute {
namespace bedrock {
namespace {

using JsonPtr = std::unique_ptr<cJSON, void (*)(cJSON*)>;

bool contains(std::string_view haystack, std::string_view needle) {
  return haystack.find(needle) != std::string_view::npos;
}

// Every error name Bedrock Runtime and its SigV4 front end answer with, and its class.
// Names missing here fall back to the HTTP status (classify()).
struct NamedClass {
  std::string_view name;
  ErrorClass cls;
};
constexpr NamedClass kNamedClasses[] = {
    {"ThrottlingException", ErrorClass::kThrottle},
    {"TooManyRequestsException", ErrorClass::kThrottle},
    {"ServiceQuotaExceededException", ErrorClass::kQuota},
    {"ServiceUnavailableException", ErrorClass::kTransient},
    {"InternalServerException", ErrorClass::kTransient},
    {"InternalFailure", ErrorClass::kTransient},
    {"ModelTimeoutException", ErrorClass::kTransient},
    {"ModelNotReadyException", ErrorClass::kModelNotReady},
    {"ValidationException", ErrorClass::kClient},
    {"AccessDeniedException", ErrorClass::kClient},
    {"ResourceNotFoundException", ErrorClass::kClient},
    {"ConflictException", ErrorClass::kClient},
    // The model rejected or failed on this input: another region runs the same model.
    {"ModelErrorException", ErrorClass::kClient},
    {"ModelStreamErrorException", ErrorClass::kClient},
    {"UnrecognizedClientException", ErrorClass::kAuth},
    {"MissingAuthenticationToken", ErrorClass::kAuth},
    {"MissingAuthenticationTokenException", ErrorClass::kAuth},
    {"IncompleteSignature", ErrorClass::kAuth},
    {"IncompleteSignatureException", ErrorClass::kAuth},
    {"InvalidClientTokenId", ErrorClass::kAuth},
    {"ExpiredToken", ErrorClass::kAuth},
    {"ExpiredTokenException", ErrorClass::kAuth},
    {"RequestTimeTooSkewed", ErrorClass::kClockSkew},
    {"RequestExpired", ErrorClass::kClockSkew},
    {"RequestInTheFuture", ErrorClass::kClockSkew},
};

int month_index(std::string_view m) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (m == kMonths[i]) return i;
  }
  return -1;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, unsigned* out) {
  if (pos + n > s.size()) return false;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace

const char* to_string(ErrorClass c) {
  switch (c) {
    case ErrorClass::kNone:
      return "none";
    case ErrorClass::kThrottle:
      return "throttle";
    case ErrorClass::kQuota:
      return "quota";
    case ErrorClass::kTransient:
      return "transient";
    case ErrorClass::kModelNotReady:
      return "model_not_ready";
    case ErrorClass::kClient:
      return "client";
    case ErrorClass::kAuth:
      return "auth";
    case ErrorClass::kClockSkew:
      return "clock_skew";
  }
  return "unknown";
}

ErrorClass classify(int http_status, std::string_view error_type, std::string_view message) {
  // InvalidSignatureException covers both a wrong key and a wrong clock; only the
  // message tells them apart ("Signature expired: ... is now earlier than ...",
  // "Signature not yet current: ... is still later than ...").
  if (error_type == "InvalidSignatureException" || error_type == "SignatureDoesNotMatch") {
    return contains(message, "Signature expired") || contains(message, "Signature not yet current")
               ? ErrorClass::kClockSkew
               : ErrorClass::kAuth;
  }
  for (const NamedClass& named : kNamedClasses) {
    if (named.name == error_type) return named.cls;
  }
  if (http_status == 429) return ErrorClass::kThrottle;
  if (http_status == 408 || http_status >= 500) return ErrorClass::kTransient;
  if (http_status == 401 || http_status == 403) return ErrorClass::kAuth;
  if (http_status >= 400) return ErrorClass::kClient;
  // A success status with an error type (an in-stream exception we do not know):
  // the stream broke; another try may work.
  return ErrorClass::kTransient;
}

ErrorClass classify_transport(Code code) {
  switch (code) {
    case Code::kOk:
      return ErrorClass::kNone;
    case Code::kTimeout:
    case Code::kUnavailable:
    case Code::kIo:
    case Code::kChecksumMismatch:  // a corrupted stream frame
    case Code::kParseError:        // a truncated or malformed stream
      return ErrorClass::kTransient;
    case Code::kThrottled:
      return ErrorClass::kThrottle;
    case Code::kPermissionDenied:
      return ErrorClass::kAuth;
    default:
      return ErrorClass::kClient;
  }
}

std::string_view error_type_from_header(std::string_view value) {
  const std::size_t colon = value.find(':');
  std::string_view type = value.substr(0, colon);
  while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) type.remove_suffix(1);
  while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) type.remove_prefix(1);
  return type;
}

std::string error_type_from_body(std::string_view body, std::string* message) {
  std::string patched;
  body = without_nul_escapes(body, &patched);
  JsonPtr root(cJSON_ParseWithLength(body.data(), body.size()), cJSON_Delete);
  if (!cJSON_IsObject(root.get())) return std::string();
  if (message != nullptr) {
    const cJSON* m = cJSON_GetObjectItemCaseSensitive(root.get(), "message");
    if (!cJSON_IsString(m)) m = cJSON_GetObjectItemCaseSensitive(root.get(), "Message");
    if (cJSON_IsString(m)) *message = m->valuestring;
  }
  const cJSON* type = cJSON_GetObjectItemCaseSensitive(root.get(), "__type");
  if (!cJSON_IsString(type)) type = cJSON_GetObjectItemCaseSensitive(root.get(), "code");
  if (!cJSON_IsString(type)) return std::string();
  std::string_view name = type->valuestring;
  const std::size_t hash = name.rfind('#');
  if (hash != std::string_view::npos) name.remove_prefix(hash + 1);
  return std::string(error_type_from_header(name));
}

std::string Error::to_string() const {
  std::string out = operation.empty() ? "request" : operation;
  if (!endpoint.empty()) out.append(" ").append(endpoint);
  out.append(": ").append(bedrock::to_string(cls)).append(":");
  if (http_status != 0) out.append(" HTTP ").append(std::to_string(http_status));
  if (!error_type.empty()) out.append(" ").append(error_type);
  if (!message.empty())
    out.append(http_status != 0 || !error_type.empty() ? ": " : " ").append(message);
  if (!request_id.empty()) out.append(" (request ID ").append(request_id).append(")");
  if (output_delivered) out.append(", after output reached the caller");
  // One line, whatever AWS or a peer put in the message.
  for (char& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return out;
}

void append_percent_encoded(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out->push_back(ch);
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xF]);
    }
  }
}

std::string percent_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  append_percent_encoded(&out, text);
  return out;
}

void append_model_path(std::string* out, std::string_view model_id, std::string_view action) {
  out->append("/model/");
  append_percent_encoded(out, model_id);
  out->push_back('/');
  out->append(action);
}

std::string model_path(std::string_view model_id, std::string_view action) {
  std::string path;
  append_model_path(&path, model_id, action);
  return path;
}

bool parse_http_date(std::string_view s, std::int64_t* unix_s) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed layout, 29 characters.
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return false;
  }
  unsigned day = 0, year = 0, hour = 0, minute = 0, second = 0;
  const int month = month_index(s.substr(8, 3));
  if (month < 0 || !digits(s, 5, 2, &day) || !digits(s, 12, 4, &year) || !digits(s, 17, 2, &hour) ||
      !digits(s, 20, 2, &minute) || !digits(s, 23, 2, &second)) {
    return false;
  }
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return false;
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month + 1), day);
  *unix_s = days * 86400 + hour * 3600 + minute * 60 + second;
  return true;
}

Status parse_connect_to(std::string_view text, ConnectTo* out) {
  const std::size_t eq = text.find('=');
  const std::size_t colon = text.rfind(':');
  if (eq == std::string_view::npos || colon == std::string_view::npos || colon < eq) {
    return Status::error(Code::kInvalidArgument, "connect-to: expected REGION=HOST:PORT");
  }
  const std::string_view region = text.substr(0, eq), host = text.substr(eq + 1, colon - eq - 1),
                         port = text.substr(colon + 1);
  if (region.empty() || host.empty()) {
    return Status::error(Code::kInvalidArgument, "connect-to: expected REGION=HOST:PORT");
  }
  for (const char c : region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return Status::error(Code::kInvalidArgument, "connect-to: '%.*s' is not a region name",
                           static_cast<int>(region.size()), region.data());
    }
  }
  unsigned value = 0;
  if (port.empty() || port.size() > 5 || !digits(port, 0, port.size(), &value) || value == 0 ||
      value > 65535) {
    return Status::error(Code::kInvalidArgument, "connect-to: port must be 1..65535");
  }
  out->region = std::string(region);
  out->host = std::string(host);
  out->port = static_cast<std::uint16_t>(value);
  return Status();
}

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool starts_with_ignore_case(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    char c = s[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[i]) return false;
  }
  return true;
}

// A dotted quad whose first number is 127.
bool is_ipv4_loopback(std::string_view host) {
  if (host.substr(0, 4) != "127.") return false;
  int dots = 0, run = 0;
  unsigned value = 0;
  for (const char c : host) {
    if (c == '.') {
      if (run == 0) return false;
      ++dots;
      run = 0;
      value = 0;
    } else if (c >= '0' && c <= '9' && run < 3) {
      value = value * 10 + static_cast<unsigned>(c - '0');
      if (value > 255) return false;
      ++run;
    } else {
      return false;
    }
  }
  return dots == 3 && run > 0;
}

bool is_loopback(std::string_view host, bool ipv6) {
  if (ipv6) return host == "::1";
  return is_ipv4_loopback(host) || (host.size() == 9 && starts_with_ignore_case(host, "localhost"));
}

}  // namespace

Status parse_endpoint_url(std::string_view url, EndpointUrl* out) {
  // No message below quotes the URL: its userinfo would be a credential.
  EndpointUrl ep;
  if (starts_with_ignore_case(url, "https://")) {
    url.remove_prefix(8);
  } else if (starts_with_ignore_case(url, "http://")) {
    url.remove_prefix(7);
    ep.tls = false;
  } else {
    return Status::error(Code::kInvalidArgument, "endpoint URL: must start with https://");
  }
  const std::size_t authority_end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, authority_end);
  std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);
  // Any '@' before a query counts: an unencoded '/' in a password would otherwise
  // end the authority early and hide the userinfo.
  if (url.substr(0, url.find_first_of("?#")).find('@') != std::string_view::npos) {
    return Status::error(Code::kInvalidArgument,
                         "endpoint URL: user name or password (user:pass@) is not allowed");
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    return Status::error(Code::kInvalidArgument,
                         "endpoint URL: a query (?) or fragment (#) is not allowed");
  }

  std::string_view host, port;
  bool ipv6 = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::error(Code::kInvalidArgument, "endpoint URL: IPv6 address without ']'");
    }
    host = authority.substr(1, close - 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return Status::error(Code::kInvalidArgument, "endpoint URL: unexpected text after ']'");
    }
    if (!rest.empty()) port = rest.substr(1);
    ipv6 = true;
    // Hex groups, colons, and dots for an embedded IPv4 tail; no zone ID.
    bool ok = host.find(':') != std::string_view::npos;
    for (const char c : host) ok = ok && (is_hex(c) || c == ':' || c == '.');
    if (!ok) return Status::error(Code::kInvalidArgument, "endpoint URL: bad IPv6 address");
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    for (const char c : host) {
      if (!(is_alnum(c) || c == '-' || c == '.' || c == '_')) {
        return Status::error(Code::kInvalidArgument,
                             "endpoint URL: the host has a character not allowed in a host name");
      }
    }
  }
  if (host.empty()) return Status::error(Code::kInvalidArgument, "endpoint URL: no host");
  if (!ep.tls && !is_loopback(host, ipv6)) {
    return Status::error(Code::kInvalidArgument,
                         "endpoint URL: http:// only for a loopback host (127.0.0.0/8, [::1], "
                         "localhost); use https://");
  }

  ep.port = ep.tls ? 443 : 80;
  if (authority.size() > host.size() + (ipv6 ? 2 : 0)) {  // a ':' follows the host
    unsigned value = 0;
    if (port.empty() || port.size() > 5 || !digits(port, 0, port.size(), &value) || value == 0 ||
        value > 65535) {
      return Status::error(Code::kInvalidArgument, "endpoint URL: port must be 1..65535");
    }
    ep.port = static_cast<std::uint16_t>(value);
  }

  // The prefix is sent as written and signed after the signer's normalization; only
  // plain segments keep those two the same.
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::size_t segment_start = 0;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i < path.size() && path[i] != '/') {
      const char c = path[i];
      const bool escape =
          c == '%' && i + 2 < path.size() && is_hex(path[i + 1]) && is_hex(path[i + 2]);
      if (!(is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || escape)) {
        return Status::error(Code::kInvalidArgument,
                             "endpoint URL: the path has a character that must be "
                             "percent-encoded");
      }
      continue;
    }
    if (i > 0) {
      const std::string_view segment = path.substr(segment_start, i - segment_start);
      if (segment.empty() || segment == "." || segment == "..") {
        return Status::error(Code::kInvalidArgument,
                             "endpoint URL: the path has an empty, '.' or '..' segment");
      }
    }
    segment_start = i + 1;
  }

  ep.host = std::string(host);
  ep.host_header = ipv6 ? "[" + ep.host + "]" : ep.host;
  // curl leaves the port out of Host when it is the scheme's default, and the
  // signature must cover exactly what is sent.
  if (ep.port != (ep.tls ? 443 : 80)) ep.host_header.append(":").append(std::to_string(ep.port));
  ep.path_prefix = std::string(path);
  *out = std::move(ep);
  return Status();
}

std::int64_t parse_retry_after_ms(std::string_view value) {
  if (value.empty()) return -1;
  std::int64_t ms = 0;
  for (const char c : value) {
    if (c < '0' || c > '9') return -1;
    // Saturate rather than overflow: a long run of digits is just "very long".
    if (ms < kMaxRetryAfterMs) ms = ms * 10 + (c - '0');
  }
  return ms < kMaxRetryAfterMs ? ms : kMaxRetryAfterMs;
}

std::string endpoint_url_from_environment(const Environment& env) {
  for (const char* name : {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL"}) {
    const char* value = env.get(name);
    if (value != nullptr && value[0] != '\0') return value;
  }
  return std::string();
}

}  // namespace bedrock
}  // namespace edgeroute
