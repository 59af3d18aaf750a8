// SHA-256 compression on the ARMv8 Crypto Extensions (aarch64). Only this
// function is compiled with +crypto (a target attribute), so the library stays
// baseline armv8-a; it is reached only after the kernel reported HWCAP_SHA2 in
// the auxiliary vector.
#include "sha256_compress.h"

// GCC declares the SHA-256 intrinsics for a function with the target attribute;
// clang does from version 16 (before, only when the whole file is built with
// +sha2, which __ARM_FEATURE_SHA2 then says). Other compilers get mbedTLS.
#if defined(__aarch64__) && defined(__linux__)
#if defined(__clang__)
#if __clang_major__ >= 16 || defined(__ARM_FEATURE_SHA2)
#define EDGEROUTE_HAVE_ARMV8_SHA2 1
#define EDGEROUTE_TARGET_SHA2 __attribute__((target("sha2")))
#endif
#elif defined(__GNUC__)
#define EDGEROUTE_HAVE_ARMV8_SHA2 1
#define EDGEROUTE_TARGET_SHA2 __attribute__((target("+crypto")))
#endif
#endif
#if defined(EDGEROUTE_HAVE_ARMV8_SHA2)
#include <arm_neon.h>
#include <asm/hwcap.h>
#include <sys/auxv.h>
#endif

namespace edgeroute {
namespace sha256_detail {

#if defined(EDGEROUTE_HAVE_ARMV8_SHA2)
namespace {

EDGEROUTE_TARGET_SHA2 void compress_armv8(std::uint32_t state[8], const std::uint8_t* blocks,
                                          std::size_t block_count) {
  uint32x4_t abcd = vld1q_u32(state);
  uint32x4_t efgh = vld1q_u32(state + 4);
  for (; block_count > 0; --block_count, blocks += 64) {
    const uint32x4_t abcd_in = abcd;
    const uint32x4_t efgh_in = efgh;
    // w[g & 3] holds W[4g .. 4g+3]; message words are big-endian.
    uint32x4_t w[4];
    for (int g = 0; g < 4; ++g) w[g] = vreinterpretq_u32_u8(vrev32q_u8(vld1q_u8(blocks + 16 * g)));
#pragma GCC unroll 16
    for (int g = 0; g < 16; ++g) {
      const uint32x4_t wk = vaddq_u32(w[g & 3], vld1q_u32(kRoundConstants + 4 * g));
      // The group four ahead: W[t-16] + s0(W[t-15]) (SU0), + W[t-7] + s1(W[t-2]) (SU1).
      if (g < 12) {
        w[g & 3] = vsha256su1q_u32(vsha256su0q_u32(w[g & 3], w[(g + 1) & 3]), w[(g + 2) & 3],
                                   w[(g + 3) & 3]);
      }
      const uint32x4_t abcd_before = abcd;
      abcd = vsha256hq_u32(abcd, efgh, wk);
      efgh = vsha256h2q_u32(efgh, abcd_before, wk);
    }
    abcd = vaddq_u32(abcd, abcd_in);
    efgh = vaddq_u32(efgh, efgh_in);
  }
  vst1q_u32(state, abcd);
  vst1q_u32(state + 4, efgh);
}

}  // namespace

CompressFn armv8_compress() {
  return (getauxval(AT_HWCAP) & HWCAP_SHA2) != 0 ? compress_armv8 : nullptr;
}
#else
CompressFn armv8_compress() { return nullptr; }
#endif

}  // namespace sha256_detail
}  // namespace edgeroute
