// `edgeroute catalog import`'s conversion: AWS CLI listings (shapes from botocore's
// bedrock service model) -> a catalog that Catalog::load_json accepts, with the
// destinations AWS gives per source region.
#include <gtest/gtest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "edgeroute/catalog.h"
#include "edgeroute/catalog_import.h"
#include "edgeroute/policy.h"

namespace edgeroute {
namespace {

constexpr const char kSonnet37Eu[] = "eu.anthropic.claude-3-7-sonnet-20250219-v1:0";

ImportFile fixture(const std::string& name) {
  std::ifstream in(std::string(EDGEROUTE_SOURCE_DIR) + "/tests/tool/fixtures/" + name);
  std::ostringstream text;
  text << in.rdbuf();
  EXPECT_TRUE(in.good() || in.eof()) << name;
  return ImportFile{name, text.str()};
}

std::vector<std::string> destinations(const Catalog& catalog, const char* identifier, const char* source) {
  const int index = catalog.find_candidate(identifier, source);
  if (index == Catalog::kNone) return {"<no candidate>"};
  std::vector<std::string> out;
  const Candidate& c = catalog.candidate(static_cast<std::size_t>(index));
  for (std::size_t r = 0; r < catalog.region_count(); ++r) {
    if (c.destinations.test(r)) out.emplace_back(catalog.region_name(r));
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Imports `files` and loads the result as a catalog of its own.
std::unique_ptr<Catalog> import_and_load(const std::vector<ImportFile>& files, ImportResult* result) {
  std::string error;
  EXPECT_TRUE(import_inference_profiles(files, "2026-01-02", result, &error)) << error;
  auto catalog = std::make_unique<Catalog>();
  const Status loaded = catalog->load_json(result->catalog_json, "imported.json", CatalogMerge::kReplace);
  EXPECT_TRUE(loaded.ok()) << loaded.message() << "\n" << result->catalog_json;
  return catalog;
}

std::string import_error(const std::vector<ImportFile>& files) {
  ImportResult result;
  std::string error;
  EXPECT_FALSE(import_inference_profiles(files, "2026-01-02", &result, &error));
  EXPECT_EQ(error.find('\n'), std::string::npos) << error;
  return error;
}

TEST(CatalogImportTest, MergesOneProfileSeenFromSeveralSourcesKeepingEachSourcesDestinations) {
  ImportResult result;
  const auto catalog = import_and_load(
      {fixture("list-eu-central-1.json"), fixture("list-eu-west-3.json"), fixture("get-us-east-1.json")}, &result);
  EXPECT_EQ(catalog->snapshot_date(), "2026-01-02");
  // One profile, two sources, different destinations: eu-north-1 only from eu-central-1.
  EXPECT_EQ(destinations(*catalog, kSonnet37Eu, "eu-central-1"),
            (std::vector<std::string>{"eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3"}));
  EXPECT_EQ(destinations(*catalog, kSonnet37Eu, "eu-west-3"),
            (std::vector<std::string>{"eu-central-1", "eu-west-1", "eu-west-3"}));
  EXPECT_EQ(catalog->find_candidate(kSonnet37Eu, "eu-west-1"), Catalog::kNone);
  // get-inference-profile's single object, its source from the ARN.
  EXPECT_EQ(destinations(*catalog, "us.anthropic.claude-3-7-sonnet-20250219-v1:0", "us-east-1"),
            (std::vector<std::string>{"us-east-1", "us-east-2", "us-west-2"}));
  // model = the foundation model ID, geography = the ID's prefix.
  ASSERT_NE(catalog->find_model("anthropic.claude-3-7-sonnet-20250219-v1:0"), Catalog::kNone);
  ASSERT_NE(catalog->find_model("anthropic.claude-sonnet-4-20250514-v1:0"), Catalog::kNone);
  EXPECT_EQ(catalog->profile_count(), 3u);
  for (std::size_t p = 0; p < catalog->profile_count(); ++p) {
    const std::string id(catalog->profile_id(p));
    EXPECT_EQ(id.substr(0, id.find('.')), catalog->profile_geography(p)) << id;
  }
  const int global = catalog->find_candidate("global.anthropic.claude-sonnet-4-20250514-v1:0", "eu-central-1");
  ASSERT_NE(global, Catalog::kNone);
  EXPECT_TRUE(catalog->candidate(static_cast<std::size_t>(global)).global_profile);
  // The application profile is account-specific and left out, but counted.
  EXPECT_EQ(result.skipped_application_profiles, 1u);
  EXPECT_EQ(result.catalog_json.find("abcd1234efgh"), std::string::npos);
}

TEST(CatalogImportTest, TheSameListingTwiceIsHarmless) {
  ImportResult once, twice;
  import_and_load({fixture("list-eu-west-3.json")}, &once);
  import_and_load({fixture("list-eu-west-3.json"), fixture("list-eu-west-3.json")}, &twice);
  EXPECT_EQ(once.catalog_json.substr(once.catalog_json.find("\"profiles\"")),
            twice.catalog_json.substr(twice.catalog_json.find("\"profiles\"")));
}

TEST(DefaultCatalogImport, ExtendsTheDefaultCatalogSoItsRegionSetsStillApply) {
  ImportResult result;
  std::string error;
  ASSERT_TRUE(import_inference_profiles({fixture("list-eu-central-1.json")}, "2026-01-02", &result, &error));
  Catalog catalog;
  ASSERT_TRUE(catalog.load_default().ok());
  const Status s = catalog.load_json(result.catalog_json, "imported.json", CatalogMerge::kExtend);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_NE(catalog.find_region_set("eu"), Catalog::kNone);
  EXPECT_EQ(destinations(catalog, kSonnet37Eu, "eu-central-1"),
            (std::vector<std::string>{"eu-central-1", "eu-north-1", "eu-west-1", "eu-west-3"}));
}

TEST(CatalogImportTest, BadInputIsOneLineNamingTheFileAndTheField) {
  const std::string summary =
      R"({"inferenceProfileId": "eu.m.x-v1:0", "type": "SYSTEM_DEFINED", "status": "ACTIVE",
          "inferenceProfileName": "n",
          "inferenceProfileArn": "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.m.x-v1:0",
          "models": [{"modelArn": "arn:aws:bedrock:eu-west-1::foundation-model/m.x-v1:0"}]})";
  auto listing = [](const std::string& body) { return R"({"inferenceProfileSummaries": [)" + body + "]}"; };
  auto replaced = [&](const std::string& from, const std::string& to) {
    std::string s = summary;
    s.replace(s.find(from), from.size(), to);
    return s;
  };
  EXPECT_EQ(import_error({{"a.json", "{\"inferenceProfileSummaries\": ["}}),
            "a.json: expected a JSON object (aws ... --output json)");
  EXPECT_EQ(import_error({{"a.json", "{\"something\": 1}"}}),
            "a.json: expected the output of aws bedrock list-inference-profiles or get-inference-profile");
  EXPECT_EQ(import_error({{"a.json", R"({"inferenceProfileSummaries": [], "nextToken": "abc"})"}}),
            "a.json: nextToken: the listing is incomplete (give its next pages too, or list without --max-items or "
            "--no-paginate)");
  EXPECT_EQ(import_error({{"a.json", listing(summary + "," + replaced("foundation-model/m", "model/m"))}}),
            "a.json: inferenceProfileSummaries[1].models[0].modelArn: "
            "expected arn:aws:bedrock:REGION::foundation-model/MODEL");
  EXPECT_EQ(import_error({{"a.json", listing(replaced("inference-profile/eu", "inference-profile/us"))}}),
            "a.json: inferenceProfileSummaries[0].inferenceProfileArn: "
            "expected arn:aws:bedrock:REGION:ACCOUNT:inference-profile/eu.m.x-v1:0");
  EXPECT_EQ(import_error({{"a.json", listing(replaced("\"SYSTEM_DEFINED\"", "\"OTHER\""))}}),
            "a.json: inferenceProfileSummaries[0].type: expected SYSTEM_DEFINED or APPLICATION");
  EXPECT_EQ(import_error({{"a.json", listing(replaced("\"eu.m.x-v1:0\",", "\"mx\","))}}),
            "a.json: inferenceProfileSummaries[0].inferenceProfileId: expected GEOGRAPHY.MODEL (e.g. eu.anthropic...)");
  EXPECT_EQ(import_error({{"a.json", replaced("\"models\": [", "\"models\": [{\"modelArn\": "
                                                               "\"arn:aws:bedrock:eu-west-3::foundation-model/m.y\"},")}}),
            "a.json: models[1].modelArn: model m.x-v1:0 differs from models[0]'s m.y");
  // Two listings from one source that disagree: the destinations are unknown.
  EXPECT_EQ(import_error({{"a.json", summary},
                          {"b.json", replaced("eu-west-1::", "eu-west-2::")}}),
            "b.json: inferenceProfileId: eu.m.x-v1:0 from eu-west-1: destinations differ from a.json");
}

// `aws bedrock list-inference-profiles --no-paginate` prints one page and its
// nextToken; the pages of one listing, in order, import like the merged listing.
TEST(DefaultCatalogImport, PagesOfOneListingFollowingTheirNextTokenImportAsOne) {
  ImportResult result;
  std::string error;
  ASSERT_TRUE(import_inference_profiles({fixture("page1-eu-west-1.json"), fixture("page2-eu-west-1.json")},
                                        "2026-01-02", &result, &error))
      << error;
  EXPECT_EQ(result.imported_profile_sources, 2u);
  // Over the built-in snapshot, whose `global` set the empty-region ARN names.
  auto catalog = std::make_unique<Catalog>();
  ASSERT_TRUE(catalog->load_default().ok());
  const Status loaded = catalog->load_json(result.catalog_json, "imported.json", CatalogMerge::kExtend);
  ASSERT_TRUE(loaded.ok()) << loaded.message();
  EXPECT_NE(catalog->find_candidate("eu.anthropic.claude-haiku-4-5-20251001-v1:0", "eu-west-1"), Catalog::kNone);
  EXPECT_NE(catalog->find_candidate("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "eu-west-1"), Catalog::kNone);
  // The first page alone, or the last page missing, is an incomplete listing.
  EXPECT_EQ(import_error({fixture("page1-eu-west-1.json")}),
            "page1-eu-west-1.json: nextToken: the listing is incomplete (give its next pages too, or list without "
            "--max-items or --no-paginate)");
  // A page of another region's listing does not continue it.
  ImportFile other = fixture("page2-eu-west-1.json");
  for (std::size_t at = other.text.find("arn:aws:bedrock:eu-west-1:"); at != std::string::npos;
       at = other.text.find("arn:aws:bedrock:eu-west-1:", at)) {
    other.text.replace(at, 26, "arn:aws:bedrock:eu-west-3:");
  }
  EXPECT_EQ(import_error({fixture("page1-eu-west-1.json"), other}),
            "page2-eu-west-1.json: inferenceProfileSummaries[0].inferenceProfileArn: a profile of eu-west-3, but this "
            "page continues page1-eu-west-1.json's listing of eu-west-1");
}

// Text quoted from a listing (a model ID with a JSON-escaped newline) cannot break
// the error into two lines.
TEST(CatalogImportTest, AnErrorQuotingTheListingStaysOneLine) {
  ImportFile page = fixture("page2-eu-west-1.json");
  const std::string arn = "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-sonnet-4-5-20250929-v1:0";
  page.text.replace(page.text.find(arn), arn.size(), "arn:aws:bedrock:us-east-1::foundation-model/other\\nmodel");
  const std::string error = import_error({page});
  EXPECT_NE(error.find("model other?model differs from models[0]'s"), std::string::npos) << error;
}

TEST(CatalogImportTest, OnlyActiveProfilesAreImportedAndAStatusIsRequired) {
  ImportFile page = fixture("page2-eu-west-1.json");
  page.text.replace(page.text.find("\"ACTIVE\""), 8, "\"DELETING\"");
  ImportResult result;
  auto catalog = import_and_load({page}, &result);
  EXPECT_EQ(result.skipped_inactive_profiles, 1u);
  EXPECT_EQ(result.imported_profile_sources, 0u);
  EXPECT_EQ(catalog->profile_count(), 0u);
  page.text.replace(page.text.find("\"status\": \"DELETING\","), 22, "");
  EXPECT_EQ(import_error({page}), "page2-eu-west-1.json: inferenceProfileSummaries[0].status: expected a status such as ACTIVE");
}

TEST(CatalogImportTest, AKeyGivenTwiceIsRefusedNamingItsPath) {
  // The first of a repeated key is what a lookup sees: an APPLICATION profile
  // whose second "type" says SYSTEM_DEFINED, or a second "models" list naming
  // another region, would be imported as something it does not say.
  const std::string summary =
      R"({"inferenceProfileId": "eu.m.x-v1:0", "type": "SYSTEM_DEFINED", "status": "ACTIVE",
          "inferenceProfileArn": "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.m.x-v1:0",
          "models": [{"modelArn": "arn:aws:bedrock:eu-west-1::foundation-model/m.x-v1:0"}],
          "models": [{"modelArn": "arn:aws:bedrock:us-east-1::foundation-model/m.x-v1:0"}]})";
  EXPECT_EQ(import_error({{"a.json", R"({"inferenceProfileSummaries": [)" + summary + "]}"}}),
            "a.json: inferenceProfileSummaries[0].models: given twice");
  EXPECT_EQ(import_error({{"a.json", R"({"inferenceProfileSummaries": [], "inferenceProfileSummaries": []})"}}),
            "a.json: inferenceProfileSummaries: given twice");
  EXPECT_EQ(import_error({{"a.json", R"({"inferenceProfileSummaries": [{"type": "APPLICATION", "models": [
                                          {"modelArn": "x", "modelArn": "y"}]}]})"}}),
            "a.json: inferenceProfileSummaries[0].models[0].modelArn: given twice");
}

