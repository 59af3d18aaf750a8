// edgeroute/random.h -- random numbers for jitter, weights and probe spacing.
// Not for secrets. The backoff and selection functions take random numbers as
// inputs, so tests stay deterministic.
#ifndef EDGEROUTE_RANDOM_H
#define EDGEROUTE_RANDOM_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstdint>

namespace edgeroute {

// xoshiro256** (Blackman & Vigna): small, fast, no heap. Not thread-safe.
class Random {
 public:
  explicit Random(std::uint64_t seed);
  // Seeded from the OS (getrandom), for production use.
  static Random from_os();
  std::uint64_t next_u64();
  // Uniform in [0, 1).
  double next_unit();
  // Uniform in [0, bound); bound > 0.
  std::uint64_t next_below(std::uint64_t bound);

 private:
  std::uint64_t s_[4];
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_RANDOM_H
