// A device loop for the simulator test of the periodic catalog refresh
// (test_periodic_refresh_sim.py): one routed call, then, when told on stdin, the
// loop's clock skips ahead past the refresh interval and poll() runs the refresh
// that is due; then one more call. Prints one line per step:
//   call ok IDENTIFIER SOURCE_REGION | call failed MESSAGE
//   refresh ok|failed REPORT
// The monotonic clock is the system's plus a skip the loop controls; UTC stays
// real, so signatures are valid. Every step is bounded: stdin by the caller's
// timeout, the poll loop by 100 rounds.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>

#include "edgeroute/runtime.h"

namespace {

class SkippingClock final : public edgeroute::Clock {
 public:
  std::int64_t monotonic_ns() const override { return edgeroute::system_clock().monotonic_ns() + skip_ns.load(); }
  std::int64_t utc_unix_ms() const override { return edgeroute::system_clock().utc_unix_ms(); }
  std::atomic<std::int64_t> skip_ns{0};
};

void call(edgeroute::Runtime& runtime, const std::string& model) {
  edgeroute::bedrock::ConverseRequest request;
  request.model_id = model;
  request.messages.push_back({"user", {edgeroute::bedrock::ContentBlock::of_text("Hello")}});
  edgeroute::CallSettings settings;
  settings.deadline_ms = 20000;
  const edgeroute::ConverseResult r = runtime.converse(request, settings);
  if (r.ok()) std::printf("call ok %s %s\n", std::string(r.identifier).c_str(), std::string(r.source_region).c_str());
  else std::printf("call failed %s\n", r.error.to_string().c_str());
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  SkippingClock clock;
  edgeroute::RuntimeOptions options;
  options.clock = &clock;
  options.catalog_refresh_interval_s = 3600;
  std::string model;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i], value = argv[i + 1];
    edgeroute::ConnectTo to;
    if (arg == "--model") model = value;
    else if (arg == "--allow") options.allow = value;
    else if (arg == "--catalog") options.catalog_file = value;
    else if (arg == "--ca-bundle") options.ca_bundle = value;
    else if (arg == "--connect-to" && edgeroute::parse_connect_to(value, &to).ok()) options.connect_to.push_back(to);
    else return std::fprintf(stderr, "refresh_sim_driver: bad argument %s %s\n", arg.c_str(), value.c_str()), 2;
  }
  std::unique_ptr<edgeroute::Runtime> runtime;
  const edgeroute::Status status = edgeroute::Runtime::create(options, &runtime);
  if (!status.ok()) return std::fprintf(stderr, "refresh_sim_driver: %s\n", status.message()), 1;
  call(*runtime, model);
  std::string line;
  while (std::getline(std::cin, line) && line == "skip") {
    const edgeroute::CatalogRefreshState before = runtime->catalog_refresh_state();
    clock.skip_ns += before.next_due_ns - clock.monotonic_ns() + 1;
    for (int round = 0; round < 100 && runtime->catalog_refresh_state().refreshes + runtime->catalog_refresh_state().failures ==
                                           before.refreshes + before.failures;
         ++round) {
      (void)runtime->poll(clock.monotonic_ns());
    }
    const edgeroute::CatalogRefreshState after = runtime->catalog_refresh_state();
    std::printf("refresh %s %s\n", after.last_ok ? "ok" : "failed", after.report.c_str());
    call(*runtime, model);
  }
  return 0;
}
