// Counts heap allocations made by the current thread, for the zero-heap tests of
// the signer, router and event-stream decoder.
//
// Linking edgeroute_test_support replaces operator new/delete, and (outside
// sanitizer builds, where the sanitizer owns malloc) malloc/calloc/realloc, so
// allocations from C code such as mbedTLS or cJSON are counted too.
#ifndef EDGEROUTE_TESTS_ALLOC_COUNTER_H
#define EDGEROUTE_TESTS_ALLOC_COUNTER_H

#include <cstddef>

namespace edgeroute {
namespace testing {

// Counts allocations on this thread between construction and destruction.
class AllocationScope {
 public:
  AllocationScope();
  ~AllocationScope();
  AllocationScope(const AllocationScope&) = delete;
  AllocationScope& operator=(const AllocationScope&) = delete;
  std::size_t allocations() const;
  std::size_t bytes() const;

 private:
  std::size_t start_allocations_;
  std::size_t start_bytes_;
  bool outer_armed_;
};

// True when malloc itself is counted (not only operator new).
bool counts_malloc();

}  // namespace testing
}  // namespace edgeroute

#endif  // EDGEROUTE_TESTS_ALLOC_COUNTER_H
