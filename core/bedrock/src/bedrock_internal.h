// Helpers shared by the Bedrock client's source files (core/bedrock/src/*.cpp only).
#ifndef EDGEROUTE_CORE_BEDROCK_SRC_BEDROCK_INTERNAL_H
#define EDGEROUTE_CORE_BEDROCK_SRC_BEDROCK_INTERNAL_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "edgeroute/bedrock.h"

struct cJSON;

namespace edgeroute {
namespace bedrock {

// Longest stop reason, error type and request ID kept from a server, bytes (AWS's
// are under 64); longer ones are cut (assign_safe_line).
constexpr std::size_t kMaxStopReasonBytes = 128;
constexpr std::size_t kMaxErrorTypeBytes = 128;
constexpr std::size_t kMaxRequestIdBytes = 128;

// The number member `name` of object as an integer; 0 when absent or not a number.
std::int64_t json_int(const cJSON* object, const char* name);
// The string member `name` of object; empty when absent or not a string.
std::string_view json_string(const cJSON* object, const char* name);
// Reads a Bedrock "usage" object (inputTokens, ..., cacheWriteInputTokens).
void read_usage(const cJSON* usage, Usage* out);

// json itself, or a copy in *scratch with every "\u0000" escape made "\ufffd"
// (same length), so that cJSON does not end a string at an escaped NUL.
std::string_view without_nul_escapes(std::string_view json, std::string* scratch);

// percent_encode and model_path, appending to *out so a reused buffer keeps its
// capacity.
void append_percent_encoded(std::string* out, std::string_view text);
void append_model_path(std::string* out, std::string_view model_id, std::string_view action);

// The n characters of s from pos as a decimal number; false when s is shorter or one
// of them is not a digit (n at most 9, so *out cannot overflow).
inline bool parse_decimal_digits(std::string_view s, std::size_t pos, std::size_t n, unsigned* out) {
  if (pos > s.size() || n > s.size() - pos || n > 9) return false;
  unsigned v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + static_cast<unsigned>(s[i] - '0');
  }
  *out = v;
  return true;
}

}  // namespace bedrock
}  // namespace edgeroute

#endif  // EDGEROUTE_CORE_BEDROCK_SRC_BEDROCK_INTERNAL_H
