// edgeroute/metrics.h -- what a device's routed calls did, in fixed memory, for
// an operator's monitoring: counters and fixed-bucket latency histograms per
// (identifier, source region), exported as Prometheus text exposition and as
// CloudWatch embedded-metric-format (EMF) lines.
//
// Metrics is a CallObserver: hand it to RuntimeOptions::observers and the routed
// client feeds it each exchange and each finished call. Recording never touches
// the heap (fixed slots, one mutex held for a few dozen nanoseconds); exporting
// does, and reads the router's own state (cooldowns, breakers, probes) and the
// retry budget at that moment, so nothing is kept twice.
//
// Per (identifier, source region), at most limits::kMetricsMaxCandidates pairs
// (config.h); calls of further pairs are counted in dropped():
//   attempts by outcome class    HTTP exchanges sent there (what the service saw)
//   calls by result              calls that ended there (served, or failed last)
//   failovers                    calls served there after a failed attempt elsewhere
//   throttles                    throttle and quota answers
//   drill failures               a fail drill's unsent attempts
//   first byte, call duration    histograms, seconds
// Device-wide: calls that found no route, credential refreshes.
//
// Thread-safety: every member function may be called from any thread.
#ifndef EDGEROUTE_METRICS_H
#define EDGEROUTE_METRICS_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "edgeroute/call_observer.h"
#include "edgeroute/catalog.h"
#include "edgeroute/config.h"
#include "edgeroute/health.h"
#include "edgeroute/router.h"
#include "edgeroute/status.h"

namespace edgeroute {

// Outcome classes, as indices of the attempt counters (OutcomeClass values).
constexpr std::size_t kOutcomeClassCount = 8;

// Upper bounds of the latency buckets, seconds; an implicit +Inf bucket follows.
constexpr std::size_t kLatencyBucketCount = 12;
constexpr double kLatencyBucketsSeconds[kLatencyBucketCount] = {0.025, 0.05, 0.1, 0.25, 0.5, 1,
                                                                2.5,   5,    10,  30,   60,  120};

struct LatencyHistogram {
  std::uint64_t buckets[kLatencyBucketCount + 1] = {};  // non-cumulative; last: above every bound
  std::uint64_t count = 0;
  std::int64_t sum_ns = 0;
  void add(std::int64_t ns);
};

struct CandidateMetrics {
  std::uint16_t candidate = 0;  // catalog index
  std::uint64_t attempts[kOutcomeClassCount] = {};
  std::uint64_t calls_ok = 0;
  std::uint64_t calls_failed = 0;
  std::uint64_t failovers = 0;
  std::uint64_t throttles = 0;
  std::uint64_t drill_failures = 0;
  LatencyHistogram first_byte;
  LatencyHistogram call_duration;
  std::uint64_t total_attempts() const;
};

struct MetricsSnapshot {
  CandidateMetrics candidates[limits::kMetricsMaxCandidates];
  std::size_t candidate_count = 0;
  std::uint64_t unrouted_calls = 0;
  std::uint64_t credential_refreshes = 0;
  std::uint64_t dropped = 0;
};

class Metrics final : public CallObserver {
 public:
  Metrics() = default;
  // Defined with the exporters: the class's vtable (and its deleting destructor,
  // which calls operator delete) lives there, so the recording object stays free
  // of any allocator reference (tests/heap checks it).
  ~Metrics() override;
  Metrics(const Metrics&) = delete;
  Metrics& operator=(const Metrics&) = delete;

  void on_attempt(const AttemptEvent& event) override;
  void on_call(const CallEvent& event) override;
  // The credentials side bumps this each time it fetched new credentials.
  void count_credential_refresh();

  // A consistent copy of every counter (no heap; the snapshot is large, about
  // 300 bytes per pair: keep it off small stacks).
  void snapshot(MetricsSnapshot* out) const;

 private:
  CandidateMetrics* slot_locked(std::uint16_t candidate);

  mutable std::mutex mutex_;
  MetricsSnapshot data_;
};

// What an export reads besides the counters; all but metrics may be null.
struct MetricsSources {
  const Metrics* metrics = nullptr;
  const Catalog* catalog = nullptr;      // names the pairs (required)
  const Router* router = nullptr;        // endpoint health, probes, smoothed RTT
  const RetryBudget* retry_budget = nullptr;
  std::int64_t now_ns = 0;               // monotonic, for the endpoints' health
};

// The Prometheus text exposition format (version 0.0.4): # HELP and # TYPE for
// each family, labels identifier and source_region, histograms in seconds.
// kInvalidArgument when metrics or catalog is missing.
Status prometheus_text(const MetricsSources& sources, std::string* out);

// CloudWatch embedded metric format: one JSON object per line, each with the
// "_aws" metadata (Timestamp, CloudWatchMetrics: Namespace, Dimensions, Metrics
// with units) and the values as root members. Counters are sent as what changed
// since the previous lines() of the same writer (CloudWatch sums them); a pair
// with no change is left out.
class EmfWriter {
 public:
  explicit EmfWriter(std::string ns = "edgeroute") : namespace_(std::move(ns)) {}
  // Lines for `sources` at utc_unix_ms; each ends in '\n'. Appends to *out.
  Status lines(const MetricsSources& sources, std::int64_t utc_unix_ms, std::string* out);

 private:
  std::string namespace_;
  MetricsSnapshot last_;
  std::uint64_t last_probe_bytes_ = 0;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_METRICS_H
