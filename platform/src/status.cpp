#include "edgeroute/status.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace edgeroute {

const char* to_string(Code code) {
  switch (code) {
    case Code::kOk: return "ok";
    case Code::kInvalidArgument: return "invalid_argument";
    case Code::kBufferTooSmall: return "buffer_too_small";
    case Code::kLimitExceeded: return "limit_exceeded";
    case Code::kParseError: return "parse_error";
    case Code::kChecksumMismatch: return "checksum_mismatch";
    case Code::kNotFound: return "not_found";
    case Code::kPermissionDenied: return "permission_denied";
    case Code::kCrypto: return "crypto";
    case Code::kIo: return "io";
    case Code::kTimeout: return "timeout";
    case Code::kUnavailable: return "unavailable";
    case Code::kThrottled: return "throttled";
    case Code::kInternal: return "internal";
  }
  return "unknown";
}

namespace {

// Formats into buf; when the text does not fit, ends it in "..." without splitting a
// UTF-8 sequence. Newlines become spaces so a message is always one line.
void format_message(char* buf, std::size_t cap, const char* format, va_list args) {
  int n = std::vsnprintf(buf, cap, format, args);
  if (n < 0) {
    std::snprintf(buf, cap, "(unformattable message)");
    return;
  }
  std::size_t len = std::strlen(buf);
  if (static_cast<std::size_t>(n) >= cap && cap >= 4) {
    std::size_t cut = cap - 4;
    while (cut > 0 && (static_cast<unsigned char>(buf[cut]) & 0xC0u) == 0x80u) --cut;
    std::memcpy(buf + cut, "...", 4);
    len = cut + 3;
  }
  for (std::size_t i = 0; i < len; ++i) {
    if (buf[i] == '\n' || buf[i] == '\r') buf[i] = ' ';
  }
}

}  // namespace

Status Status::error(Code code, const char* format, ...) {
  Status s;
  s.code_ = code == Code::kOk ? Code::kInternal : code;
  va_list args;
  va_start(args, format);
  format_message(s.message_, sizeof s.message_, format, args);
  va_end(args);
  return s;
}

Status Status::error_with_backend(Code code, std::int64_t backend_code, const char* format, ...) {
  Status s;
  s.code_ = code == Code::kOk ? Code::kInternal : code;
  s.backend_code_ = backend_code;
  va_list args;
  va_start(args, format);
  format_message(s.message_, sizeof s.message_, format, args);
  va_end(args);
  return s;
}

}  // namespace edgeroute
