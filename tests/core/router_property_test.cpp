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
#include <iterator>
#include <list>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "edgeroute/random.h"
#include "edgeroute/router.h"

namespace edgeroute {
namespace {

// A random index or count in [0, n), as a size_t (32 bits on armhf).
std::size_t below(Random& rnd, std::size_t n) { return static_cast<std::size_t>(rnd.next_below(n)); }

constexpr int kIterations = 10000;
constexpr int kPicksPerIteration = 24;

using Regions = std::set<std::string>;

struct GenCandidate {
  std::string id, model, source;
  Regions destinations;
  bool global = false;
};

struct World {
  std::map<std::string, Regions> sets;
  std::vector<std::string> regions;
  std::vector<std::string> mentioned;  // the regions the catalog will know
  std::vector<std::string> models;
  std::vector<GenCandidate> candidates;
  std::string json;
};

struct Allow {
  Regions regions;
  bool global = false;
};

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// A random non-empty subset of `from`.
std::vector<std::string> subset(Random& rnd, const std::vector<std::string>& from) {
  std::vector<std::string> out;
  while (out.empty()) {
    for (const std::string& s : from) {
      if (below(rnd, 3) == 0) out.push_back(s);
    }
  }
  return out;
}

World make_world(Random& rnd) {
  World w;
  const std::size_t region_count = 3 + below(rnd, 10);
  for (std::size_t i = 0; i < region_count; ++i) w.regions.push_back("zz-test-" + std::to_string(i + 1));
  const std::size_t set_count = 1 + below(rnd, 4);
  std::string sets_json;
  for (std::size_t i = 0; i < set_count; ++i) {
    const std::string name = "s" + std::to_string(i);
    for (const std::string& r : subset(rnd, w.regions)) w.sets[name].insert(r);
  }
  if (below(rnd, 2) == 0) w.sets["global"] = Regions(w.regions.begin(), w.regions.end());
  for (const auto& [name, regions] : w.sets) {
    sets_json += (sets_json.empty() ? "" : ",") + quoted(name) + ":[";
    bool first = true;
    for (const std::string& r : regions) {
      sets_json += (first ? "" : ",") + quoted(r);
      first = false;
    }
    sets_json += "]";
  }
  std::vector<std::string> set_names;
  for (const auto& kv : w.sets) set_names.push_back(kv.first);

  std::string profiles_json, in_region_json;
  const std::size_t model_count = 1 + below(rnd, 3);
  for (std::size_t m = 0; m < model_count; ++m) {
    const std::string model = "m" + std::to_string(m);
    w.models.push_back(model);
    const std::vector<std::string> in_region = subset(rnd, w.regions);
    in_region_json += std::string(in_region_json.empty() ? "" : ",") + "{\"model\":" + quoted(model) + ",\"regions\":[";
    for (std::size_t i = 0; i < in_region.size(); ++i) {
      in_region_json += (i ? "," : "") + quoted(in_region[i]);
      w.candidates.push_back({model, model, in_region[i], {in_region[i]}, false});
    }
    in_region_json += "]}";
    const std::size_t profile_count = below(rnd, 4);
    for (std::size_t p = 0; p < profile_count; ++p) {
      const std::string geography = set_names[below(rnd, set_names.size())];
      const std::string id = geography + ".p" + std::to_string(p) + "." + model;
      std::string sources_json;
      for (const std::string& source : subset(rnd, w.regions)) {
        GenCandidate c{id, model, source, {}, geography == "global"};
        std::string dests_json;
        if (below(rnd, 4) == 0) {  // a set reference
          const std::string set = set_names[below(rnd, set_names.size())];
          c.destinations = w.sets[set];
          dests_json = quoted(set);
        } else {
          for (const std::string& d : subset(rnd, w.regions)) {
            c.destinations.insert(d);
            dests_json += (dests_json.empty() ? "" : ",") + quoted(d);
          }
        }
        sources_json += (sources_json.empty() ? "" : ",") + quoted(source) + ":[" + dests_json + "]";
        w.candidates.push_back(c);
      }
      profiles_json += std::string(profiles_json.empty() ? "" : ",") + "{\"id\":" + quoted(id) +
                       ",\"model\":" + quoted(model) + ",\"geography\":" + quoted(geography) +
                       ",\"sources\":{" + sources_json + "}}";
    }
  }
  Regions mentioned;
  for (const auto& kv : w.sets) mentioned.insert(kv.second.begin(), kv.second.end());
  for (const GenCandidate& c : w.candidates) {
    mentioned.insert(c.source);
    mentioned.insert(c.destinations.begin(), c.destinations.end());
  }
  w.mentioned.assign(mentioned.begin(), mentioned.end());
  w.json = "{\"region_sets\":{" + sets_json + "},\"profiles\":[" + profiles_json + "],\"in_region\":[" +
           in_region_json + "]}";
  return w;
}

// A random allow list and what it means, by definition.
std::string make_allow(Random& rnd, const World& w, Allow* allow) {
  std::string list;
  const std::size_t items = 1 + below(rnd, 3);
  for (std::size_t i = 0; i < items; ++i) {
    std::string name;
    if (below(rnd, 2) == 0) {
      auto it = w.sets.begin();
      std::advance(it, static_cast<long>(below(rnd, w.sets.size())));
      name = it->first;
      allow->regions.insert(it->second.begin(), it->second.end());
      if (name == "global") allow->global = true;
    } else {
      name = w.mentioned[below(rnd, w.mentioned.size())];
      allow->regions.insert(name);
    }
    list += (list.empty() ? "" : " , ") + name;
  }
  return list;
}

bool allowed_by_definition(const GenCandidate& c, const Allow& a) {
  if (!a.regions.count(c.source)) return false;
  if (c.global && !a.global) return false;
  for (const std::string& d : c.destinations) {
    if (!a.regions.count(d)) return false;
  }
  return true;
}

class RandomProber : public Prober {
 public:
  explicit RandomProber(Random& rnd) : rnd_(rnd) {}
  ProbeResult probe(std::string_view, std::uint16_t) override {
    ProbeResult r;
    r.answered = rnd_.next_below(8) != 0;
    r.rtt_ns = static_cast<std::int64_t>(1 + rnd_.next_below(300)) * 1000000;
    r.bytes = static_cast<std::uint32_t>(200 + rnd_.next_below(6000));
    return r;
  }

 private:
  Random& rnd_;
};

TEST(RouterProperty, EveryPickSatisfiesThePolicyOverRandomWorlds) {
  Random rnd(20261123);
  auto catalog = std::make_unique<Catalog>();
  auto router = std::make_unique<Router>();
  RandomProber prober(rnd);
  int picks_checked = 0, refusals_checked = 0, init_refusals = 0, unhealthy_checked = 0;
  for (int iteration = 0; iteration < kIterations; ++iteration) {
    SCOPED_TRACE("iteration " + std::to_string(iteration));
    const World w = make_world(rnd);
    ASSERT_TRUE(catalog->load_json(w.json, "random.json", CatalogMerge::kReplace).ok()) << w.json;

    Policy policy(*catalog);
    std::map<std::string, Allow> allow_of;
    Allow base;
    ASSERT_TRUE(policy.set_allow(make_allow(rnd, w, &base)).ok());
    for (const std::string& m : w.models) {
      allow_of[m] = base;
      if (below(rnd, 4) == 0) {
        Allow own;
        ASSERT_TRUE(policy.set_model_allow(m, make_allow(rnd, w, &own)).ok());
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
