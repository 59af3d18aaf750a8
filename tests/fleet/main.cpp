// edgeroute_fleet_sim: runs the fleet scenarios for the three clients, prints one
// table, and exits non-zero (with a one-line reason) when edgeroute misses a
// target of issue 6 or sends anything to a disallowed region.
//
//   edgeroute_fleet_sim [--scenario NAME[,NAME...]] [--devices N] [--seconds S] [--seed K] [--per-region]
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "edgeroute/failover.h"
#include "fleet_sim.h"

namespace {

void usage(FILE* out) {
  std::fprintf(out,
               "usage: edgeroute_fleet_sim [--scenario NAME[,NAME...]] [--devices N] [--seconds S] [--seed K] [--per-region]\n"
               "Simulates a fleet of gateways sharing one account's regional quotas, in virtual time,\n"
               "and compares edgeroute with a naive and an SDK-standard-like client.\n"
               "  --scenario  one or more of these, comma-separated (default: all):\n");
  for (const fleet::Scenario& s : fleet::scenarios()) std::fprintf(out, "                %-13s %s\n", s.name, s.summary);
  std::fprintf(out,
               "  --devices   gateways, each with its own router and retry budget (default 200)\n"
               "  --seconds   simulated seconds of arrivals (default 600)\n"
               "  --seed      random seed; a run is a function of its flags (default 1)\n"
               "  --per-region  also print, per scenario and client, attempts / throttles / failures per region,\n"
               "                and how edgeroute's calls ended\n");
}

bool parse_u64(const char* text, unsigned long long min, unsigned long long max, unsigned long long* out) {
  if (text == nullptr || *text == '\0' || *text == '-') return false;
  char* end = nullptr;
  errno = 0;
  const unsigned long long v = std::strtoull(text, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max) return false;
  *out = v;
  return true;
}

const fleet::Scenario* find_scenario(const std::string& name) {
  for (const fleet::Scenario& s : fleet::scenarios()) {
    if (name == s.name) return &s;
  }
  return nullptr;
}

}  // namespace

