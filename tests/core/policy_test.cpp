// Residency policy: a candidate is allowed only when its source and every
// destination lie inside the allowed set; `global` only when named; per-model
// overrides; load-time errors that say why each candidate was excluded.
#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "alloc_counter.h"
#include "edgeroute/policy.h"

namespace edgeroute {
namespace {

// A Frankfurt-centred world: the EU profile from eu-central-1 reaches eu-north-1,
// which a strict user-defined set leaves out.
constexpr const char* kWorld = R"({
  "region_sets": {"eu": ["eu-central-1", "eu-west-1", "eu-north-1", "eu-west-3"], "us": ["us-east-1", "us-west-2"],
                  "global": ["eu-central-1", "eu-west-1", "eu-north-1", "eu-west-3", "us-east-1", "us-west-2"],
                  "strict-eu": ["eu-central-1", "eu-west-1", "eu-west-3"]},
  "profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu",
     "sources": {"eu-central-1": ["eu-central-1", "eu-west-1", "eu-north-1"], "eu-west-1": ["eu-west-1", "eu-central-1"]}},
    {"id": "us.m", "model": "m", "geography": "us", "sources": {"us-east-1": ["us-east-1", "us-west-2"]}},
    {"id": "global.m", "model": "m", "geography": "global", "sources": {"eu-central-1": ["global"], "us-east-1": ["global"]}},
    {"id": "us.only", "model": "only-us", "geography": "us", "sources": {"us-east-1": ["us"]}}
  ],
  "in_region": [{"model": "m", "regions": ["eu-central-1", "eu-west-1", "us-east-1"]}]
})";

class PolicyTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_TRUE(catalog_->load_json(kWorld, "world.json", CatalogMerge::kReplace).ok()); }
  Verdict verdict(const Policy& p, const char* id, const char* source) {
    const int i = catalog_->find_candidate(id, source);
    EXPECT_NE(i, Catalog::kNone) << id << " @ " << source;
    return p.check(catalog_->candidate(static_cast<std::size_t>(i)));
  }
  std::string region(const Verdict& v) { return std::string(catalog_->region_name(v.region)); }
  std::size_t model(const char* id) { return static_cast<std::size_t>(catalog_->find_model(id)); }

  std::unique_ptr<Catalog> catalog_ = std::make_unique<Catalog>();
};

// What a profile-only model's refusal names: each allowed profile once.
TEST_F(PolicyTest, AllowedProfilesNamesEachAllowedProfileOnce) {
  Policy p(*catalog_);
  ASSERT_TRUE(p.set_allow("eu").ok());
  char buf[128];
  EXPECT_EQ(p.allowed_profiles(model("m"), buf, sizeof buf), 4u);
  EXPECT_STREQ(buf, "eu.m");
  ASSERT_TRUE(p.set_allow("eu, us, global").ok());
  p.allowed_profiles(model("m"), buf, sizeof buf);
  EXPECT_STREQ(buf, "eu.m, us.m, global.m");
  ASSERT_TRUE(p.set_allow("strict-eu").ok());  // eu.m reaches eu-north-1 from Frankfurt, not from Ireland
  p.allowed_profiles(model("m"), buf, sizeof buf);
  EXPECT_STREQ(buf, "eu.m");
  ASSERT_TRUE(p.set_allow("eu-central-1").ok());
  EXPECT_EQ(p.allowed_profiles(model("m"), buf, sizeof buf), 0u);
  EXPECT_STREQ(buf, "");
  // Cut to the buffer, NUL-terminated; the return value says what it needs.
  ASSERT_TRUE(p.set_allow("eu, us, global").ok());
  char small[6];
  EXPECT_EQ(p.allowed_profiles(model("m"), small, sizeof small), 20u);
  EXPECT_STREQ(small, "eu.m,");
}

TEST_F(PolicyTest, NothingIsAllowedUntilAnAllowListIsSet) {
  Policy p(*catalog_);
  EXPECT_EQ(verdict(p, "m", "eu-central-1").exclusion, Exclusion::kSourceNotAllowed);
}

