// Streaming SHA-256 (FIPS 180-4) around a compression function: padding and
// buffering, shared by every hardware backend. Plain functions over caller
// storage, so this object holds nothing but the hash (the heap check reads it).
#include <cstring>

#include "sha256_compress.h"

namespace edgeroute {
namespace sha256_detail {

const std::uint32_t kRoundConstants[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

namespace {

constexpr std::size_t kBlockBytes = 64;
// FIPS 180-4 section 5.3.3.
constexpr std::uint32_t kInitialState[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

void store_be32(std::uint32_t v, std::uint8_t* out) {
  out[0] = static_cast<std::uint8_t>(v >> 24);
  out[1] = static_cast<std::uint8_t>(v >> 16);
  out[2] = static_cast<std::uint8_t>(v >> 8);
  out[3] = static_cast<std::uint8_t>(v);
}

}  // namespace

void block_begin(BlockState* s) {
  std::memcpy(s->h, kInitialState, sizeof s->h);
  s->total_bytes = 0;
  s->buffered_bytes = 0;
}

void block_update(BlockState* s, CompressFn compress, const void* data, std::size_t len) {
  if (len == 0) return;
  const std::uint8_t* p = static_cast<const std::uint8_t*>(data);
  s->total_bytes += len;
  if (s->buffered_bytes > 0) {
    const std::size_t room = kBlockBytes - s->buffered_bytes;
    const std::size_t take = len < room ? len : room;
    std::memcpy(s->block + s->buffered_bytes, p, take);
    s->buffered_bytes += static_cast<std::uint32_t>(take);
    p += take;
    len -= take;
    if (s->buffered_bytes < kBlockBytes) return;
    compress(s->h, s->block, 1);
    s->buffered_bytes = 0;
  }
  const std::size_t whole_blocks = len / kBlockBytes;
  if (whole_blocks > 0) {
    compress(s->h, p, whole_blocks);
    p += whole_blocks * kBlockBytes;
    len -= whole_blocks * kBlockBytes;
  }
  if (len > 0) {
    std::memcpy(s->block, p, len);
    s->buffered_bytes = static_cast<std::uint32_t>(len);
  }
}

void block_finish(BlockState* s, CompressFn compress, std::uint8_t out[32]) {
  // Padding: 0x80, zeros, then the message length in bits as 64 big-endian bits.
  const std::uint64_t total_bits = s->total_bytes * 8u;
  std::size_t n = s->buffered_bytes;
  s->block[n++] = 0x80;
  if (n > kBlockBytes - 8) {
    std::memset(s->block + n, 0, kBlockBytes - n);
    compress(s->h, s->block, 1);
    n = 0;
  }
  std::memset(s->block + n, 0, kBlockBytes - 8 - n);
  store_be32(static_cast<std::uint32_t>(total_bits >> 32), s->block + kBlockBytes - 8);
  store_be32(static_cast<std::uint32_t>(total_bits), s->block + kBlockBytes - 4);
  compress(s->h, s->block, 1);
  for (int i = 0; i < 8; ++i) store_be32(s->h[i], out + 4 * i);
}

}  // namespace sha256_detail
}  // namespace edgeroute
