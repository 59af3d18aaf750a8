// Property: over 10,000 random catalogs x policies x routing settings x probe
// results, every candidate the router picks satisfies the residency policy, and
// the router refuses only when nothing allowed and eligible exists.
//
// The check is independent of the code under test: the test keeps its own copy of
// what it generated (plain strings and std::set) and decides "allowed" from the
// definition -- source and every destination inside the allow list's regions,
// and `global` named for a global profile. Seeded, so a failure reproduces; the
// iteration number is printed with it.
#include <cstdio>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "edgeroute/random.h"
#include "edgeroute/router.h"
#include "random_world.h"

namespace edgeroute {
namespace {

constexpr int kIterations = 10000;
constexpr int kPicksPerIteration = 24;

using namespace testing;  // random_world.h

// The generator's default distribution, with spaces around the allow lists' commas.
// Under smaller limits (cmake/configs/small.cmake) the largest world it can draw
// is shrunk until it fits them -- fewer regions first, then fewer profiles, then
// fewer models -- so every world loads; with the default limits nothing changes
// (the first try fits).
WorldOptions world_options() {
  WorldOptions o;
  o.allow_separator = " , ";
  const auto fits = [](const WorldOptions& w) {
    // Worst case per model: an in-region candidate and one per profile in every region.
    const std::size_t per_model = w.max_regions * (1 + w.max_profiles);
    return w.max_models * w.max_profiles <= limits::kRouterMaxProfiles &&
           w.max_regions <= limits::kRouterMaxRegions && w.max_regions <= limits::kRouterMaxSourcesPerProfile &&
           w.max_sets + 1 <= limits::kRouterMaxRegionSets && w.max_models <= limits::kRouterMaxModels &&
           per_model <= limits::kRouterMaxCandidatesPerModel && w.max_models * per_model <= limits::kRouterMaxCandidates;
  };
  const WorldOptions d;
  for (std::size_t models = d.max_models; models >= 1; --models) {
    for (std::size_t profiles = d.max_profiles; profiles >= 1; --profiles) {
      for (std::size_t regions = d.max_regions; regions >= d.min_regions; --regions) {
        o.max_models = models;
        o.max_profiles = profiles;
        o.max_regions = regions;
        if (fits(o)) return o;
      }
    }
  }
  return o;  // the limits hold not even the smallest world: its load fails and says so
}

TEST(RouterProperty, EveryPickSatisfiesThePolicyOverRandomWorlds) {
  Random rnd(20261123);
  auto catalog = std::make_unique<Catalog>();
  auto router = std::make_unique<Router>();
  RandomProber prober(rnd, /*random_sizes=*/true);
  const WorldOptions options_of_world = world_options();
  int picks_checked = 0, refusals_checked = 0, init_refusals = 0, unhealthy_checked = 0;
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    SCOPED_TRACE("iteration " + std::to_string(iteration));
    const World w = make_world(rnd, options_of_world);
    ASSERT_TRUE(catalog->load_json(w.json, "random.json", CatalogMerge::kReplace).ok()) << w.json;

    Policy policy(*catalog);
    std::map<std::string, Allow> allow_of;
    Allow base;
    ASSERT_TRUE(policy.set_allow(make_allow(rnd, w, options_of_world, &base)).ok());
    for (const std::string& m : w.models) {
      allow_of[m] = base;
      if (below(rnd, 4) == 0) {
        Allow own;
        ASSERT_TRUE(policy.set_model_allow(m, make_allow(rnd, w, options_of_world, &own)).ok());
        allow_of[m] = own;
      }
    }
    // Which sources of each model the definition allows.
    std::map<std::string, Regions> allowed_sources;
    for (const GenCandidate& c : w.candidates) {
      if (allowed_by_definition(c, allow_of[c.model])) allowed_sources[c.model].insert(c.source);
    }

    // Routing settings: random modes, lists drawn from all regions (so some name
    // sources the policy leaves nothing at: init must refuse those).
    std::vector<ModelRouting> routing;
    std::map<std::string, ModelRouting> routing_of;
    std::map<std::string, std::map<std::string, int>> weight_of;
    bool expect_init_ok = true;
    std::list<std::string> lists;  // owns the text ModelRouting points at; never moves it
    for (const std::string& m : w.models) {
      if (below(rnd, 3) == 0) continue;  // default mode
      ModelRouting r;
      r.model = m;
      r.mode = static_cast<RouteMode>(below(rnd, 3));
      std::string list;
      if (r.mode != RouteMode::kLatency && below(rnd, 3) != 0) {
        for (const std::string& region : subset(rnd, w.regions)) {
          const int weight = static_cast<int>(below(rnd, 4));
          list += (list.empty() ? "" : ",") + region;
          if (r.mode == RouteMode::kWeighted) list += "=" + std::to_string(weight);
          weight_of[m][region] = weight;
          if (!allowed_sources[m].count(region)) expect_init_ok = false;
        }
      }
      if (allowed_sources[m].empty()) expect_init_ok = false;
      lists.push_back(list);
      (r.mode == RouteMode::kFailover ? r.order : r.weights) = lists.back();
      routing.push_back(r);
      routing_of[m] = r;
    }
    RouterOptions options;
    options.default_mode = static_cast<RouteMode>(below(rnd, 3));
    options.models = routing.data();
    options.model_count = routing.size();
    options.probes.best_few = static_cast<std::uint32_t>(1 + below(rnd, 4));
    options.probes.budget_bytes_per_hour = 1000 + below(rnd, 40000);
    const Status init = router->init(policy, options);
    ASSERT_EQ(init.ok(), expect_init_ok) << init.message();
    if (!init.ok()) {
      // Refused as it must be; the world is still checked with default settings.
      ++init_refusals;
      routing_of.clear();
      options.models = nullptr;
      options.model_count = 0;
      ASSERT_TRUE(router->init(policy, options).ok());
    }

    std::int64_t now = static_cast<std::int64_t>(below(rnd, 1000000)) * 1000000;
    for (int p = 0; p < kPicksPerIteration; ++p) {
      now += static_cast<std::int64_t>(below(rnd, 120000)) * 1000000;
      router->tick(now, rnd.next_u64(), prober);
      const std::string& model = w.models[below(rnd, w.models.size())];
      const std::string session = below(rnd, 2) ? "s" + std::to_string(below(rnd, 4)) : "";
      Route route;
      const Status s = router->pick(model, session, now, rnd.next_u64(), &route);
      // The sources the mode may use: allowed, and listed with weight where lists apply.
      Regions eligible = allowed_sources[model];
      const auto cfg = routing_of.find(model);
      const RouteMode mode = cfg != routing_of.end() ? cfg->second.mode : options.default_mode;
      const bool listed = cfg != routing_of.end() && !weight_of[model].empty();
      if (listed && mode != RouteMode::kLatency) {
        Regions kept;
        for (const std::string& r : eligible) {
          const auto wt = weight_of[model].find(r);
          if (wt != weight_of[model].end() && (mode == RouteMode::kFailover || wt->second > 0)) kept.insert(r);
        }
        eligible = kept;
      }
      if (s.code() == Code::kUnavailable) {
        // Every eligible endpoint is cooling, open or rate limited: never a fallback
        // to anything else, and only when something is eligible at all.
        ASSERT_FALSE(eligible.empty()) << s.message();
        ++unhealthy_checked;
        continue;
      }
      if (!s.ok()) {
        ASSERT_EQ(s.code(), Code::kPermissionDenied) << s.message();
        ASSERT_TRUE(eligible.empty()) << "refused although " << *eligible.begin() << " was eligible";
        ++refusals_checked;
        continue;
      }
      const std::string id(route.identifier), source(route.source_region);
      const GenCandidate* chosen = nullptr;
      for (const GenCandidate& c : w.candidates) {
        if (c.id == id && c.source == source) chosen = &c;
      }
      ASSERT_NE(chosen, nullptr) << id << " @ " << source << " was never generated";
      ASSERT_EQ(chosen->model, model);
      ASSERT_TRUE(allowed_by_definition(*chosen, allow_of[model])) << id << " @ " << source;
      ASSERT_TRUE(eligible.count(source)) << id << " @ " << source << " is not eligible in this mode";
      ASSERT_TRUE(policy.check_route(route.identifier, route.source_region).ok());
      ASSERT_EQ(route.host, "bedrock-runtime." + source + ".amazonaws.com");
      // Mostly successes, so that health does not take every endpoint out.
      const OutcomeClass outcome = below(rnd, 4) ? OutcomeClass::kSuccess : static_cast<OutcomeClass>(below(rnd, 8));
      const std::int64_t rtt = below(rnd, 2) ? static_cast<std::int64_t>(1 + below(rnd, 300)) * 1000000 : 0;
      ASSERT_TRUE(router->report(route, outcome, rtt, now).ok());
      ++picks_checked;
    }
  }
  // The generator must exercise every branch, not just refusals.
  EXPECT_GT(picks_checked, kIterations * 5);
  EXPECT_GT(refusals_checked, 100);
  EXPECT_GT(init_refusals, 100);
  EXPECT_GT(unhealthy_checked, 10);  // health took every eligible endpoint out now and then
  std::printf("checked %d picks, %d refusals, %d refused configurations, %d all-unhealthy picks\n", picks_checked,
              refusals_checked, init_refusals, unhealthy_checked);
}

}  // namespace
}  // namespace edgeroute
