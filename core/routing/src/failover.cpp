// RoutedCall: pick, send, report, fail over, within a deadline and a retry budget.
// FailoverMonitor: the sliding window behind the failover alerts.
#include "edgeroute/failover.h"

#include <chrono>
#include <thread>

namespace edgeroute {
namespace {

constexpr std::int64_t kNsPerMs = 1000 * 1000;


}  // namespace

bool is_retryable(OutcomeClass outcome) {
  switch (outcome) {
    case OutcomeClass::kThrottle:
    case OutcomeClass::kQuota:
    case OutcomeClass::kModelNotReady:
    case OutcomeClass::kTransient: return true;
    case OutcomeClass::kSuccess:
    case OutcomeClass::kClient:
    case OutcomeClass::kAuth:
    case OutcomeClass::kClockSkew: return false;
  }
  return false;
}

const char* to_string(RoutedCall::Ending ending) {
  switch (ending) {
    case RoutedCall::Ending::kNone: return "none";
    case RoutedCall::Ending::kSuccess: return "success";
    case RoutedCall::Ending::kNotRetryable: return "not_retryable";
    case RoutedCall::Ending::kOutputDelivered: return "output_delivered";
    case RoutedCall::Ending::kAttempts: return "attempts_exhausted";
    case RoutedCall::Ending::kBudget: return "retry_budget_exhausted";
    case RoutedCall::Ending::kDeadline: return "deadline";
    case RoutedCall::Ending::kNoRoute: return "no_route";
    case RoutedCall::Ending::kRefused: return "refused";
  }
  return "unknown";
}

RoutedCall::RoutedCall(Router& router, RetryBudget& budget, std::string_view model, std::string_view session_key,
                       std::int64_t deadline_ns, const FailoverOptions& options)
    : router_(router), budget_(budget), model_(model), session_(session_key), deadline_ns_(deadline_ns),
      options_(options) {
  if (options_.max_attempts < 1) options_.max_attempts = 1;
  if (options_.max_attempts > FailoverOptions::kMaxAttempts) options_.max_attempts = FailoverOptions::kMaxAttempts;
  if (options_.poll_ns < kNsPerMs) options_.poll_ns = kNsPerMs;
  if (options_.min_attempt_ns < 0) options_.min_attempt_ns = 0;
}

void RoutedCall::end(Ending ending, const Status& status) {
  ending_ = ending;
  status_ = status;
}

void RoutedCall::record(const Route& route, OutcomeClass outcome, std::int64_t start_ns, std::int64_t end_ns,
                        bool drill) {
  if (attempt_count_ >= FailoverOptions::kMaxAttempts) return;
  AttemptRecord& a = attempts_[attempt_count_++];
  a.route = route;
  a.outcome = outcome;
  a.start_ns = start_ns;
  a.end_ns = end_ns;
  a.drill = drill;
}

RoutedCall::Step RoutedCall::next(std::int64_t now_ns, std::uint64_t random) {
  if (in_flight_) return Step::kSend;  // complete() was not called: the same attempt
  if (waiting_since_ns_ >= 0) {
    waited_ns_ += now_ns > waiting_since_ns_ ? now_ns - waiting_since_ns_ : 0;
    waiting_since_ns_ = -1;
  }
  // Bounded: each pass either returns or records one (drill) attempt.
  for (;;) {
    if (done()) return Step::kDone;
    if (deadline_ns_ - now_ns < options_.min_attempt_ns) {
      end(Ending::kDeadline,
          attempt_count_ == 0
              ? Status::error(Code::kTimeout, "deadline passed before the first attempt")
              : Status::error(Code::kTimeout, "deadline passed after %zu attempts (last: %s)", attempt_count_,
                              to_string(attempts_[attempt_count_ - 1].outcome)));
      return Step::kDone;
    }
    if (attempt_count_ > 0 && !retry_paid_) {
      last_cost_ = budget_.try_acquire_retry(last_timed_out_);
      if (last_cost_ == 0) {
        end(Ending::kBudget, Status::error(Code::kUnavailable,
                                           "retry budget exhausted (%u of %u tokens left) after %zu attempts (last: %s)",
                                           budget_.available(), budget_.capacity(), attempt_count_,
                                           to_string(attempts_[attempt_count_ - 1].outcome)));
        return Step::kDone;
      }
      retry_paid_ = true;
    }
    const Status picked = router_.pick(model_, session_, now_ns, random, &route_, nullptr, &tried_);
    if (picked.code() == Code::kUnavailable) {
      // Every allowed candidate is out for now: wait for the earliest, if it comes
      // back in time for an attempt.
      std::int64_t due = router_.next_due_ns(model_, now_ns);
      if (due == INT64_MAX) due = now_ns + options_.poll_ns;
      if (due <= now_ns) due = now_ns + kNsPerMs;  // usable again already: look once more soon
      if (deadline_ns_ - due < options_.min_attempt_ns) {
        end(Ending::kDeadline, picked);
        return Step::kDone;
      }
      wait_until_ns_ = due;
      waiting_since_ns_ = now_ns;
      ++waits_;
      return Step::kWait;
    }
    if (!picked.ok()) {
      end(Ending::kNoRoute, picked);
      return Step::kDone;
    }
    // The residency check again, right before anything is sent.
    const Policy* policy = router_.policy();
    const Status allowed = policy != nullptr ? policy->check_route(route_.identifier, route_.source_region)
                                             : Status::error(Code::kInternal, "router has no policy");
    if (!allowed.ok()) {
      (void)router_.report(route_, OutcomeClass::kClient, 0, now_ns);  // frees a half-open trial
      end(Ending::kRefused, allowed);
      return Step::kDone;
    }
    const Catalog& catalog = policy->catalog();
    tried_.set(catalog.candidate(route_.candidate).source_region);
    if (route_.drill_failure) {
      // A fail drill: the attempt fails here, unsent, and takes the real failover path.
      (void)router_.report(route_, OutcomeClass::kTransient, 0, now_ns);
      record(route_, OutcomeClass::kTransient, now_ns, now_ns, true);
      retry_paid_ = false;
      last_timed_out_ = false;
      if (attempt_count_ >= options_.max_attempts) {
        end(Ending::kAttempts, Status::error(Code::kUnavailable, "%zu attempts failed (last: a fail drill on %.*s)",
                                             attempt_count_, static_cast<int>(route_.source_region.size()),
                                             route_.source_region.data()));
        return Step::kDone;
      }
      continue;
    }
    in_flight_ = true;
    send_start_ns_ = now_ns;
    return Step::kSend;
  }
}

void RoutedCall::complete(const AttemptOutcome& outcome, std::int64_t now_ns) {
  if (!in_flight_ || done()) return;
  in_flight_ = false;
  record(route_, outcome.outcome, send_start_ns_, now_ns, false);
  (void)router_.report(route_, outcome.outcome, outcome.rtt_ns, now_ns, outcome.retry_after_ms);
  if (outcome.outcome == OutcomeClass::kSuccess) {
    // The SDKs' standard mode: a success refunds its retry's cost, or adds one.
    budget_.on_success(attempt_count_ > 1 ? last_cost_ : 0);
    end(Ending::kSuccess, Status());
    return;
  }
  const int region_len = static_cast<int>(route_.source_region.size());
  if (outcome.output_delivered) {
    end(Ending::kOutputDelivered,
        Status::error(Code::kUnavailable, "%s on %.*s after output reached the caller: not retried",
                      to_string(outcome.outcome), region_len, route_.source_region.data()));
    return;
  }
  if (!is_retryable(outcome.outcome)) {
    end(Ending::kNotRetryable, Status::error(Code::kInvalidArgument, "%s error on %.*s: not retried",
                                             to_string(outcome.outcome), region_len, route_.source_region.data()));
    return;
  }
  if (attempt_count_ >= options_.max_attempts) {
    end(Ending::kAttempts, Status::error(Code::kUnavailable, "%zu attempts failed (last: %s on %.*s)", attempt_count_,
                                         to_string(outcome.outcome), region_len, route_.source_region.data()));
    return;
  }
  retry_paid_ = false;
  last_timed_out_ = outcome.timed_out;
}

OutcomeClass RoutedCall::outcome() const {
  if (ok()) return OutcomeClass::kSuccess;
  switch (ending_) {
    case Ending::kNoRoute:
    case Ending::kRefused: return OutcomeClass::kClient;
    default: break;
  }
  if (attempt_count_ == 0) return OutcomeClass::kTransient;  // deadline or budget before any attempt
  const OutcomeClass last = attempts_[attempt_count_ - 1].outcome;
  // Not done, or a record that says success on a call that did not succeed: never
  // let either read as a success.
  return last == OutcomeClass::kSuccess ? OutcomeClass::kTransient : last;
}

bool RoutedCall::failed_over() const { return ok() && attempt_count_ > 1; }

bool RoutedCall::served_by_primary() const { return ok() && attempts_[attempt_count_ - 1].route.primary; }

// ---------------------------------------------------------------------------

void ThreadSleeper::sleep_until(std::int64_t monotonic_ns) {
  const std::int64_t left = monotonic_ns - clock_.monotonic_ns();
  if (left > 0) std::this_thread::sleep_for(std::chrono::nanoseconds(left));
}

void run(RoutedCall& call, Attempter& attempter, const Clock& clock, Sleeper& sleeper, Random& random) {
  for (;;) {
    switch (call.next(clock.monotonic_ns(), random.next_u64())) {
      case RoutedCall::Step::kDone: return;
      case RoutedCall::Step::kWait: sleeper.sleep_until(call.wait_until_ns()); break;
      case RoutedCall::Step::kSend: {
        const AttemptOutcome outcome = attempter.attempt(call.route(), call.deadline_ns());
        call.complete(outcome, clock.monotonic_ns());
        break;
      }
    }
  }
}

// ---------------------------------------------------------------------------

const char* to_string(AlertKind kind) {
  switch (kind) {
    case AlertKind::kFailoverRate: return "failover_rate";
    case AlertKind::kNonPrimaryShare: return "non_primary_share";
  }
  return "unknown";
}

void FailoverMonitor::record(const RoutedCall& call, std::int64_t now_ns) {
  record(call.ok(), call.failed_over(), call.served_by_primary(), now_ns);
}

FailoverMonitor::Window FailoverMonitor::sum_locked(std::int64_t now_ns) const {
  const std::int64_t width = options_.window_ns / static_cast<std::int64_t>(kBuckets) > 0
                                 ? options_.window_ns / static_cast<std::int64_t>(kBuckets)
                                 : 1;
  const std::int64_t current = now_ns / width;
  Window sum;
  for (const Bucket& b : buckets_) {
    if (b.index < 0 || b.index <= current - static_cast<std::int64_t>(kBuckets) || b.index > current) continue;
    sum.calls += b.counts.calls;
    sum.successes += b.counts.successes;
    sum.failovers += b.counts.failovers;
    sum.non_primary += b.counts.non_primary;
  }
  return sum;
}

void FailoverMonitor::record(bool succeeded, bool failed_over, bool primary, std::int64_t now_ns) {
  Alert fired[2];
  std::size_t count = 0;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::int64_t width = options_.window_ns / static_cast<std::int64_t>(kBuckets) > 0
                                   ? options_.window_ns / static_cast<std::int64_t>(kBuckets)
                                   : 1;
    const std::int64_t index = now_ns / width;
    Bucket& b = buckets_[static_cast<std::size_t>(index % static_cast<std::int64_t>(kBuckets))];
    if (b.index != index) {
      b.index = index;
      b.counts = Window();
    }
    ++b.counts.calls;
    if (succeeded) ++b.counts.successes;
    if (failed_over) ++b.counts.failovers;
    if (succeeded && !primary) ++b.counts.non_primary;
    const Window w = sum_locked(now_ns);
    const double values[2] = {w.calls > 0 ? static_cast<double>(w.failovers) / w.calls : 0.0,
                              w.successes > 0 ? static_cast<double>(w.non_primary) / w.successes : 0.0};
    const double thresholds[2] = {options_.failover_rate, options_.non_primary_share};
    for (std::size_t k = 0; k < 2; ++k) {
      if (thresholds[k] <= 0) continue;
      bool change = false;
      if (!raised_[k] && w.calls >= options_.min_calls && values[k] >= thresholds[k]) {
        change = raised_[k] = true;
      } else if (raised_[k] && values[k] < thresholds[k] * options_.clear_ratio) {
        raised_[k] = false;
        change = true;
      }
      if (!change) continue;
      Alert& a = fired[count++];
      a.kind = k == 0 ? AlertKind::kFailoverRate : AlertKind::kNonPrimaryShare;
      a.raised = raised_[k];
      a.value = values[k];
      a.threshold = thresholds[k];
      a.calls = w.calls;
      a.now_ns = now_ns;
    }
  }
  if (hook_ == nullptr) return;
  for (std::size_t i = 0; i < count; ++i) hook_(fired[i], context_);
}

FailoverMonitor::Window FailoverMonitor::window(std::int64_t now_ns) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return sum_locked(now_ns);
}

bool FailoverMonitor::raised(AlertKind kind) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return raised_[kind == AlertKind::kFailoverRate ? 0 : 1];
}

}  // namespace edgeroute
