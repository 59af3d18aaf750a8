// Fleet simulation in virtual time (issue 6, "Tests and numbers"): many gateways,
// each with its own Router and RetryBudget, share one AWS account's regional
// quotas; three clients are compared on the same arrivals. Discrete events on one
// thread, a ManualClock, no sockets: a run is a pure function of its inputs.
//
// The model, and what it leaves out, is described in docs/performance.md
// ("Fleet simulation").
#ifndef EDGEROUTE_TESTS_FLEET_SIM_H
#define EDGEROUTE_TESTS_FLEET_SIM_H

#include <cstddef>
#include <cstdint>
#include <vector>

namespace fleet {

// One Bedrock Runtime region of the simulated world.
struct RegionSpec {
  const char* name;
  bool allowed;         // inside the devices' residency policy ("eu")
  double capacity_rps;  // the account's quota there, shared by the whole fleet
  double rtt_min_ms;    // device-to-region round trip, drawn per device in [min, max)
  double rtt_max_ms;
};

enum class OutageKind : std::uint8_t {
  kNone,
  kRefuse,  // the region refuses connections: a fast transient failure
  kStall,   // the region accepts and never answers: the attempt times out
};

// Where the figures are taken: [start, end) as fractions of the run.
struct Window {
  const char* name;
  double start;
  double end;
  bool goodput_target;        // edgeroute must reach kGoodputTarget of available capacity
  bool amplification_target;  // edgeroute must stay at or below kAmplificationTarget
};

struct Scenario {
  const char* name;
  const char* summary;
  double base_rps;  // offered calls per second, whole fleet
  // A spike of spike_rps instead of base_rps over [spike_start, spike_end).
  double spike_rps = 0.0;
  double spike_start = 0.0;
  double spike_end = 0.0;
  // The nearest allowed region is out over [outage_start, outage_end).
  OutageKind outage = OutageKind::kNone;
  double outage_start = 0.0;
  double outage_end = 0.0;
  Window windows[3];
  std::size_t window_count = 0;
};

constexpr double kGoodputTarget = 0.95;
constexpr double kAmplificationTarget = 1.2;

struct SimConfig {
  std::uint32_t devices = 200;
  double seconds = 600.0;
  std::uint64_t seed = 1;
  double deadline_s = 30.0;         // per call
  double attempt_timeout_s = 10.0;  // per attempt (the stalled region's cost)
};

enum class ClientKind : std::uint8_t {
  kEdgeroute,  // RoutedCall over the device's Router, latency mode, EU-only policy
  kNaive,      // nearest region, up to 3 immediate attempts
  kSdk,        // nearest region, the SDKs' standard retry mode (backoff + budget)
};
const char* to_string(ClientKind kind);

struct WindowResult {
  double seconds = 0.0;
  std::uint64_t arrivals = 0;
  std::uint64_t successes = 0;    // completed inside the window
  std::uint64_t failures = 0;     // ended without success inside the window
  std::uint64_t attempts = 0;     // sent inside the window
  std::uint64_t near_successes = 0;  // served by the device's nearest allowed region
  double up_capacity_rps = 0.0;   // allowed regions up, averaged over the window
  double p50_ms = 0.0;
  double p99_ms = 0.0;

  double offered_rps() const { return seconds > 0 ? static_cast<double>(arrivals) / seconds : 0.0; }
  double available_rps() const { return offered_rps() < up_capacity_rps ? offered_rps() : up_capacity_rps; }
  double goodput_rps() const { return seconds > 0 ? static_cast<double>(successes) / seconds : 0.0; }
  double goodput_share() const { return available_rps() > 0 ? goodput_rps() / available_rps() : 0.0; }
  double amplification() const {
    return successes > 0 ? static_cast<double>(attempts) / static_cast<double>(successes) : 0.0;
  }
};

struct ClientResult {
  ClientKind client = ClientKind::kEdgeroute;
  WindowResult windows[3];
  std::uint64_t calls = 0;
  std::uint64_t disallowed_requests = 0;  // the whole run; must be 0 for edgeroute
  // Per world region, the whole run: attempts sent, and how they ended.
  std::uint64_t region_attempts[8] = {};
  std::uint64_t region_throttles[8] = {};
  std::uint64_t region_failures[8] = {};  // refused or timed out
  // edgeroute: calls by RoutedCall::Ending, the whole run.
  std::uint64_t endings[16] = {};
  std::uint64_t events = 0;
};

// The simulated world: five regions, the three EU ones allowed.
const std::vector<RegionSpec>& world_regions();
// The scenarios, in the order the table prints them.
const std::vector<Scenario>& scenarios();

// Runs one client through one scenario. Same config and scenario: same arrivals,
// same service times, same result, whatever the client.
ClientResult simulate(const Scenario& scenario, const SimConfig& config, ClientKind client);

}  // namespace fleet

#endif  // EDGEROUTE_TESTS_FLEET_SIM_H
