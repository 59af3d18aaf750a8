// Catalog loading (start-up, cJSON, heap allowed) and lookups (fixed tables).
//
// A load works on a copy and swaps it in only when the whole document is valid,
// so a bad file never leaves a half-applied catalog behind.
#include "edgeroute/catalog.h"

#include <cjson/cJSON.h>

#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "edgeroute/civil_date.h"
#include "edgeroute/route.h"

namespace edgeroute {

namespace generated {
// core/routing/catalog/default_catalog.json, embedded by cmake/EmbedFile.cmake.
extern const char kDefaultCatalogJson[];
extern const std::size_t kDefaultCatalogJsonBytes;
}  // namespace generated

namespace {

bool is_lower(char c) { return c >= 'a' && c <= 'z'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

bool is_region_name(std::string_view s) {
  if (s.size() < 6 || !is_lower(s[0]) || !is_lower(s[1]) || s[2] != '-') return false;
  std::size_t i = s.size();
  while (i > 0 && is_digit(s[i - 1])) --i;
  if (i == s.size() || i < 4 || s[i - 1] != '-') return false;
  bool word_has_letter = false;
  for (std::size_t k = 3; k + 1 < i; ++k) {
    if (is_lower(s[k])) {
      word_has_letter = true;
    } else if (s[k] == '-' && word_has_letter) {
      word_has_letter = false;
    } else {
      return false;
    }
  }
  return word_has_letter;
}

namespace {

// Region-set names: lowercase letters, digits, '-' and '_'; never a region name,
// so a destination entry is unambiguous.
bool is_set_name(std::string_view s) {
  if (s.empty() || is_region_name(s)) return false;
  for (char c : s) {
    if (!is_lower(c) && !is_digit(c) && c != '-' && c != '_') return false;
  }
  return true;
}

bool is_date(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (i != 4 && i != 7 && !is_digit(s[i])) return false;
  }
  return true;
}

// Days since 1970-01-01 of a valid YYYY-MM-DD.
std::int32_t days_from_date(std::string_view s) {
  const auto number = [&](std::size_t at, std::size_t n) {
    unsigned v = 0;
    for (std::size_t i = at; i < at + n; ++i) v = v * 10 + static_cast<unsigned>(s[i] - '0');
    return v;
  };
  return static_cast<std::int32_t>(days_from_civil(number(0, 4), number(5, 2), number(8, 2)));
}

bool is_valid_date(std::string_view s) {
  if (!is_date(s)) return false;
  const int month = (s[5] - '0') * 10 + (s[6] - '0');
  const int day = (s[8] - '0') * 10 + (s[9] - '0');
  return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

std::string_view text_of(const cJSON* item) {
  return cJSON_IsString(item) && item->valuestring != nullptr ? std::string_view(item->valuestring)
                                                              : std::string_view();
}

}  // namespace

// ---------------------------------------------------------------------------
// RegionMask

bool RegionMask::empty() const {
  for (std::uint64_t w : words_) {
    if (w != 0) return false;
  }
  return true;
}

std::size_t RegionMask::count() const {
  std::size_t n = 0;
  for (std::uint64_t w : words_) n += static_cast<std::size_t>(__builtin_popcountll(w));
  return n;
}

int RegionMask::first_outside(const RegionMask& allowed) const {
  for (std::size_t i = 0; i < kWords; ++i) {
    const std::uint64_t outside = words_[i] & ~allowed.words_[i];
    if (outside != 0) return static_cast<int>(i * 64 + static_cast<std::size_t>(__builtin_ctzll(outside)));
  }
  return -1;
}

// ---------------------------------------------------------------------------
// Loader: one JSON document into a staged catalog.

class CatalogLoader {
 public:
  CatalogLoader(Catalog* catalog, std::string_view origin) : c_(*catalog), origin_(origin) {}

  Status load(const cJSON* root) {
    if (!cJSON_IsObject(root)) return error(Code::kParseError, "(top level)", "expected an object");
    // cJSON keeps every member of a repeated key and lookups find the first, so a
    // second "sources" or "geography" would be silently ignored: refuse them all.
    Status s = refuse_duplicate_keys(root, "");
    if (!s.ok()) return s;
    for (const cJSON* field = root->child; field != nullptr; field = field->next) {
      const std::string_view key = field->string;
      if (key != "snapshot" && key != "regions" && key != "region_sets" && key != "models" &&
          key != "profiles" && key != "in_region") {
        char path[96];
        std::snprintf(path, sizeof path, "%.64s", field->string);
        return error(Code::kParseError, path,
                     "unknown field (expected snapshot, regions, region_sets, models, profiles, in_region)");
      }
    }
    // Sets first: profile destinations may name them.
    s = load_snapshot(cJSON_GetObjectItemCaseSensitive(root, "snapshot"));
    if (s.ok()) s = load_regions(cJSON_GetObjectItemCaseSensitive(root, "regions"));
    if (s.ok()) s = load_region_sets(cJSON_GetObjectItemCaseSensitive(root, "region_sets"));
    if (s.ok()) s = load_models(cJSON_GetObjectItemCaseSensitive(root, "models"));
    if (s.ok()) s = load_profiles(cJSON_GetObjectItemCaseSensitive(root, "profiles"));
    if (s.ok()) s = load_in_region(cJSON_GetObjectItemCaseSensitive(root, "in_region"));
    if (s.ok()) s = build_candidates();
    return s;
  }

 private:
  // The first key that appears twice in one object anywhere under `node`, as an
  // error naming its path ("profiles[2].sources.eu-west-1: given twice").
  Status refuse_duplicate_keys(const cJSON* node, const std::string& path) {
    int index = 0;
    for (const cJSON* item = node->child; item != nullptr; item = item->next, ++index) {
      std::string here = path;
      if (cJSON_IsObject(node)) {
        if (!here.empty()) here += '.';
        here += std::string(item->string).substr(0, 64);
        for (const cJSON* before = node->child; before != item; before = before->next) {
          if (std::strcmp(before->string, item->string) == 0) {
            return error(Code::kParseError, here.c_str(), "given twice");
          }
        }
      } else {
        here += "[" + std::to_string(index) + "]";
      }
      if (cJSON_IsObject(item) || cJSON_IsArray(item)) {
        Status s = refuse_duplicate_keys(item, here);
        if (!s.ok()) return s;
      }
    }
    return Status();
  }

  Status error(Code code, const char* path, const char* what) {
    return Status::error(code, "%.*s: %s: %s", static_cast<int>(origin_.size()), origin_.data(),
                         path, what);
  }

  // The region's index, adding it when new. `path` names the field for errors.
  Status region_index(std::string_view name, const char* path, std::uint16_t* index) {
    if (!is_region_name(name) || name.size() > limits::kRouterMaxNameBytes) {
      return error(Code::kParseError, path, "expected a region name");
    }
    const int found = c_.find_region(name);
    if (found != Catalog::kNone) {
      *index = static_cast<std::uint16_t>(found);
      return Status();
    }
    if (c_.region_count_ == limits::kRouterMaxRegions) {
      return error(Code::kLimitExceeded, path, "too many regions (EDGEROUTE_ROUTER_MAX_REGIONS)");
    }
    Catalog::Region& r = c_.regions_[c_.region_count_];
    r.name.assign(name);
    char host[limits::kRouterMaxNameBytes + kEndpointHostExtraBytes + 1];
    const std::size_t n = endpoint_host(name, host, sizeof host);
    if (n == 0) return error(Code::kParseError, path, "expected a region name (a-z, 0-9 and '-')");
    r.host.assign(std::string_view(host, n));
    *index = static_cast<std::uint16_t>(c_.region_count_++);
    return Status();
  }

  Status model_index(std::string_view id, const char* path, std::uint16_t* index) {
    if (id.empty() || id.size() > limits::kRouterMaxIdBytes) {
      return error(Code::kParseError, path, "expected a model ID (non-empty, EDGEROUTE_ROUTER_MAX_ID_BYTES at most)");
    }
    const int found = c_.find_model(id);
    if (found != Catalog::kNone) {
      *index = static_cast<std::uint16_t>(found);
      return Status();
    }
    if (c_.model_count_ == limits::kRouterMaxModels) {
      return error(Code::kLimitExceeded, path, "too many models (EDGEROUTE_ROUTER_MAX_MODELS)");
    }
    c_.models_[c_.model_count_] = Catalog::Model();
    c_.models_[c_.model_count_].id.assign(id);
    *index = static_cast<std::uint16_t>(c_.model_count_++);
    return Status();
  }

  // An array of region names into `mask`; with allow_sets, entries may also name a
  // region set already known, which adds all its regions.
  Status region_list(const cJSON* array, const char* path, bool allow_sets, RegionMask* mask) {
    if (!cJSON_IsArray(array) || array->child == nullptr) {
      return error(Code::kParseError, path, "expected a non-empty array of region names");
    }
    int i = 0;
    for (const cJSON* item = array->child; item != nullptr; item = item->next, ++i) {
      char item_path[160];
      // A path too long for the buffer is cut; it only ever names a field in a message.
      if (std::snprintf(item_path, sizeof item_path, "%s[%d]", path, i) < 0) item_path[0] = '\0';
      const std::string_view name = text_of(item);
      if (allow_sets && is_set_name(name)) {
        const int set = c_.find_region_set(name);
        if (set == Catalog::kNone) {
          return error(Code::kParseError, item_path, "expected a region name or a known region set");
        }
        *mask |= c_.region_sets_[set].regions;
        continue;
      }
      std::uint16_t region = 0;
      Status s = region_index(name, item_path, &region);
      if (!s.ok()) return s;
      mask->set(region);
    }
    return Status();
  }

  Status load_snapshot(const cJSON* snapshot) {
    if (snapshot == nullptr) return Status();
    const cJSON* date = cJSON_GetObjectItemCaseSensitive(snapshot, "date");
    if (!cJSON_IsObject(snapshot) || !is_date(text_of(date))) {
      return error(Code::kParseError, "snapshot.date", "expected a date YYYY-MM-DD");
    }
    c_.snapshot_date_.assign(text_of(date));
    return Status();
  }

  // "regions": {"eu-central-1": {"country": "DE", "name": "Europe (Frankfurt)"}}.
  // The country is data the policy's explanations and the invariant tests use;
  // "name" is for the reader of the file.
  Status load_regions(const cJSON* regions) {
    if (regions == nullptr) return Status();
    if (!cJSON_IsObject(regions)) return error(Code::kParseError, "regions", "expected an object");
    for (const cJSON* entry = regions->child; entry != nullptr; entry = entry->next) {
      char path[96];
      std::snprintf(path, sizeof path, "regions.%.40s", entry->string);
      std::uint16_t region = 0;
      Status s = region_index(entry->string, path, &region);
      if (!s.ok()) return s;
      if (!cJSON_IsObject(entry)) return error(Code::kParseError, path, "expected an object");
      for (const cJSON* field = entry->child; field != nullptr; field = field->next) {
        const std::string_view key = field->string;
        if (key != "country" && key != "name") {
          std::snprintf(path, sizeof path, "regions.%.40s.%.32s", entry->string, field->string);
          return error(Code::kParseError, path, "unknown field (expected country, name)");
        }
      }
      const std::string_view country = text_of(cJSON_GetObjectItemCaseSensitive(entry, "country"));
      if (country.size() != 2 || country[0] < 'A' || country[0] > 'Z' || country[1] < 'A' || country[1] > 'Z') {
        std::snprintf(path, sizeof path, "regions.%.40s.country", entry->string);
        return error(Code::kParseError, path, "expected an ISO 3166-1 alpha-2 country code such as DE");
      }
      const cJSON* name = cJSON_GetObjectItemCaseSensitive(entry, "name");
      if (name != nullptr && !cJSON_IsString(name)) {
        std::snprintf(path, sizeof path, "regions.%.40s.name", entry->string);
        return error(Code::kParseError, path, "expected a string");
      }
      c_.regions_[region].country.assign(country);
    }
    return Status();
  }

  // "provenance": {"page": "https://docs.aws.amazon.com/...", "date": "2026-01-15"}:
  // where an entry's facts come from and the date of the page as read. Optional
  // for user files; the built-in snapshot has one on every entry (a test says so).
  Status check_provenance(const cJSON* provenance, const char* path) {
    if (provenance == nullptr) return Status();
    char here[160];
    std::snprintf(here, sizeof here, "%s.provenance", path);
    if (!cJSON_IsObject(provenance)) return error(Code::kParseError, here, "expected an object with page and date");
    for (const cJSON* field = provenance->child; field != nullptr; field = field->next) {
      const std::string_view key = field->string;
      if (key != "page" && key != "date" && key != "note") {
        std::snprintf(here, sizeof here, "%s.provenance.%.32s", path, field->string);
        return error(Code::kParseError, here, "unknown field (expected page, date, note)");
      }
      if (!cJSON_IsString(field)) {
        std::snprintf(here, sizeof here, "%s.provenance.%.32s", path, field->string);
        return error(Code::kParseError, here, "expected a string");
      }
    }
    const std::string_view page = text_of(cJSON_GetObjectItemCaseSensitive(provenance, "page"));
    if (page.substr(0, 8) != "https://") {
      std::snprintf(here, sizeof here, "%s.provenance.page", path);
      return error(Code::kParseError, here, "expected the https:// address of the source");
    }
    if (!is_valid_date(text_of(cJSON_GetObjectItemCaseSensitive(provenance, "date")))) {
      std::snprintf(here, sizeof here, "%s.provenance.date", path);
      return error(Code::kParseError, here, "expected the date the source was read, YYYY-MM-DD");
    }
    return Status();
  }

  // "models": {"MODEL": {"lifecycle": "legacy", "end_of_life": "2026-09-10",
  //                      "successor": "MODEL", "profile_only": true, "provenance": {...}}}
  Status load_models(const cJSON* models) {
    if (models == nullptr) return Status();
    if (!cJSON_IsObject(models)) return error(Code::kParseError, "models", "expected an object");
    for (const cJSON* entry = models->child; entry != nullptr; entry = entry->next) {
      char path[160];
      std::snprintf(path, sizeof path, "models.%.100s", entry->string);
      std::uint16_t model = 0;
      Status s = model_index(entry->string, path, &model);
      if (!s.ok()) return s;
      if (!cJSON_IsObject(entry)) return error(Code::kParseError, path, "expected an object");
      char field_path[208];
      for (const cJSON* field = entry->child; field != nullptr; field = field->next) {
        const std::string_view key = field->string;
        if (key != "lifecycle" && key != "end_of_life" && key != "successor" && key != "provenance" &&
            key != "profile_only") {
          std::snprintf(field_path, sizeof field_path, "%s.%.32s", path, field->string);
          return error(Code::kParseError, field_path,
                       "unknown field (expected lifecycle, end_of_life, successor, profile_only, provenance)");
        }
      }
      Catalog::Model& m = c_.models_[model];
      m.profile_only = false;
      const cJSON* profile_only = cJSON_GetObjectItemCaseSensitive(entry, "profile_only");
      if (profile_only != nullptr) {
        std::snprintf(field_path, sizeof field_path, "%s.profile_only", path);
        if (!cJSON_IsBool(profile_only)) return error(Code::kParseError, field_path, "expected true or false");
        m.profile_only = cJSON_IsTrue(profile_only);
      }
      const std::string_view lifecycle = text_of(cJSON_GetObjectItemCaseSensitive(entry, "lifecycle"));
      std::snprintf(field_path, sizeof field_path, "%s.lifecycle", path);
      if (lifecycle == "active") {
        m.lifecycle = ModelLifecycle::kActive;
      } else if (lifecycle == "legacy") {
        m.lifecycle = ModelLifecycle::kLegacy;
      } else if (lifecycle == "end_of_life") {
        m.lifecycle = ModelLifecycle::kEndOfLife;
      } else {
        return error(Code::kParseError, field_path, "expected active, legacy or end_of_life");
      }
      m.end_of_life_day = -1;
      const cJSON* end = cJSON_GetObjectItemCaseSensitive(entry, "end_of_life");
      if (end != nullptr) {
        std::snprintf(field_path, sizeof field_path, "%s.end_of_life", path);
        if (!is_valid_date(text_of(end))) return error(Code::kParseError, field_path, "expected a date YYYY-MM-DD");
        m.end_of_life_day = days_from_date(text_of(end));
      }
      m.successor = -1;
      const cJSON* successor = cJSON_GetObjectItemCaseSensitive(entry, "successor");
      if (successor != nullptr) {
        std::snprintf(field_path, sizeof field_path, "%s.successor", path);
        std::uint16_t index = 0;
        s = model_index(text_of(successor), field_path, &index);
        if (!s.ok()) return s;
        if (index == model) return error(Code::kParseError, field_path, "a model cannot succeed itself");
        c_.models_[model].successor = static_cast<std::int16_t>(index);
      } else if (m.lifecycle != ModelLifecycle::kActive &&
                 m.lifecycle != ModelLifecycle::kUnknown) {
        std::snprintf(field_path, sizeof field_path, "%s.successor", path);
        return error(Code::kParseError, field_path, "a legacy or end-of-life model names the model to use instead");
      }
      s = check_provenance(cJSON_GetObjectItemCaseSensitive(entry, "provenance"), path);
      if (!s.ok()) return s;
    }
    return Status();
  }

  Status load_region_sets(const cJSON* sets) {
    if (sets == nullptr) return Status();
    if (!cJSON_IsObject(sets)) return error(Code::kParseError, "region_sets", "expected an object");
    for (const cJSON* set = sets->child; set != nullptr; set = set->next) {
      char path[96];
      std::snprintf(path, sizeof path, "region_sets.%.64s", set->string);
      const std::string_view name = set->string;
      if (!is_set_name(name) || name.size() > limits::kRouterMaxNameBytes) {
        return error(Code::kParseError, path,
                     "expected a set name (a-z 0-9 - _, not a region name) as the key");
      }
      RegionMask regions;
      Status s = region_list(set, path, false, &regions);
      if (!s.ok()) return s;
      int index = c_.find_region_set(name);
      if (index == Catalog::kNone) {
        if (c_.region_set_count_ == limits::kRouterMaxRegionSets) {
          return error(Code::kLimitExceeded, path, "too many region sets (EDGEROUTE_ROUTER_MAX_REGION_SETS)");
        }
        index = static_cast<int>(c_.region_set_count_++);
        c_.region_sets_[index].name.assign(name);
      }
      c_.region_sets_[index].regions = regions;
    }
    return Status();
  }

  Status load_profiles(const cJSON* profiles) {
    if (profiles == nullptr) return Status();
    if (!cJSON_IsArray(profiles)) return error(Code::kParseError, "profiles", "expected an array");
    int i = 0;
    for (const cJSON* p = profiles->child; p != nullptr; p = p->next, ++i) {
      Status s = load_profile(p, i);
      if (s.ok()) s = refuse_earlier_entry(profiles, p, "id", "profiles", i);
      if (!s.ok()) return s;
    }
    return Status();
  }

  // One document says each thing once: a second entry with the same `key` value
  // (a profile ID, an in-region model) would silently replace the first.
  Status refuse_earlier_entry(const cJSON* array, const cJSON* entry, const char* key, const char* array_name,
                              int i) {
    const std::string_view value = text_of(cJSON_GetObjectItemCaseSensitive(entry, key));
    int j = 0;
    for (const cJSON* before = array->child; before != entry; before = before->next, ++j) {
      if (text_of(cJSON_GetObjectItemCaseSensitive(before, key)) == value) {
        char path[96];
        char what[64];
        std::snprintf(path, sizeof path, "%s[%d].%s", array_name, i, key);
        std::snprintf(what, sizeof what, "given twice (also %s[%d])", array_name, j);
        return error(Code::kParseError, path, what);
      }
    }
    return Status();
  }

  Status load_profile(const cJSON* p, int i) {
    char path[160];
    std::snprintf(path, sizeof path, "profiles[%d]", i);
    if (!cJSON_IsObject(p)) return error(Code::kParseError, path, "expected an object");
    for (const cJSON* field = p->child; field != nullptr; field = field->next) {
      const std::string_view key = field->string;
      if (key != "id" && key != "model" && key != "geography" && key != "sources" && key != "beyond_geography" &&
          key != "provenance") {
        std::snprintf(path, sizeof path, "profiles[%d].%.64s", i, field->string);
        return error(Code::kParseError, path,
                     "unknown field (expected id, model, geography, sources, beyond_geography, provenance)");
      }
    }
    // Regions the source documents as destinations although they lie outside the
    // profile's geography (Canada for some US profiles). Informational: the policy
    // checks every destination anyway; the snapshot's invariant tests read it.
    const cJSON* beyond = cJSON_GetObjectItemCaseSensitive(p, "beyond_geography");
    if (beyond != nullptr) {
      std::snprintf(path, sizeof path, "profiles[%d].beyond_geography", i);
      RegionMask ignored;
      Status listed = region_list(beyond, path, false, &ignored);
      if (!listed.ok()) return listed;
    }
    std::snprintf(path, sizeof path, "profiles[%d]", i);
    Status checked = check_provenance(cJSON_GetObjectItemCaseSensitive(p, "provenance"), path);
    if (!checked.ok()) return checked;
    Catalog::Profile staged;
    const std::string_view id = text_of(cJSON_GetObjectItemCaseSensitive(p, "id"));
    std::snprintf(path, sizeof path, "profiles[%d].id", i);
    if (id.empty() || !staged.id.assign(id)) {
      return error(Code::kParseError, path, "expected a profile ID (non-empty, EDGEROUTE_ROUTER_MAX_ID_BYTES at most)");
    }
    std::snprintf(path, sizeof path, "profiles[%d].model", i);
    Status s = model_index(text_of(cJSON_GetObjectItemCaseSensitive(p, "model")), path, &staged.model);
    if (!s.ok()) return s;
    const std::string_view geography = text_of(cJSON_GetObjectItemCaseSensitive(p, "geography"));
    std::snprintf(path, sizeof path, "profiles[%d].geography", i);
    if (!is_set_name(geography) || !staged.geography.assign(geography)) {
      return error(Code::kParseError, path, "expected a geography name such as eu or global");
    }
    const cJSON* sources = cJSON_GetObjectItemCaseSensitive(p, "sources");
    std::snprintf(path, sizeof path, "profiles[%d].sources", i);
    if (!cJSON_IsObject(sources) || sources->child == nullptr) {
      return error(Code::kParseError, path, "expected an object of source region -> destination regions");
    }
    for (const cJSON* src = sources->child; src != nullptr; src = src->next) {
      std::snprintf(path, sizeof path, "profiles[%d].sources.%.40s", i, src->string);
      if (staged.source_count == limits::kRouterMaxSourcesPerProfile) {
        return error(Code::kLimitExceeded, path,
                     "too many sources (EDGEROUTE_ROUTER_MAX_SOURCES_PER_PROFILE)");
      }
      Catalog::ProfileSource& ps = staged.sources[staged.source_count++];
      s = region_index(src->string, path, &ps.source_region);
      if (s.ok()) s = region_list(src, path, true, &ps.destinations);
      if (!s.ok()) return s;
    }
    int index = find_profile(id);
    if (index == Catalog::kNone) {
      if (c_.profile_count_ == limits::kRouterMaxProfiles) {
        std::snprintf(path, sizeof path, "profiles[%d]", i);
        return error(Code::kLimitExceeded, path, "too many profiles (EDGEROUTE_ROUTER_MAX_PROFILES)");
      }
      index = static_cast<int>(c_.profile_count_++);
    }
    c_.profiles_[index] = staged;
    return Status();
  }

  Status load_in_region(const cJSON* entries) {
    if (entries == nullptr) return Status();
    if (!cJSON_IsArray(entries)) return error(Code::kParseError, "in_region", "expected an array");
    int i = 0;
    for (const cJSON* e = entries->child; e != nullptr; e = e->next, ++i) {
      char path[96];
      std::snprintf(path, sizeof path, "in_region[%d]", i);
      if (!cJSON_IsObject(e)) return error(Code::kParseError, path, "expected an object");
      for (const cJSON* field = e->child; field != nullptr; field = field->next) {
        const std::string_view key = field->string;
        if (key != "model" && key != "regions" && key != "provenance") {
          std::snprintf(path, sizeof path, "in_region[%d].%.64s", i, field->string);
          return error(Code::kParseError, path, "unknown field (expected model, regions, provenance)");
        }
      }
      Status checked = check_provenance(cJSON_GetObjectItemCaseSensitive(e, "provenance"), path);
      if (!checked.ok()) return checked;
      std::snprintf(path, sizeof path, "in_region[%d].model", i);
      std::uint16_t model = 0;
      Status s = model_index(text_of(cJSON_GetObjectItemCaseSensitive(e, "model")), path, &model);
      if (!s.ok()) return s;
      std::snprintf(path, sizeof path, "in_region[%d].regions", i);
      RegionMask regions;
      s = region_list(cJSON_GetObjectItemCaseSensitive(e, "regions"), path, false, &regions);
      if (s.ok()) s = refuse_earlier_entry(entries, e, "model", "in_region", i);
      if (!s.ok()) return s;
      c_.models_[model].in_region = regions;
    }
    return Status();
  }

  int find_profile(std::string_view id) const {
    for (std::size_t p = 0; p < c_.profile_count_; ++p) {
      if (c_.profiles_[p].id.view() == id) return static_cast<int>(p);
    }
    return Catalog::kNone;
  }

  // Rebuilds the candidate table from the declarations, grouped by model.
  Status build_candidates() {
    c_.candidate_count_ = 0;
    for (std::size_t m = 0; m < c_.model_count_; ++m) {
      Catalog::Model& model = c_.models_[m];
      // Bedrock refuses a profile-only model's bare ID ("on-demand throughput isn't
      // supported"): an in-region entry for it is a contradiction, not a candidate.
      if (model.profile_only && !model.in_region.empty()) {
        const std::string_view id = model.id.view();
        return Status::error(Code::kParseError,
                             "%.*s: in_region: model %.*s is profile-only (models.%.*s.profile_only): only its "
                             "inference profiles serve it",
                             static_cast<int>(origin_.size()), origin_.data(), static_cast<int>(id.size()), id.data(),
                             static_cast<int>(id.size()), id.data());
      }
      model.first_candidate = static_cast<std::uint16_t>(c_.candidate_count_);
      for (std::size_t r = 0; r < c_.region_count_; ++r) {
        if (!model.in_region.test(r)) continue;
        Candidate c;
        c.model = static_cast<std::uint16_t>(m);
        c.source_region = static_cast<std::uint16_t>(r);
        c.destinations.set(r);
        Status s = add_candidate(c, m);
        if (!s.ok()) return s;
      }
      for (std::size_t p = 0; p < c_.profile_count_; ++p) {
        const Catalog::Profile& profile = c_.profiles_[p];
        if (profile.model != m) continue;
        for (std::size_t k = 0; k < profile.source_count; ++k) {
          Candidate c;
          c.model = static_cast<std::uint16_t>(m);
          c.profile = static_cast<std::int16_t>(p);
          c.source_region = profile.sources[k].source_region;
          c.global_profile = profile.geography.view() == "global";
          c.destinations = profile.sources[k].destinations;
          Status s = add_candidate(c, m);
          if (!s.ok()) return s;
        }
      }
      model.candidate_count = static_cast<std::uint16_t>(c_.candidate_count_ - model.first_candidate);
    }
    return Status();
  }

  Status add_candidate(const Candidate& c, std::size_t model) {
    const Catalog::Model& m = c_.models_[model];
    if (c_.candidate_count_ == limits::kRouterMaxCandidates) {
      return Status::error(Code::kLimitExceeded, "%.*s: too many candidates (EDGEROUTE_ROUTER_MAX_CANDIDATES)",
                           static_cast<int>(origin_.size()), origin_.data());
    }
    if (c_.candidate_count_ - m.first_candidate == limits::kRouterMaxCandidatesPerModel) {
      const std::string_view id = m.id.view();
      return Status::error(Code::kLimitExceeded,
                           "%.*s: model %.*s has too many candidates (EDGEROUTE_ROUTER_MAX_CANDIDATES_PER_MODEL)",
                           static_cast<int>(origin_.size()), origin_.data(),
                           static_cast<int>(id.size()), id.data());
    }
    c_.candidates_[c_.candidate_count_++] = c;
    return Status();
  }

  Catalog& c_;
  std::string_view origin_;
};

// ---------------------------------------------------------------------------
// Catalog

#ifdef EDGEROUTE_NO_BUILTIN_CATALOG
bool Catalog::has_default() { return false; }

Status Catalog::load_default() {
  return Status::error(Code::kNotFound,
                       "this edgeroute was built without the built-in catalog (EDGEROUTE_BUILTIN_CATALOG=OFF): "
                       "give a catalog file");
}
#else
bool Catalog::has_default() { return true; }

Status Catalog::load_default() {
  return load_json(std::string_view(generated::kDefaultCatalogJson, generated::kDefaultCatalogJsonBytes),
                   "default_catalog.json", CatalogMerge::kReplace);
}
#endif

Status Catalog::load_json(std::string_view json, std::string_view origin, CatalogMerge merge) {
  const char* end = nullptr;
  cJSON* root = cJSON_ParseWithLengthOpts(json.data(), json.size(), &end, 0);
  if (root == nullptr) {
    // cJSON points at where it stopped; count lines up to there.
    const std::size_t at = end != nullptr ? static_cast<std::size_t>(end - json.data()) : 0;
    std::size_t line = 1, column = 1;
    for (std::size_t i = 0; i < at && i < json.size(); ++i) {
      if (json[i] == '\n') {
        ++line;
        column = 1;
      } else {
        ++column;
      }
    }
    return Status::error(Code::kParseError, "%.*s:%zu:%zu: malformed JSON", static_cast<int>(origin.size()),
                         origin.data(), line, column);
  }
  // Staged on the heap (start-up only): the catalog is tens of KiB.
  std::unique_ptr<Catalog> staged(merge == CatalogMerge::kReplace ? new Catalog() : new Catalog(*this));
  CatalogLoader loader(staged.get(), origin);
  Status s = loader.load(root);
  cJSON_Delete(root);
  if (s.ok()) *this = *staged;
  return s;
}

Status Catalog::load_file(const char* path, CatalogMerge merge) {
  std::FILE* f = std::fopen(path, "rb");
  if (f == nullptr) return Status::error(Code::kIo, "%s: cannot open", path);
  std::string text;
  char chunk[4096];
  std::size_t n = 0;
  while ((n = std::fread(chunk, 1, sizeof chunk, f)) > 0 && text.size() <= kMaxCatalogFileBytes) {
    text.append(chunk, n);
  }
  const bool read_error = std::ferror(f) != 0;
  std::fclose(f);
  if (read_error) return Status::error(Code::kIo, "%s: read failed", path);
  if (text.size() > kMaxCatalogFileBytes) {
    return Status::error(Code::kLimitExceeded, "%s: larger than %zu bytes", path, kMaxCatalogFileBytes);
  }
  // Errors name the file as given, without its directories.
  std::string_view origin(path);
  const std::size_t slash = origin.rfind('/');
  if (slash != std::string_view::npos) origin.remove_prefix(slash + 1);
  return load_json(text, origin, merge);
}

const char* to_string(ModelLifecycle lifecycle) {
  switch (lifecycle) {
    case ModelLifecycle::kUnknown: return "unknown";
    case ModelLifecycle::kActive: return "active";
    case ModelLifecycle::kLegacy: return "legacy";
    case ModelLifecycle::kEndOfLife: return "end_of_life";
  }
  return "unknown";
}

Status Catalog::check_lifecycle(std::size_t model, std::int64_t utc_unix_s) const {
  const Model& m = models_[model];
  const std::int64_t today = utc_unix_s >= 0 ? utc_unix_s / 86400 : -1;
  const bool dated_end = m.end_of_life_day >= 0 && today >= m.end_of_life_day;
  if (m.lifecycle != ModelLifecycle::kEndOfLife && !dated_end) return Status();
  const std::string_view id = m.id.view();
  const std::string_view successor =
      m.successor >= 0 ? models_[static_cast<std::size_t>(m.successor)].id.view() : std::string_view("?");
  char date[48] = "a past date";
  if (m.end_of_life_day >= 0) {
    const CivilDate d = civil_from_days(m.end_of_life_day);
    std::snprintf(date, sizeof date, "%04d-%02d-%02d", static_cast<int>(d.year), static_cast<int>(d.month),
                  static_cast<int>(d.day));
  }
  return Status::error(Code::kNotFound, "model %.*s reached end of life on %s; use %.*s",
                       static_cast<int>(id.size()), id.data(), date, static_cast<int>(successor.size()),
                       successor.data());
}

int Catalog::find_region(std::string_view name) const {
  for (std::size_t i = 0; i < region_count_; ++i) {
    if (regions_[i].name.view() == name) return static_cast<int>(i);
  }
  return kNone;
}

int Catalog::find_region_set(std::string_view name) const {
  for (std::size_t i = 0; i < region_set_count_; ++i) {
    if (region_sets_[i].name.view() == name) return static_cast<int>(i);
  }
  return kNone;
}

int Catalog::find_model(std::string_view model_id) const {
  for (std::size_t i = 0; i < model_count_; ++i) {
    if (models_[i].id.view() == model_id) return static_cast<int>(i);
  }
  return kNone;
}

int Catalog::find_candidate(std::string_view id, std::string_view source_region) const {
  const int region = find_region(source_region);
  if (region == kNone) return kNone;
  for (std::size_t i = 0; i < candidate_count_; ++i) {
    const Candidate& c = candidates_[i];
    if (c.source_region == region && identifier(c) == id) return static_cast<int>(i);
  }
  return kNone;
}

}  // namespace edgeroute
