// edgeroute/crc32.h -- CRC-32/IEEE (the zlib, gzip and event-stream checksum).
//
// Reflected polynomial 0xEDB88320, initial value and final XOR 0xFFFFFFFF, in the
// zlib calling convention: crc32(0, data, n) is zlib's crc32(0, data, n), and a
// checksum runs on across pieces, crc32(crc32(0, a, na), b, nb) == crc32(0, ab, na + nb).
//
// crc32() uses the ARMv8 CRC32 instructions when the build targets them
// (aarch64 with __ARM_FEATURE_CRC32, e.g. -march=armv8-a+crc), and a table-driven
// slice-by-8 loop otherwise. Both are pure functions: no heap, no state, thread-safe.
#ifndef EDGEROUTE_CRC32_H
#define EDGEROUTE_CRC32_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>

namespace edgeroute {

// Continues `crc` (0 to start) over n bytes at data. data may be null when n is 0.
std::uint32_t crc32(std::uint32_t crc, const void* data, std::size_t n);

// The table-driven implementation, always compiled in. crc32() is this unless the
// hardware path is built; tests compare the two.
std::uint32_t crc32_portable(std::uint32_t crc, const void* data, std::size_t n);

// "armv8-crc32" or "slice-by-8": which implementation crc32() runs, for reports.
const char* crc32_implementation();

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CRC32_H
