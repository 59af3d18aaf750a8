#include <cstring>

#include "edgeroute/crypto.h"

namespace edgeroute {

void secure_wipe(void* p, std::size_t len) {
  if (p == nullptr || len == 0) return;
  // memset at full speed, then an empty asm that claims to read the memory, so
  // the compiler cannot drop the stores as dead (the approach of BoringSSL's
  // OPENSSL_cleanse). Wiping multi-kilobyte signing buffers on every call must
  // not cost more than signing.
  std::memset(p, 0, len);
#if defined(__GNUC__) || defined(__clang__)
  __asm__ __volatile__("" : : "r"(p) : "memory");
#else
  volatile unsigned char* v = static_cast<volatile unsigned char*>(p);
  for (std::size_t i = 0; i < len; ++i) v[i] = 0;
#endif
}

bool constant_time_equal(const void* a, const void* b, std::size_t len) {
  const volatile unsigned char* x = static_cast<const volatile unsigned char*>(a);
  const volatile unsigned char* y = static_cast<const volatile unsigned char*>(b);
  unsigned char diff = 0;
  for (std::size_t i = 0; i < len; ++i) diff = static_cast<unsigned char>(diff | (x[i] ^ y[i]));
  return diff == 0;
}

}  // namespace edgeroute
