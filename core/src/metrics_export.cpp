// Export side of edgeroute/metrics.h: Prometheus text and CloudWatch EMF lines.
// Not a hot path: it allocates, and runs when the application asks.
#include <cjson/cJSON.h>

#include <cinttypes>
#include <cstdio>
#include <memory>

#include "edgeroute/metrics.h"

namespace edgeroute {
namespace {

constexpr const char* kOutcomeNames[kOutcomeClassCount] = {
    "success", "throttle", "quota", "model_not_ready", "transient", "client", "auth", "clock_skew"};

// Prometheus label values escape backslash, double quote and line feed.
void append_label_value(std::string* out, std::string_view v) {
  for (const char c : v) {
    if (c == '\\') {
      *out += "\\\\";
    } else if (c == '"') {
      *out += "\\\"";
    } else if (c == '\n') {
      *out += "\\n";
    } else {
      *out += c;
    }
  }
}

void append_u64(std::string* out, std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%" PRIu64, v);
  *out += buf;
}

void append_double(std::string* out, double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  *out += buf;
}

void family(std::string* out, const char* name, const char* type, const char* help) {
  *out += "# HELP ";
  *out += name;
  *out += ' ';
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  *out += ' ';
  *out += type;
  *out += '\n';
}

// name{identifier="..",source_region=".."[,extra]} -- without the value.
void pair_sample(std::string* out, const char* name, const char* suffix, const Catalog& catalog,
                 std::uint16_t candidate, const char* extra_key = nullptr, std::string_view extra_value = {}) {
  const Candidate& c = catalog.candidate(candidate);
  *out += name;
  *out += suffix;
  *out += "{identifier=\"";
  append_label_value(out, catalog.identifier(c));
  *out += "\",source_region=\"";
  append_label_value(out, catalog.region_name(c.source_region));
  *out += '"';
  if (extra_key != nullptr) {
    *out += ',';
    *out += extra_key;
    *out += "=\"";
    append_label_value(out, extra_value);
    *out += '"';
  }
  *out += "} ";
}

void region_sample(std::string* out, const char* name, std::string_view region, const char* extra_key = nullptr,
                   std::string_view extra_value = {}) {
  *out += name;
  *out += "{source_region=\"";
  append_label_value(out, region);
  *out += '"';
  if (extra_key != nullptr) {
    *out += ',';
    *out += extra_key;
    *out += "=\"";
    append_label_value(out, extra_value);
    *out += '"';
  }
  *out += "} ";
}

void histogram(std::string* out, const char* name, const char* help, const MetricsSnapshot& s, const Catalog& catalog,
               LatencyHistogram CandidateMetrics::*which) {
  family(out, name, "histogram", help);
  for (std::size_t i = 0; i < s.candidate_count; ++i) {
    const CandidateMetrics& m = s.candidates[i];
    const LatencyHistogram& h = m.*which;
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b <= kLatencyBucketCount; ++b) {
      cumulative += h.buckets[b];
      char le[32];
      if (b < kLatencyBucketCount) {
        std::snprintf(le, sizeof le, "%g", kLatencyBucketsSeconds[b]);
      } else {
        std::snprintf(le, sizeof le, "+Inf");
      }
      pair_sample(out, name, "_bucket", catalog, m.candidate, "le", le);
      append_u64(out, cumulative);
      *out += '\n';
    }
    pair_sample(out, name, "_sum", catalog, m.candidate);
    append_double(out, static_cast<double>(h.sum_ns) / 1e9);
    *out += '\n';
    pair_sample(out, name, "_count", catalog, m.candidate);
    append_u64(out, h.count);
    *out += '\n';
  }
}

// The regions an export describes: every probed endpoint and every source a
// counted pair used.
void regions_of(const MetricsSources& sources, const MetricsSnapshot& s, bool* used) {
  const Catalog& catalog = *sources.catalog;
  for (std::size_t i = 0; i < s.candidate_count; ++i) used[catalog.candidate(s.candidates[i].candidate).source_region] = true;
  if (sources.router == nullptr) return;
  for (std::size_t r = 0; r < catalog.region_count(); ++r) {
    if (sources.router->endpoint_stats(r).probed) used[r] = true;
  }
}

constexpr EndpointCondition kConditions[] = {EndpointCondition::kUsable,        EndpointCondition::kCooling,
                                             EndpointCondition::kCircuitOpen,   EndpointCondition::kTrialInFlight,
                                             EndpointCondition::kRateLimited,   EndpointCondition::kDrained};

}  // namespace

