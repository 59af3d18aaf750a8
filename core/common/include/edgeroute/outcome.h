// edgeroute/outcome.h -- how one attempt ended, in the one vocabulary every layer
// uses: the Bedrock client classifies each answer or failure into it (Error::cls),
// the routing engine learns from it (health, cooldowns, breakers, failover), and the
// routed client, the C API and the tool report it.
#ifndef EDGEROUTE_OUTCOME_H
#define EDGEROUTE_OUTCOME_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstdint>

namespace edgeroute {

// What the caller may do about each (the retry meaning).
enum class OutcomeClass : std::uint8_t {
  kSuccess = 0,
  kThrottle,       // ThrottlingException, 429: back off here, try another region
  kQuota,          // ServiceQuotaExceededException: a throttle that lasts; try another region
  kModelNotReady,  // ModelNotReadyException: the model is loading here; retry later or elsewhere
  kTransient,      // 5xx, ServiceUnavailable, InternalServer, ModelTimeout (408), connection
                   // refused/reset, timeouts, broken or corrupt streams: retry elsewhere
  kClient,         // other 4xx (Validation, AccessDenied, ResourceNotFound, ...) and bad
                   // requests, configuration or refusals found locally: never retry as is
  kAuth,           // the credentials are wrong, missing or expired: fix them
  kClockSkew,      // the signature's time is off (Signature expired, RequestTimeTooSkewed);
                   // the client corrects its clock and retries once itself
};

// Stable lowercase name: "success", "throttle", "quota", "model_not_ready",
// "transient", "client", "auth", "clock_skew".
constexpr const char* to_string(OutcomeClass outcome) {
  switch (outcome) {
    case OutcomeClass::kSuccess: return "success";
    case OutcomeClass::kThrottle: return "throttle";
    case OutcomeClass::kQuota: return "quota";
    case OutcomeClass::kModelNotReady: return "model_not_ready";
    case OutcomeClass::kTransient: return "transient";
    case OutcomeClass::kClient: return "client";
    case OutcomeClass::kAuth: return "auth";
    case OutcomeClass::kClockSkew: return "clock_skew";
  }
  return "unknown";
}

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_OUTCOME_H
