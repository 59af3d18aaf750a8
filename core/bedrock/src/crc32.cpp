// CRC-32/IEEE: slice-by-8 tables, or the ARMv8 CRC32 instructions.
//
// Slice-by-8 folds eight input bytes per step through eight 256-entry tables
// (8 KiB, computed at compile time, so they sit in read-only memory and need no
// start-up code). Bytes are assembled explicitly in little-endian order, so the
// same code is right on big-endian targets; compilers turn it into plain loads.
#include "edgeroute/crc32.h"

#include <array>

#if defined(__aarch64__) && defined(__ARM_FEATURE_CRC32) && !defined(__ARM_BIG_ENDIAN)
#include <arm_acle.h>

#include <cstring>
#define EDGEROUTE_CRC32_ARMV8 1
#endif

namespace edgeroute {
namespace {

constexpr std::uint32_t kPolynomial = 0xEDB88320u;  // 0x04C11DB7 bit-reversed

using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

// tables[0] is the classic byte-at-a-time table; tables[k][b] is the CRC of byte b
// followed by k zero bytes, which lets eight bytes be folded independently.
constexpr Tables make_tables() {
  Tables t{};
  for (std::uint32_t b = 0; b < 256; ++b) {
    std::uint32_t c = b;
    for (int bit = 0; bit < 8; ++bit) c = (c & 1u) ? (c >> 1) ^ kPolynomial : c >> 1;
    t[0][b] = c;
  }
  for (std::size_t k = 1; k < 8; ++k) {
    for (std::size_t b = 0; b < 256; ++b) {
      t[k][b] = (t[k - 1][b] >> 8) ^ t[0][t[k - 1][b] & 0xFFu];
    }
  }
  return t;
}

constexpr Tables kTables = make_tables();

inline std::uint32_t load_le32(const std::uint8_t* p) {
  return static_cast<std::uint32_t>(p[0]) | static_cast<std::uint32_t>(p[1]) << 8 |
         static_cast<std::uint32_t>(p[2]) << 16 | static_cast<std::uint32_t>(p[3]) << 24;
}

}  // namespace

std::uint32_t crc32_portable(std::uint32_t crc, const void* data, std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint32_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    const std::uint32_t lo = c ^ load_le32(p);
    const std::uint32_t hi = load_le32(p + 4);
    c = kTables[7][lo & 0xFFu] ^ kTables[6][(lo >> 8) & 0xFFu] ^ kTables[5][(lo >> 16) & 0xFFu] ^
        kTables[4][lo >> 24] ^ kTables[3][hi & 0xFFu] ^ kTables[2][(hi >> 8) & 0xFFu] ^
        kTables[1][(hi >> 16) & 0xFFu] ^ kTables[0][hi >> 24];
  }
  for (; n > 0; --n, ++p) c = (c >> 8) ^ kTables[0][(c ^ *p) & 0xFFu];
  return ~c;
}

#if defined(EDGEROUTE_CRC32_ARMV8)

// __crc32d/__crc32b implement the same reflected polynomial without the pre and
// post inversion, so the zlib convention is kept by inverting around them.
std::uint32_t crc32(std::uint32_t crc, const void* data, std::size_t n) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  std::uint32_t c = ~crc;
  for (; n >= 8; n -= 8, p += 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);  // unaligned loads are fine on ARMv8
    c = __crc32d(c, word);
  }
  for (; n > 0; --n, ++p) c = __crc32b(c, *p);
  return ~c;
}

const char* crc32_implementation() { return "armv8-crc32"; }

#else

std::uint32_t crc32(std::uint32_t crc, const void* data, std::size_t n) {
  return crc32_portable(crc, data, n);
}

const char* crc32_implementation() { return "slice-by-8"; }

#endif

}  // namespace edgeroute