Metrics::~Metrics() = default;

Status prometheus_text(const MetricsSources& sources, std::string* out) {
  if (sources.metrics == nullptr || sources.catalog == nullptr) {
    return Status::error(Code::kInvalidArgument, "metrics export: needs the metrics and the catalog");
  }
  const Catalog& catalog = *sources.catalog;
  auto snap = std::make_unique<MetricsSnapshot>();
  sources.metrics->snapshot(snap.get());
  const MetricsSnapshot& s = *snap;
  out->clear();

  family(out, "edgeroute_attempts_total", "counter",
         "HTTP exchanges sent, by identifier, source region and outcome class.");
  for (std::size_t i = 0; i < s.candidate_count; ++i) {
    for (std::size_t o = 0; o < kOutcomeClassCount; ++o) {
      pair_sample(out, "edgeroute_attempts_total", "", catalog, s.candidates[i].candidate, "outcome", kOutcomeNames[o]);
      append_u64(out, s.candidates[i].attempts[o]);
      *out += '\n';
    }
  }
  family(out, "edgeroute_calls_total", "counter",
         "Calls, by the identifier and source region they ended on, and result.");
  for (std::size_t i = 0; i < s.candidate_count; ++i) {
    pair_sample(out, "edgeroute_calls_total", "", catalog, s.candidates[i].candidate, "result", "ok");
    append_u64(out, s.candidates[i].calls_ok);
    *out += '\n';
    pair_sample(out, "edgeroute_calls_total", "", catalog, s.candidates[i].candidate, "result", "failed");
    append_u64(out, s.candidates[i].calls_failed);
    *out += '\n';
  }
  struct Counter {
    const char* name;
    const char* help;
    std::uint64_t CandidateMetrics::*field;
  };
  const Counter counters[] = {
      {"edgeroute_failovers_total", "Calls served here after a failed attempt elsewhere.", &CandidateMetrics::failovers},
      {"edgeroute_throttles_total", "Throttling and quota answers.", &CandidateMetrics::throttles},
      {"edgeroute_drill_failures_total", "Attempts a fail drill failed without sending.",
       &CandidateMetrics::drill_failures},
  };
  for (const Counter& c : counters) {
    family(out, c.name, "counter", c.help);
    for (std::size_t i = 0; i < s.candidate_count; ++i) {
      pair_sample(out, c.name, "", catalog, s.candidates[i].candidate);
      append_u64(out, s.candidates[i].*(c.field));
      *out += '\n';
    }
  }
  histogram(out, "edgeroute_first_byte_seconds", "Request start to first response byte, per exchange.", s, catalog,
            &CandidateMetrics::first_byte);
  histogram(out, "edgeroute_call_duration_seconds", "Whole calls, waits and failovers included.", s, catalog,
            &CandidateMetrics::call_duration);

  family(out, "edgeroute_unrouted_calls_total", "counter", "Calls that reached no candidate.");
  *out += "edgeroute_unrouted_calls_total ";
  append_u64(out, s.unrouted_calls);
  *out += '\n';
  family(out, "edgeroute_credential_refreshes_total", "counter", "Times new credentials were fetched.");
  *out += "edgeroute_credential_refreshes_total ";
  append_u64(out, s.credential_refreshes);
  *out += '\n';
  family(out, "edgeroute_metrics_dropped_total", "counter",
         "Events of pairs beyond the metrics' fixed capacity, not counted above.");
  *out += "edgeroute_metrics_dropped_total ";
  append_u64(out, s.dropped);
  *out += '\n';

  if (sources.retry_budget != nullptr) {
    family(out, "edgeroute_retry_budget_tokens", "gauge", "Tokens left in the shared retry budget.");
    *out += "edgeroute_retry_budget_tokens ";
    append_u64(out, sources.retry_budget->available());
    *out += '\n';
    family(out, "edgeroute_retry_budget_capacity_tokens", "gauge", "The retry budget's capacity.");
    *out += "edgeroute_retry_budget_capacity_tokens ";
    append_u64(out, sources.retry_budget->capacity());
    *out += '\n';
  }

  if (sources.router != nullptr) {
    const Router& router = *sources.router;
    std::unique_ptr<bool[]> used(new bool[catalog.region_count() + 1]());
    regions_of(sources, s, used.get());
    family(out, "edgeroute_endpoint_state", "gauge",
           "1 for the state each source endpoint is in now (cooldown, breaker, rate limit, drill), else 0.");
    for (std::size_t r = 0; r < catalog.region_count(); ++r) {
      if (!used[r]) continue;
      const EndpointStats st = router.endpoint_stats(r, sources.now_ns);
      for (const EndpointCondition c : kConditions) {
        region_sample(out, "edgeroute_endpoint_state", catalog.region_name(r), "state", to_string(c));
        *out += st.health == c ? "1\n" : "0\n";
      }
    }
    struct EndpointCounter {
      const char* name;
      const char* type;
      const char* help;
    };
    const EndpointCounter endpoint_counters[] = {
        {"edgeroute_endpoint_breaker_trips_total", "counter", "Times the circuit breaker opened."},
        {"edgeroute_probes_total", "counter", "Latency probes sent."},
        {"edgeroute_probe_failures_total", "counter", "Latency probes that got no answer."},
        {"edgeroute_endpoint_send_rate", "gauge", "Requests per second the adaptive limiter allows; 0: not engaged."},
        {"edgeroute_endpoint_srtt_seconds", "gauge", "Smoothed round-trip time; absent until measured."},
    };
    for (const EndpointCounter& ec : endpoint_counters) {
      family(out, ec.name, ec.type, ec.help);
      for (std::size_t r = 0; r < catalog.region_count(); ++r) {
        if (!used[r]) continue;
        const EndpointStats st = router.endpoint_stats(r, sources.now_ns);
        const std::string_view n(ec.name);
        if (n == "edgeroute_endpoint_srtt_seconds" && st.srtt_ns < 0) continue;
        region_sample(out, ec.name, catalog.region_name(r));
        if (n == "edgeroute_endpoint_breaker_trips_total") {
          append_u64(out, st.breaker_trips);
        } else if (n == "edgeroute_probes_total") {
          append_u64(out, st.probes);
        } else if (n == "edgeroute_probe_failures_total") {
          append_u64(out, st.probe_failures);
        } else if (n == "edgeroute_endpoint_send_rate") {
          append_double(out, st.send_rate);
        } else {
          append_double(out, static_cast<double>(st.srtt_ns) / 1e9);
        }
        *out += '\n';
      }
    }
    const ProbeStats ps = router.probe_stats();
    family(out, "edgeroute_probe_bytes_total", "counter", "Bytes latency probes sent and received.");
    *out += "edgeroute_probe_bytes_total ";
    append_u64(out, ps.bytes_total);
    *out += '\n';
    family(out, "edgeroute_probes_deferred_total", "counter", "Probes skipped to stay within the hourly byte budget.");
    *out += "edgeroute_probes_deferred_total ";
    append_u64(out, ps.probes_deferred);
    *out += '\n';
  }
  return Status();
}

