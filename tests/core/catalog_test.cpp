// Catalog: the built-in snapshot, the JSON schema, load errors that name the
// field, replace/extend semantics, and allocation-free lookups.
#include <cstdio>
#include <sstream>
#include <map>
#include <fstream>
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "alloc_counter.h"
#include "edgeroute/catalog.h"

#include <cjson/cJSON.h>

namespace edgeroute {
namespace {

constexpr const char* kSmall = R"({
  "region_sets": {"eu": ["eu-central-1", "eu-west-1", "eu-north-1"], "us": ["us-east-1", "us-west-2"],
                  "global": ["eu-central-1", "eu-west-1", "eu-north-1", "us-east-1", "us-west-2"]},
  "profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu",
     "sources": {"eu-central-1": ["eu-central-1", "eu-west-1", "eu-north-1"], "eu-west-1": ["eu-west-1", "eu-central-1"]}},
    {"id": "global.m", "model": "m", "geography": "global", "sources": {"us-east-1": ["global"]}}
  ],
  "in_region": [{"model": "m", "regions": ["eu-central-1", "us-east-1"]}]
})";

std::unique_ptr<Catalog> load(const char* json, CatalogMerge merge = CatalogMerge::kReplace) {
  auto c = std::make_unique<Catalog>();
  Status s = c->load_json(json, "catalog.json", merge);
  EXPECT_TRUE(s.ok()) << s.message();
  return c;
}

Status load_error(const char* json) {
  auto c = std::make_unique<Catalog>();
  return c->load_json(json, "catalog.json", CatalogMerge::kReplace);
}

std::string region_names(const Catalog& c, const RegionMask& mask) {
  std::string out;
  for (std::size_t r = 0; r < c.region_count(); ++r) {
    if (!mask.test(r)) continue;
    if (!out.empty()) out += ",";
    out += std::string(c.region_name(r));
  }
  return out;
}

// Runs in every build: with the snapshot (EDGEROUTE_BUILTIN_CATALOG=ON) it loads
// over what was there; without it the load is an error that names the option and
// asks for a file, and what was loaded stays.
TEST(CatalogLoadDefault, LoadsTheSnapshotOrAsksForACatalogFileWhenBuiltWithout) {
  auto c = load(kSmall);
  const Status s = c->load_default();
  if (Catalog::has_default()) {
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_NE(c->find_model("anthropic.claude-haiku-4-5-20251001-v1:0"), Catalog::kNone);
    EXPECT_EQ(c->find_model("m"), Catalog::kNone);  // replaced
    return;
  }
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_STREQ(s.message(),
               "this edgeroute was built without the built-in catalog (EDGEROUTE_BUILTIN_CATALOG=OFF): "
               "give a catalog file");
  EXPECT_NE(c->find_candidate("eu.m", "eu-central-1"), Catalog::kNone);
  EXPECT_EQ(c->model_count(), 1u);
}

TEST(DefaultCatalog, HasTheGeographiesAndSaysWhenItWasTaken) {
  auto c = std::make_unique<Catalog>();
  ASSERT_TRUE(c->load_default().ok());
  for (const char* set : {"us", "eu", "europe", "apac", "jp", "au", "ca", "us-gov", "global"}) {
    EXPECT_NE(c->find_region_set(set), Catalog::kNone) << set;
  }
  // The oldest source date of any entry, not the day it was committed.
  EXPECT_EQ(c->snapshot_date(), "2026-01-31");
  EXPECT_GE(c->model_count(), 5u);
}

TEST(DefaultCatalog, DestinationsDependOnTheSourceRegion) {
  // The US Sonnet 4.5 profile reaches us-west-1 only when called from us-west-1.
  auto c = std::make_unique<Catalog>();
  ASSERT_TRUE(c->load_default().ok());
  const std::string id = "us.anthropic.claude-sonnet-4-5-20250929-v1:0";
  const int from_ohio = c->find_candidate(id, "us-east-2");
  const int from_california = c->find_candidate(id, "us-west-1");
  ASSERT_NE(from_ohio, Catalog::kNone);
  ASSERT_NE(from_california, Catalog::kNone);
  EXPECT_EQ(region_names(*c, c->candidate(static_cast<std::size_t>(from_ohio)).destinations),
            "us-east-1,us-east-2,us-west-2");
  EXPECT_EQ(c->candidate(static_cast<std::size_t>(from_california)).destinations.count(), 4u);
}

