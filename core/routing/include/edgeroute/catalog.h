// edgeroute/catalog.h -- what exists: regions, region sets, models, inference
// profiles and the (identifier, source region) candidates they make.
//
// The catalog is data. A built-in snapshot (core/routing/catalog/default_catalog.json,
// compiled into the library) is loaded by load_default(); a JSON file of the same
// schema replaces or extends it (docs/routing.md has the schema). Loading happens
// at start-up and may use the heap (cJSON); afterwards everything lives in the
// fixed tables below, sized by config.h, and queries never allocate.
//
// Thread-safety: const member functions may be called from any number of threads
// once loading is done. Loading must not overlap with anything else.
// Size: tens of KiB with the default limits; allocate it once (static or heap).
#ifndef EDGEROUTE_CATALOG_H
#define EDGEROUTE_CATALOG_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "edgeroute/config.h"
#include "edgeroute/status.h"

namespace edgeroute {

// The largest catalog file Catalog::load_file (and the tool) reads, bytes: a
// bigger one is a mistake, not a catalog.
constexpr std::size_t kMaxCatalogFileBytes = 1024u * 1024u;

// Whether `name` has the shape of an AWS region name: two letters, one or more
// lowercase words, a number ("eu-central-1", "us-gov-west-1"). The one rule the
// loader, the listing importer and the policy share.
bool is_region_name(std::string_view name);

// A set of regions of one catalog: bit i is the catalog's region i.
class RegionMask {
 public:
  void set(std::size_t region) { words_[region / 64] |= std::uint64_t{1} << (region % 64); }
  bool test(std::size_t region) const {
    return (words_[region / 64] >> (region % 64)) & 1u;
  }
  RegionMask& operator|=(const RegionMask& other) {
    for (std::size_t i = 0; i < kWords; ++i) words_[i] |= other.words_[i];
    return *this;
  }
  bool empty() const;
  std::size_t count() const;
  // The lowest region in this mask that is not in `allowed`, or -1 when this is a
  // subset of `allowed`.
  int first_outside(const RegionMask& allowed) const;

 private:
  static constexpr std::size_t kWords = (limits::kRouterMaxRegions + 63) / 64;
  std::uint64_t words_[kWords] = {};
};

// Text of bounded length, stored inline.
template <std::size_t N>
class FixedName {
 public:
  // False (and unchanged) when text does not fit.
  bool assign(std::string_view text) {
    if (text.size() > N) return false;
    for (std::size_t i = 0; i < text.size(); ++i) text_[i] = text[i];
    size_ = static_cast<std::uint8_t>(text.size());
    return true;
  }
  std::string_view view() const { return std::string_view(text_, size_); }

 private:
  static_assert(N <= 255, "FixedName keeps its size in one byte");
  char text_[N] = {};
  std::uint8_t size_ = 0;
};

// One (identifier, source region) pair: where a request may be sent and, through
// `destinations`, where Bedrock may process it.
struct Candidate {
  std::uint16_t model = 0;          // index of the base model
  std::int16_t profile = -1;        // index of the inference profile; -1: in-region model ID
  std::uint16_t source_region = 0;  // the endpoint the request is sent to
  bool global_profile = false;      // a `global` profile: needs `global` in the allow list
  RegionMask destinations;          // where Bedrock may process it (in-region: the source)
};

// Where a model is in Bedrock's lifecycle (AWS "Model lifecycle": Active, Legacy,
// End-of-Life). kUnknown: the catalog does not say.
enum class ModelLifecycle : std::uint8_t { kUnknown, kActive, kLegacy, kEndOfLife };

// Stable lowercase name: "unknown", "active", "legacy", "end_of_life".
const char* to_string(ModelLifecycle lifecycle);

// How a load combines with what is already loaded.
enum class CatalogMerge : std::uint8_t {
  kReplace,  // start from an empty catalog
  kExtend,   // entries with a known key (set name, profile id, in-region model) replace
             // that entry; others are added
};

class Catalog {
 public:
  static constexpr int kNone = -1;

  // Loads the built-in snapshot, replacing everything. kNotFound, naming the
  // build option, when the library was built without it (has_default() false);
  // the catalog is then left as it was.
  Status load_default();
  // Whether this library carries the built-in snapshot (EDGEROUTE_BUILTIN_CATALOG).
  static bool has_default();
  // Loads a JSON document. `origin` names it in error messages ("catalog.json").
  // Errors are one line naming the field, e.g.
  //   catalog.json: profiles[3].sources.eu-west-1[2]: expected a region name
  // kParseError for malformed input, kLimitExceeded when a config.h limit is hit.
  // A failed load leaves the catalog as it was.
  Status load_json(std::string_view json, std::string_view origin, CatalogMerge merge);
  // Reads the file at `path` and loads it as load_json does (kIo when unreadable).
  Status load_file(const char* path, CatalogMerge merge);

  // The built-in snapshot's date (YYYY-MM-DD) or that of the last document with a
  // "snapshot" object; empty when none said.
  std::string_view snapshot_date() const { return snapshot_date_.view(); }