int main(int argc, char** argv) {
  fleet::SimConfig config;
  bool per_region = false;
  std::vector<const fleet::Scenario*> chosen;
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (flag == "--help" || flag == "-h") {
      usage(stdout);
      return 0;
    }
    if (flag == "--per-region") {
      per_region = true;
      continue;
    }
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    unsigned long long n = 0;
    if (flag == "--scenario" && value != nullptr) {
      std::string list = value;
      std::size_t start = 0;
      while (start <= list.size()) {
        const std::size_t comma = list.find(',', start);
        const std::string name = list.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
        const fleet::Scenario* s = find_scenario(name);
        if (s == nullptr) {
          std::fprintf(stderr, "edgeroute_fleet_sim: --scenario: unknown scenario '%s' (see --help)\n", name.c_str());
          return 2;
        }
        chosen.push_back(s);
        if (comma == std::string::npos) break;
        start = comma + 1;
      }
    } else if (flag == "--devices" && parse_u64(value, 1, 100000, &n)) {
      config.devices = static_cast<std::uint32_t>(n);
    } else if (flag == "--seconds" && parse_u64(value, 30, 86400, &n)) {
      config.seconds = static_cast<double>(n);
    } else if (flag == "--seed" && parse_u64(value, 0, ~0ULL, &n)) {
      config.seed = n;
    } else if (flag == "--scenario" || flag == "--devices" || flag == "--seconds" || flag == "--seed") {
      std::fprintf(stderr, "edgeroute_fleet_sim: %s: expected %s\n", flag.c_str(),
                   flag == "--scenario"  ? "a scenario name"
                   : flag == "--devices" ? "a whole number from 1 to 100000"
                   : flag == "--seconds" ? "whole seconds from 30 to 86400"
                                         : "a whole number");
      return 2;
    } else {
      std::fprintf(stderr, "edgeroute_fleet_sim: unknown argument '%s' (see --help)\n", flag.c_str());
      return 2;
    }
    ++i;
  }
  if (chosen.empty()) {
    for (const fleet::Scenario& s : fleet::scenarios()) chosen.push_back(&s);
  }

  std::printf("fleet: %u devices, %.0f s of arrivals, seed %llu, deadline %.0f s, attempt timeout %.0f s\n",
              config.devices, config.seconds, static_cast<unsigned long long>(config.seed), config.deadline_s,
              config.attempt_timeout_s);
  std::printf("regions (quota req/s):");
  for (const fleet::RegionSpec& r : fleet::world_regions()) {
    std::printf(" %s %.0f%s", r.name, r.capacity_rps, r.allowed ? "" : " (disallowed)");
  }
  std::printf("\n\n");
  std::printf("%-22s %-12s %8s %8s %8s %7s %6s %7s %7s %7s %6s %5s\n", "scenario/window", "client", "offered",
              "avail", "goodput", "good%", "ampl", "p50ms", "p99ms", "failed", "near%", "disal");

  std::string missed;
  const fleet::ClientKind clients[] = {fleet::ClientKind::kEdgeroute, fleet::ClientKind::kNaive,
                                       fleet::ClientKind::kSdk};
  for (const fleet::Scenario* scenario : chosen) {
    fleet::ClientResult results[3];
    for (std::size_t k = 0; k < 3; ++k) results[k] = fleet::simulate(*scenario, config, clients[k]);
    for (std::size_t w = 0; w < scenario->window_count; ++w) {
      const std::string label = std::string(scenario->name) + "/" + scenario->windows[w].name;
      for (std::size_t k = 0; k < 3; ++k) {
        const fleet::WindowResult& r = results[k].windows[w];
        std::printf("%-22s %-12s %8.1f %8.1f %8.1f %6.1f%% %6.2f %7.0f %7.0f %7llu %5.1f%% %5llu\n",
                    k == 0 ? label.c_str() : "", fleet::to_string(clients[k]), r.offered_rps(), r.available_rps(),
                    r.goodput_rps(), 100.0 * r.goodput_share(), r.amplification(), r.p50_ms, r.p99_ms,
                    static_cast<unsigned long long>(r.failures),
                    r.successes > 0 ? 100.0 * static_cast<double>(r.near_successes) / static_cast<double>(r.successes)
                                    : 0.0,
                    static_cast<unsigned long long>(results[k].disallowed_requests));
      }
      const fleet::WindowResult& e = results[0].windows[w];
      char why[160];
      if (scenario->windows[w].goodput_target && e.goodput_share() < fleet::kGoodputTarget) {
        std::snprintf(why, sizeof why, "%s goodput %.1f%% of available allowed capacity (target >= %.0f%%)",
                      label.c_str(), 100.0 * e.goodput_share(), 100.0 * fleet::kGoodputTarget);
        missed += (missed.empty() ? "" : "; ") + std::string(why);
      }
      if (scenario->windows[w].amplification_target && e.amplification() > fleet::kAmplificationTarget) {
        std::snprintf(why, sizeof why, "%s retry amplification %.2f (target <= %.2f)", label.c_str(),
                      e.amplification(), fleet::kAmplificationTarget);
        missed += (missed.empty() ? "" : "; ") + std::string(why);
      }
    }
    if (per_region) {
      for (std::size_t k = 0; k < 3; ++k) {
        std::printf("%-22s %-12s", "  per region", fleet::to_string(clients[k]));
        for (std::size_t r = 0; r < fleet::world_regions().size(); ++r) {
          std::printf(" %s %llu/%llu/%llu", fleet::world_regions()[r].name,
                      static_cast<unsigned long long>(results[k].region_attempts[r]),
                      static_cast<unsigned long long>(results[k].region_throttles[r]),
                      static_cast<unsigned long long>(results[k].region_failures[r]));
        }
        std::printf("\n");
      }
      std::printf("%-22s %-12s", "  call endings", "edgeroute");
      for (std::size_t e = 0; e < 16; ++e) {
        if (results[0].endings[e] == 0) continue;
        std::printf(" %s %llu", edgeroute::to_string(static_cast<edgeroute::RoutedCall::Ending>(e)),
                    static_cast<unsigned long long>(results[0].endings[e]));
      }
      std::printf("\n");
    }
    if (results[0].disallowed_requests != 0) {
      missed += (missed.empty() ? "" : "; ") + std::string(scenario->name) + ": " +
                std::to_string(results[0].disallowed_requests) + " requests sent to disallowed regions";
    }
  }
  std::printf("\ngood%% = goodput / min(offered, allowed capacity up); ampl = attempts / successful call;\n"
              "latency of successful calls; near%% = successes served by the nearest allowed region;\n"
              "disal = requests sent outside the EU policy (whole run). Targets for edgeroute: good%% >= %.0f during\n"
              "the outage, ampl <= %.1f in steady overload, disal = 0.\n",
              100.0 * fleet::kGoodputTarget, fleet::kAmplificationTarget);
  if (!missed.empty()) {
    std::fprintf(stderr, "edgeroute_fleet_sim: edgeroute missed a target: %s\n", missed.c_str());
    return 1;
  }
  std::printf("edgeroute met every target.\n");
  return 0;
}