TEST(DefaultCatalog, EndOfLifeModelsAreRefusedNamingTheirSuccessor) {
  auto c = std::make_unique<Catalog>();
  ASSERT_TRUE(c->load_default().ok());
  const int haiku3 = c->find_model("anthropic.claude-3-haiku-20240307-v1:0");
  ASSERT_NE(haiku3, Catalog::kNone);
  EXPECT_EQ(c->model_candidate_count(static_cast<std::size_t>(haiku3)), 0u);
  const std::int64_t after = 20706LL * 86400;  // 2026-09-10
  EXPECT_STREQ(c->check_lifecycle(static_cast<std::size_t>(haiku3), after).message(),
               "model anthropic.claude-3-haiku-20240307-v1:0 reached end of life on 2026-09-10; "
               "use anthropic.claude-haiku-4-5-20251001-v1:0");
  for (std::size_t m = 0; m < c->model_count(); ++m) {
    EXPECT_NE(c->model_lifecycle(m), ModelLifecycle::kUnknown) << c->model_name(m);
    // Every model that may still be called has candidates, and every ended one
    // names a successor that may.
    if (c->check_lifecycle(m, after).ok()) {
      EXPECT_GT(c->model_candidate_count(m), 0u) << c->model_name(m);
    } else {
      const int next = c->model_successor(m);
      ASSERT_GE(next, 0) << c->model_name(m);
      EXPECT_TRUE(c->check_lifecycle(static_cast<std::size_t>(next), after).ok()) << c->model_name(m);
    }
  }
}

// Invariants over the shipped data, read as the file says it.
TEST(DefaultCatalogData, EveryEntryNamesItsSourceAndStaysInItsGeography) {
  std::ifstream in(std::string(EDGEROUTE_SOURCE_DIR) + "/core/routing/catalog/default_catalog.json");
  std::stringstream text;
  text << in.rdbuf();
  std::unique_ptr<cJSON, decltype(&cJSON_Delete)> root(cJSON_Parse(text.str().c_str()), cJSON_Delete);
  ASSERT_TRUE(root);
  auto c = std::make_unique<Catalog>();
  ASSERT_TRUE(c->load_default().ok());
  const auto has_provenance = [](const cJSON* entry) {
    const cJSON* p = cJSON_GetObjectItemCaseSensitive(entry, "provenance");
    return cJSON_IsString(cJSON_GetObjectItemCaseSensitive(p, "page")) &&
           cJSON_IsString(cJSON_GetObjectItemCaseSensitive(p, "date"));
  };
  // Every region the catalog names is mapped to a country.
  for (std::size_t r = 0; r < c->region_count(); ++r) EXPECT_EQ(c->region_country(r).size(), 2u) << c->region_name(r);
  // Every model, profile and in-region entry says where its facts come from.
  const cJSON* models = cJSON_GetObjectItemCaseSensitive(root.get(), "models");
  for (const cJSON* m = models->child; m != nullptr; m = m->next) EXPECT_TRUE(has_provenance(m)) << m->string;
  for (std::size_t m = 0; m < c->model_count(); ++m) {
    EXPECT_NE(cJSON_GetObjectItemCaseSensitive(models, std::string(c->model_name(m)).c_str()), nullptr)
        << c->model_name(m) << " has no lifecycle entry";
  }
  const cJSON* in_region = cJSON_GetObjectItemCaseSensitive(root.get(), "in_region");
  for (const cJSON* e = in_region->child; e != nullptr; e = e->next) EXPECT_TRUE(has_provenance(e));
  // A geography profile reaches only its geography's regions (AWS's `eu.` profiles
  // may reach London and Zurich: their geography is the wider `europe`), or
  // regions its entry lists under beyond_geography.
  const std::map<std::string, std::string> geography_set = {{"us", "us"},   {"eu", "europe"}, {"apac", "apac"},
                                                            {"jp", "jp"},   {"au", "au"},     {"ca", "ca"},
                                                            {"us-gov", "us-gov"}, {"global", "global"}};
  const cJSON* profiles = cJSON_GetObjectItemCaseSensitive(root.get(), "profiles");
  std::size_t checked = 0;
  for (const cJSON* p = profiles->child; p != nullptr; p = p->next) {
    const std::string id = cJSON_GetObjectItemCaseSensitive(p, "id")->valuestring;
    EXPECT_TRUE(has_provenance(p)) << id;
    const std::string geography = cJSON_GetObjectItemCaseSensitive(p, "geography")->valuestring;
    ASSERT_EQ(geography_set.count(geography), 1u) << id;
    RegionMask allowed = c->region_set(static_cast<std::size_t>(c->find_region_set(geography_set.at(geography))));
    const cJSON* beyond = cJSON_GetObjectItemCaseSensitive(p, "beyond_geography");
    for (const cJSON* r = beyond != nullptr ? beyond->child : nullptr; r != nullptr; r = r->next) {
      allowed.set(static_cast<std::size_t>(c->find_region(r->valuestring)));
    }
    const cJSON* sources = cJSON_GetObjectItemCaseSensitive(p, "sources");
    for (const cJSON* src = sources->child; src != nullptr; src = src->next) {
      const int i = c->find_candidate(id, src->string);
      ASSERT_NE(i, Catalog::kNone) << id << " @ " << src->string;
      const Candidate& cand = c->candidate(static_cast<std::size_t>(i));
      EXPECT_FALSE(cand.destinations.empty()) << id << " @ " << src->string;  // no source without destinations
      const int outside = cand.destinations.first_outside(allowed);
      EXPECT_EQ(outside, -1) << id << " @ " << src->string << " reaches "
                             << (outside >= 0 ? c->region_name(static_cast<std::size_t>(outside)) : "");
      ++checked;
    }
  }
  EXPECT_GT(checked, 100u);
}