Status EmfWriter::lines(const MetricsSources& sources, std::int64_t utc_unix_ms, std::string* out) {
  if (sources.metrics == nullptr || sources.catalog == nullptr) {
    return Status::error(Code::kInvalidArgument, "metrics export: needs the metrics and the catalog");
  }
  const Catalog& catalog = *sources.catalog;
  auto now = std::make_unique<MetricsSnapshot>();
  sources.metrics->snapshot(now.get());
  using JsonPtr = std::unique_ptr<cJSON, void (*)(cJSON*)>;
  // One line: the metadata naming `names` (with units) under `dimensions`, and the values.
  const auto emit = [&](const char* const* dimensions, std::size_t dimension_count, const char* const* dimension_values,
                        const char* const* names, const char* const* units, const double* values,
                        std::size_t count) {
    JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
    cJSON* aws = cJSON_AddObjectToObject(root.get(), "_aws");
    cJSON_AddNumberToObject(aws, "Timestamp", static_cast<double>(utc_unix_ms));
    cJSON* directives = cJSON_AddArrayToObject(aws, "CloudWatchMetrics");
    cJSON* directive = cJSON_CreateObject();
    cJSON_AddItemToArray(directives, directive);
    cJSON_AddStringToObject(directive, "Namespace", namespace_.c_str());
    cJSON* sets = cJSON_AddArrayToObject(directive, "Dimensions");
    cJSON* set = cJSON_CreateArray();
    cJSON_AddItemToArray(sets, set);
    for (std::size_t d = 0; d < dimension_count; ++d) {
      cJSON_AddItemToArray(set, cJSON_CreateString(dimensions[d]));
      cJSON_AddStringToObject(root.get(), dimensions[d], dimension_values[d]);
    }
    cJSON* metrics = cJSON_AddArrayToObject(directive, "Metrics");
    for (std::size_t m = 0; m < count; ++m) {
      cJSON* def = cJSON_CreateObject();
      cJSON_AddStringToObject(def, "Name", names[m]);
      cJSON_AddStringToObject(def, "Unit", units[m]);
      cJSON_AddItemToArray(metrics, def);
      cJSON_AddNumberToObject(root.get(), names[m], values[m]);
    }
    char* text = cJSON_PrintUnformatted(root.get());
    if (text != nullptr) {
      *out += text;
      *out += '\n';
      cJSON_free(text);
    }
  };

  static const char* const kPairDimensions[] = {"Identifier", "SourceRegion"};
  static const char* const kPairNames[] = {"Attempts", "Throttles", "ServerErrors", "Calls", "FailedCalls",
                                           "Failovers", "DrillFailures"};
  static const char* const kPairUnits[] = {"Count", "Count", "Count", "Count", "Count", "Count", "Count"};
  for (std::size_t i = 0; i < now->candidate_count; ++i) {
    const CandidateMetrics& m = now->candidates[i];
    CandidateMetrics before;
    for (std::size_t j = 0; j < last_.candidate_count; ++j) {
      if (last_.candidates[j].candidate == m.candidate) before = last_.candidates[j];
    }
    const auto transient = [](const CandidateMetrics& c) {
      return c.attempts[static_cast<std::size_t>(OutcomeClass::kTransient)];
    };
    const double values[] = {static_cast<double>(m.total_attempts() - before.total_attempts()),
                             static_cast<double>(m.throttles - before.throttles),
                             static_cast<double>(transient(m) - transient(before)),
                             static_cast<double>(m.calls_ok + m.calls_failed - before.calls_ok - before.calls_failed),
                             static_cast<double>(m.calls_failed - before.calls_failed),
                             static_cast<double>(m.failovers - before.failovers),
                             static_cast<double>(m.drill_failures - before.drill_failures)};
    bool changed = false;
    for (const double v : values) changed = changed || v != 0;
    if (!changed) continue;
    const Candidate& c = catalog.candidate(m.candidate);
    const std::string identifier(catalog.identifier(c));
    const std::string region(catalog.region_name(c.source_region));
    const char* const dimension_values[] = {identifier.c_str(), region.c_str()};
    emit(kPairDimensions, 2, dimension_values, kPairNames, kPairUnits, values, sizeof values / sizeof values[0]);
  }
  // Device-wide: levels as they are now, counters as deltas; no dimension.
  static const char* const kDeviceNames[] = {"UnroutedCalls", "CredentialRefreshes", "ProbeBytes",
                                             "RetryBudgetTokens"};
  static const char* const kDeviceUnits[] = {"Count", "Count", "Bytes", "Count"};
  const std::uint64_t probe_bytes = sources.router != nullptr ? sources.router->probe_stats().bytes_total : 0;
  const double device[] = {static_cast<double>(now->unrouted_calls - last_.unrouted_calls),
                           static_cast<double>(now->credential_refreshes - last_.credential_refreshes),
                           static_cast<double>(probe_bytes - last_probe_bytes_),
                           sources.retry_budget != nullptr ? static_cast<double>(sources.retry_budget->available()) : 0.0};
  emit(nullptr, 0, nullptr, kDeviceNames, kDeviceUnits, device, sources.retry_budget != nullptr ? 4 : 3);
  last_ = *now;
  last_probe_bytes_ = probe_bytes;
  return Status();
}

}  // namespace edgeroute
