// Event-stream decoding against its floor, measured in the same run.
//
// The stream is what a ConverseStream answer looks like on the wire: messageStart,
// a long run of contentBlockDelta events (headers :event-type, :content-type and
// :message-type; a JSON payload of about 100 bytes with a text delta and Bedrock's
// "p" padding field), contentBlockStop, messageStop and metadata. It is fed in
// 1 KiB and 16 KiB pieces, as curl hands them over. The floor is one CRC-32 pass
// over the same bytes in the same pieces: no decoder can verify the stream with
// less. decoder / floor is what framing, header parsing, the copy of messages cut
// across pieces and the handler call add.
//
//   build/es/tests/bench/eventstream/eventstream_bench --benchmark_repetitions=10
//
// prints each benchmark, then the ratios of the medians.
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include <benchmark/benchmark.h>

#include "alloc_counter.h"
#include "edgeroute/crc32.h"
#include "edgeroute/eventstream.h"

namespace {

using namespace edgeroute;
using eventstream::Header;
using eventstream::HeaderType;

constexpr std::size_t kDeltaEvents = 2000;

void append_event(std::vector<std::uint8_t>* stream, const char* event_type, const std::string& json) {
  const Header headers[] = {Header{":event-type", HeaderType::kString, 0, event_type},
                            Header{":content-type", HeaderType::kString, 0, "application/json"},
                            Header{":message-type", HeaderType::kString, 0, "event"}};
  std::uint8_t frame[1024];
  std::size_t written = 0;
  const Status s = eventstream::encode(headers, 3, json.data(), json.size(), frame, sizeof frame, &written);
  if (!s.ok()) {
    std::fprintf(stderr, "encode failed: %s\n", s.message());
    std::abort();
  }
  stream->insert(stream->end(), frame, frame + written);
}

// Deterministic: the same bytes in every run and on every machine.
const std::vector<std::uint8_t>& converse_stream() {
  static const std::vector<std::uint8_t> stream = [] {
    static const char* const kWords[] = {"the ", "gateway ", "routes ", "each ", "request ", "to ",
                                         "a ", "region ", "inside ", "policy, ", "quickly. "};
    static const char kPadding[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    std::mt19937 rng(42);
    std::vector<std::uint8_t> s;
    append_event(&s, "messageStart", R"({"p":"abcdefghijklmnopqrstuvwxyzABCDEFGH","role":"assistant"})");
    for (std::size_t i = 0; i < kDeltaEvents; ++i) {
      std::string text;
      while (text.size() < 16) text += kWords[rng() % (sizeof kWords / sizeof kWords[0])];
      const std::string padding(kPadding, 1 + rng() % 40);
      append_event(&s, "contentBlockDelta",
                   R"({"contentBlockIndex":0,"delta":{"text":")" + text + R"("},"p":")" + padding + R"("})");
    }
    append_event(&s, "contentBlockStop", R"({"contentBlockIndex":0,"p":"abcdefghijklmnopq"})");
    append_event(&s, "messageStop", R"({"p":"abcdefghijklmnopqrstuvwxyzABCDEFGHIJ","stopReason":"end_turn"})");
    append_event(&s, "metadata",
                 R"({"metrics":{"latencyMs":1432},"p":"abcdef","usage":{"inputTokens":25,)"
                 R"("outputTokens":2000,"totalTokens":2025}})");
    return s;
  }();
  return stream;
}

// What a ConverseStream consumer does with each event, short of parsing the JSON.
class DeltaCounter : public eventstream::MessageHandler {
 public:
  Status on_message(const eventstream::Message& m) override {
    if (m.string_header(":event-type") == "contentBlockDelta") ++deltas;
    payload_bytes += m.payload.size();
    return Status();
  }
  std::uint64_t deltas = 0;
  std::uint64_t payload_bytes = 0;
};

void BM_Decode(benchmark::State& state) {
  const std::vector<std::uint8_t>& stream = converse_stream();
  const auto piece = static_cast<std::size_t>(state.range(0));
  auto decoder = std::make_unique<eventstream::Decoder>();
  DeltaCounter handler;
  bool ok = true;
  std::size_t allocations = 0;
  {
    edgeroute::testing::AllocationScope scope;
    for (auto _ : state) {
      decoder->reset();
      for (std::size_t at = 0; at < stream.size(); at += piece) {
        const std::size_t n = piece < stream.size() - at ? piece : stream.size() - at;
        ok &= decoder->feed(stream.data() + at, n, &handler).ok();
      }
      ok &= decoder->finish().ok();
      benchmark::DoNotOptimize(handler.payload_bytes);
    }
    allocations = scope.allocations();
  }
  if (!ok || handler.deltas != kDeltaEvents * static_cast<std::uint64_t>(state.iterations())) {
    state.SkipWithError("decoding failed");
    return;
  }
  state.counters["allocs"] = static_cast<double>(allocations);
  state.counters["msgs"] = static_cast<double>(decoder->messages());
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}

void BM_Crc32Floor(benchmark::State& state) {
  const std::vector<std::uint8_t>& stream = converse_stream();
  const auto piece = static_cast<std::size_t>(state.range(0));
  for (auto _ : state) {
    std::uint32_t c = 0;
    for (std::size_t at = 0; at < stream.size(); at += piece) {
      const std::size_t n = piece < stream.size() - at ? piece : stream.size() - at;
      c = crc32(c, stream.data() + at, n);
    }
    benchmark::DoNotOptimize(c);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * stream.size()));
}

BENCHMARK(BM_Decode)->Arg(1024)->Arg(16384);
BENCHMARK(BM_Crc32Floor)->Arg(1024)->Arg(16384);

// Prints the usual console output, remembers each run's time, and at the end the
// ratio decoder/floor per piece size (medians when repetitions were asked for).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      const bool aggregate = r.run_type == Run::RT_Aggregate;
      if (aggregate && r.aggregate_name != "median") continue;
      double& slot = aggregate ? medians_[r.run_name.str()] : last_[r.run_name.str()];
      slot = r.GetAdjustedRealTime();
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto& times = medians_.empty() ? last_ : medians_;
    const double mib = static_cast<double>(converse_stream().size()) / (1024.0 * 1024.0);
    std::printf("\ndecoder / floor (%s; crc32 %s; stream %.1f KiB, %zu delta events):\n",
                medians_.empty() ? "single run" : "medians", crc32_implementation(), mib * 1024.0,
                kDeltaEvents);
    for (const char* piece : {"1024", "16384"}) {
      const auto d = times.find(std::string("BM_Decode/") + piece);
      const auto f = times.find(std::string("BM_Crc32Floor/") + piece);
      if (d == times.end() || f == times.end() || d->second <= 0 || f->second <= 0) continue;
      // Times are per iteration (one pass over the stream) in nanoseconds.
      std::printf("  pieces of %5s bytes: %.3f  (decoder %.0f MiB/s, crc32 %.0f MiB/s)\n", piece,
                  d->second / f->second, mib / (d->second * 1e-9), mib / (f->second * 1e-9));
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
