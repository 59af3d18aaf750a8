// The hardware SHA-256 backends as edgeroute::Crypto: the streaming layer
// (sha256_block.cpp) over each backend's compression function, HMAC (RFC 2104)
// on top, and the choice of what this CPU runs.
#include <cstring>
#include <new>

#include "edgeroute/sha256_backend.h"
#include "sha256_compress.h"

namespace edgeroute {

namespace {

using sha256_detail::BlockState;
using sha256_detail::CompressFn;

static_assert(sizeof(BlockState) <= sizeof(Sha256Ctx::opaque), "Sha256Ctx is too small for BlockState");
static_assert(alignof(BlockState) <= alignof(Sha256Ctx), "Sha256Ctx is under-aligned for BlockState");

BlockState* state_of(Sha256Ctx* ctx) { return std::launder(reinterpret_cast<BlockState*>(ctx->opaque)); }
const BlockState* state_of(const Sha256Ctx* ctx) {
  return std::launder(reinterpret_cast<const BlockState*>(ctx->opaque));
}

class HardwareSha256Crypto final : public Crypto {
 public:
  explicit HardwareSha256Crypto(CompressFn compress) : compress_(compress) {}

  void sha256(const void* data, std::size_t len, Digest32* out) const override {
    Sha256Ctx ctx;
    sha256_begin(&ctx);
    sha256_update(&ctx, data, len);
    sha256_finish(&ctx, out);
  }


  void sha256_begin(Sha256Ctx* ctx) const override {
    sha256_detail::block_begin(new (ctx->opaque) BlockState);
  }

  void sha256_update(Sha256Ctx* ctx, const void* data, std::size_t len) const override {
    sha256_detail::block_update(state_of(ctx), compress_, data, len);
  }

  void sha256_finish(Sha256Ctx* ctx, Digest32* out) const override {
    BlockState* s = state_of(ctx);
    sha256_detail::block_finish(s, compress_, out->bytes);
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
