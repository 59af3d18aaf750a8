// Signing cost against its floor, measured in the same run, once per SHA-256
// backend this CPU runs (mbedTLS's software code, ARMv8 Crypto Extensions,
// Intel SHA extensions).
//
// The request: a Converse call to an EU geography profile in eu-central-1 with
// content-type, host, a 600-byte session token and a 1 KiB or 64 KiB body. The
// floor is the cryptography no SigV4 signer can skip, on the same backend:
// SHA-256 of the body, SHA-256 of the canonical request, and one HMAC with the
// signing key over the string to sign. signer / floor is what canonicalization,
// formatting and the key cache add; mbedtls signer / hardware signer is what the
// SHA instructions buy.
//
//   build/host/tests/bench/sigv4/sigv4_bench --benchmark_repetitions=10
//
// prints each benchmark, then the ratios of the medians.
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "alloc_counter.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/sha256_backend.h"
#include "edgeroute/sigv4.h"

namespace {

using namespace edgeroute;

struct ConverseRequest {
  std::string body;
  std::string token = std::string(600, 'T');
  sigv4::Header headers[2] = {{"host", "bedrock-runtime.eu-central-1.amazonaws.com"},
                              {"content-type", "application/json"}};
  sigv4::Request request;
  sigv4::Options options;
  sigv4::Credentials credentials;

