// Fuzz target for the catalog loader: the JSON an operator ships with
// --catalog / --catalog-extend (schema in docs/routing.md).
//
// Every input is loaded four times through Catalog::load_json: with kReplace and
// with kExtend, each on a catalog holding the built-in snapshot (start_catalog.h)
// and on an empty one.
// When a load succeeds, the result goes through Policy::set_allow with a few
// fixed allow lists and, for the first list the catalog accepts, Router::init and
// one pick of its first model.
// Invariants: nothing crashes or leaks (ASan); a failed load leaves the catalog
// exactly as it was (a summary of everything it holds compares equal); every
// status message is one line that names the file; a loaded catalog is
// consistent (lookups find what it lists, each model's candidates are its own);
// a pick returns a route the policy allows.
//
// Two builds of this file:
//   catalog_fuzzer          libFuzzer (clang): catalog_fuzzer -max_total_time=30 seeds/
//   fuzz_catalog_replay     plain main (any compiler; ../replay_main.h), run by ctest:
//                           fuzz_catalog_replay [--generated N] SEED_DIR...
//                           runs the seeds, then N deterministic mutations of them.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "edgeroute/catalog.h"
#include "edgeroute/policy.h"
#include "edgeroute/router.h"
#include "start_catalog.h"

namespace {

using namespace edgeroute;

constexpr std::string_view kOrigin = "fuzz.json";

[[noreturn]] void fail(const char* what, const char* detail = "") {
  std::fprintf(stderr, "catalog fuzz: invariant broken: %s%s%s\n", what, *detail ? ": " : "", detail);
  std::abort();
}

// A status message is one line. Errors from the loader name the file first
// ("fuzz.json: ..." or "fuzz.json:L:C: malformed JSON").
void check_message(const Status& s, bool names_origin) {
  if (s.ok()) return;
  const char* m = s.message();
  const std::size_t n = std::strlen(m);
  if (n == 0) fail("empty error message");
  if (std::strchr(m, '\n') != nullptr || std::strchr(m, '\r') != nullptr) fail("message spans lines", m);
  if (names_origin && (n <= kOrigin.size() || std::string_view(m, kOrigin.size()) != kOrigin ||
                       m[kOrigin.size()] != ':')) {
    fail("error does not start with the file name", m);
  }
}

void append_mask(std::string* out, const Catalog& c, const RegionMask& mask) {
  for (std::size_t r = 0; r < c.region_count(); ++r) out->push_back(mask.test(r) ? '1' : '0');
  out->push_back(' ');
}

// Everything a caller can observe of a catalog, as text.
std::string summary(const Catalog& c) {
  std::string s;
  s.reserve(16384);
  s.append(c.snapshot_date()).append("\n");
  for (std::size_t r = 0; r < c.region_count(); ++r) {
    s.append(c.region_name(r)).append(" ").append(c.region_host(r)).append("\n");
  }
  for (std::size_t i = 0; i < c.region_set_count(); ++i) {
    s.append(c.region_set_name(i)).append(" ");
    append_mask(&s, c, c.region_set(i));
    s.append("\n");
  }
  for (std::size_t m = 0; m < c.model_count(); ++m) {
    s.append(c.model_name(m)).append(" ");
    s.append(std::to_string(c.model_first_candidate(m))).append("+");
    s.append(std::to_string(c.model_candidate_count(m))).append("\n");
  }
  for (std::size_t p = 0; p < c.profile_count(); ++p) {
    s.append(c.profile_id(p)).append(" ").append(c.profile_geography(p)).append("\n");
  }
  for (std::size_t i = 0; i < c.candidate_count(); ++i) {
    const Candidate& k = c.candidate(i);
    s.append(std::to_string(k.model)).append(" ").append(std::to_string(k.profile)).append(" ");
    s.append(std::to_string(k.source_region)).append(k.global_profile ? " g " : " - ");
    append_mask(&s, c, k.destinations);
    s.append("\n");
  }
  return s;
}

// What the header promises of a loaded catalog.
void check_consistent(const Catalog& c) {
  for (std::size_t r = 0; r < c.region_count(); ++r) {
    if (c.find_region(c.region_name(r)) != static_cast<int>(r)) fail("find_region misses a region");
    const std::string host = "bedrock-runtime." + std::string(c.region_name(r)) + ".amazonaws.com";
    if (c.region_host(r) != host) fail("region host is not bedrock-runtime.<region>.amazonaws.com");
  }
  for (std::size_t i = 0; i < c.region_set_count(); ++i) {
    if (c.find_region_set(c.region_set_name(i)) != static_cast<int>(i)) fail("find_region_set misses a set");
  }
  std::size_t owned = 0;
  for (std::size_t m = 0; m < c.model_count(); ++m) {
    if (c.find_model(c.model_name(m)) != static_cast<int>(m)) fail("find_model misses a model");
    const std::size_t first = c.model_first_candidate(m), count = c.model_candidate_count(m);
    if (first + count > c.candidate_count()) fail("model candidates beyond the table");
    for (std::size_t i = first; i < first + count; ++i) {
      if (c.candidate(i).model != m) fail("candidate listed under another model");
    }
    owned += count;
  }
  if (owned != c.candidate_count()) fail("candidates not owned by exactly one model");
  for (std::size_t i = 0; i < c.candidate_count(); ++i) {
    const Candidate& k = c.candidate(i);
    if (k.source_region >= c.region_count()) fail("candidate source outside the regions");
    if (k.profile >= static_cast<int>(c.profile_count())) fail("candidate profile outside the profiles");
    if (k.destinations.empty()) fail("candidate without a destination");
    if (k.profile < 0 && (k.destinations.count() != 1 || !k.destinations.test(k.source_region))) {
      fail("in-region candidate processed outside its source region");
    }
    const int found = c.find_candidate(c.identifier(k), c.region_name(k.source_region));
    if (found == Catalog::kNone) fail("find_candidate misses a candidate");
    const Candidate& f = c.candidate(static_cast<std::size_t>(found));
    if (c.identifier(f) != c.identifier(k) || f.source_region != k.source_region) {
      fail("find_candidate returns another pair");
    }
  }
}

// The allow lists tried on every loaded catalog; most name sets or regions the
// default snapshot has, the last two what the input itself defined.
void exercise_policy(const Catalog& c) {
  std::string first_region = c.region_count() > 0 ? std::string(c.region_name(0)) : "eu-central-1";
  std::string first_set = c.region_set_count() > 0 ? std::string(c.region_set_name(0)) : "eu";
  const std::string lists[] = {"eu", "us, global", "eu-central-1,eu-west-1", first_region, first_set + "," + first_region};
  auto policy = std::make_unique<Policy>(c);
  bool routed = false;
  char text[512];
  for (const std::string& list : lists) {
    const Status s = policy->set_allow(list);
    check_message(s, false);
    if (!s.ok() || c.model_count() == 0) continue;
    const Status required = policy->require_candidate(0);
    check_message(required, false);
    const std::size_t needed = policy->explain(0, text, sizeof text);
    if (std::strlen(text) != std::min(needed, sizeof text - 1)) fail("explain's length is not what it wrote");
    if (routed) continue;
    routed = true;
    auto router = std::make_unique<Router>();
    RouterOptions options;
    const Status init = router->init(*policy, options);
    check_message(init, false);
    if (!init.ok()) continue;
    Route route;
    PickExplanation why;
    const Status picked = router->pick(c.model_name(0), "fuzz-session", 1000000000, 7, &route, &why);
    check_message(picked, false);
    if (picked.ok() != required.ok()) fail("pick and require_candidate disagree");
    if (!picked.ok()) continue;
    if (route.candidate >= c.candidate_count()) fail("picked candidate outside the table");
    const Candidate& k = c.candidate(route.candidate);
    if (k.model != 0) fail("picked a candidate of another model");
    if (route.identifier != c.identifier(k) || route.source_region != c.region_name(k.source_region) ||
        route.host != c.region_host(k.source_region)) {
      fail("route does not match its candidate");
    }
    const Status allowed = policy->check_route(route.identifier, route.source_region);
    check_message(allowed, false);
    if (!allowed.ok()) fail("picked a route the policy denies", allowed.message());
  }
}

void load_into(Catalog* c, std::string_view json, CatalogMerge merge) {
  const std::string before = summary(*c);
  const Status s = c->load_json(json, kOrigin, merge);
  check_message(s, true);
  if (!s.ok()) {
    if (summary(*c) != before) fail("a failed load changed the catalog", s.message());
    return;
  }
  check_consistent(*c);
  exercise_policy(*c);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Catalogs are tens of KiB: built once, copied into the working one per run.
  static const Catalog* const snapshot = [] {
    auto* c = new Catalog();
    if (!fuzzing::load_start_catalog(c).ok()) fail("the start catalog does not load");
    return c;
  }();
  static const Catalog* const empty = new Catalog();
  static Catalog* const work = new Catalog();
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  for (const CatalogMerge merge : {CatalogMerge::kReplace, CatalogMerge::kExtend}) {
    for (const Catalog* start : {snapshot, empty}) {
      *work = *start;
      load_into(work, json, merge);
    }
  }
  return 0;
}

#if defined(EDGEROUTE_FUZZ_REPLAY)

#include "replay_main.h"

// No built-in seeds: they come from the directories named on the command line.
int main(int argc, char** argv) {
  return edgeroute::fuzz::replay_main(argc, argv, {"fuzz_catalog_replay"});
}

#endif  // EDGEROUTE_FUZZ_REPLAY
