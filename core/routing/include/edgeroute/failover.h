// edgeroute/failover.h -- one routed call, from its first attempt to its answer.
//
// A RoutedCall asks the router for the best allowed candidate, has the caller send
// the attempt, reports the outcome to the router, and on a retryable failure moves
// at once to the best *other* allowed candidate (the regions it already tried are
// avoided while anything else is usable). It waits only when every allowed
// candidate is cooling, rate limited, drained or has its circuit open, only until
// the earliest is due, and never past the call's deadline. Every retry is paid
// from the client-wide RetryBudget, so a regional incident cannot turn a fleet's
// calls into a retry storm; nothing is retried once output has reached the caller.
//
// It is a state machine without I/O, clock or thread of its own: next(now) says
// what to do (send this route, wait until T, or done) and complete(outcome, now)
// says how the attempt went. run() drives it over a real Attempter and Sleeper;
// the fleet simulation and the property tests drive it in virtual time.
//
// Residency: a route is checked against the router's policy again right before it
// is handed out (Policy::check_route), so a disallowed endpoint can never be sent
// to, whatever the router's tables say. A drill's injected failure (DrillKind::
// kFail) is consumed inside next(): the attempt fails without being sent.
//
// Memory: no heap. A RoutedCall is about a kilobyte, meant for the caller's stack.
// Thread-safety: one RoutedCall per call and thread; the Router, RetryBudget and
// FailoverMonitor it uses are shared and thread-safe.
#ifndef EDGEROUTE_FAILOVER_H
#define EDGEROUTE_FAILOVER_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string_view>

#include "edgeroute/catalog.h"
#include "edgeroute/clock.h"
#include "edgeroute/health.h"
#include "edgeroute/random.h"
#include "edgeroute/router.h"
#include "edgeroute/status.h"

namespace edgeroute {

struct FailoverOptions {
  // Attempts per call, the first included (the SDKs' standard mode makes 3), at
  // most kMaxAttempts.
  static constexpr std::uint32_t kMaxAttempts = 10;
  std::uint32_t max_attempts = 3;
  // While only half-open trials are out (they end when reported, not at a known
  // time), a waiting call looks again this often.
  std::int64_t poll_ns = 50LL * 1000 * 1000;
  // No attempt starts with less than this left before the deadline: it could not
  // finish, and would only add load.
  std::int64_t min_attempt_ns = 10LL * 1000 * 1000;
};

// How one attempt went, as the caller's client classified it.
struct AttemptOutcome {
  OutcomeClass outcome = OutcomeClass::kSuccess;
  bool timed_out = false;         // a timeout fired: a retry costs timeout_retry_cost
  bool output_delivered = false;  // some output reached the caller: never retried
  std::int64_t retry_after_ms = -1;  // x-amz-retry-after, < 0 when absent
  std::int64_t rtt_ns = 0;           // a passive latency sample, 0 for none
};

// Whether another attempt (elsewhere) may succeed: throttle, quota, model not
// ready and transient failures. Client, auth and clock-skew errors are final here
// (the client already retried a skewed clock once).
bool is_retryable(OutcomeClass outcome);

class RoutedCall {
 public:
  enum class Step : std::uint8_t {
    kSend,  // send one attempt on route(), within deadline_ns(); then complete()
    kWait,  // nothing usable now: sleep until wait_until_ns(), then next() again
    kDone,  // see ending() and status()
  };
  enum class Ending : std::uint8_t {
    kNone,             // not done yet
    kSuccess,
    kNotRetryable,     // the last attempt failed in a way another attempt cannot fix
    kOutputDelivered,  // failed after output reached the caller
    kAttempts,         // max_attempts used up
    kBudget,           // the client's retry budget could not pay for a retry
    kDeadline,         // nothing allowed could serve before the deadline
    kNoRoute,          // the router has no allowed candidate (unknown model, policy)
    kRefused,          // the residency check at send time refused the route
  };
  struct AttemptRecord {
    Route route;
    OutcomeClass outcome = OutcomeClass::kSuccess;
    std::int64_t start_ns = 0;
    std::int64_t end_ns = 0;
    bool drill = false;  // a kFail drill's failure: not sent
  };

  // model: a base model ID of the router's catalog; session_key may be empty.
  // Both must outlive the call. deadline_ns is absolute (monotonic).
  RoutedCall(Router& router, RetryBudget& budget, std::string_view model, std::string_view session_key,
             std::int64_t deadline_ns, const FailoverOptions& options = FailoverOptions());

  // What to do now. `random` is any uniformly random number (weighted picks).
  Step next(std::int64_t now_ns, std::uint64_t random);
  // After kSend: where to send. Strings point into the router's catalog.
  const Route& route() const { return route_; }
  // After kWait: when to call next() again (always before the deadline).
  std::int64_t wait_until_ns() const { return wait_until_ns_; }
  std::int64_t deadline_ns() const { return deadline_ns_; }
  // After kSend: how the attempt went (now_ns: when it ended).
  void complete(const AttemptOutcome& outcome, std::int64_t now_ns);

