// Credentials from the environment and the shared files, and the region. The
// environment is a map (the process's is never touched); files live in a
// temporary directory per test. All keys here are fake.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "edgeroute/credentials.h"

namespace edgeroute {
namespace {

constexpr char kKeyId[] = "AKIDTESTKEY000000001";
constexpr char kSecret[] = "tEsTsEcReT/K7MDENG+bPxRfiCYzzzzSECRET01";
constexpr char kToken[] = "FwoGZXIvYXdzTESTsessionTOKENvalue0123456789";
constexpr char kBearer[] = "ABSKdGVzdC1iZWFyZXItdG9rZW4tdmFsdWU=";
constexpr std::int64_t kNowMs = 1700000000000;

class MapEnvironment final : public Environment {
 public:
  const char* get(const char* name) const override {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  }
  std::map<std::string, std::string> vars;
};

// True when a message carries any of the test's secrets. Failures report only
// that, never the message, so no secret reaches the test output.
bool leaks_secret(const Status& s) {
  const std::string m = s.message();
  for (const char* secret : {kSecret, kToken, kBearer}) {
    if (m.find(secret) != std::string::npos) return true;
  }
  return false;
}

class CredentialsFiles : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/edgeroute-credentials-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    env_.vars["HOME"] = dir_;
    std::filesystem::create_directories(dir_ + "/.aws");
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string write(const std::string& relative, const std::string& text) {
    const std::string path = dir_ + "/" + relative;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }
  std::string credentials_file(const std::string& text) { return write(".aws/credentials", text); }
  std::string config_file(const std::string& text) { return write(".aws/config", text); }

  Status get(AwsCredentials* out) { return ProfileCredentialsProvider(env_).get(kNowMs, out); }

