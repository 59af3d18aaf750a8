// edgeroute/probe_state.h -- latency probe results kept between runs.
//
// A device that runs one call per invocation would otherwise probe every allowed
// endpoint on every run. The probe state file keeps each endpoint's measured
// round trip with the UTC time it was measured and when it stops counting:
//
//   {"format": "edgeroute-probe-state/1",
//    "regions": [{"region": "eu-central-1", "endpoint": "bedrock-runtime.eu-central-1.amazonaws.com",
//                 "rtt_us": 11873, "measured_unix_ms": 1764950400000,
//                 "expires_unix_ms": 1764952200000}]}
//
// `endpoint` is where the probe went (the connect-to target when one redirects the
// region): a sample of another endpoint says nothing about this one and is not used.
//
// Reading never fails a call: a file that is missing, unreadable, larger than
// kProbeStateMaxBytes, not JSON, of another format, or holding a malformed entry
// gives no samples and a one-line note (missing: none), and the endpoints are
// probed again. Entries for regions the catalog lacks, for another endpoint, past
// their expiry, or measured in the future (a clock that was or is wrong) are
// dropped one by one. Writes replace the file atomically.
#ifndef EDGEROUTE_PROBE_STATE_H
#define EDGEROUTE_PROBE_STATE_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgeroute/catalog.h"
#include "edgeroute/status.h"

namespace edgeroute {

// Largest probe state file read, bytes (one entry is about 200 bytes; the
// catalog holds at most limits::kRouterMaxRegions regions).
constexpr std::size_t kProbeStateMaxBytes = 64u * 1024u;
// How long a stored sample counts, ms, by default: the router's own full-sweep
// interval (ProbeOptions::full_sweep_interval_ms), so a one-shot run trusts a
// sample no longer than a long-running process would before measuring again.
constexpr std::int64_t kProbeStateDefaultMaxAgeMs = 30 * 60 * 1000;
// A sample stamped up to this far in the future still counts (clocks of two runs
// on one device may differ by an NTP step); further is a wrong clock.
constexpr std::int64_t kProbeStateClockSlackMs = 5 * 60 * 1000;

struct ProbeSample {
  std::string region;
  std::string endpoint;  // host, or connect-to HOST:PORT
  std::int64_t rtt_us = 0;
  std::int64_t measured_unix_ms = 0;
  std::int64_t expires_unix_ms = 0;
};

struct ProbeStateRead {
  std::vector<ProbeSample> samples;  // the usable ones
  std::size_t dropped = 0;           // entries left out one by one (unknown, stale, future)
};

// Parses a probe state file's text. Only samples of regions the catalog knows,
// still unexpired at now_unix_ms (and no older than max_age_ms), and not from the
// future are kept. kInvalidArgument, one line naming the problem, when the text is
// not a probe state file (then *out holds nothing).
Status parse_probe_state(std::string_view text, const Catalog& catalog, std::int64_t now_unix_ms,
                         std::int64_t max_age_ms, ProbeStateRead* out);

// The file's text for `samples`.
std::string format_probe_state(const std::vector<ProbeSample>& samples);

// The state file's path under a state directory: DIR/probes.json.
std::string probe_state_path(const std::string& state_dir);

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_PROBE_STATE_H
