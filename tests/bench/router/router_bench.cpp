// The cost of a routing decision against its floor, measured in the same run.
//
// One model with 32 allowed candidates (the target size), every endpoint
// probed, latency mode. A call is pick() + report() -- what the client does once
// per request. The floor is what no latency router can skip: a linear scan of the
// same 32 smoothed RTT values for the minimum plus one EWMA update. router / floor
// is what the mutex, the policy verdicts, hysteresis and bookkeeping add.
//
//   build/bench/tests/bench/router/router_bench --benchmark_repetitions=10
//       --benchmark_report_aggregates_only=true   (one command line)
//
// prints each benchmark, then the ratios of the medians.
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "alloc_counter.h"
#include "edgeroute/router.h"

namespace {

using namespace edgeroute;

constexpr int kCandidates = 32;
constexpr const char* kModel = "bench.model-v1:0";

// Distinct RTTs per endpoint (region i: 10 + 3 i ms), so ranking has work to do.
class TableProber : public Prober {
 public:
  ProbeResult probe(std::string_view, std::uint16_t region) override {
    ProbeResult r;
    r.answered = true;
    r.rtt_ns = (10 + 3 * static_cast<std::int64_t>(region)) * 1000000;
    r.bytes = 400;
    return r;
  }
};

struct Setup {
  std::unique_ptr<Catalog> catalog = std::make_unique<Catalog>();
  std::unique_ptr<Policy> policy;
  std::unique_ptr<Router> router = std::make_unique<Router>();
  bool ok = false;

  Setup() {
    // 16 in-region IDs plus a 16-source profile: 32 candidates over 16 endpoints.
    std::string regions, sources;
    for (int i = 0; i < kCandidates / 2; ++i) {
      const std::string r = "\"zz-bench-" + std::to_string(i + 1) + "\"";
      regions += (i ? "," : "") + r;
      sources += std::string(i ? "," : "") + r + ":[\"bench\"]";
    }
    const std::string json = "{\"region_sets\":{\"bench\":[" + regions + "]},\"profiles\":[{\"id\":\"geo." +
                             kModel + "\",\"model\":\"" + kModel + "\",\"geography\":\"bench\",\"sources\":{" +
                             sources + "}}],\"in_region\":[{\"model\":\"" + kModel + "\",\"regions\":[" + regions +
                             "]}]}";
    if (!catalog->load_json(json, "bench.json", CatalogMerge::kReplace).ok()) return;
    policy = std::make_unique<Policy>(*catalog);
    if (!policy->set_allow("bench").ok() || !router->init(*policy, RouterOptions()).ok()) return;
    TableProber prober;
    router->tick(0, 1, prober);
    ok = catalog->model_candidate_count(0) == kCandidates;
  }
};

void BM_PickReport(benchmark::State& state) {
  Setup s;
  if (!s.ok) {
    state.SkipWithError("setup failed");
    return;
  }
  const bool sticky = state.range(0) != 0;
  std::int64_t now = 1000000000;
  std::uint64_t random = 0x9e3779b97f4a7c15ull;
  edgeroute::testing::AllocationScope allocations;
  for (auto _ : state) {
    Route route;
    Status p = s.router->pick(kModel, sticky ? "conversation-42" : "", now, random, &route);
    Status r = s.router->report(route, OutcomeClass::kSuccess, 10000000, now, -1, 0.5);
    benchmark::DoNotOptimize(p);
    benchmark::DoNotOptimize(r);
    now += 1000;
    random = random * 6364136223846793005ull + 1442695040888963407ull;
  }
  state.counters["allocs_per_call"] = benchmark::Counter(
      static_cast<double>(allocations.allocations()) / static_cast<double>(state.iterations()));
}

// The same 32 candidates' RTTs, scanned bare, plus the EWMA update report makes.
void BM_Floor(benchmark::State& state) {
  std::int64_t srtt_ns[kCandidates];
  for (int i = 0; i < kCandidates; ++i) srtt_ns[i] = (10 + 3 * (i % (kCandidates / 2))) * 1000000;
  for (auto _ : state) {
    benchmark::DoNotOptimize(srtt_ns);
    int best = 0;
    for (int i = 1; i < kCandidates; ++i) {
      if (srtt_ns[i] < srtt_ns[best]) best = i;
    }
    srtt_ns[best] += (10000000 - srtt_ns[best]) / 4;
    benchmark::DoNotOptimize(best);
    benchmark::ClobberMemory();
  }
}

// With the explanation `edgeroute route` prints: for scale, not for the hot path.
void BM_PickExplained(benchmark::State& state) {
  Setup s;
  if (!s.ok) {
    state.SkipWithError("setup failed");
    return;
  }
  auto why = std::make_unique<PickExplanation>();
  for (auto _ : state) {
    Route route;
    Status p = s.router->pick(kModel, "", 1, 0, &route, why.get());
    benchmark::DoNotOptimize(p);
  }
}

BENCHMARK(BM_PickReport)->Arg(0)->Arg(1);
BENCHMARK(BM_Floor);
BENCHMARK(BM_PickExplained);

// Console output, then router / floor from the medians (or the single run).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      const bool aggregate = r.run_type == Run::RT_Aggregate;
      if (aggregate && r.aggregate_name != "median") continue;
      (aggregate ? medians_ : last_)[r.run_name.str()] = r.GetAdjustedRealTime();
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto& times = medians_.empty() ? last_ : medians_;
    const auto floor = times.find("BM_Floor");
    if (floor == times.end() || floor->second <= 0) return;
    std::printf("\nrouter / floor (%s), %d candidates:\n", medians_.empty() ? "single run" : "medians", kCandidates);
    for (const char* name : {"BM_PickReport/0", "BM_PickReport/1"}) {
      const auto t = times.find(name);
      if (t == times.end()) continue;
      std::printf("  %-16s %7.1f  (router %.0f ns, floor %.1f ns)\n", name, t->second / floor->second, t->second,
                  floor->second);
    }
  }

 private:
  std::map<std::string, double> medians_, last_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
