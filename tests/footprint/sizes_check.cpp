// Holds every build to the object sizes docs/footprint.md publishes: an object that
// grew by more than 5 % over its committed size fails to compile here, in every
// configuration that has a row (x86-64, aarch64 and armhf; default and small
// limits). scripts/footprint --write updates the table and footprint_table.h.
#include <cstring>

#include "edgeroute/bedrock.h"
#include "edgeroute/catalog.h"
#include "edgeroute/eventstream.h"
#include "edgeroute/failover.h"
#include "edgeroute/policy.h"
#include "edgeroute/router.h"
#include "edgeroute/runtime.h"
#include "edgeroute/sigv4.h"
#include "footprint_table.h"

namespace edgeroute {
namespace footprint {
namespace {

#if defined(__x86_64__)
constexpr const char* kArch = "x86-64";
#elif defined(__aarch64__)
constexpr const char* kArch = "aarch64";
#elif defined(__arm__)
constexpr const char* kArch = "armhf";
#else
constexpr const char* kArch = "";
#endif

// The configuration whose limits this build has: "default", "small"
// (cmake/configs/small.cmake), or "" for limits of the integrator's own.
constexpr const char* config_name() {
  using namespace limits;
  if (kRouterMaxProfiles == 64 && kRouterMaxRegions == 64 && kRouterMaxSourcesPerProfile == 32 &&
      kRouterMaxRegionSets == 24 && kRouterMaxModels == 32 && kRouterMaxCandidates == 512 &&
      kRouterMaxCandidatesPerModel == 64 && kRouterStickySlots == 256 && kSigv4KeyCacheSlots == 8) {
    return "default";
  }
  if (kRouterMaxProfiles == 8 && kRouterMaxRegions == 16 && kRouterMaxSourcesPerProfile == 16 &&
      kRouterMaxRegionSets == 8 && kRouterMaxModels == 4 && kRouterMaxCandidates == 64 &&
      kRouterMaxCandidatesPerModel == 32 && kRouterStickySlots == 32 && kSigv4KeyCacheSlots == 4) {
    return "small";
  }
  return "";
}

constexpr bool same(const char* a, const char* b) {
  while (*a != '\0' && *a == *b) {
    ++a;
    ++b;
  }
  return *a == *b;
}

constexpr Row row() {
  for (const Row& r : kTable) {
    if (same(r.arch, kArch) && same(r.config, config_name())) return r;
  }
  return Row{"", "", 0, 0, 0, 0, 0, 0, 0, 0, 0};
}

constexpr Row kRow = row();
constexpr bool kHasRow = kRow.Signer != 0;

// Within 5 % of the committed size (no row: nothing to hold this build to).
constexpr bool fits(std::size_t actual, std::size_t committed) {
  return !kHasRow || actual * 100 <= committed * 105;
}

static_assert(fits(sizeof(sigv4::Signer), kRow.Signer), "Signer grew: update docs/footprint.md (scripts/footprint --write)");
static_assert(fits(sizeof(Catalog), kRow.Catalog), "Catalog grew: update docs/footprint.md (scripts/footprint --write)");
static_assert(fits(sizeof(Policy), kRow.Policy), "Policy grew: update docs/footprint.md (scripts/footprint --write)");
static_assert(fits(sizeof(Router), kRow.Router), "Router grew: update docs/footprint.md (scripts/footprint --write)");
static_assert(fits(sizeof(RoutedCall), kRow.RoutedCall), "RoutedCall grew: update docs/footprint.md (scripts/footprint --write)");
static_assert(fits(sizeof(FailoverMonitor), kRow.FailoverMonitor),
              "FailoverMonitor grew: update docs/footprint.md (scripts/footprint --write)");
static_assert(fits(sizeof(Runtime), kRow.Runtime), "Runtime grew: update docs/footprint.md (scripts/footprint --write)");
static_assert(fits(sizeof(bedrock::Client), kRow.Client), "bedrock::Client grew: update docs/footprint.md (scripts/footprint --write)");
static_assert(fits(sizeof(eventstream::Decoder), kRow.Decoder),
              "eventstream::Decoder grew: update docs/footprint.md (scripts/footprint --write)");

}  // namespace
}  // namespace footprint
}  // namespace edgeroute