TEST(DefaultCatalogImport, AGlobalProfileWithAnEmptyRegionArnIsImportedAndNeverAllowedUnderEu) {
  // The shape `aws bedrock list-inference-profiles` prints for a global profile
  // (botocore bedrock model: InferenceProfileSummary): regional model ARNs and one
  // with an empty region, meaning any commercial region.
  const std::string listing = R"({"inferenceProfileSummaries": [
    {"inferenceProfileName": "Global Claude Haiku 4.5", "description": "Routes requests to Claude Haiku 4.5 globally",
     "createdAt": "2025-10-15T00:00:00+00:00", "updatedAt": "2025-10-15T00:00:00+00:00",
     "inferenceProfileArn": "arn:aws:bedrock:eu-central-1:111122223333:inference-profile/global.anthropic.claude-haiku-4-5-20251001-v1:0",
     "models": [{"modelArn": "arn:aws:bedrock:eu-central-1::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0"},
                {"modelArn": "arn:aws:bedrock:::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0"}],
     "inferenceProfileId": "global.anthropic.claude-haiku-4-5-20251001-v1:0", "status": "ACTIVE", "type": "SYSTEM_DEFINED"}]})";
  ImportResult result;
  std::string error;
  ASSERT_TRUE(import_inference_profiles({{"global.json", listing}}, "2026-12-05", &result, &error)) << error;
  Catalog catalog;
  ASSERT_TRUE(catalog.load_default().ok());
  const Status s = catalog.load_json(result.catalog_json, "imported.json", CatalogMerge::kExtend);
  ASSERT_TRUE(s.ok()) << s.message() << "\n" << result.catalog_json;
  const std::string id = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
  const int index = catalog.find_candidate(id, "eu-central-1");
  ASSERT_NE(index, Catalog::kNone);
  const Candidate& c = catalog.candidate(static_cast<std::size_t>(index));
  EXPECT_TRUE(c.global_profile);
  // Any commercial region: the whole global set, far beyond the EU.
  EXPECT_TRUE(c.destinations.test(static_cast<std::size_t>(catalog.find_region("us-east-1"))));
  EXPECT_TRUE(c.destinations.test(static_cast<std::size_t>(catalog.find_region("ap-southeast-7"))));
  Policy eu(catalog);
  ASSERT_TRUE(eu.set_allow("eu").ok());
  EXPECT_FALSE(eu.check(c).allowed());
  Policy eu_regions(catalog);  // every EU region named one by one is not `global`
  ASSERT_TRUE(eu_regions.set_allow("eu-central-1,eu-west-1,eu-west-3,eu-north-1,eu-south-1,eu-south-2").ok());
  EXPECT_FALSE(eu_regions.check(c).allowed());
  Policy global(catalog);
  ASSERT_TRUE(global.set_allow("global").ok());
  EXPECT_TRUE(global.check(c).allowed());
}

TEST(CatalogImportTest, AnInvalidRegionInAnArnIsRefused) {
  const std::string summary =
      R"({"inferenceProfileId": "eu.m.x-v1:0", "type": "SYSTEM_DEFINED", "status": "ACTIVE",
          "inferenceProfileArn": "arn:aws:bedrock:eu-west-1:111122223333:inference-profile/eu.m.x-v1:0",
          "models": [{"modelArn": "arn:aws:bedrock:Europe West::foundation-model/m.x-v1:0"}]})";
  EXPECT_EQ(import_error({{"a.json", R"({"inferenceProfileSummaries": [)" + summary + "]}"}}),
            "a.json: inferenceProfileSummaries[0].models[0].modelArn: expected a region name in the ARN, not 'Europe West'");
  std::string bad_source = summary;
  bad_source.replace(bad_source.find("eu-west-1:1111"), 9, "EU-WEST-1");
  EXPECT_EQ(import_error({{"a.json", R"({"inferenceProfileSummaries": [)" + bad_source + "]}"}}),
            "a.json: inferenceProfileSummaries[0].inferenceProfileArn: expected a region name in the ARN, not 'EU-WEST-1'");
}

}  // namespace
}  // namespace edgeroute