TEST_F(PolicyTest, GeographyAllowsItsProfilesAndInRegionIdsAndNothingElse) {
  Policy p(*catalog_);
  ASSERT_TRUE(p.set_allow("eu").ok());
  EXPECT_TRUE(verdict(p, "eu.m", "eu-central-1").allowed());
  EXPECT_TRUE(verdict(p, "eu.m", "eu-west-1").allowed());
  EXPECT_TRUE(verdict(p, "m", "eu-west-1").allowed());
  const Verdict us = verdict(p, "us.m", "us-east-1");
  EXPECT_EQ(us.exclusion, Exclusion::kSourceNotAllowed);
  EXPECT_EQ(region(us), "us-east-1");
  // Sent to Frankfurt, but may be processed anywhere: not allowed.
  EXPECT_EQ(verdict(p, "global.m", "eu-central-1").exclusion, Exclusion::kGlobalNotAllowed);
}

TEST_F(PolicyTest, RegionLevelObligationLeavesOnlyInRegionIds) {
  Policy p(*catalog_);
  ASSERT_TRUE(p.set_allow("eu-central-1").ok());
  const std::size_t m = model("m");
  for (std::size_t i = catalog_->model_first_candidate(m);
       i < catalog_->model_first_candidate(m) + catalog_->model_candidate_count(m); ++i) {
    const Candidate& c = catalog_->candidate(i);
    const bool expected = c.profile < 0 && catalog_->region_name(c.source_region) == "eu-central-1";
    EXPECT_EQ(p.check(c).allowed(), expected) << catalog_->identifier(c);
  }
  const Verdict eu = verdict(p, "eu.m", "eu-central-1");
  EXPECT_EQ(eu.exclusion, Exclusion::kDestinationNotAllowed);
  EXPECT_EQ(region(eu), "eu-west-1");
}

TEST_F(PolicyTest, UserDefinedSetExcludesAProfileThatReachesBeyondIt) {
  Policy p(*catalog_);
  ASSERT_TRUE(p.set_allow("strict-eu").ok());
  const Verdict v = verdict(p, "eu.m", "eu-central-1");
  EXPECT_EQ(v.exclusion, Exclusion::kDestinationNotAllowed);
  EXPECT_EQ(region(v), "eu-north-1");
  // The same profile from eu-west-1 stays inside the set.
  EXPECT_TRUE(verdict(p, "eu.m", "eu-west-1").allowed());
  EXPECT_TRUE(verdict(p, "m", "eu-central-1").allowed());
}

TEST_F(PolicyTest, GlobalNeedsToBeNamedEvenWhenEveryRegionIsAllowed) {
  Policy p(*catalog_);
  ASSERT_TRUE(p.set_allow("eu, us").ok());
  EXPECT_EQ(verdict(p, "global.m", "us-east-1").exclusion, Exclusion::kGlobalNotAllowed);
  ASSERT_TRUE(p.set_allow("global").ok());
  EXPECT_TRUE(verdict(p, "global.m", "us-east-1").allowed());
  EXPECT_TRUE(verdict(p, "eu.m", "eu-central-1").allowed());
  EXPECT_TRUE(p.allows_global(model("m")));
}

TEST_F(PolicyTest, PerModelOverrideReplacesTheDefaultForThatModel) {
  Policy p(*catalog_);
  ASSERT_TRUE(p.set_allow("eu").ok());
  ASSERT_TRUE(p.set_model_allow("only-us", "us").ok());
  EXPECT_TRUE(verdict(p, "us.only", "us-east-1").allowed());
  EXPECT_EQ(verdict(p, "us.m", "us-east-1").exclusion, Exclusion::kSourceNotAllowed);
  ASSERT_TRUE(p.set_model_allow("only-us", "eu-west-1").ok());  // a second override replaces the first
  EXPECT_FALSE(verdict(p, "us.only", "us-east-1").allowed());
  EXPECT_EQ(p.set_model_allow("nope", "eu").code(), Code::kNotFound);
}

