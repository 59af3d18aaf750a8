#include "edgeroute/random.h"

#include <sys/random.h>

#include <ctime>

#include "edgeroute/clock.h"

namespace edgeroute {
namespace {

std::uint64_t splitmix64(std::uint64_t* x) {
  std::uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

}  // namespace

Random::Random(std::uint64_t seed) {
  for (std::uint64_t& s : s_) s = splitmix64(&seed);
}

Random Random::from_os() {
  std::uint64_t seed = 0;
  if (getrandom(&seed, sizeof seed, GRND_NONBLOCK) != static_cast<ssize_t>(sizeof seed)) {
    // No entropy yet (early boot): jitter needs variety across devices, not secrecy.
    seed = static_cast<std::uint64_t>(system_clock().monotonic_ns()) ^
           static_cast<std::uint64_t>(system_clock().utc_unix_ms()) << 20 ^
           reinterpret_cast<std::uintptr_t>(&seed);
  }
  return Random(seed);
}

std::uint64_t Random::next_u64() {
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

double Random::next_unit() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }

std::uint64_t Random::next_below(std::uint64_t bound) {
  // Lemire's nearly-divisionless method would do; rejection keeps it exact and simple.
  const std::uint64_t limit = ~std::uint64_t{0} - (~std::uint64_t{0} % bound);
  std::uint64_t x;
  do {
    x = next_u64();
  } while (x >= limit);
  return x % bound;
}

}  // namespace edgeroute
