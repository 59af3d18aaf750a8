#include <ctime>

#include "edgeroute/clock.h"

namespace edgeroute {
namespace {

std::int64_t read_ns(clockid_t id) {
  timespec ts{};
  clock_gettime(id, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

class SystemClock final : public Clock {
 public:
  std::int64_t monotonic_ns() const override { return read_ns(CLOCK_MONOTONIC); }
  std::int64_t utc_unix_ms() const override { return read_ns(CLOCK_REALTIME) / 1000000; }
};

}  // namespace

const Clock& system_clock() {
  static const SystemClock clock;
  return clock;
}

}  // namespace edgeroute