  explicit ConverseRequest(std::size_t body_bytes) : body(body_bytes, 'a') {
    request.method = "POST";
    request.path = "/model/eu.anthropic.claude-3-7-sonnet-20250219-v1%3A0/converse";
    request.headers = headers;
    request.header_count = 2;
    request.body = body.data();
    request.body_bytes = body.size();
    options.region = "eu-central-1";
    options.service = "bedrock";
    options.time_unix_s = 1740823200;
    credentials = {"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token};
  }
};

void BM_Sign(benchmark::State& state, const Crypto* crypto) {
  ConverseRequest c(static_cast<std::size_t>(state.range(0)));
  sigv4::Signer signer(*crypto);
  static char buf[16384];
  sigv4::SignedRequest out;
  if (!signer.sign(c.request, c.options, c.credentials, buf, sizeof buf, &out).ok()) {
    state.SkipWithError("sign failed");
    return;
  }
  edgeroute::testing::AllocationScope allocations;
  for (auto _ : state) {
    Status s = signer.sign(c.request, c.options, c.credentials, buf, sizeof buf, &out);
    benchmark::DoNotOptimize(s);
    benchmark::DoNotOptimize(out.signature.data());
  }
  state.counters["allocs_per_sign"] = benchmark::Counter(
      static_cast<double>(allocations.allocations()) / static_cast<double>(state.iterations()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

void BM_Floor(benchmark::State& state, const Crypto* backend) {
  ConverseRequest c(static_cast<std::size_t>(state.range(0)));
  // The same canonical request and string to sign as the signer produces.
  sigv4::Signer signer(*backend);
  static char buf[16384];
  sigv4::SignedRequest out;
  if (!signer.sign(c.request, c.options, c.credentials, buf, sizeof buf, &out).ok()) {
    state.SkipWithError("sign failed");
    return;
  }
  const std::string creq(out.canonical_request);
  const std::string sts(out.string_to_sign);
  const Crypto& crypto = *backend;
  Digest32 key;
  crypto.hmac_sha256("key", 3, "data", 4, &key);  // stands for the cached key
  for (auto _ : state) {
    Digest32 body_hash, creq_hash, signature;
    crypto.sha256(c.body.data(), c.body.size(), &body_hash);
    crypto.sha256(creq.data(), creq.size(), &creq_hash);
    crypto.hmac_sha256(key.bytes, sizeof key.bytes, sts.data(), sts.size(), &signature);
    benchmark::DoNotOptimize(body_hash);
    benchmark::DoNotOptimize(creq_hash);
    benchmark::DoNotOptimize(signature);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations()) * state.range(0));
}

// The 4-HMAC key derivation that the cache saves on every request but the first
// of the day, for scale.
void BM_KeyDerivation(benchmark::State& state, const Crypto* crypto) {
  ConverseRequest c(1024);
  sigv4::Signer signer(*crypto);
  static char buf[16384];
  sigv4::SignedRequest out;
  for (auto _ : state) {
    signer.clear_key_cache();
    Status s = signer.sign(c.request, c.options, c.credentials, buf, sizeof buf, &out);
    benchmark::DoNotOptimize(s);
  }
}

constexpr Sha256Backend kBackends[] = {Sha256Backend::kMbedtls, Sha256Backend::kArmv8Ce,
                                       Sha256Backend::kShaNi};
constexpr const char* kSizes[] = {"1024", "65536"};

// BM_Sign/<backend>/<bytes>, BM_Floor/<backend>/<bytes>, BM_KeyDerivation/<backend>
// for each backend this CPU runs; the others are named as skipped.
void register_benchmarks() {
  for (Sha256Backend b : kBackends) {
    const Crypto* crypto = crypto_for_sha256_backend(b);
    const std::string name = to_string(b);
    if (crypto == nullptr) {
      std::printf("sha256 backend %s: skipped, this CPU or build lacks it\n", name.c_str());
      continue;
    }
    benchmark::RegisterBenchmark(("BM_Sign/" + name).c_str(), BM_Sign, crypto)->Arg(1024)->Arg(65536);
    benchmark::RegisterBenchmark(("BM_Floor/" + name).c_str(), BM_Floor, crypto)->Arg(1024)->Arg(65536);
    benchmark::RegisterBenchmark(("BM_KeyDerivation/" + name).c_str(), BM_KeyDerivation, crypto);
  }
}

// Prints the usual console output, remembers each run's time, and at the end the
// ratio signer/floor per body size (medians when repetitions were asked for).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      const std::string name = r.benchmark_name();
      const bool aggregate = r.run_type == Run::RT_Aggregate;
      if (aggregate && r.aggregate_name != "median") continue;
      std::string key = r.run_name.str();
      double& slot = aggregate ? medians_[key] : last_[key];
      slot = r.GetAdjustedCPUTime();
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto& times = medians_.empty() ? last_ : medians_;
    const auto time_of = [&](const std::string& name) {
      const auto it = times.find(name);
      return it == times.end() ? 0.0 : it->second;
    };
    std::printf("\nsigner / floor on the same backend (%s):\n", medians_.empty() ? "single run" : "medians");
    for (Sha256Backend b : kBackends) {
      for (const char* size : kSizes) {
        const std::string suffix = std::string(to_string(b)) + "/" + size;
        const double sign = time_of("BM_Sign/" + suffix), floor = time_of("BM_Floor/" + suffix);
        if (sign <= 0 || floor <= 0) continue;
        std::printf("  %-9s body %6s bytes: %.3f  (signer %.2f us, floor %.2f us)\n", to_string(b), size,
                    sign / floor, sign / 1000.0, floor / 1000.0);
      }
    }
    std::printf("\nmbedtls signer / hardware signer (speed-up of the SHA instructions):\n");
    for (Sha256Backend b : {Sha256Backend::kArmv8Ce, Sha256Backend::kShaNi}) {
      for (const char* size : kSizes) {
        const double soft = time_of(std::string("BM_Sign/mbedtls/") + size);
        const double hard = time_of(std::string("BM_Sign/") + to_string(b) + "/" + size);
        if (soft <= 0 || hard <= 0) continue;
        std::printf("  %-9s body %6s bytes: %.2fx\n", to_string(b), size, soft / hard);
      }
    }
  }

 private:
  std::map<std::string, double> medians_, last_;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_benchmarks();
  RatioReporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  benchmark::Shutdown();
  return 0;
}