  std::string dir_;
  MapEnvironment env_;
};

std::string keys_section(const std::string& header) {
  return header + "\naws_access_key_id = " + kKeyId + "\naws_secret_access_key = " + kSecret + "\n";
}

TEST(AwsCredentials, CopiesAreIndependentAndClearEmpties) {
  AwsCredentials a = AwsCredentials::sigv4_keys(kKeyId, kSecret, kToken, kNowMs + 1000);
  AwsCredentials b = AwsCredentials::bearer(kBearer);
  b = a;
  EXPECT_EQ(b.secret_access_key(), kSecret);
  EXPECT_TRUE(b.bearer_token().empty());
  EXPECT_FALSE(b.is_bearer());
  a.clear();
  EXPECT_TRUE(a.empty());
  EXPECT_EQ(b.for_signer().session_token, kToken);
  EXPECT_FALSE(b.expired_at(kNowMs));
  EXPECT_TRUE(b.expired_at(kNowMs, 1000));
  EXPECT_FALSE(AwsCredentials::bearer(kBearer).expired_at(kNowMs + 1000000000));
}

TEST(EnvironmentCredentials, ReadsKeysAndSessionToken) {
  MapEnvironment env;
  env.vars = {{"AWS_ACCESS_KEY_ID", kKeyId}, {"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_SESSION_TOKEN", kToken}};
  AwsCredentials c;
  ASSERT_TRUE(EnvironmentCredentialsProvider(env).get(kNowMs, &c).ok());
  EXPECT_EQ(c.access_key_id(), kKeyId);
  EXPECT_EQ(c.secret_access_key(), kSecret);
  EXPECT_EQ(c.session_token(), kToken);
  EXPECT_FALSE(c.is_bearer());
  EXPECT_EQ(c.expiration_utc_ms(), 0);
}

TEST(EnvironmentCredentials, BedrockApiKeyWinsOverKeys) {
  MapEnvironment env;
  env.vars = {{"AWS_ACCESS_KEY_ID", kKeyId}, {"AWS_SECRET_ACCESS_KEY", kSecret},
              {"AWS_BEARER_TOKEN_BEDROCK", kBearer}};
  AwsCredentials c;
  ASSERT_TRUE(EnvironmentCredentialsProvider(env).get(kNowMs, &c).ok());
  EXPECT_TRUE(c.is_bearer());
  EXPECT_EQ(c.bearer_token(), kBearer);
  EXPECT_TRUE(c.access_key_id().empty());
}

TEST(EnvironmentCredentials, EmptyVariablesCountAsUnset) {
  MapEnvironment env;
  env.vars = {{"AWS_ACCESS_KEY_ID", ""}, {"AWS_SECRET_ACCESS_KEY", ""}, {"AWS_BEARER_TOKEN_BEDROCK", ""}};
  AwsCredentials c;
  EXPECT_EQ(EnvironmentCredentialsProvider(env).get(kNowMs, &c).code(), Code::kNotFound);
}

TEST(EnvironmentCredentials, HalfAPairOrABadValueIsAnErrorThatShowsNoSecret) {
  const std::vector<std::map<std::string, std::string>> cases = {
      {{"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_SESSION_TOKEN", kToken}},
      {{"AWS_ACCESS_KEY_ID", kKeyId}},
      {{"AWS_ACCESS_KEY_ID", kKeyId}, {"AWS_SECRET_ACCESS_KEY", std::string(kSecret) + "\r\nX: y"}},
      {{"AWS_ACCESS_KEY_ID", kKeyId}, {"AWS_SECRET_ACCESS_KEY", kSecret}, {"AWS_SESSION_TOKEN", std::string(kToken) + " "}},
      {{"AWS_BEARER_TOKEN_BEDROCK", std::string(kBearer) + "\n"}},
      {{"AWS_BEARER_TOKEN_BEDROCK", std::string(kMaxCredentialValueBytes + 1, 'A') + kBearer}},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    MapEnvironment env;
    env.vars = cases[i];
    AwsCredentials c;
    const Status s = EnvironmentCredentialsProvider(env).get(kNowMs, &c);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << "case " << i;
    EXPECT_FALSE(leaks_secret(s)) << "case " << i << ": the message contains a secret";
    EXPECT_TRUE(c.empty()) << "case " << i;
  }
}

TEST_F(CredentialsFiles, DefaultProfileWithCommentsWhitespaceCrLfAndKeyCase) {
  credentials_file(std::string("# leading comment\r\n; another\r\n\r\n  [default]  \r\n") +
                   "\tAWS_Access_Key_ID\t=\t" + kKeyId + "  \r\n" + "aws_secret_access_key=" + kSecret +
                   "\r\n" + "aws_session_token = " + kToken + "\r\n");
  AwsCredentials c;
  const Status s = get(&c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(c.access_key_id(), kKeyId);
  EXPECT_EQ(c.secret_access_key(), kSecret);
  EXPECT_EQ(c.session_token(), kToken);
}

TEST_F(CredentialsFiles, ProfileFromAwsProfileAndConfigFileSections) {
  env_.vars["AWS_PROFILE"] = "work";
  // Only the config file has the profile, spelled [profile work].
  credentials_file(keys_section("[default]"));
  config_file("[default]\nregion = eu-west-1\n" + keys_section("[profile   work]") + "region = eu-central-1\n");
  AwsCredentials c;
  ASSERT_TRUE(get(&c).ok());
  EXPECT_EQ(c.access_key_id(), kKeyId);
  // [work] without "profile" is not that profile in the config file.
  config_file(keys_section("[work]"));
  EXPECT_EQ(get(&c).code(), Code::kNotFound);
}

TEST_F(CredentialsFiles, CredentialsFileWinsOverConfigFile) {
  credentials_file("[default]\naws_access_key_id = AKIDFROMCREDENTIALS\naws_secret_access_key = s1\n");
  config_file("[default]\naws_access_key_id = AKIDFROMCONFIG\naws_secret_access_key = s2\n");
  AwsCredentials c;
  ASSERT_TRUE(get(&c).ok());
  EXPECT_EQ(c.access_key_id(), "AKIDFROMCREDENTIALS");
  EXPECT_EQ(c.secret_access_key(), "s1");
}

TEST_F(CredentialsFiles, ExplicitOptionsAndTildePaths) {
  write("elsewhere", keys_section("[edge]"));
  ProfileOptions options;
  options.profile = "edge";
  options.credentials_file = "~/elsewhere";
  AwsCredentials c;
  ASSERT_TRUE(ProfileCredentialsProvider(env_, options).get(kNowMs, &c).ok());
  EXPECT_EQ(c.secret_access_key(), kSecret);
  // The same through the environment variable.
  env_.vars["AWS_SHARED_CREDENTIALS_FILE"] = dir_ + "/elsewhere";
  env_.vars["AWS_PROFILE"] = "edge";
  ASSERT_TRUE(get(&c).ok());
}

TEST_F(CredentialsFiles, RepeatedSectionsMergeAndLaterKeysWin) {
  credentials_file(std::string("[default]\naws_access_key_id = AKIDOLD\n[other]\nx = 1\n[default]\n") +
                   "aws_access_key_id = " + kKeyId + "\naws_secret_access_key = " + kSecret + "\n");
  AwsCredentials c;
  ASSERT_TRUE(get(&c).ok());
  EXPECT_EQ(c.access_key_id(), kKeyId);
}

TEST_F(CredentialsFiles, IndentedSubSettingsUnderAnEmptyKeyAreSkipped) {
  config_file("[default]\ns3 =\n  max_concurrent_requests = 4\n  no equals sign here\nregion = eu-west-3\n");
  std::string region;
  const Status s = resolve_region(env_, ProfileOptions(), &region);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(region, "eu-west-3");
}

// Devices rotate keys by rewriting the file; a long-running process (one provider,
// many calls) must sign the next call with the new key, without a restart.
TEST_F(CredentialsFiles, ARewrittenFileIsReadByTheNextCall) {
  credentials_file(keys_section("[default]"));
  const ProfileCredentialsProvider provider(env_);
  AwsCredentials first;
  ASSERT_TRUE(provider.get(kNowMs, &first).ok());
  credentials_file("[default]\naws_access_key_id = AKIDROTATED2\naws_secret_access_key = rotated-secret\n");
  AwsCredentials second;
  ASSERT_TRUE(provider.get(kNowMs, &second).ok());
  EXPECT_EQ(std::string(first.access_key_id()), kKeyId);
  EXPECT_EQ(std::string(second.access_key_id()), "AKIDROTATED2");
}

TEST_F(CredentialsFiles, MissingFilesOrProfileIsNotFound) {
  AwsCredentials c;
  Status s = get(&c);
  EXPECT_EQ(s.code(), Code::kNotFound);
  env_.vars["AWS_PROFILE"] = "absent";
  credentials_file(keys_section("[default]"));
  s = get(&c);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(std::strstr(s.message(), "'absent'"), nullptr) << s.message();
  env_.vars.erase("HOME");
  EXPECT_EQ(get(&c).code(), Code::kNotFound);
}

TEST_F(CredentialsFiles, UnsupportedSourcesAreNamed) {
  config_file("[profile assumed]\nrole_arn = arn:aws:iam::111122223333:role/x\nsource_profile = default\n");
  env_.vars["AWS_PROFILE"] = "assumed";
  AwsCredentials c;
  const Status s = get(&c);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(std::strstr(s.message(), "role_arn"), nullptr) << s.message();
}

TEST_F(CredentialsFiles, OversizedFileIsRejected) {
  credentials_file(keys_section("[default]") + "# " + std::string(kMaxProfileFileBytes, 'x') + "\n");
  AwsCredentials c;
  EXPECT_EQ(get(&c).code(), Code::kLimitExceeded);
}

// Each malformed file holds the secret and the token, some of them on the very
// line that is wrong; the error names file:line and shows neither.
TEST_F(CredentialsFiles, MalformedFilesNameFileAndLineAndNeverTheSecret) {
  const std::string secret = kSecret, token = kToken;
  struct Case {
    std::string text;
    Code code;
    int line;  // 0: no line in the message
  };
  const std::vector<Case> cases = {
      {"[default]\naws_access_key_id = " + std::string(kKeyId) + "\naws_secret_access_key " + secret + "\n",
       Code::kParseError, 3},
      {"[default\naws_secret_access_key = " + secret + "\n", Code::kParseError, 1},
      {"[" + secret + "\n", Code::kParseError, 1},
      {"aws_session_token = " + token + "\n[default]\n", Code::kParseError, 1},
      {"[default]\n= " + secret + "\n", Code::kParseError, 2},
      {"[default] " + token + "\n", Code::kParseError, 1},
      {"[ ]\naws_session_token = " + token + "\n", Code::kParseError, 1},
      {"[default]\naws_session_token = " + token + "\n" + token + "\n", Code::kParseError, 3},
      {"[default]\naws_secret_access_key = " + secret + "\naws_session_token = " + token + "\n",
       Code::kInvalidArgument, 0},
      {"[default]\naws_access_key_id = " + std::string(kKeyId) + "\naws_secret_access_key = " + secret +
           "\x01\n",
       Code::kInvalidArgument, 0},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const std::string path = credentials_file(cases[i].text);
    AwsCredentials c;
    const Status s = get(&c);
    EXPECT_EQ(s.code(), cases[i].code) << "case " << i;
    EXPECT_FALSE(leaks_secret(s)) << "case " << i << ": the message contains a secret";
    const std::string expected = cases[i].line != 0 ? path + ":" + std::to_string(cases[i].line) + ":" : path;
    EXPECT_NE(std::string(s.message()).find(expected), std::string::npos) << "case " << i;
    EXPECT_TRUE(c.empty()) << "case " << i;
  }
}

TEST_F(CredentialsFiles, ChainTriesEnvironmentThenFilesAndStopsAtErrors) {
  credentials_file(keys_section("[default]"));
  env_.vars["AWS_BEARER_TOKEN_BEDROCK"] = kBearer;
  AwsCredentials c;
  ASSERT_TRUE(DefaultCredentialsChain(env_).get(kNowMs, &c).ok());
  EXPECT_TRUE(c.is_bearer());
  env_.vars.erase("AWS_BEARER_TOKEN_BEDROCK");
  ASSERT_TRUE(DefaultCredentialsChain(env_).get(kNowMs, &c).ok());
  EXPECT_EQ(c.secret_access_key(), kSecret);
  EXPECT_FALSE(c.is_bearer());
  credentials_file("[default]\nno equals " + std::string(kSecret) + "\n");
  const Status s = DefaultCredentialsChain(env_).get(kNowMs, &c);
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_FALSE(leaks_secret(s)) << "the message contains a secret";
  std::remove((dir_ + "/.aws/credentials").c_str());
  EXPECT_EQ(DefaultCredentialsChain(env_).get(kNowMs, &c).code(), Code::kNotFound);
}

TEST_F(CredentialsFiles, RegionFromEnvironmentThenConfigFile) {
  config_file("[default]\nregion = eu-west-3\n[profile us]\nregion = us-east-2\n");
  std::string region;
  ASSERT_TRUE(resolve_region(env_, ProfileOptions(), &region).ok());
  EXPECT_EQ(region, "eu-west-3");
  env_.vars["AWS_PROFILE"] = "us";
  ASSERT_TRUE(resolve_region(env_, ProfileOptions(), &region).ok());
  EXPECT_EQ(region, "us-east-2");
  env_.vars["AWS_DEFAULT_REGION"] = "ap-southeast-2";
  ASSERT_TRUE(resolve_region(env_, ProfileOptions(), &region).ok());
  EXPECT_EQ(region, "ap-southeast-2");
  env_.vars["AWS_REGION"] = "eu-central-1";
  ASSERT_TRUE(resolve_region(env_, ProfileOptions(), &region).ok());
  EXPECT_EQ(region, "eu-central-1");
  env_.vars["AWS_REGION"] = "EU Central";
  EXPECT_EQ(resolve_region(env_, ProfileOptions(), &region).code(), Code::kInvalidArgument);
  EXPECT_TRUE(region.empty());
}

TEST_F(CredentialsFiles, NoRegionAnywhereIsNotFound) {
  std::string region;
  EXPECT_EQ(resolve_region(env_, ProfileOptions(), &region).code(), Code::kNotFound);
  config_file("[default]\nregion\n");
  EXPECT_EQ(resolve_region(env_, ProfileOptions(), &region).code(), Code::kParseError);
}

}  // namespace
}  // namespace edgeroute
