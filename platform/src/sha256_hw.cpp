// Streaming SHA-256 and HMAC-SHA256 (FIPS 180-4, RFC 2104) around a hardware
// compression function: padding, buffering and the Crypto interface are shared
// by every hardware backend; only the block function differs.
#include <cstring>
#include <new>

#include "edgeroute/sha256_backend.h"
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

}  // namespace sha256_detail

namespace {

using sha256_detail::CompressFn;

constexpr std::size_t kBlockBytes = 64;
// FIPS 180-4 section 5.3.3.
constexpr std::uint32_t kInitialState[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                            0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};

// What a hardware backend keeps in a Sha256Ctx.
struct BlockState {
  std::uint32_t h[8];
  std::uint64_t total_bytes;
  std::uint32_t buffered_bytes;  // 0..63, in block
  std::uint8_t block[kBlockBytes];
};
static_assert(sizeof(BlockState) <= sizeof(Sha256Ctx::opaque), "Sha256Ctx is too small for BlockState");
static_assert(alignof(BlockState) <= alignof(Sha256Ctx), "Sha256Ctx is under-aligned for BlockState");

BlockState* state_of(Sha256Ctx* ctx) { return std::launder(reinterpret_cast<BlockState*>(ctx->opaque)); }
const BlockState* state_of(const Sha256Ctx* ctx) {
  return std::launder(reinterpret_cast<const BlockState*>(ctx->opaque));
}

void store_be32(std::uint32_t v, std::uint8_t* out) {
  out[0] = static_cast<std::uint8_t>(v >> 24);
  out[1] = static_cast<std::uint8_t>(v >> 16);
  out[2] = static_cast<std::uint8_t>(v >> 8);
  out[3] = static_cast<std::uint8_t>(v);
}

class HardwareSha256Crypto final : public Crypto {
 public:
  explicit HardwareSha256Crypto(CompressFn compress) : compress_(compress) {}
  // Instances are function-local statics, never on the heap. Declaring this keeps
  // the deleting destructor, which the vtable needs, from referencing the global
  // operator delete (tests/heap/hot_path_symbols.py checks this object).
  static void operator delete(void*) {}

  void sha256(const void* data, std::size_t len, Digest32* out) const override {
    Sha256Ctx ctx;
    sha256_begin(&ctx);
    sha256_update(&ctx, data, len);
    sha256_finish(&ctx, out);
  }

  void hmac_sha256(const void* key, std::size_t key_len, const void* data, std::size_t len,
                   Digest32* out) const override {
    unsigned char k[kBlockBytes] = {};
    if (key_len > kBlockBytes) {
      Digest32 kh;
      sha256(key, key_len, &kh);
      std::memcpy(k, kh.bytes, sizeof kh.bytes);
      secure_wipe(&kh, sizeof kh);
    } else if (key_len > 0) {
      std::memcpy(k, key, key_len);
    }
    unsigned char pad[kBlockBytes];
    for (std::size_t i = 0; i < kBlockBytes; ++i) pad[i] = static_cast<unsigned char>(k[i] ^ 0x36u);
    Sha256Ctx ctx;
    Digest32 inner;
    sha256_begin(&ctx);
    sha256_update(&ctx, pad, sizeof pad);
    sha256_update(&ctx, data, len);
    sha256_finish(&ctx, &inner);
    for (std::size_t i = 0; i < kBlockBytes; ++i) pad[i] = static_cast<unsigned char>(k[i] ^ 0x5cu);
    sha256_begin(&ctx);
    sha256_update(&ctx, pad, sizeof pad);
    sha256_update(&ctx, inner.bytes, sizeof inner.bytes);
    sha256_finish(&ctx, out);
    secure_wipe(k, sizeof k);
    secure_wipe(pad, sizeof pad);
    secure_wipe(&inner, sizeof inner);
  }

  void sha256_begin(Sha256Ctx* ctx) const override {
    BlockState* s = new (ctx->opaque) BlockState;
    std::memcpy(s->h, kInitialState, sizeof s->h);
    s->total_bytes = 0;
    s->buffered_bytes = 0;
  }

  void sha256_update(Sha256Ctx* ctx, const void* data, std::size_t len) const override {
    if (len == 0) return;
    BlockState* s = state_of(ctx);
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
      compress_(s->h, s->block, 1);
      s->buffered_bytes = 0;
    }
    const std::size_t whole_blocks = len / kBlockBytes;
    if (whole_blocks > 0) {
      compress_(s->h, p, whole_blocks);
      p += whole_blocks * kBlockBytes;
      len -= whole_blocks * kBlockBytes;
    }
    if (len > 0) {
      std::memcpy(s->block, p, len);
      s->buffered_bytes = static_cast<std::uint32_t>(len);
    }
  }

  void sha256_finish(Sha256Ctx* ctx, Digest32* out) const override {
    BlockState* s = state_of(ctx);
    // Padding: 0x80, zeros, then the message length in bits as 64 big-endian bits.
    const std::uint64_t total_bits = s->total_bytes * 8u;
    std::size_t n = s->buffered_bytes;
    s->block[n++] = 0x80;
    if (n > kBlockBytes - 8) {
      std::memset(s->block + n, 0, kBlockBytes - n);
      compress_(s->h, s->block, 1);
      n = 0;
    }
    std::memset(s->block + n, 0, kBlockBytes - 8 - n);
    store_be32(static_cast<std::uint32_t>(total_bits >> 32), s->block + kBlockBytes - 8);
    store_be32(static_cast<std::uint32_t>(total_bits), s->block + kBlockBytes - 4);
    compress_(s->h, s->block, 1);
    for (int i = 0; i < 8; ++i) store_be32(s->h[i], out->bytes + 4 * i);
    secure_wipe(s, sizeof *s);
  }

  void sha256_copy(const Sha256Ctx* from, Sha256Ctx* to) const override {
    BlockState* s = new (to->opaque) BlockState;
    std::memcpy(s, state_of(from), sizeof *s);
  }

 private:
  CompressFn compress_;
};

}  // namespace

const char* to_string(Sha256Backend backend) {
  switch (backend) {
    case Sha256Backend::kMbedtls: return "mbedtls";
    case Sha256Backend::kArmv8Ce: return "armv8-ce";
    case Sha256Backend::kShaNi: return "sha-ni";
  }
  return "unknown";
}

bool sha256_backend_from_name(std::string_view name, Sha256Backend* out) {
  for (Sha256Backend b : {Sha256Backend::kMbedtls, Sha256Backend::kArmv8Ce, Sha256Backend::kShaNi}) {
    if (name == to_string(b)) {
      *out = b;
      return true;
    }
  }
  return false;
}

const Crypto* hardware_sha256_crypto(Sha256Backend backend) {
  // Each CPU question is asked once, at first use (thread-safe static init).
  switch (backend) {
    case Sha256Backend::kMbedtls: return nullptr;
    case Sha256Backend::kArmv8Ce: {
      static const CompressFn fn = sha256_detail::armv8_compress();
      if (fn == nullptr) return nullptr;
      static const HardwareSha256Crypto crypto(fn);
      return &crypto;
    }
    case Sha256Backend::kShaNi: {
      static const CompressFn fn = sha256_detail::shani_compress();
      if (fn == nullptr) return nullptr;
      static const HardwareSha256Crypto crypto(fn);
      return &crypto;
    }
  }
  return nullptr;
}

bool sha256_backend_supported(Sha256Backend backend) {
  return backend == Sha256Backend::kMbedtls || hardware_sha256_crypto(backend) != nullptr;
}

}  // namespace edgeroute
