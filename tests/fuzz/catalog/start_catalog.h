// The catalog the catalog fuzzers extend: the built-in snapshot, or, in a build
// without it (EDGEROUTE_BUILTIN_CATALOG=OFF, the small configuration), a small
// world that fits the smallest limits, so that the kExtend paths still run.
#ifndef EDGEROUTE_TESTS_FUZZ_CATALOG_START_CATALOG_H
#define EDGEROUTE_TESTS_FUZZ_CATALOG_START_CATALOG_H

#include "edgeroute/catalog.h"

namespace edgeroute {
namespace fuzzing {

inline Status load_start_catalog(Catalog* c) {
  if (Catalog::has_default()) return c->load_default();
  static const char kStandIn[] = R"({
    "region_sets": {"eu": ["eu-central-1", "eu-west-1", "eu-west-3"], "us": ["us-east-1", "us-west-2"],
                    "global": ["eu-central-1", "eu-west-1", "eu-west-3", "us-east-1", "us-west-2"]},
    "profiles": [
      {"id": "eu.anthropic.claude-haiku-4-5-20251001-v1:0", "model": "anthropic.claude-haiku-4-5-20251001-v1:0",
       "geography": "eu", "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"]}},
      {"id": "global.anthropic.claude-haiku-4-5-20251001-v1:0", "model": "anthropic.claude-haiku-4-5-20251001-v1:0",
       "geography": "global", "sources": {"us-east-1": ["global"]}}
    ],
    "in_region": [{"model": "anthropic.claude-haiku-4-5-20251001-v1:0", "regions": ["eu-central-1", "us-east-1"]}]
  })";
  return c->load_json(kStandIn, "stand-in.json", CatalogMerge::kReplace);
}

}  // namespace fuzzing
}  // namespace edgeroute

#endif  // EDGEROUTE_TESTS_FUZZ_CATALOG_START_CATALOG_H
