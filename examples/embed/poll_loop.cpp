// poll_loop: the shape of device firmware with one event loop. The loop makes a
// routed Converse call every --interval-ms (--repeat times) and, between calls,
// runs the latency probes itself when the runtime says a round is due: no thread
// but main, and nothing blocks but the calls and the loop's own sleep.
//
//   poll_loop --model ID --prompt TEXT --allow SETS [--catalog FILE]
//             [--connect-to REGION=HOST:PORT]... [--ca-bundle FILE]
//             [--repeat N] [--interval-ms N] [--probe-interval-ms N]
//
// Prints "REGION: answer" per call; exits 0 when every call succeeded.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>

#include "edgeroute/runtime.h"

int main(int argc, char** argv) {
  edgeroute::RuntimeOptions options;
  edgeroute::bedrock::ConverseRequest request;
  std::string prompt;
  long repeat = 3, interval_ms = 1000;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i], value = argv[i + 1];
    edgeroute::ConnectTo to;
    if (arg == "--model") request.model_id = value;
    else if (arg == "--prompt") prompt = value;
    else if (arg == "--allow") options.allow = value;
    else if (arg == "--catalog") options.catalog_file = value;
    else if (arg == "--ca-bundle") options.ca_bundle = value;
    else if (arg == "--repeat") repeat = std::atol(value.c_str());
    else if (arg == "--interval-ms") interval_ms = std::atol(value.c_str());
    else if (arg == "--probe-interval-ms") options.router.probes.interval_ms = std::atol(value.c_str());
    else if (arg == "--connect-to" && edgeroute::parse_connect_to(value, &to).ok()) options.connect_to.push_back(to);
    else return std::fprintf(stderr, "poll_loop: bad argument %s %s\n", arg.c_str(), value.c_str()), 2;
  }
  if (request.model_id.empty() || prompt.empty() || options.allow.empty() || repeat < 1 || interval_ms < 0) {
    return std::fprintf(stderr, "poll_loop: --model, --prompt and --allow are required\n"), 2;
  }
  request.messages.push_back({"user", {edgeroute::bedrock::ContentBlock::of_text(prompt)}});
  std::unique_ptr<edgeroute::Runtime> runtime;
  const edgeroute::Status status = edgeroute::Runtime::create(options, &runtime);
  if (!status.ok()) return std::fprintf(stderr, "poll_loop: %s\n", status.message()), 1;
  const edgeroute::Clock& clock = runtime->clock();

  std::size_t probes = runtime->probe_now(3, clock.monotonic_ns() + 5000000000LL);  // start-up sweep, at most 5 s
  std::int64_t next_call_ns = clock.monotonic_ns();
  int failed = 0;
  for (long done = 0; done < repeat;) {
    const std::int64_t now = clock.monotonic_ns();
    if (now >= runtime->next_poll_ns()) probes += runtime->poll(now);
    if (now >= next_call_ns) {
      const edgeroute::ConverseResult r = runtime->converse(request);
      if (r.ok()) {
        std::printf("%.*s: %s\n", static_cast<int>(r.source_region.size()), r.source_region.data(),
                    r.response.text.c_str());
      } else {
        std::fprintf(stderr, "poll_loop: call %ld: %s\n", done + 1, r.error.to_string().c_str());
        ++failed;
      }
      ++done;
      next_call_ns = clock.monotonic_ns() + interval_ms * 1000000LL;
      continue;
    }
    // Sleep until whichever is due first: the next call or the next probe round.
    const std::int64_t wake = runtime->next_poll_ns() < next_call_ns ? runtime->next_poll_ns() : next_call_ns;
    if (wake > now) std::this_thread::sleep_for(std::chrono::nanoseconds(wake - now));
  }
  std::fprintf(stderr, "poll_loop: %ld calls, %d failed, %zu probes\n", repeat, failed, probes);
  return failed == 0 ? 0 : 1;
}
