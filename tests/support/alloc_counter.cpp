#include "alloc_counter.h"

#include <cstdlib>
#include <new>

#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer) || __has_feature(thread_sanitizer)
#define EDGEROUTE_SANITIZED 1
#endif
#endif
// A sanitizer owns malloc (and calls it before the program's own code could run):
// count operator new only.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define EDGEROUTE_SANITIZED 1
#endif

namespace {
thread_local bool t_armed = false;
thread_local std::size_t t_allocations = 0;
thread_local std::size_t t_bytes = 0;

inline void note(std::size_t n) {
  if (t_armed) {
    ++t_allocations;
    t_bytes += n;
  }
}
}  // namespace

#if !defined(EDGEROUTE_SANITIZED) && defined(__GLIBC__)
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* malloc(std::size_t n) {
  note(n);
  return __libc_malloc(n);
}
void* calloc(std::size_t count, std::size_t n) {
  note(count * n);
  return __libc_calloc(count, n);
}
void* realloc(void* p, std::size_t n) {
  note(n);
  return __libc_realloc(p, n);
}
}
#define EDGEROUTE_COUNTS_MALLOC 1
#endif

void* operator new(std::size_t n) {
#if !defined(EDGEROUTE_COUNTS_MALLOC)
  note(n);
#endif
  void* p = std::malloc(n == 0 ? 1 : n);
  if (p == nullptr) std::abort();
  return p;
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
#if !defined(EDGEROUTE_COUNTS_MALLOC)
  note(n);
#endif
  return std::malloc(n == 0 ? 1 : n);
}
void* operator new[](std::size_t n, const std::nothrow_t& t) noexcept { return operator new(n, t); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace edgeroute {
namespace testing {

AllocationScope::AllocationScope()
    : start_allocations_(t_allocations), start_bytes_(t_bytes), outer_armed_(t_armed) {
  t_armed = true;
}
AllocationScope::~AllocationScope() { t_armed = outer_armed_; }
std::size_t AllocationScope::allocations() const { return t_allocations - start_allocations_; }
std::size_t AllocationScope::bytes() const { return t_bytes - start_bytes_; }

bool counts_malloc() {
#if defined(EDGEROUTE_COUNTS_MALLOC)
  return true;
#else
  return false;
#endif
}

}  // namespace testing
}  // namespace edgeroute