TEST(DefaultCatalog, GlobalProfilesReachTheWholeGlobalSetAndAreMarked) {
  auto c = std::make_unique<Catalog>();
  ASSERT_TRUE(c->load_default().ok());
  const int i = c->find_candidate("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-central-1");
  ASSERT_NE(i, Catalog::kNone);
  const Candidate& g = c->candidate(static_cast<std::size_t>(i));
  EXPECT_TRUE(g.global_profile);
  const RegionMask& global = c->region_set(static_cast<std::size_t>(c->find_region_set("global")));
  EXPECT_EQ(g.destinations.first_outside(global), -1);
  EXPECT_EQ(global.first_outside(g.destinations), -1);
}

// The six regions in EU member states (AWS's Europe (London) and Europe (Zurich)
// are not): written out here, not read from the catalog, so that a catalog
// whose `eu` set grows fails this test.
const char* const kEuMemberStateRegions[] = {"eu-central-1", "eu-west-1", "eu-west-3",
                                             "eu-north-1",   "eu-south-1", "eu-south-2"};

TEST(DefaultCatalog, EuMeansTheSixRegionsInEuMemberStates) {
  auto c = std::make_unique<Catalog>();
  ASSERT_TRUE(c->load_default().ok());
  const int eu = c->find_region_set("eu");
  ASSERT_NE(eu, Catalog::kNone);
  std::string expected;
  for (std::size_t r = 0; r < c->region_count(); ++r) {
    for (const char* name : kEuMemberStateRegions) {
      if (c->region_name(r) == name) expected += (expected.empty() ? "" : ",") + std::string(name);
    }
  }
  EXPECT_EQ(region_names(*c, c->region_set(static_cast<std::size_t>(eu))), expected);
  EXPECT_EQ(c->region_set(static_cast<std::size_t>(eu)).count(), 6u);
  // The wider grouping has its own name and adds London and Zurich.
  const int europe = c->find_region_set("europe");
  ASSERT_NE(europe, Catalog::kNone);
  const RegionMask& wide = c->region_set(static_cast<std::size_t>(europe));
  EXPECT_EQ(wide.count(), 8u);
  EXPECT_TRUE(wide.test(static_cast<std::size_t>(c->find_region("eu-west-2"))));
  EXPECT_TRUE(wide.test(static_cast<std::size_t>(c->find_region("eu-central-2"))));
}

TEST(DefaultCatalog, EveryRegionHasItsCountry) {
  auto c = std::make_unique<Catalog>();
  ASSERT_TRUE(c->load_default().ok());
  for (std::size_t r = 0; r < c->region_count(); ++r) {
    EXPECT_EQ(c->region_country(r).size(), 2u) << c->region_name(r);
  }
  const auto country = [&](const char* region) {
    const int r = c->find_region(region);
    return r == Catalog::kNone ? std::string("<unknown>") : std::string(c->region_country(static_cast<std::size_t>(r)));
  };
  EXPECT_EQ(country("eu-central-1"), "DE");
  EXPECT_EQ(country("eu-west-2"), "GB");
  EXPECT_EQ(country("eu-central-2"), "CH");
  EXPECT_EQ(country("eu-south-2"), "ES");
  EXPECT_EQ(country("ap-northeast-3"), "JP");
  // Every region in `eu` lies in an EU member state.
  const char* const kEuCountries[] = {"AT", "BE", "BG", "HR", "CY", "CZ", "DK", "EE", "FI", "FR", "DE", "GR", "HU", "IE",
                                      "IT", "LV", "LT", "LU", "MT", "NL", "PL", "PT", "RO", "SK", "SI", "ES", "SE"};
  const RegionMask& eu = c->region_set(static_cast<std::size_t>(c->find_region_set("eu")));
  for (std::size_t r = 0; r < c->region_count(); ++r) {
    if (!eu.test(r)) continue;
    bool member = false;
    for (const char* code : kEuCountries) member = member || c->region_country(r) == code;
    EXPECT_TRUE(member) << c->region_name(r) << " in " << c->region_country(r);
  }
}

