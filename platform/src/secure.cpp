#include "edgeroute/crypto.h"

namespace edgeroute {

void secure_wipe(void* p, std::size_t len) {
  volatile unsigned char* v = static_cast<volatile unsigned char*>(p);
  while (len-- > 0) *v++ = 0;
}

bool constant_time_equal(const void* a, const void* b, std::size_t len) {
  const volatile unsigned char* x = static_cast<const volatile unsigned char*>(a);
  const volatile unsigned char* y = static_cast<const volatile unsigned char*>(b);
  unsigned char diff = 0;
  for (std::size_t i = 0; i < len; ++i) diff = static_cast<unsigned char>(diff | (x[i] ^ y[i]));
  return diff == 0;
}

}  // namespace edgeroute