TEST_F(PolicyTest, AllowListsAreChecked) {
  Policy p(*catalog_);
  Status s = p.set_allow("eu,eu-wst-1");
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_STREQ(s.message(), "allow: 'eu-wst-1' is neither a region set nor a region of the catalog");
  EXPECT_EQ(p.set_allow(" , ").code(), Code::kInvalidArgument);
  ASSERT_TRUE(p.set_allow("eu-central-1,  eu-west-1 ").ok());
  EXPECT_TRUE(verdict(p, "eu.m", "eu-west-1").allowed());
}

TEST_F(PolicyTest, AModelLeftWithoutCandidatesIsAnErrorThatSaysWhy) {
  Policy p(*catalog_);
  ASSERT_TRUE(p.set_allow("eu").ok());
  EXPECT_TRUE(p.require_candidate(model("m")).ok());
  Status s = p.require_candidate(model("only-us"));
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_STREQ(s.message(),
               "policy leaves only-us no candidate: all 1 excluded, e.g. us.only @ us-east-1: "
               "source us-east-1 outside eu");

  ASSERT_TRUE(p.set_allow("eu-north-1").ok());
  char text[1024];
  const std::size_t n = p.explain(model("m"), text, sizeof text);
  EXPECT_EQ(n, std::string(text).size());
  EXPECT_EQ(std::string(text),
            "m @ eu-central-1: source eu-central-1 outside eu-north-1\n"
            "m @ eu-west-1: source eu-west-1 outside eu-north-1\n"
            "m @ us-east-1: source us-east-1 outside eu-north-1\n"
            "eu.m @ eu-central-1: source eu-central-1 outside eu-north-1\n"
            "eu.m @ eu-west-1: source eu-west-1 outside eu-north-1\n"
            "us.m @ us-east-1: source us-east-1 outside eu-north-1\n"
            "global.m @ eu-central-1: source eu-central-1 outside eu-north-1\n"
            "global.m @ us-east-1: source us-east-1 outside eu-north-1\n");
  char small[16];
  EXPECT_EQ(p.explain(model("m"), small, sizeof small), n);  // reports the size it needs
  EXPECT_EQ(std::string(small), std::string(text).substr(0, sizeof small - 1));
}