TEST(CatalogLoad, ExtendingFileMayNameCountries) {
  auto c = load(kSmall);
  ASSERT_TRUE(c->load_json(R"j({"regions": {"eu-west-1": {"country": "IE", "name": "Europe (Ireland)"},
                                             "me-central-1": {"country": "AE"}}})j",
                           "site.json", CatalogMerge::kExtend)
                  .ok());
  EXPECT_EQ(c->region_country(static_cast<std::size_t>(c->find_region("eu-west-1"))), "IE");
  EXPECT_EQ(c->region_country(static_cast<std::size_t>(c->find_region("me-central-1"))), "AE");
  EXPECT_EQ(c->region_country(static_cast<std::size_t>(c->find_region("us-east-1"))), "");
}

TEST(Catalog, BuildsCandidatesPerModelWithInRegionIdsFirst) {
  auto c = load(kSmall);
  const int m = c->find_model("m");
  ASSERT_EQ(m, 0);
  // in-region eu-central-1, us-east-1; eu.m from two sources; global.m from one.
  ASSERT_EQ(c->model_candidate_count(0), 5u);
  const std::size_t first = c->model_first_candidate(0);
  EXPECT_EQ(c->identifier(c->candidate(first)), "m");
  EXPECT_EQ(c->identifier(c->candidate(first + 1)), "m");
  EXPECT_EQ(c->identifier(c->candidate(first + 2)), "eu.m");
  EXPECT_EQ(c->identifier(c->candidate(first + 4)), "global.m");
  const Candidate& in_region = c->candidate(first);
  EXPECT_EQ(c->region_name(in_region.source_region), "eu-central-1");
  EXPECT_EQ(region_names(*c, in_region.destinations), "eu-central-1");
  EXPECT_EQ(in_region.profile, -1);
  EXPECT_EQ(c->region_host(in_region.source_region), "bedrock-runtime.eu-central-1.amazonaws.com");
  const Candidate& eu_west = c->candidate(static_cast<std::size_t>(c->find_candidate("eu.m", "eu-west-1")));
  EXPECT_EQ(region_names(*c, eu_west.destinations), "eu-central-1,eu-west-1");
  EXPECT_EQ(c->find_candidate("eu.m", "us-east-1"), Catalog::kNone);
  EXPECT_EQ(c->find_candidate("eu.m", "nowhere-1"), Catalog::kNone);
}

TEST(CatalogErrors, NameTheFieldInOneLine) {
  Status s = load_error(R"({"region_sets": {"eu": ["eu-central-1"]},
    "profiles": [{"id": "eu.m", "model": "m", "geography": "eu",
                  "sources": {"eu-west-1": ["eu-west-1", "eu-central-1", 7]}}]})");
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_STREQ(s.message(), "catalog.json: profiles[0].sources.eu-west-1[2]: expected a region name");

  s = load_error(R"({"profiles": [{"id": "x", "model": "m", "geography": "eu", "sources": {"Frankfurt": ["eu-central-1"]}}]})");
  EXPECT_STREQ(s.message(), "catalog.json: profiles[0].sources.Frankfurt: expected a region name");

  s = load_error(R"({"profiles": [{"id": "x", "model": "m", "geography": "eu", "sources": {"eu-west-1": ["nowhere"]}}]})");
  EXPECT_STREQ(s.message(),
               "catalog.json: profiles[0].sources.eu-west-1[0]: expected a region name or a known region set");

  s = load_error(R"({"profiles": [{"id": "x", "model": "m", "geography": "eu", "source": {}}]})");
  EXPECT_STREQ(s.message(),
               "catalog.json: profiles[0].source: unknown field (expected id, model, geography, sources, beyond_geography, "
               "provenance)");

  s = load_error(R"({"in_region": [{"model": "m", "regions": []}]})");
  EXPECT_STREQ(s.message(), "catalog.json: in_region[0].regions: expected a non-empty array of region names");

  s = load_error(R"({"region": {}})");
  EXPECT_STREQ(s.message(),
               "catalog.json: region: unknown field (expected snapshot, regions, region_sets, models, profiles, in_region)");

  s = load_error(R"({"regions": {"eu-west-2": {"country": "UK"}, "eu-central-1": {"country": "de"}}})");
  EXPECT_STREQ(s.message(),
               "catalog.json: regions.eu-central-1.country: expected an ISO 3166-1 alpha-2 country code such as DE");
  s = load_error(R"({"regions": {"eu-west-2": {"country": "GB", "city": "London"}}})");
  EXPECT_STREQ(s.message(), "catalog.json: regions.eu-west-2.city: unknown field (expected country, name)");

  s = load_error(R"({"region_sets": {"eu-central-1": ["eu-central-1"]}})");
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_NE(std::string(s.message()).find("region_sets.eu-central-1: expected a set name"), std::string::npos);

  s = load_error("{\n  \"profiles\": [\n    {\"id\": }\n]}");
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_STREQ(s.message(), "catalog.json:3:12: malformed JSON");
}

