// The zero-heap tests are only as good as the counter: prove it sees allocations.
#include <gtest/gtest.h>

#include <cstdlib>
#include <memory>
#include <string>

#include "alloc_counter.h"

namespace edgeroute {
namespace {

TEST(AllocationCounter, SeesOperatorNew) {
  testing::AllocationScope scope;
  auto p = std::make_unique<std::string>(100, 'x');
  EXPECT_GE(scope.allocations(), 1u);
  EXPECT_GE(scope.bytes(), 100u);
}

TEST(AllocationCounter, SeesMallocWhereItCountsMalloc) {
  if (!testing::counts_malloc()) GTEST_SKIP() << "sanitizer build: malloc belongs to the sanitizer";
  testing::AllocationScope scope;
  void* volatile p = std::malloc(64);
  std::free(p);
  EXPECT_EQ(scope.allocations(), 1u);
}

TEST(AllocationCounter, NestedScopesBothCount) {
  testing::AllocationScope outer;
  {
    testing::AllocationScope inner;
    auto p = std::make_unique<int>(7);
    EXPECT_GE(inner.allocations(), 1u);
  }
  auto q = std::make_unique<int>(8);
  EXPECT_GE(outer.allocations(), 2u);
}

}  // namespace
}  // namespace edgeroute