  // Regions: names and the Bedrock Runtime endpoint host of each.
  std::size_t region_count() const { return region_count_; }
  std::string_view region_name(std::size_t region) const { return regions_[region].name.view(); }
  std::string_view region_host(std::size_t region) const { return regions_[region].host.view(); }
  // The ISO 3166-1 alpha-2 code of the country the region lies in ("DE" for
  // eu-central-1), from the document's "regions" object; empty when none said.
  std::string_view region_country(std::size_t region) const { return regions_[region].country.view(); }
  int find_region(std::string_view name) const;

  // Region sets (geographies, user-defined sets).
  std::size_t region_set_count() const { return region_set_count_; }
  std::string_view region_set_name(std::size_t set) const { return region_sets_[set].name.view(); }
  const RegionMask& region_set(std::size_t set) const { return region_sets_[set].regions; }
  int find_region_set(std::string_view name) const;

  // Base models (the in-region model IDs, e.g. anthropic.claude-haiku-4-5-20251001-v1:0).
  std::size_t model_count() const { return model_count_; }
  std::string_view model_name(std::size_t model) const { return models_[model].id.view(); }
  int find_model(std::string_view model_id) const;
  // From the document's "models" object (docs/routing.md).
  ModelLifecycle model_lifecycle(std::size_t model) const { return models_[model].lifecycle; }
  // The end-of-life date as days since 1970-01-01 (UTC), or -1 when none is known.
  std::int32_t model_end_of_life_day(std::size_t model) const { return models_[model].end_of_life_day; }
  // Whether only inference profiles serve the model (its bare ID is refused with
  // "on-demand throughput isn't supported"): it then has no in-region candidate,
  // and a document that gives it one is refused.
  bool model_profile_only(std::size_t model) const { return models_[model].profile_only; }
  // The model AWS names as its replacement, or kNone.
  int model_successor(std::size_t model) const { return models_[model].successor; }
  // OK while `model` may be called at `utc_unix_s`; kNotFound, naming the date and
  // the current model to use instead, once it is end-of-life (its lifecycle says
  // so, or its end-of-life date has come). Never allocates.
  Status check_lifecycle(std::size_t model, std::int64_t utc_unix_s) const;

  // Inference profiles.
  std::size_t profile_count() const { return profile_count_; }
  std::string_view profile_id(std::size_t profile) const { return profiles_[profile].id.view(); }
  std::string_view profile_geography(std::size_t profile) const {
    return profiles_[profile].geography.view();
  }

  // Candidates, grouped by model: model m owns [model_first_candidate(m),
  // model_first_candidate(m) + model_candidate_count(m)). Within a model, in-region
  // IDs come first, then profiles in the order loaded; that order breaks ties.
  std::size_t candidate_count() const { return candidate_count_; }
  const Candidate& candidate(std::size_t index) const { return candidates_[index]; }
  std::size_t model_first_candidate(std::size_t model) const { return models_[model].first_candidate; }
  std::size_t model_candidate_count(std::size_t model) const { return models_[model].candidate_count; }
  // The identifier a request carries: the profile ID, or the model ID in-region.
  std::string_view identifier(const Candidate& c) const {
    return c.profile < 0 ? models_[c.model].id.view()
                         : profiles_[static_cast<std::size_t>(c.profile)].id.view();
  }
  // The candidate with this identifier and source region, or kNone.
  int find_candidate(std::string_view identifier, std::string_view source_region) const;

 private:
  using Name = FixedName<limits::kRouterMaxNameBytes>;
  using Id = FixedName<limits::kRouterMaxIdBytes>;
  // "bedrock-runtime." + region + ".amazonaws.com" (".amazonaws.com.cn" is not supported).
  using Host = FixedName<limits::kRouterMaxNameBytes + 32>;

  struct Region {
    Name name;
    Host host;
    FixedName<2> country;
  };
  struct RegionSetEntry {
    Name name;
    RegionMask regions;
  };
  struct Model {
    Id id;
    ModelLifecycle lifecycle = ModelLifecycle::kUnknown;
    std::int32_t end_of_life_day = -1;
    std::int16_t successor = -1;
    bool profile_only = false;
    RegionMask in_region;  // regions serving the model ID itself
    std::uint16_t first_candidate = 0;
    std::uint16_t candidate_count = 0;
  };
  struct ProfileSource {
    std::uint16_t source_region = 0;
    RegionMask destinations;
  };
  struct Profile {
    Id id;
    Name geography;
    std::uint16_t model = 0;
    std::uint16_t source_count = 0;
    ProfileSource sources[limits::kRouterMaxSourcesPerProfile];
  };

  friend class CatalogLoader;

  Region regions_[limits::kRouterMaxRegions];
  RegionSetEntry region_sets_[limits::kRouterMaxRegionSets];
  Model models_[limits::kRouterMaxModels];
  Profile profiles_[limits::kRouterMaxProfiles];
  Candidate candidates_[limits::kRouterMaxCandidates];
  FixedName<16> snapshot_date_;
  std::size_t region_count_ = 0;
  std::size_t region_set_count_ = 0;
  std::size_t model_count_ = 0;
  std::size_t profile_count_ = 0;
  std::size_t candidate_count_ = 0;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CATALOG_H