// cJSON keeps both members of a repeated key and lookups see the first, so every
// duplicate that could change what a catalog means is refused, naming its path.
TEST(CatalogDuplicates, GeographyGivenTwiceIsRefused) {
  // The second "geography" would have been ignored: a global profile narrowed to "eu".
  Status s = load_error(R"({"region_sets": {"eu": ["eu-central-1"], "global": ["eu-central-1", "us-east-1"]},
    "profiles": [{"id": "global.m", "model": "m", "geography": "eu", "geography": "global",
                  "sources": {"eu-central-1": ["global"]}}]})");
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_STREQ(s.message(), "catalog.json: profiles[0].geography: given twice");
}

TEST(CatalogDuplicates, SourcesGivenTwiceIsRefused) {
  Status s = load_error(R"({"region_sets": {"global": ["eu-central-1", "us-east-1"]},
    "profiles": [{"id": "global.m", "model": "m", "geography": "global",
                  "sources": {"eu-central-1": ["eu-central-1"]}, "sources": {"eu-central-1": ["global"]}}]})");
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_STREQ(s.message(), "catalog.json: profiles[0].sources: given twice");
}

TEST(CatalogDuplicates, ASourceRegionGivenTwiceInOneProfileIsRefused) {
  Status s = load_error(R"({"profiles": [{"id": "eu.m", "model": "m", "geography": "eu",
    "sources": {"eu-west-1": ["eu-west-1"], "eu-central-1": ["eu-central-1"], "eu-west-1": ["us-east-1"]}}]})");
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_STREQ(s.message(), "catalog.json: profiles[0].sources.eu-west-1: given twice");
}

TEST(CatalogDuplicates, RegionSetsGivenTwiceIsRefused) {
  Status s = load_error(R"({"region_sets": {"eu": ["eu-central-1"]},
                            "region_sets": {"eu": ["eu-central-1", "us-east-1"]}})");
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_STREQ(s.message(), "catalog.json: region_sets: given twice");
}

TEST(CatalogDuplicates, ARegionSetNameGivenTwiceIsRefused) {
  Status s = load_error(R"({"region_sets": {"eu": ["eu-central-1"], "us": ["us-east-1"],
                                            "eu": ["eu-central-1", "us-east-1"]}})");
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_STREQ(s.message(), "catalog.json: region_sets.eu: given twice");
}

TEST(CatalogDuplicates, AProfileIdGivenTwiceInOneFileIsRefused) {
  Status s = load_error(R"({"profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu", "sources": {"eu-west-1": ["eu-west-1"]}},
    {"id": "us.m", "model": "m", "geography": "us", "sources": {"us-east-1": ["us-east-1"]}},
    {"id": "eu.m", "model": "m", "geography": "eu", "sources": {"eu-west-1": ["eu-west-1", "us-east-1"]}}]})");
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_STREQ(s.message(), "catalog.json: profiles[2].id: given twice (also profiles[0])");
}

TEST(CatalogDuplicates, AnInRegionModelGivenTwiceInOneFileIsRefused) {
  Status s = load_error(R"({"in_region": [{"model": "m", "regions": ["eu-central-1"]},
                                          {"model": "m", "regions": ["us-east-1"]}]})");
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_STREQ(s.message(), "catalog.json: in_region[1].model: given twice (also in_region[0])");
}

