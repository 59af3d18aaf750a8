#include "random_world.h"

#include <iterator>

namespace edgeroute {
namespace testing {
namespace {

std::size_t count_in(Random& rnd, std::size_t min, std::size_t max) {
  return min + below(rnd, max - min + 1);
}

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

template <typename Strings>
std::string json_list(const Strings& items) {
  std::string out;
  for (const std::string& s : items) out += (out.empty() ? "" : ",") + quoted(s);
  return out;
}

}  // namespace

std::vector<std::string> subset(Random& rnd, const std::vector<std::string>& from) {
  std::vector<std::string> out;
  while (out.empty()) {
    for (const std::string& s : from) {
      if (below(rnd, 3) == 0) out.push_back(s);
    }
  }
  return out;
}

World make_world(Random& rnd, const WorldOptions& options) {
  World w;
  const std::size_t region_count = count_in(rnd, options.min_regions, options.max_regions);
  for (std::size_t i = 0; i < region_count; ++i)
    w.regions.push_back("zz-test-" + std::to_string(i + 1));
  const std::size_t set_count = count_in(rnd, options.min_sets, options.max_sets);
  for (std::size_t i = 0; i < set_count; ++i) {
    for (const std::string& r : subset(rnd, w.regions)) w.sets["s" + std::to_string(i)].insert(r);
  }
  if (below(rnd, 2) == 0) w.sets["global"] = Regions(w.regions.begin(), w.regions.end());
  std::string sets_json;
  std::vector<std::string> set_names;
  for (const auto& [name, regions] : w.sets) {
    sets_json += (sets_json.empty() ? "" : ",") + quoted(name) + ":[" + json_list(regions) + "]";
    set_names.push_back(name);
  }

  std::string profiles_json, in_region_json;
  const std::size_t model_count = count_in(rnd, options.min_models, options.max_models);
  for (std::size_t m = 0; m < model_count; ++m) {
    const std::string model = "m" + std::to_string(m);
    w.models.push_back(model);
    const std::vector<std::string> in_region = subset(rnd, w.regions);
    in_region_json += std::string(in_region_json.empty() ? "" : ",") +
                      "{\"model\":" + quoted(model) + ",\"regions\":[" + json_list(in_region) +
                      "]}";
    for (const std::string& r : in_region) w.candidates.push_back({model, model, r, {r}, false});
    const std::size_t profile_count = count_in(rnd, options.min_profiles, options.max_profiles);
    for (std::size_t p = 0; p < profile_count; ++p) {
      const std::string geography = set_names[below(rnd, set_names.size())];
      const std::string id = geography + ".p" + std::to_string(p) + "." + model;
      std::string sources_json;
      for (const std::string& source : subset(rnd, w.regions)) {
        GenCandidate c{id, model, source, {}, geography == "global"};
        std::string dests_json;
        if (options.set_destinations && below(rnd, 4) == 0) {
          const std::string set = set_names[below(rnd, set_names.size())];
          c.destinations = w.sets[set];
          dests_json = quoted(set);
        } else {
          const std::vector<std::string> dests = subset(rnd, w.regions);
          c.destinations.insert(dests.begin(), dests.end());
          dests_json = json_list(dests);
        }
        sources_json +=
            (sources_json.empty() ? "" : ",") + quoted(source) + ":[" + dests_json + "]";
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
  w.json = "{\"region_sets\":{" + sets_json + "},\"profiles\":[" + profiles_json +
           "],\"in_region\":[" + in_region_json + "]}";
  return w;
}

std::string make_allow(Random& rnd, const World& w, const WorldOptions& options, Allow* allow) {
  std::string list;
  const std::size_t items = 1 + below(rnd, 3);
  for (std::size_t i = 0; i < items; ++i) {
    std::string name;
    if (options.candidate_allow_items && below(rnd, 2) == 0) {
      const GenCandidate& c = w.candidates[below(rnd, w.candidates.size())];
      name = c.source;
      allow->regions.insert(c.source);
      for (const std::string& d : c.destinations) name += "," + d;
      allow->regions.insert(c.destinations.begin(), c.destinations.end());
      if (c.global) {
        name += ",global";
        allow->regions.insert(w.sets.at("global").begin(), w.sets.at("global").end());
        allow->global = true;
      }
    } else if (below(rnd, 2) == 0) {
      auto it = w.sets.begin();
      std::advance(it, static_cast<long>(below(rnd, w.sets.size())));
      name = it->first;
      allow->regions.insert(it->second.begin(), it->second.end());
      if (name == "global") allow->global = true;
    } else {
      name = w.mentioned[below(rnd, w.mentioned.size())];
      allow->regions.insert(name);
    }
    list += (list.empty() ? "" : options.allow_separator) + name;
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

ProbeResult RandomProber::probe(std::string_view, std::uint16_t) {
  ProbeResult r;
  r.answered = rnd_.next_below(8) != 0;
  r.rtt_ns = static_cast<std::int64_t>(1 + rnd_.next_below(300)) * 1000000;
  r.bytes = random_sizes_ ? static_cast<std::uint32_t>(200 + rnd_.next_below(6000)) : 1000;
  return r;
}

}  // namespace testing
}  // namespace edgeroute
