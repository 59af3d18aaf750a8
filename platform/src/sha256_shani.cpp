// SHA-256 compression on the Intel SHA extensions (x86-64). Only this function
// is compiled for SHA/SSE4.1/SSSE3 (a target attribute), so the rest of the
// build keeps the baseline ISA; it is reached only after cpuid said yes.
#include "sha256_compress.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <immintrin.h>
#define EDGEROUTE_HAVE_SHANI 1
#endif

namespace edgeroute {
namespace sha256_detail {

#if defined(EDGEROUTE_HAVE_SHANI)
namespace {

// SHA256RNDS2 keeps the working variables as two vectors, {A,B,E,F} and
// {C,D,G,H} (highest lane first), and does two rounds per instruction with
// W+K in the low two lanes of its implicit operand.
__attribute__((target("sha,sse4.1,ssse3"))) void compress_shani(std::uint32_t state[8],
                                                                 const std::uint8_t* blocks,
                                                                 std::size_t block_count) {
  // Message words are big-endian.
  const __m128i byte_swap = _mm_set_epi64x(0x0c0d0e0f08090a0bLL, 0x0405060700010203LL);
  const __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state)), 0xB1);
  const __m128i efgh = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4)), 0x1B);
  __m128i abef = _mm_alignr_epi8(dcba, efgh, 8);
  __m128i cdgh = _mm_blend_epi16(efgh, dcba, 0xF0);

  for (; block_count > 0; --block_count, blocks += 64) {
    const __m128i abef_in = abef;
    const __m128i cdgh_in = cdgh;
    // w[g & 3] holds W[4g .. 4g+3]; each group is built from the four before it.
    __m128i w[4];
#if defined(__clang__)
#pragma clang loop unroll(full)
#else
#pragma GCC unroll 16
#endif
    for (int g = 0; g < 16; ++g) {
      __m128i words;
      if (g < 4) {
        words = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks + 16 * g)), byte_swap);
      } else {
        // W[t-16] + s0(W[t-15]), + W[t-7], + s1(W[t-2]) for t = 4g .. 4g+3.
        words = _mm_sha256msg1_epu32(w[g & 3], w[(g + 1) & 3]);
        words = _mm_add_epi32(words, _mm_alignr_epi8(w[(g + 3) & 3], w[(g + 2) & 3], 4));
        words = _mm_sha256msg2_epu32(words, w[(g + 3) & 3]);
      }
      w[g & 3] = words;
      const __m128i wk = _mm_add_epi32(
          words, _mm_loadu_si128(reinterpret_cast<const __m128i*>(kRoundConstants + 4 * g)));
      cdgh = _mm_sha256rnds2_epu32(cdgh, abef, wk);
      abef = _mm_sha256rnds2_epu32(abef, cdgh, _mm_shuffle_epi32(wk, 0x0E));
    }
    abef = _mm_add_epi32(abef, abef_in);
    cdgh = _mm_add_epi32(cdgh, cdgh_in);
  }

  const __m128i feba = _mm_shuffle_epi32(abef, 0x1B);
  const __m128i dchg = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_blend_epi16(feba, dchg, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), _mm_alignr_epi8(dchg, feba, 8));
}

bool cpu_has_shani() {
  unsigned int eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) == 0) return false;
  const bool ssse3 = (ecx & (1u << 9)) != 0;
  const bool sse41 = (ecx & (1u << 19)) != 0;
  if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) == 0) return false;
  const bool sha = (ebx & (1u << 29)) != 0;
  return ssse3 && sse41 && sha;
}

}  // namespace

CompressFn shani_compress() { return cpu_has_shani() ? compress_shani : nullptr; }
#else
CompressFn shani_compress() { return nullptr; }
#endif

}  // namespace sha256_detail
}  // namespace edgeroute
