// A prober with fixed answers, for tests that set which endpoint is nearest: a
// host given a round-trip time answers after it, any other host never answers.
#ifndef EDGEROUTE_TESTS_CORE_RTT_PROBER_H
#define EDGEROUTE_TESTS_CORE_RTT_PROBER_H

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "edgeroute/router.h"

namespace edgeroute {
namespace testing {

class RttProber : public Prober {
 public:
  ProbeResult probe(std::string_view host, std::uint16_t) override {
    ProbeResult r;
    const auto it = rtt_ms.find(std::string(host));
    if (it == rtt_ms.end()) return r;
    r.answered = true;
    r.rtt_ns = it->second * 1000000;
    r.bytes = 400;
    return r;
  }
  // The round trip of `region`'s Bedrock Runtime endpoint, in milliseconds.
  void set(const char* region, std::int64_t ms) {
    rtt_ms[std::string("bedrock-runtime.") + region + ".amazonaws.com"] = ms;
  }
  std::map<std::string, std::int64_t> rtt_ms;  // by host
};

}  // namespace testing
}  // namespace edgeroute

#endif  // EDGEROUTE_TESTS_CORE_RTT_PROBER_H
