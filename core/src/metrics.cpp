// Recording side of edgeroute/metrics.h: fixed slots, no heap.
#include "edgeroute/metrics.h"

#include "edgeroute/failover.h"

namespace edgeroute {

static_assert(kOutcomeClassCount == static_cast<std::size_t>(OutcomeClass::kClockSkew) + 1,
              "one attempt counter per outcome class");

void LatencyHistogram::add(std::int64_t ns) {
  if (ns < 0) ns = 0;
  std::size_t b = 0;
  // Bounds are seconds; compare in ns without floating the sample.
  while (b < kLatencyBucketCount && static_cast<double>(ns) > kLatencyBucketsSeconds[b] * 1e9) ++b;
  ++buckets[b];
  ++count;
  sum_ns += ns;
}

std::uint64_t CandidateMetrics::total_attempts() const {
  std::uint64_t n = 0;
  for (const std::uint64_t a : attempts) n += a;
  return n;
}

CandidateMetrics* Metrics::slot_locked(std::uint16_t candidate) {
  for (std::size_t i = 0; i < data_.candidate_count; ++i) {
    if (data_.candidates[i].candidate == candidate) return &data_.candidates[i];
  }
  if (data_.candidate_count == limits::kMetricsMaxCandidates) {
    ++data_.dropped;
    return nullptr;
  }
  CandidateMetrics* slot = &data_.candidates[data_.candidate_count++];
  *slot = CandidateMetrics();
  slot->candidate = candidate;
  return slot;
}

void Metrics::on_attempt(const AttemptEvent& event) {
  if (event.route == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  CandidateMetrics* m = slot_locked(event.route->candidate);
  if (m == nullptr) return;
  ++m->attempts[static_cast<std::size_t>(event.outcome)];
  if (is_rate_signal(event.outcome)) ++m->throttles;
  if (event.first_byte_ns > 0) m->first_byte.add(event.first_byte_ns);
}

void Metrics::on_call(const CallEvent& event) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (event.call == nullptr || event.call->attempt_count() == 0) {
    ++data_.unrouted_calls;
    return;
  }
  const RoutedCall& call = *event.call;
  for (std::size_t i = 0; i < call.attempt_count(); ++i) {
    if (!call.attempt(i).drill) continue;
    CandidateMetrics* d = slot_locked(call.attempt(i).route.candidate);
    if (d != nullptr) ++d->drill_failures;
  }
  // The call belongs to where it ended: the candidate that served it, or failed last.
  CandidateMetrics* m = slot_locked(call.attempt(call.attempt_count() - 1).route.candidate);
  if (m == nullptr) return;
  ++(event.ok ? m->calls_ok : m->calls_failed);
  if (call.failed_over()) ++m->failovers;
  m->call_duration.add(event.duration_ns);
}

void Metrics::count_credential_refresh() {
  std::lock_guard<std::mutex> lock(mutex_);
  ++data_.credential_refreshes;
}

void Metrics::snapshot(MetricsSnapshot* out) const {
  std::lock_guard<std::mutex> lock(mutex_);
  out->candidate_count = data_.candidate_count;
  for (std::size_t i = 0; i < data_.candidate_count; ++i) out->candidates[i] = data_.candidates[i];
  out->unrouted_calls = data_.unrouted_calls;
  out->credential_refreshes = data_.credential_refreshes;
  out->dropped = data_.dropped;
}

}  // namespace edgeroute
