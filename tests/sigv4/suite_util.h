// Helpers shared by the signer tests: locating the test data and comparing
// signed requests the way ../shared/testdata/README.md describes.
#ifndef EDGEROUTE_TESTS_SIGV4_SUITE_UTIL_H
#define EDGEROUTE_TESTS_SIGV4_SUITE_UTIL_H

#include <string>
#include <vector>

namespace edgeroute {
namespace testing {

// The shared test-data folder: $EDGEROUTE_TESTDATA_DIR when set (to run another
// copy of the suite, such as the held-back cases), else the one configured at
// build time.
std::string testdata_dir();

// Case folders under dir (those holding a `probe` file), sorted. Empty when dir
// does not exist.
std::vector<std::string> case_folders(const std::string& dir, const std::string& probe);

// Reads a whole file; fails the current test (and returns "") when it cannot.
std::string slurp(const std::string& path);

// "%E1%88%B4" -> bytes; invalid escapes stay as they are.
std::string percent_decode(const std::string& s);

// A gtest-safe name for a case: letters and digits, everything else '_'.
std::string test_name(const std::string& s);

}  // namespace testing
}  // namespace edgeroute

#endif  // EDGEROUTE_TESTS_SIGV4_SUITE_UTIL_H