TEST(CatalogDuplicates, AKeyGivenTwiceAnywhereIsRefused) {
  Status s = load_error(R"({"snapshot": {"date": "2026-01-01", "date": "2025-01-01"}})");
  EXPECT_STREQ(s.message(), "catalog.json: snapshot.date: given twice");
  s = load_error(R"({"profiles": [{"id": "eu.m", "id": "us.m", "model": "m", "geography": "eu",
                                   "sources": {"eu-west-1": ["eu-west-1"]}}]})");
  EXPECT_STREQ(s.message(), "catalog.json: profiles[0].id: given twice");
  s = load_error(R"({"in_region": [{"model": "m", "regions": ["eu-central-1"], "regions": ["us-east-1"]}]})");
  EXPECT_STREQ(s.message(), "catalog.json: in_region[0].regions: given twice");
  s = load_error(R"({"profiles": [], "profiles": []})");
  EXPECT_STREQ(s.message(), "catalog.json: profiles: given twice");
}

TEST(CatalogDuplicates, ARefusedFileLeavesTheCatalogAsItWas) {
  auto c = load(kSmall);
  const std::size_t profiles = c->profile_count();
  Status s = c->load_json(R"({"profiles": [{"id": "eu.m", "model": "m", "geography": "eu", "geography": "global",
                                            "sources": {"eu-west-1": ["eu-west-1"]}}]})",
                          "site.json", CatalogMerge::kExtend);
  EXPECT_STREQ(s.message(), "site.json: profiles[0].geography: given twice");
  EXPECT_EQ(c->profile_count(), profiles);
  EXPECT_EQ(c->profile_geography(static_cast<std::size_t>(0)), "eu");
}

TEST(CatalogDuplicates, TheSameProfileInAnExtendingFileStillReplaces) {
  // Across documents a repeated key is the documented way to replace an entry.
  auto c = load(kSmall);
  ASSERT_TRUE(c->load_json(R"({"profiles": [{"id": "eu.m", "model": "m", "geography": "eu",
                                             "sources": {"eu-west-1": ["eu-west-1"]}}]})",
                           "site.json", CatalogMerge::kExtend)
                  .ok());
  EXPECT_EQ(c->find_candidate("eu.m", "eu-central-1"), Catalog::kNone);
  EXPECT_NE(c->find_candidate("eu.m", "eu-west-1"), Catalog::kNone);
}

TEST(CatalogLifecycle, ModelsSayTheirLifecycleAndWhatReplacesThem) {
  auto c = load(R"({
    "models": {"old": {"lifecycle": "legacy", "end_of_life": "2026-09-10", "successor": "new",
                       "provenance": {"page": "https://docs.aws.amazon.com/bedrock/latest/userguide/model-lifecycle.html",
                                      "date": "2026-01-15"}},
               "gone": {"lifecycle": "end_of_life", "successor": "new"},
               "new": {"lifecycle": "active"}},
    "in_region": [{"model": "old", "regions": ["eu-central-1"]}, {"model": "new", "regions": ["eu-central-1"]}]
  })");
  const std::size_t old_model = static_cast<std::size_t>(c->find_model("old"));
  const std::size_t gone = static_cast<std::size_t>(c->find_model("gone"));
  const std::size_t new_model = static_cast<std::size_t>(c->find_model("new"));
  EXPECT_EQ(c->model_lifecycle(old_model), ModelLifecycle::kLegacy);
  EXPECT_EQ(c->model_lifecycle(gone), ModelLifecycle::kEndOfLife);
  EXPECT_EQ(c->model_successor(old_model), static_cast<int>(new_model));
  EXPECT_EQ(c->model_end_of_life_day(old_model), 20706);  // 2026-09-10
  EXPECT_EQ(c->model_end_of_life_day(new_model), -1);
  const std::int64_t day = 86400;
  EXPECT_TRUE(c->check_lifecycle(old_model, 20705 * day + day - 1).ok());
  Status s = c->check_lifecycle(old_model, 20706 * day);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_STREQ(s.message(), "model old reached end of life on 2026-09-10; use new");
  EXPECT_STREQ(c->check_lifecycle(gone, 0).message(), "model gone reached end of life on a past date; use new");
  EXPECT_TRUE(c->check_lifecycle(new_model, 40000 * day).ok());
  // A model the catalog says nothing about is never refused for its age.
  auto plain = load(kSmall);
  EXPECT_EQ(plain->model_lifecycle(0), ModelLifecycle::kUnknown);
  EXPECT_TRUE(plain->check_lifecycle(0, 40000 * day).ok());
}

