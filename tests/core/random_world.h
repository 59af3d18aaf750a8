// Random catalogs and residency policies for the router property tests, kept as
// plain strings and std::set so that a test decides "allowed" from the definition
// and never from the code under test.
//
// Every draw comes from the caller's Random, in a fixed order: the same seed and
// the same WorldOptions give the same worlds, so a failing case reproduces from
// its seed. Changing the order or number of draws changes every world after it;
// a test that needs another distribution gets it through WorldOptions.
#ifndef EDGEROUTE_TESTS_CORE_RANDOM_WORLD_H
#define EDGEROUTE_TESTS_CORE_RANDOM_WORLD_H

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "edgeroute/random.h"
#include "edgeroute/router.h"

namespace edgeroute {
namespace testing {

// A random index or count in [0, n), as a size_t (32 bits on armhf).
inline std::size_t below(Random& rnd, std::size_t n) {
  return static_cast<std::size_t>(rnd.next_below(n));
}

// The distribution of worlds and allow lists. Counts are drawn uniformly from
// [min, max]. The defaults are the router property test's distribution: changing
// one changes every world that test draws.
struct WorldOptions {
  std::size_t min_regions = 3, max_regions = 12;
  std::size_t min_sets = 1, max_sets = 4;  // region sets besides an optional `global`
  std::size_t min_models = 1, max_models = 3;
  std::size_t min_profiles = 0, max_profiles = 3;  // per model
  // A profile source's destinations are a region set's name one time in four,
  // else always a list of regions.
  bool set_destinations = true;
  // Half of the allow list's items are exactly what one random candidate needs
  // (its source, destinations and `global` if it has to), so that most models
  // have something allowed.
  bool candidate_allow_items = false;
  const char* allow_separator = ",";
};

using Regions = std::set<std::string>;

struct GenCandidate {
  std::string id, model, source;
  Regions destinations;
  bool global = false;
};

struct World {
  std::map<std::string, Regions> sets;
  std::vector<std::string> regions;
  std::vector<std::string> mentioned;  // the regions the catalog knows
  std::vector<std::string> models;
  std::vector<GenCandidate> candidates;
  std::string json;  // the catalog, for Catalog::load_json
};

// What an allow list means, by definition.
struct Allow {
  Regions regions;
  bool global = false;
};

// A random non-empty subset of `from`, in its order.
std::vector<std::string> subset(Random& rnd, const std::vector<std::string>& from);

World make_world(Random& rnd, const WorldOptions& options);

// A random allow list for `w`; adds what it means to *allow.
std::string make_allow(Random& rnd, const World& w, const WorldOptions& options, Allow* allow);

// Source and every destination inside the allowed regions, and `global` named for
// a global profile.
bool allowed_by_definition(const GenCandidate& c, const Allow& a);

// Answers seven probes in eight, after 1..300 ms; a probe's size is 200..6199
// bytes when random_sizes, else 1000 (and then takes no draw).
class RandomProber : public Prober {
 public:
  RandomProber(Random& rnd, bool random_sizes) : rnd_(rnd), random_sizes_(random_sizes) {}
  ProbeResult probe(std::string_view host, std::uint16_t port) override;

 private:
  Random& rnd_;
  bool random_sizes_;
};

}  // namespace testing
}  // namespace edgeroute

#endif  // EDGEROUTE_TESTS_CORE_RANDOM_WORLD_H