  bool done() const { return ending_ != Ending::kNone; }
  bool ok() const { return ending_ == Ending::kSuccess; }
  Ending ending() const { return ending_; }
  // When done without success: why, in one line (for kDeadline and kNoRoute the
  // router's own words, which name each allowed candidate and its state).
  const Status& status() const { return status_; }
  // How the call ended, in the outcome vocabulary the client's errors map to:
  // kSuccess only when ok(). A call that gave up reports its last attempt's class
  // (a fail drill's attempt is kTransient, although nothing was sent); with no
  // attempt at all, kTransient for a deadline or budget, kClient for no route or a
  // refused route. Callers build their error from this, never from "no error yet".
  OutcomeClass outcome() const;
  std::size_t attempt_count() const { return attempt_count_; }
  const AttemptRecord& attempt(std::size_t i) const { return attempts_[i]; }
  // Succeeded after a failed attempt (failover within the call). A call routed
  // straight to a secondary because the primary was cooling did not fail over:
  // see served_by_primary().
  bool failed_over() const;
  // Succeeded on the mode's primary choice (what it prefers with every endpoint
  // healthy).
  bool served_by_primary() const;
  std::int64_t waited_ns() const { return waited_ns_; }
  std::uint32_t waits() const { return waits_; }

 private:
  void end(Ending ending, const Status& status);
  void record(const Route& route, OutcomeClass outcome, std::int64_t start_ns, std::int64_t end_ns, bool drill);

  Router& router_;
  RetryBudget& budget_;
  std::string_view model_;
  std::string_view session_;
  std::int64_t deadline_ns_;
  FailoverOptions options_;

  Route route_;
  RegionMask tried_;
  std::int64_t send_start_ns_ = 0;
  std::int64_t wait_until_ns_ = 0;
  std::int64_t waiting_since_ns_ = -1;
  std::int64_t waited_ns_ = 0;
  std::uint32_t waits_ = 0;
  bool in_flight_ = false;
  bool retry_paid_ = false;      // the pending retry's budget cost is taken
  bool last_timed_out_ = false;  // the last failure was a timeout
  std::uint32_t last_cost_ = 0;  // what the pending / last retry cost
  Ending ending_ = Ending::kNone;
  Status status_;
  std::size_t attempt_count_ = 0;
  AttemptRecord attempts_[FailoverOptions::kMaxAttempts];
};

const char* to_string(RoutedCall::Ending ending);

// --- Driving a call in real time ----------------------------------------------

// Sends one attempt; the client layer implements it (see examples/edgeroute).
class Attempter {
 public:
  virtual ~Attempter() = default;
  // Must return by deadline_ns (plus the transport's timer granularity).
  virtual AttemptOutcome attempt(const Route& route, std::int64_t deadline_ns) = 0;
};

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  virtual void sleep_until(std::int64_t monotonic_ns) = 0;
};

// Sleeps on the calling thread against a Clock's monotonic time.
class ThreadSleeper final : public Sleeper {
 public:
  explicit ThreadSleeper(const Clock& clock) : clock_(clock) {}
  void sleep_until(std::int64_t monotonic_ns) override;

 private:
  const Clock& clock_;
};

// Runs the call to its end: attempts through `attempter`, waits through `sleeper`.
void run(RoutedCall& call, Attempter& attempter, const Clock& clock, Sleeper& sleeper, Random& random);

// --- Alerts ---------------------------------------------------------------------

// An operator wants to hear when failover stops being rare: the share of calls
// that failed over, or the share served away from the primary candidate, crossed
// a threshold over a sliding window.
struct AlertOptions {
  double failover_rate = 0.2;      // calls that needed another attempt / calls; <= 0: off
  double non_primary_share = 0.5;  // successful calls not on the primary / successes; <= 0: off
  std::uint32_t min_calls = 20;    // below this many calls in the window, no alert
  std::int64_t window_ns = 60LL * 1000 * 1000 * 1000;
  // A raised alert clears when its value falls below threshold * clear_ratio.
  double clear_ratio = 0.8;
};

enum class AlertKind : std::uint8_t { kFailoverRate, kNonPrimaryShare };
const char* to_string(AlertKind kind);

struct Alert {
  AlertKind kind = AlertKind::kFailoverRate;
  bool raised = true;  // false: cleared
  double value = 0.0;
  double threshold = 0.0;
  std::uint32_t calls = 0;  // in the window
  std::int64_t now_ns = 0;
};

// Called on the thread that recorded the call, outside the monitor's lock, once
// per crossing (raised, then cleared), never per call.
using AlertHook = void (*)(const Alert& alert, void* context);

class FailoverMonitor {
 public:
  static constexpr std::size_t kBuckets = 12;

  explicit FailoverMonitor(const AlertOptions& options = AlertOptions(), AlertHook hook = nullptr,
                           void* context = nullptr)
      : options_(options), hook_(hook), context_(context) {}
  FailoverMonitor(const FailoverMonitor&) = delete;
  FailoverMonitor& operator=(const FailoverMonitor&) = delete;

  // A finished call. Thread-safe; no heap.
  void record(const RoutedCall& call, std::int64_t now_ns);
  void record(bool succeeded, bool failed_over, bool primary, std::int64_t now_ns);

  struct Window {
    std::uint32_t calls = 0;
    std::uint32_t successes = 0;
    std::uint32_t failovers = 0;
    std::uint32_t non_primary = 0;
  };
  Window window(std::int64_t now_ns) const;
  bool raised(AlertKind kind) const;

 private:
  struct Bucket {
    std::int64_t index = -1;
    Window counts;
  };
  Window sum_locked(std::int64_t now_ns) const;

  AlertOptions options_;
  AlertHook hook_;
  void* context_;
  mutable std::mutex mutex_;
  Bucket buckets_[kBuckets];
  bool raised_[2] = {false, false};
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_FAILOVER_H