TEST(CatalogLifecycle, MistakesNameTheField) {
  Status s = load_error(R"({"models": {"m": {"lifecycle": "retired", "successor": "n"}}})");
  EXPECT_STREQ(s.message(), "catalog.json: models.m.lifecycle: expected active, legacy or end_of_life");
  s = load_error(R"({"models": {"m": {"lifecycle": "legacy"}}})");
  EXPECT_STREQ(s.message(),
               "catalog.json: models.m.successor: a legacy or end-of-life model names the model to use instead");
  s = load_error(R"({"models": {"m": {"lifecycle": "legacy", "successor": "n", "end_of_life": "2026-13-01"}}})");
  EXPECT_STREQ(s.message(), "catalog.json: models.m.end_of_life: expected a date YYYY-MM-DD");
  s = load_error(R"({"models": {"m": {"lifecycle": "active", "eol": "2026-01-01"}}})");
  EXPECT_STREQ(s.message(),
               "catalog.json: models.m.eol: unknown field (expected lifecycle, end_of_life, successor, profile_only, "
               "provenance)");
  s = load_error(R"({"profiles": [{"id": "eu.m", "model": "m", "geography": "eu", "sources": {"eu-west-1": ["eu-west-1"]},
                                   "provenance": {"page": "docs.aws.amazon.com", "date": "2026-01-15"}}]})");
  EXPECT_STREQ(s.message(), "catalog.json: profiles[0].provenance.page: expected the https:// address of the source");
  s = load_error(R"({"in_region": [{"model": "m", "regions": ["eu-west-1"],
                                    "provenance": {"page": "https://docs.aws.amazon.com/x", "date": "January"}}]})");
  EXPECT_STREQ(s.message(), "catalog.json: in_region[0].provenance.date: expected the date the source was read, YYYY-MM-DD");
}

// Bedrock refuses a profile-only model's bare ID, so the catalog never offers one.
TEST(CatalogProfileOnly, AProfileOnlyModelHasNoInRegionCandidateAndCannotBeGivenOne) {
  auto c = load(R"({
    "models": {"m": {"lifecycle": "active", "profile_only": true}, "n": {"lifecycle": "active"}},
    "profiles": [{"id": "eu.m", "model": "m", "geography": "eu", "sources": {"eu-west-1": ["eu-west-1"]}}],
    "in_region": [{"model": "n", "regions": ["eu-west-1"]}]
  })");
  const std::size_t m = static_cast<std::size_t>(c->find_model("m"));
  EXPECT_TRUE(c->model_profile_only(m));
  EXPECT_FALSE(c->model_profile_only(static_cast<std::size_t>(c->find_model("n"))));
  EXPECT_EQ(c->find_candidate("m", "eu-west-1"), Catalog::kNone);
  EXPECT_NE(c->find_candidate("eu.m", "eu-west-1"), Catalog::kNone);
  // An extending file that gives it an in-region entry is refused, and changes nothing.
  const Status s = c->load_json(R"({"in_region": [{"model": "m", "regions": ["eu-west-1"]}]})", "extra.json",
                                CatalogMerge::kExtend);
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_STREQ(s.message(),
               "extra.json: in_region: model m is profile-only (models.m.profile_only): only its inference profiles "
               "serve it");
  EXPECT_EQ(c->find_candidate("m", "eu-west-1"), Catalog::kNone);
  EXPECT_STREQ(load_error(R"({"models": {"m": {"lifecycle": "active", "profile_only": "yes"}}})").message(),
               "catalog.json: models.m.profile_only: expected true or false");
}

TEST(DefaultCatalog, ItsProfileOnlyModelsAreOfferedOnlyAsProfiles) {
  Catalog c;
  ASSERT_TRUE(c.load_default().ok());
  std::size_t profile_only = 0;
  for (std::size_t m = 0; m < c.model_count(); ++m) {
    if (!c.model_profile_only(m)) continue;
    ++profile_only;
    const std::size_t first = c.model_first_candidate(m);
    for (std::size_t i = first; i < first + c.model_candidate_count(m); ++i) {
      EXPECT_GE(c.candidate(i).profile, 0) << c.model_name(m);
    }
  }
  EXPECT_GE(profile_only, 3u);
  EXPECT_TRUE(c.model_profile_only(static_cast<std::size_t>(c.find_model("anthropic.claude-sonnet-4-5-20250929-v1:0"))));
}

