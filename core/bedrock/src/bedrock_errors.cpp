// Bedrock Runtime errors: AWS's error names and their classes (what a caller may do
// about each), the error line, and x-amz-retry-after.
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
  OutcomeClass cls;
};
constexpr NamedClass kNamedClasses[] = {
    {"ThrottlingException", OutcomeClass::kThrottle},
    {"TooManyRequestsException", OutcomeClass::kThrottle},
    {"ServiceQuotaExceededException", OutcomeClass::kQuota},
    {"ServiceUnavailableException", OutcomeClass::kTransient},
    {"InternalServerException", OutcomeClass::kTransient},
    {"InternalFailure", OutcomeClass::kTransient},
    {"ModelTimeoutException", OutcomeClass::kTransient},
    {"ModelNotReadyException", OutcomeClass::kModelNotReady},
    {"ValidationException", OutcomeClass::kClient},
    {"AccessDeniedException", OutcomeClass::kClient},
    {"ResourceNotFoundException", OutcomeClass::kClient},
    {"ConflictException", OutcomeClass::kClient},
    // The model rejected or failed on this input: another region runs the same model.
    {"ModelErrorException", OutcomeClass::kClient},
    {"ModelStreamErrorException", OutcomeClass::kClient},
    {"UnrecognizedClientException", OutcomeClass::kAuth},
    {"MissingAuthenticationToken", OutcomeClass::kAuth},
    {"MissingAuthenticationTokenException", OutcomeClass::kAuth},
    {"IncompleteSignature", OutcomeClass::kAuth},
    {"IncompleteSignatureException", OutcomeClass::kAuth},
    {"InvalidClientTokenId", OutcomeClass::kAuth},
    {"ExpiredToken", OutcomeClass::kAuth},
    {"ExpiredTokenException", OutcomeClass::kAuth},
    {"RequestTimeTooSkewed", OutcomeClass::kClockSkew},
    {"RequestExpired", OutcomeClass::kClockSkew},
    {"RequestInTheFuture", OutcomeClass::kClockSkew},
};

}  // namespace

OutcomeClass classify(int http_status, std::string_view error_type, std::string_view message) {
  // InvalidSignatureException covers both a wrong key and a wrong clock; only the
  // message tells them apart ("Signature expired: ... is now earlier than ...",
  // "Signature not yet current: ... is still later than ...").
  if (error_type == "InvalidSignatureException" || error_type == "SignatureDoesNotMatch") {
    return contains(message, "Signature expired") || contains(message, "Signature not yet current")
               ? OutcomeClass::kClockSkew
               : OutcomeClass::kAuth;
  }
  for (const NamedClass& named : kNamedClasses) {
    if (named.name == error_type) return named.cls;
  }
  if (http_status == 429) return OutcomeClass::kThrottle;
  if (http_status == 408 || http_status >= 500) return OutcomeClass::kTransient;
  if (http_status == 401 || http_status == 403) return OutcomeClass::kAuth;
  if (http_status >= 400) return OutcomeClass::kClient;
  // A success status with an error type (an in-stream exception we do not know):
  // the stream broke; another try may work.
  return OutcomeClass::kTransient;
}

OutcomeClass classify_transport(Code code) {
  switch (code) {
    case Code::kOk:
      return OutcomeClass::kSuccess;
    case Code::kTimeout:
    case Code::kUnavailable:
    case Code::kIo:
    case Code::kChecksumMismatch:  // a corrupted stream frame
    case Code::kParseError:        // a truncated or malformed stream
      return OutcomeClass::kTransient;
    case Code::kThrottled:
      return OutcomeClass::kThrottle;
    case Code::kPermissionDenied:
      return OutcomeClass::kAuth;
    default:
      return OutcomeClass::kClient;
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
  out.append(": ").append(edgeroute::to_string(cls)).append(":");
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

}  // namespace bedrock
}  // namespace edgeroute
