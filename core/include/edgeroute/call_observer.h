// edgeroute/call_observer.h -- what a routed client tells the observers it was
// given (metrics, an audit trail) about each call, at fixed points.
//
// The routed client (edgeroute::Runtime) calls on_attempt() after every HTTP
// exchange it sent and on_call() once when a call ends, on the calling thread,
// after it has reported the outcome to the router. Observers see the route, the
// outcome class and timings; they never see a prompt, an answer or a credential.
//
// Contract for observers: thread-safe (calls come from every thread that calls
// the client), quick (they run inside the caller's call), and they must not call
// back into the client. Everything an event points to is valid only during the
// callback.
#ifndef EDGEROUTE_CALL_OBSERVER_H
#define EDGEROUTE_CALL_OBSERVER_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstdint>
#include <string_view>

#include "edgeroute/catalog.h"
#include "edgeroute/health.h"
#include "edgeroute/router.h"

namespace edgeroute {

class RoutedCall;
struct CallReport;

// One HTTP exchange of a routed call (a request the service received, or one the
// network lost). A routed attempt whose signature the service refused for clock
// skew is sent twice by the client: two events, the first with kClockSkew.
struct AttemptEvent {
  std::string_view operation;  // "Converse", "ConverseStream", "InvokeModel", ...
  const Route* route = nullptr;  // candidate, identifier, source region
  OutcomeClass outcome = OutcomeClass::kSuccess;
  int http_status = 0;            // 0: no HTTP answer
  std::int64_t first_byte_ns = 0;  // request start -> first response byte; 0: none
  std::int64_t duration_ns = 0;    // the whole exchange
};

// A finished call.
struct CallEvent {
  std::string_view operation;
  std::string_view model;  // the base model ID routed; empty when the catalog has none
  // Every routed attempt (drills' unsent failures included), the ending and whether
  // it failed over; null when the call never reached the router (unknown model).
  const RoutedCall* call = nullptr;
  // The client's report (identifier, attempts with HTTP status, error, request ID);
  // null for callers that have none.
  const CallReport* report = nullptr;
  std::string_view request_id;  // of the last answer; empty when none came
  bool ok = false;
  std::int64_t start_utc_ms = 0;  // when the call started (wall clock)
  std::int64_t duration_ns = 0;   // start to end, waits and failovers included
  const Catalog* catalog = nullptr;  // what the routes' candidate indices refer to
  std::string_view policy;           // the allow list in force ("eu")
};

class CallObserver {
 public:
  virtual ~CallObserver() = default;
  virtual void on_attempt(const AttemptEvent& event) { (void)event; }
  virtual void on_call(const CallEvent& event) { (void)event; }
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CALL_OBSERVER_H
