// edgeroute/crypto.h -- the SHA-256 / HMAC-SHA256 seam.
//
// The signer and the core reach crypto only through this interface, so a port to
// another TLS stack or to a hardware hash engine replaces one class in platform/.
// Contract for every implementation:
//   - no heap allocation in any call;
//   - calls on different Sha256Ctx objects may run concurrently; one context is
//     used by one thread at a time;
//   - the functions cannot fail for valid arguments (a backend failure is a bug
//     and aborts in debug builds, see the implementation).
#ifndef EDGEROUTE_CRYPTO_H
#define EDGEROUTE_CRYPTO_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>

namespace edgeroute {

constexpr std::size_t kSha256Bytes = 32;

struct Digest32 {
  std::uint8_t bytes[kSha256Bytes];
};

// Opaque storage for one streaming SHA-256 computation, owned by the caller.
// Large enough for mbedTLS 2.28/3.x contexts; an implementation checks its own
// context fits with a static_assert.
struct alignas(16) Sha256Ctx {
  unsigned char opaque[256];
};

class Crypto {
 public:
  virtual ~Crypto() = default;

  virtual void sha256(const void* data, std::size_t len, Digest32* out) const = 0;
  // RFC 2104 over the streaming calls below (hmac_sha256_prepare, then
  // hmac_sha256_prepared), so a backend need not bring its own; one with an HMAC
  // engine may override it.
  virtual void hmac_sha256(const void* key, std::size_t key_len, const void* data,
                           std::size_t len, Digest32* out) const;

  // Streaming SHA-256: begin, any number of updates, finish. finish leaves the
  // context wiped; begin may be called again on it.
  virtual void sha256_begin(Sha256Ctx* ctx) const = 0;
  virtual void sha256_update(Sha256Ctx* ctx, const void* data, std::size_t len) const = 0;
  virtual void sha256_finish(Sha256Ctx* ctx, Digest32* out) const = 0;
  // Copies a streaming state (the backend's context clone).
  virtual void sha256_copy(const Sha256Ctx* from, Sha256Ctx* to) const = 0;

  // HMAC-SHA256 with the key absorbed once (RFC 2104 inner and outer states after
  // the padded key block). For a key used many times, such as a SigV4 signing
  // key, each use then costs two SHA-256 blocks less. Wipe with secure_wipe.
  struct HmacKey {
    Sha256Ctx inner;
    Sha256Ctx outer;
  };
  void hmac_sha256_prepare(const void* key, std::size_t key_len, HmacKey* out) const;
  void hmac_sha256_prepared(const HmacKey& key, const void* data, std::size_t len,
                            Digest32* out) const;
};

// Overwrites len bytes at p with zeros in a way the compiler may not drop.
// Used for every buffer that held a secret or a key derived from one.
void secure_wipe(void* p, std::size_t len);

// Compares two byte ranges in time that depends only on len.
bool constant_time_equal(const void* a, const void* b, std::size_t len);

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CRYPTO_H
