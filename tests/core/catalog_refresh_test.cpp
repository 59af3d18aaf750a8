// The live catalog refresh over a scripted Transport: what it sends (the control
// plane's host, path, query, SigV4 for service `bedrock`), how it follows
// nextToken and where it stops, and what it makes of the answers. The simulator
// tests (tests/cli/test_catalog_refresh.py) run it against a real server.
#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "edgeroute/catalog.h"
#include "edgeroute/catalog_refresh.h"
#include "edgeroute/clock.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/policy.h"

namespace edgeroute {
namespace {

constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

struct Sent {
  std::string host, path_and_query, connect_host, authorization;
  std::uint16_t connect_port = 0;
};

struct Answer {
  Answer(int http_status, std::string answer_body, std::string type = std::string())
      : status(http_status), body(std::move(answer_body)), error_type(std::move(type)) {}
  int status;
  std::string body;
  std::string error_type;
};

// Answers each request with answer(request index, what was sent).
class ScriptedTransport final : public Transport {
 public:
  std::function<Answer(std::size_t, const Sent&)> answer;
  std::vector<Sent> sent;

  Status send(const HttpRequest& request, const HttpTimeouts&, HttpResponseSink* sink, HttpTiming*) override {
    Sent s{std::string(request.host), std::string(request.path_and_query), std::string(request.connect_host), "",
           request.connect_port};
    for (std::size_t i = 0; i < request.header_count; ++i) {
      if (request.headers[i].name == "Authorization") s.authorization = std::string(request.headers[i].value);
    }
    sent.push_back(s);
    const Answer a = answer(sent.size() - 1, s);
    Status st = sink->on_status(a.status);
    if (st.ok() && !a.error_type.empty()) st = sink->on_header("x-amzn-ErrorType", a.error_type + ":http://x/");
    if (st.ok()) st = sink->on_body(a.body.data(), a.body.size());
    return st;
  }
};

std::string summary(const std::string& region, const std::string& id, const std::vector<std::string>& destinations) {
  const std::string model = id.substr(id.find('.') + 1);
  std::string models;
  for (const std::string& d : destinations) {
    models += std::string(models.empty() ? "" : ",") + "{\"modelArn\":\"arn:aws:bedrock:" + d +
              "::foundation-model/" + model + "\"}";
  }
  return "{\"inferenceProfileName\":\"n\",\"inferenceProfileArn\":\"arn:aws:bedrock:" + region +
         ":111122223333:inference-profile/" + id + "\",\"models\":[" + models + "],\"inferenceProfileId\":\"" + id +
         "\",\"status\":\"ACTIVE\",\"type\":\"SYSTEM_DEFINED\"}";
}

class CatalogRefreshTest : public ::testing::Test {
 protected:
  Status fetch(const std::vector<std::string>& regions, CatalogRefreshResult* out) {
    CatalogRefreshOptions options;
    options.source_regions = regions;
    options.connect_to.push_back({"eu-west-1", "127.0.0.1", 4443});
    const ControlPlaneCredentials credentials{{"AKIDEXAMPLE", kSecret, ""}, {}};
    return fetch_live_catalog(transport, mbedtls_crypto(), clock, credentials, options, out);
  }

