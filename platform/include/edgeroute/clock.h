// edgeroute/clock.h -- time, as the platform provides it.
//
// Two clocks: monotonic (never goes backwards; deadlines, probe intervals,
// cooldowns) and UTC (SigV4 timestamps; may jump, and on an edge device that
// booted without NTP it may be wrong -- the client corrects it from the server's
// Date header). Tests pass a fake clock; nothing in core/ reads time any other way.
#ifndef EDGEROUTE_CLOCK_H
#define EDGEROUTE_CLOCK_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstdint>

namespace edgeroute {

class Clock {
 public:
  virtual ~Clock() = default;
  // Nanoseconds since an arbitrary fixed point; never decreases.
  virtual std::int64_t monotonic_ns() const = 0;
  // Milliseconds since the Unix epoch, UTC.
  virtual std::int64_t utc_unix_ms() const = 0;
};

// The POSIX clocks (CLOCK_MONOTONIC, CLOCK_REALTIME). Thread-safe.
const Clock& system_clock();

// A clock that moves only when told to. Not thread-safe; for tests and for
// simulations in virtual time.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(std::int64_t monotonic_ns = 0, std::int64_t utc_unix_ms = 1700000000000)
      : mono_(monotonic_ns), utc_(utc_unix_ms) {}
  std::int64_t monotonic_ns() const override { return mono_; }
  std::int64_t utc_unix_ms() const override { return utc_; }
  void advance_ms(std::int64_t ms) {
    mono_ += ms * 1000000;
    utc_ += ms;
  }
  // Moves both clocks; UTC by whole milliseconds of the accumulated nanoseconds.
  void advance_ns(std::int64_t ns) {
    const std::int64_t before_ms = mono_ / 1000000;
    mono_ += ns;
    utc_ += mono_ / 1000000 - before_ms;
  }
  void set_utc_unix_ms(std::int64_t ms) { utc_ = ms; }

 private:
  std::int64_t mono_;
  std::int64_t utc_;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CLOCK_H