TEST(CatalogErrors, ALimitIsReportedAsSuch) {
  std::string json = R"({"region_sets": {"many": [)";
  for (std::size_t i = 0; i <= limits::kRouterMaxRegions; ++i) {
    json += (i == 0 ? "\"xx-test-" : ",\"xx-test-") + std::to_string(i + 1) + "\"";
  }
  json += "]}}";
  Status s = load_error(json.c_str());
  EXPECT_EQ(s.code(), Code::kLimitExceeded);
  EXPECT_NE(std::string(s.message()).find("EDGEROUTE_ROUTER_MAX_REGIONS"), std::string::npos) << s.message();
}

TEST(CatalogLoad, AFailedLoadLeavesTheCatalogAsItWas) {
  auto c = load(kSmall);
  const std::size_t candidates = c->candidate_count();
  Status s = c->load_json(R"({"region_sets": {"eu": ["eu-west-1"]}, "profiles": [{"id": 1}]})", "bad.json",
                          CatalogMerge::kExtend);
  EXPECT_FALSE(s.ok());
  EXPECT_EQ(c->candidate_count(), candidates);
  EXPECT_EQ(c->region_set(static_cast<std::size_t>(c->find_region_set("eu"))).count(), 3u);
}

TEST(CatalogLoad, ExtendReplacesKnownKeysAndAddsNewOnes) {
  auto c = load(kSmall);
  ASSERT_TRUE(c->load_json(R"({
      "region_sets": {"eu": ["eu-central-1"], "strict-eu": ["eu-central-1", "eu-west-3"]},
      "profiles": [{"id": "eu.m", "model": "m", "geography": "eu", "sources": {"eu-west-3": ["eu-west-3"]}},
                   {"id": "eu.n", "model": "n", "geography": "eu", "sources": {"eu-central-1": ["eu"]}}]})",
                           "more.json", CatalogMerge::kExtend)
                  .ok());
  EXPECT_EQ(region_names(*c, c->region_set(static_cast<std::size_t>(c->find_region_set("eu")))), "eu-central-1");
  EXPECT_NE(c->find_region_set("strict-eu"), Catalog::kNone);
  // eu.m now has one source only; the in-region IDs of m are untouched.
  EXPECT_EQ(c->find_candidate("eu.m", "eu-west-1"), Catalog::kNone);
  EXPECT_NE(c->find_candidate("eu.m", "eu-west-3"), Catalog::kNone);
  EXPECT_NE(c->find_candidate("m", "us-east-1"), Catalog::kNone);
  // A set named in destinations expands with the definition in force.
  const int n = c->find_candidate("eu.n", "eu-central-1");
  ASSERT_NE(n, Catalog::kNone);
  EXPECT_EQ(region_names(*c, c->candidate(static_cast<std::size_t>(n)).destinations), "eu-central-1");

  ASSERT_TRUE(c->load_json(R"({"in_region": [{"model": "z", "regions": ["ap-south-1"]}]})", "only.json",
                           CatalogMerge::kReplace)
                  .ok());
  EXPECT_EQ(c->model_count(), 1u);
  EXPECT_EQ(c->candidate_count(), 1u);
  EXPECT_EQ(c->region_set_count(), 0u);
}

TEST(CatalogLoad, FromAFileNamesTheFileInErrors) {
  const std::string path = ::testing::TempDir() + "edgeroute_catalog_test.json";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  std::fputs(R"({"in_region": [{"model": "m", "regions": ["eu-central-1", "EU"]}]})", f);
  std::fclose(f);
  auto c = std::make_unique<Catalog>();
  Status s = c->load_file(path.c_str(), CatalogMerge::kReplace);
  EXPECT_STREQ(s.message(), "edgeroute_catalog_test.json: in_region[0].regions[1]: expected a region name");
  std::remove(path.c_str());
  EXPECT_EQ(c->load_file(path.c_str(), CatalogMerge::kReplace).code(), Code::kIo);
}

TEST(Catalog, LookupsAllocateNothing) {
  auto c = load(kSmall);
  testing::AllocationScope scope;
  EXPECT_NE(c->find_candidate("global.m", "us-east-1"), Catalog::kNone);
  EXPECT_NE(c->find_model("m"), Catalog::kNone);
  EXPECT_NE(c->find_region_set("global"), Catalog::kNone);
  EXPECT_EQ(scope.allocations(), 0u);
}

}  // namespace
}  // namespace edgeroute
