// When Bedrock refuses a bare model ID because only inference profiles serve it,
// the routed client's error names the profiles the policy allows for that model.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <memory>
#include <string>

#include "edgeroute/runtime.h"
#include "runtime_fixtures.h"

namespace edgeroute {
namespace {

using runtime_fixtures::StaticCredentials;

// A catalog that (wrongly) offers m's bare ID in Frankfurt, and only that.
constexpr const char* kWorld = R"({
  "region_sets": {"eu": ["eu-central-1", "eu-west-1"], "us": ["us-east-1"]},
  "profiles": [
    {"id": "eu.m", "model": "m", "geography": "eu", "sources": {"eu-west-1": ["eu"]}},
    {"id": "us.m", "model": "m", "geography": "us", "sources": {"us-east-1": ["us"]}}
  ],
  "in_region": [{"model": "m", "regions": ["eu-central-1"]}]
})";

// Bedrock's answer to a bare ID that only profiles serve (its apostrophe is U+2019).
class ProfileOnlyService final : public Transport {
 public:
  Status send(const HttpRequest& request, const HttpTimeouts&, HttpResponseSink* sink, HttpTiming*) override {
    if (request.method == "GET") return sink->on_status(404);
    Status s = sink->on_status(400);
    if (s.ok()) s = sink->on_header("x-amzn-ErrorType", "ValidationException:http://internal.amazon.com/coral/com.amazon.bedrock/");
    const std::string body =
        "{\"message\":\"Invocation of model ID m with on-demand throughput isn\xE2\x80\x99t supported. Retry your "
        "request with the ID or ARN of an inference profile that contains this model.\"}";
    if (s.ok()) s = sink->on_body(body.data(), body.size());
    return s;
  }
};

TEST(RuntimeProfileOnly, TheRefusalOfABareIdNamesTheAllowedProfiles) {
  const runtime_fixtures::CatalogFile catalog(kWorld);
  ASSERT_FALSE(catalog.path().empty());
  StaticCredentials credentials;
  RuntimeOptions o;
  o.allow = "eu";
  o.catalog_file = catalog.path();
  o.credentials = &credentials;
  o.pin_region = "eu-central-1";  // the bare ID's only source
  o.models = {"m"};
  o.make_transport = [](std::unique_ptr<Transport>* out) {
    *out = std::make_unique<ProfileOnlyService>();
    return Status();
  };
  std::unique_ptr<Runtime> runtime;
  const Status created = Runtime::create(o, &runtime);
  ASSERT_TRUE(created.ok()) << created.message();
  bedrock::ConverseRequest request;
  request.model_id = "m";
  request.messages.push_back(bedrock::Message{"user", {bedrock::ContentBlock::of_text("Hello")}});
  const ConverseResult r = runtime->converse(request);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.identifier, "m");
  EXPECT_NE(r.error.message.find("on-demand throughput"), std::string::npos) << r.error.message;
  EXPECT_NE(r.error.message.find("; profiles of m allowed under eu: eu.m"), std::string::npos) << r.error.message;
  EXPECT_EQ(r.error.message.find("us.m"), std::string::npos) << r.error.message;
}

}  // namespace
}  // namespace edgeroute