  ScriptedTransport transport;
  ManualClock clock{0, 1764936000000};  // 2025-12-05T12:00:00Z
};

// Cases over the built-in snapshot carry its suite prefix (tests/builtin_catalog.cmake).
using DefaultCatalogRefreshTest = CatalogRefreshTest;

TEST_F(DefaultCatalogRefreshTest, ListsSystemDefinedProfilesPageByPageSignedForTheControlPlane) {
  const std::string eu = "eu.anthropic.claude-haiku-4-5-20251001-v1:0";
  const std::string global = "global.anthropic.claude-haiku-4-5-20251001-v1:0";
  transport.answer = [&](std::size_t i, const Sent& s) {
    if (i == 0) {
      return Answer{200, "{\"inferenceProfileSummaries\":[" + summary("eu-west-1", eu, {"eu-west-1", "eu-west-3"}) +
                             "],\"nextToken\":\"a+b/c=\"}"};
    }
    if (i == 1) return Answer{200, "{\"inferenceProfileSummaries\":[" + summary("eu-west-1", global, {"eu-west-1", ""}) + "]}"};
    return Answer{200, "{\"inferenceProfileSummaries\":[" + summary(s.host.substr(8, s.host.find(".amazonaws") - 8), eu, {"eu-west-1"}) + "]}"};
  };
  CatalogRefreshResult result;
  const Status s = fetch({"eu-west-1", "eu-west-3"}, &result);
  ASSERT_TRUE(s.ok()) << s.message();
  ASSERT_EQ(transport.sent.size(), 3u);
  EXPECT_EQ(transport.sent[0].host, "bedrock.eu-west-1.amazonaws.com");
  EXPECT_EQ(transport.sent[0].path_and_query, "/inference-profiles?maxResults=1000&type=SYSTEM_DEFINED");
  EXPECT_EQ(transport.sent[0].connect_host, "127.0.0.1");
  EXPECT_EQ(transport.sent[0].connect_port, 4443);
  // The opaque token travels percent-encoded.
  EXPECT_EQ(transport.sent[1].path_and_query,
            "/inference-profiles?maxResults=1000&type=SYSTEM_DEFINED&nextToken=a%2Bb%2Fc%3D");
  EXPECT_EQ(transport.sent[2].host, "bedrock.eu-west-3.amazonaws.com");
  EXPECT_EQ(transport.sent[2].connect_host, "");
  EXPECT_EQ(transport.sent[2].authorization.find("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20251205/eu-west-3/bedrock/"
                                                 "aws4_request"),
            0u)
      << transport.sent[2].authorization;
  EXPECT_EQ(result.pages, 3u);
  EXPECT_EQ(result.profile_sources, 3u);
  EXPECT_EQ(result.source, "ListInferenceProfiles in eu-west-1, eu-west-3 at 2025-12-05T12:00:00Z");

  // Merged over the snapshot: live wins, the empty-region ARN is `global`.
  auto catalog = std::make_unique<Catalog>();
  ASSERT_TRUE(catalog->load_default().ok());
  ASSERT_TRUE(apply_live_catalog(result, catalog.get()).ok());
  const int c = catalog->find_candidate(eu, "eu-west-1");
  ASSERT_NE(c, Catalog::kNone);
  EXPECT_EQ(catalog->candidate(static_cast<std::size_t>(c)).destinations.count(), 2u);
  EXPECT_EQ(catalog->find_candidate(eu, "eu-central-1"), Catalog::kNone);  // not listed live: replaced
  const int g = catalog->find_candidate(global, "eu-west-1");
  ASSERT_NE(g, Catalog::kNone);
  const int global_set = catalog->find_region_set("global");
  ASSERT_NE(global_set, Catalog::kNone);
  EXPECT_EQ(catalog->candidate(static_cast<std::size_t>(g)).destinations.first_outside(
                catalog->region_set(static_cast<std::size_t>(global_set))),
            -1);
  EXPECT_GT(catalog->candidate(static_cast<std::size_t>(g)).destinations.count(), 20u);
}

TEST_F(CatalogRefreshTest, AListingThatNeverEndsStopsAtThePageLimit) {
  transport.answer = [](std::size_t i, const Sent&) {
    return Answer{200, "{\"inferenceProfileSummaries\":[],\"nextToken\":\"t" + std::to_string(i) + "\"}"};
  };
  CatalogRefreshResult result;
  const Status s = fetch({"eu-west-1"}, &result);
  EXPECT_EQ(s.code(), Code::kLimitExceeded);
  EXPECT_STREQ(s.message(),
               "catalog refresh: eu-west-1: ListInferenceProfiles: more than 32 pages (kCatalogRefreshMaxPages)");
  EXPECT_EQ(transport.sent.size(), kCatalogRefreshMaxPages);
  EXPECT_TRUE(result.catalog_json.empty());
}

TEST_F(CatalogRefreshTest, ARepeatedTokenIsAnErrorNotALoop) {
  transport.answer = [](std::size_t, const Sent&) {
    return Answer{200, "{\"inferenceProfileSummaries\":[],\"nextToken\":\"same\"}"};
  };
  CatalogRefreshResult result;
  const Status s = fetch({"eu-west-1"}, &result);
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_EQ(transport.sent.size(), 2u);
}

TEST_F(CatalogRefreshTest, AnErrorAnswerIsOneLineNamingRegionCallAndType) {
  transport.answer = [](std::size_t, const Sent& s) {
    if (s.host == "bedrock.eu-west-1.amazonaws.com") return Answer{200, "{\"inferenceProfileSummaries\":[]}"};
    return Answer{403, "{\"message\":\"The request signature we calculated does not match\\nthe signature.\"}",
                  "InvalidSignatureException"};
  };
  CatalogRefreshResult result;
  const Status s = fetch({"eu-west-1", "eu-west-3"}, &result);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_STREQ(s.message(),
               "catalog refresh: eu-west-3: ListInferenceProfiles: HTTP 403 InvalidSignatureException: The request "
               "signature we calculated does not match the signature.");
  EXPECT_EQ(std::string(s.message()).find(kSecret), std::string::npos);
  EXPECT_TRUE(result.catalog_json.empty());  // all or nothing
}

TEST_F(CatalogRefreshTest, AnOversizedPageOrAMalformedListingIsRefused) {
  transport.answer = [](std::size_t, const Sent&) {
    return Answer{200, "{\"inferenceProfileSummaries\":[" + std::string(kCatalogRefreshMaxPageBytes, ' ') + "]}"};
  };
  CatalogRefreshResult result;
  EXPECT_EQ(fetch({"eu-west-1"}, &result).code(), Code::kLimitExceeded);
  transport.answer = [](std::size_t, const Sent&) {
    return Answer{200, "{\"inferenceProfileSummaries\":[{\"type\":\"SYSTEM_DEFINED\"}]}"};
  };
  const Status s = fetch({"eu-west-1"}, &result);
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_NE(std::string(s.message()).find("eu-west-1 page 1: inferenceProfileSummaries[0]"), std::string::npos)
      << s.message();
}

TEST_F(DefaultCatalogRefreshTest, TheRefreshListsInTheSourcesThePolicyAllows) {
  auto catalog = std::make_unique<Catalog>();
  ASSERT_TRUE(catalog->load_default().ok());
  Policy policy(*catalog);
  ASSERT_TRUE(policy.set_allow("eu").ok());
  const std::vector<std::string> regions = refresh_source_regions(*catalog, policy.allowed_regions());
  EXPECT_EQ(regions, (std::vector<std::string>{"eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1", "eu-south-1",
                                               "eu-south-2"}));
  CatalogRefreshResult result;
  EXPECT_EQ(fetch({}, &result).code(), Code::kInvalidArgument);
  EXPECT_TRUE(transport.sent.empty());
}

}  // namespace
}  // namespace edgeroute
