// Private to platform/: the SHA-256 compression function of each hardware
// backend, the round constants they share, and the streaming layer over them.
#ifndef EDGEROUTE_PLATFORM_SHA256_COMPRESS_H
#define EDGEROUTE_PLATFORM_SHA256_COMPRESS_H

#include <cstddef>
#include <cstdint>

namespace edgeroute {
namespace sha256_detail {

// Runs the compression function over block_count consecutive 64-byte blocks,
// updating state (H0..H7 of FIPS 180-4, host order) in place.
using CompressFn = void (*)(std::uint32_t state[8], const std::uint8_t* blocks,
                            std::size_t block_count);

// FIPS 180-4 section 4.2.2.
extern const std::uint32_t kRoundConstants[64];

// One streaming computation over a compression function (sha256_block.cpp).
struct BlockState {
  std::uint32_t h[8];
  std::uint64_t total_bytes;
  std::uint32_t buffered_bytes;  // 0..63, in block
  std::uint8_t block[64];
};
void block_begin(BlockState* s);
void block_update(BlockState* s, CompressFn compress, const void* data, std::size_t len);
// Writes the digest; the caller wipes the state.
void block_finish(BlockState* s, CompressFn compress, std::uint8_t out[32]);

// Each returns its backend's compression function when this build has it and
// the CPU executes it, nullptr otherwise. The CPU check runs on every call, so
// callers ask once.
CompressFn shani_compress();
CompressFn armv8_compress();

}  // namespace sha256_detail
}  // namespace edgeroute

#endif  // EDGEROUTE_PLATFORM_SHA256_COMPRESS_H
