// What the routed client's unit tests share: a Converse answer, fixed SigV4 keys,
// and the control plane's ListInferenceProfiles answer for the profile "eu.m".
#ifndef EDGEROUTE_TESTS_RUNTIME_FIXTURES_H
#define EDGEROUTE_TESTS_RUNTIME_FIXTURES_H

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <string_view>

#include "edgeroute/credentials.h"
#include "edgeroute/status.h"

namespace edgeroute {
namespace runtime_fixtures {

// A Converse answer: the text "hi", 4 tokens.
inline constexpr const char* kConverseOk =
    R"({"output":{"message":{"role":"assistant","content":[{"text":"hi"}]}},"stopReason":"end_turn",)"
    R"("usage":{"inputTokens":3,"outputTokens":1,"totalTokens":4},"metrics":{"latencyMs":5}})";

// The AWS documentation's example keys, with a session token when given.
class StaticCredentials final : public CredentialsProvider {
 public:
  explicit StaticCredentials(const char* session_token = "") : session_token_(session_token) {}
  Status get(std::int64_t, AwsCredentials* out) const override {
    *out = AwsCredentials::sigv4_keys("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", session_token_);
    return Status();
  }

 private:
  const char* session_token_;
};

// A catalog document in a file of its own under /tmp, removed with the object.
class CatalogFile {
 public:
  explicit CatalogFile(const char* json) {
    char name[] = "/tmp/edgeroute-catalog-XXXXXX";
    const int fd = mkstemp(name);
    if (fd < 0) return;
    close(fd);
    path_ = name;
    std::ofstream(path_) << json;
  }
  ~CatalogFile() {
    if (!path_.empty()) std::remove(path_.c_str());
  }
  CatalogFile(const CatalogFile&) = delete;
  CatalogFile& operator=(const CatalogFile&) = delete;
  const std::string& path() const { return path_; }  // empty when it could not be made

 private:
  std::string path_;
};

// ListInferenceProfiles as bedrock.REGION.amazonaws.com (`host`) answers it: the
// system-defined profile eu.m of model m, routing to `destinations`
// ("eu-central-1,eu-west-1").
inline std::string eu_m_listing(std::string_view host, const std::string& destinations) {
  const std::string region(host.substr(8, host.find(".amazonaws.com") - 8));
  std::string models;
  for (std::size_t at = 0; at <= destinations.size();) {
    const std::size_t comma = std::min(destinations.find(',', at), destinations.size());
    models += std::string(models.empty() ? "" : ",") + R"({"modelArn":"arn:aws:bedrock:)" +
              destinations.substr(at, comma - at) + R"(::foundation-model/m"})";
    at = comma + 1;
  }
  return R"({"inferenceProfileSummaries":[{"inferenceProfileName":"EU m","inferenceProfileArn":)"
         R"("arn:aws:bedrock:)" + region + R"(:111122223333:inference-profile/eu.m","models":[)" + models +
         R"(],"inferenceProfileId":"eu.m","status":"ACTIVE","type":"SYSTEM_DEFINED"}]})";
}

}  // namespace runtime_fixtures
}  // namespace edgeroute

#endif  // EDGEROUTE_TESTS_RUNTIME_FIXTURES_H
