// edgeroute/status.h -- errors as values.
//
// A Status is a closed error code, a one-line message that names the problem, and,
// where it helps, the raw code of the layer that reported it (curl, mbedTLS, HTTP).
// It never allocates: the message lives in a fixed buffer (limits::kStatusMessageBytes).
// Messages never contain secrets; code that builds them must not format key material.
#ifndef EDGEROUTE_STATUS_H
#define EDGEROUTE_STATUS_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstdint>

#include "edgeroute/config.h"

namespace edgeroute {

// What went wrong. The comment on each value says what a caller may do about it.
enum class Code : std::uint8_t {
  kOk = 0,
  kInvalidArgument,   // the input is malformed; never retry
  kBufferTooSmall,    // a caller-provided buffer is too small; retry with a larger one
  kLimitExceeded,     // a compile-time limit (config.h) was reached; never retry as is
  kParseError,        // bytes from outside (file, response) are malformed; never retry
  kChecksumMismatch,  // a CRC or signature did not verify; never retry the same bytes
  kNotFound,          // a named thing (file, profile, model) does not exist
  kPermissionDenied,  // the policy forbids it (residency) or the credentials do; never retry
  kCrypto,            // the crypto backend failed; backend_code has its error
  kIo,                // a file or socket operation failed; backend_code has errno
  kTimeout,           // a deadline passed; retry elsewhere within the caller's deadline
  kUnavailable,       // transient failure of an endpoint; retry elsewhere
  kThrottled,         // the endpoint asked us to slow down; retry elsewhere, back off here
  kInternal,          // a bug in edgeroute; please report it
};

// Stable lowercase name of a code, e.g. "buffer_too_small".
const char* to_string(Code code);

class [[nodiscard]] Status {
 public:
  // OK. Cheap: only the first byte of the message is written, because an OK
  // Status is built on every call of every hot path.
  Status() { message_[0] = '\0'; }

  // printf-style message; cut to fit (see config.h). Never pass secrets.
  static Status error(Code code, const char* format, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 2, 3)))
#endif
      ;
  static Status error_with_backend(Code code, std::int64_t backend_code, const char* format, ...)
#if defined(__GNUC__)
      __attribute__((format(printf, 3, 4)))
#endif
      ;

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  // Empty for OK; otherwise one line, NUL-terminated, no trailing newline.
  const char* message() const { return message_; }
  // The reporting layer's own code (errno, CURLcode, mbedTLS error, HTTP status), or 0.
  std::int64_t backend_code() const { return backend_code_; }

 private:
  Code code_ = Code::kOk;
  std::int64_t backend_code_ = 0;
  char message_[limits::kStatusMessageBytes];  // NUL-terminated
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_STATUS_H