TEST(DefaultCatalogPolicy, AllowEuKeepsEveryModelInsideTheSixEuMemberStateRegions) {
  // Written out, not read from the catalog: London (eu-west-2) and Zurich
  // (eu-central-2) are in no EU member state, whatever a set is called.
  const std::string kEu[] = {"eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "eu-south-1", "eu-south-2"};
  const auto in_eu = [&](std::string_view region) {
    for (const std::string& r : kEu) {
      if (r == region) return true;
    }
    return false;
  };
  auto catalog = std::make_unique<Catalog>();
  ASSERT_TRUE(catalog->load_default().ok());
  Policy p(*catalog);
  ASSERT_TRUE(p.set_allow("eu").ok());
  std::size_t allowed = 0;
  for (std::size_t m = 0; m < catalog->model_count(); ++m) {
    const std::size_t first = catalog->model_first_candidate(m);
    for (std::size_t i = first; i < first + catalog->model_candidate_count(m); ++i) {
      const Candidate& c = catalog->candidate(i);
      if (!p.check(c).allowed()) continue;
      ++allowed;
      const std::string where = std::string(catalog->identifier(c)) + " @ " +
                                std::string(catalog->region_name(c.source_region));
      EXPECT_TRUE(in_eu(catalog->region_name(c.source_region))) << where;
      EXPECT_FALSE(c.global_profile) << where;
      for (std::size_t r = 0; r < catalog->region_count(); ++r) {
        if (c.destinations.test(r)) {
          EXPECT_TRUE(in_eu(catalog->region_name(r))) << where << " reaches " << catalog->region_name(r);
        }
      }
    }
  }
  EXPECT_GT(allowed, 0u);  // the check above looked at something
}

TEST(PolicyReasons, NameTheRegionItsCountryAndTheAllowListThatLeftItOut) {
  auto catalog = std::make_unique<Catalog>();
  ASSERT_TRUE(catalog->load_json(R"({
    "regions": {"eu-central-1": {"country": "DE"}, "eu-west-2": {"country": "GB"}, "eu-central-2": {"country": "CH"}},
    "region_sets": {"eu": ["eu-central-1"], "europe": ["eu-central-1", "eu-west-2", "eu-central-2"]},
    "profiles": [{"id": "eu.m", "model": "m", "geography": "eu",
                  "sources": {"eu-central-1": ["eu-central-1", "eu-west-2"], "eu-west-2": ["eu-central-1", "eu-west-2"]}}]
  })", "c.json", CatalogMerge::kReplace).ok());
  Policy p(*catalog);
  ASSERT_TRUE(p.set_allow("eu, eu-central-2").ok());
  char text[160];
  const auto reason = [&](const char* source) {
    const int i = catalog->find_candidate("eu.m", source);
    EXPECT_NE(i, Catalog::kNone);
    (void)p.describe(p.check(catalog->candidate(static_cast<std::size_t>(i))), text, sizeof text);
    return std::string(text);
  };
  EXPECT_EQ(reason("eu-central-1"), "destination eu-west-2 (GB) outside eu,eu-central-2");
  EXPECT_EQ(reason("eu-west-2"), "source eu-west-2 (GB) outside eu,eu-central-2");
  // A per-model list is the one named.
  ASSERT_TRUE(p.set_model_allow("m", "eu-central-1").ok());
  EXPECT_EQ(reason("eu-central-1"), "destination eu-west-2 (GB) outside eu-central-1");
  ASSERT_TRUE(p.set_allow("europe").ok());
  EXPECT_EQ(reason("eu-central-1"), "destination eu-west-2 (GB) outside eu-central-1");
  EXPECT_EQ(p.check_route("eu.m", "eu-central-1").message(),
            std::string("residency: eu.m @ eu-central-1: destination eu-west-2 (GB) outside eu-central-1"));
  // A long list is cut, not overrun.
  Policy q(*catalog);
  ASSERT_TRUE(q.set_allow("eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu,eu").ok());
  (void)q.describe(q.check(catalog->candidate(static_cast<std::size_t>(catalog->find_candidate("eu.m", "eu-central-1")))),
                   text, sizeof text);
  EXPECT_NE(std::string(text).find(",eu..."), std::string::npos) << text;
  EXPECT_LT(std::string(text).size(), 100u);
}

TEST_F(PolicyTest, CheckRouteDeniesDisallowedAndUnknownPairs) {
  Policy p(*catalog_);
  ASSERT_TRUE(p.set_allow("eu").ok());
  EXPECT_TRUE(p.check_route("eu.m", "eu-central-1").ok());
  Status s = p.check_route("global.m", "eu-central-1");
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_STREQ(s.message(), "residency: global.m @ eu-central-1: global profile, and 'global' is not allowed");
  // Not in the catalog: its destinations cannot be vouched for.
  EXPECT_EQ(p.check_route("eu.m", "eu-west-3").code(), Code::kPermissionDenied);
  EXPECT_EQ(p.check_route("eu.other", "eu-central-1").code(), Code::kPermissionDenied);
}

TEST_F(PolicyTest, ChecksAllocateNothing) {
  Policy p(*catalog_);
  ASSERT_TRUE(p.set_allow("eu").ok());
  testing::AllocationScope scope;
  EXPECT_TRUE(p.check_route("eu.m", "eu-west-1").ok());
  EXPECT_FALSE(p.check_route("us.m", "us-east-1").ok());
  EXPECT_EQ(scope.allocations(), 0u);
}

}  // namespace
}  // namespace edgeroute
