// Container / Greengrass and AWS IoT credentials over a scripted transport: the
// request each sends, the answers they accept, the hosts plain HTTP may reach, the
// errors and their classes, and that no message shows a secret. All keys are fake.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "edgeroute/credentials_remote.h"
#include "edgeroute/credentials_setup.h"

namespace edgeroute {
namespace {

constexpr char kSecret[] = "rEmOtEsEcReT/K7MDENG+bPxRfiCYzzzz01";
constexpr char kToken[] = "IQoJremoteSESSIONtokenVALUE0123456789";
constexpr char kAuthToken[] = "container-auth-TOKEN-0123456789";
constexpr std::int64_t kNow = 1764939600000;  // 2025-12-05T13:00:00Z

class MapEnvironment final : public Environment {
 public:
  const char* get(const char* name) const override {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  }
  std::map<std::string, std::string> vars;
};

// Answers every request with one scripted status and body, and records the request.
class ScriptedTransport final : public Transport {
 public:
  struct Script {
    int status = 200;
    std::string body;
    Status error;
    std::string host, path, authorization, thing_name;
    bool tls = false;
    std::uint16_t port = 0;
    int sends = 0;
  };
  explicit ScriptedTransport(Script* script) : s_(script) {}
  Status send(const HttpRequest& request, const HttpTimeouts& timeouts, HttpResponseSink* sink,
              HttpTiming*) override {
    ++s_->sends;
    s_->host.assign(request.host);
    s_->path.assign(request.path_and_query);
    s_->tls = request.tls;
    s_->port = request.port;
    EXPECT_NE(timeouts.deadline_monotonic_ns, 0) << "every fetch is bounded";
    for (std::size_t i = 0; i < request.header_count; ++i) {
      if (request.headers[i].name == "Authorization") s_->authorization.assign(request.headers[i].value);
      if (request.headers[i].name == "x-amzn-iot-thingname") s_->thing_name.assign(request.headers[i].value);
    }
    if (!s_->error.ok()) return s_->error;
    Status st = sink->on_status(s_->status);
    if (st.ok()) st = sink->on_body(s_->body.data(), s_->body.size());
    return st;
  }

 private:
  Script* s_;
};

bool leaks(const Status& s) {
  const std::string m = s.message();
  for (const char* secret : {kSecret, kToken, kAuthToken}) {
    if (m.find(secret) != std::string::npos) return true;
  }
  return false;
}

std::string container_answer() {
  return std::string(R"({"AccessKeyId": "ASIACONTAINER0000001", "SecretAccessKey": ")") + kSecret +
         R"(", "Token": ")" + kToken + R"(", "Expiration": "2025-12-05T14:00:00Z"})";
}

std::string iot_answer() {
  return std::string(R"({"credentials": {"accessKeyId": "ASIAIOTDEVICE0000001", "secretAccessKey": ")") + kSecret +
         R"(", "sessionToken": ")" + kToken + R"(", "expiration": "2025-12-05T13:15:00Z"}})";
}

TEST(CredentialsParsing, Iso8601UtcTimes) {
  std::int64_t ms = 0;
  ASSERT_TRUE(parse_iso8601_utc_ms("2025-12-05T13:00:00Z", &ms));
  EXPECT_EQ(ms, kNow);
  ASSERT_TRUE(parse_iso8601_utc_ms("2025-12-05T13:00:00.250Z", &ms));
  EXPECT_EQ(ms, kNow + 250);
  ASSERT_TRUE(parse_iso8601_utc_ms("2025-12-05T13:00:00+00:00", &ms));
  EXPECT_EQ(ms, kNow);
  ASSERT_TRUE(parse_iso8601_utc_ms("2000-03-01T00:00:00Z", &ms));
  EXPECT_EQ(ms, 951868800000);
  for (const char* bad : {"", "2025-12-05", "2025-12-05T13:00:00", "2025-12-05T13:00:00+02:00", "2025-13-05T13:00:00Z",
                          "2025-12-05T13:00:00.Z", "x025-12-05T13:00:00Z"}) {
    EXPECT_FALSE(parse_iso8601_utc_ms(bad, &ms)) << bad;
  }
}

TEST(CredentialsParsing, Urls) {
  HttpUrl u;
  ASSERT_TRUE(parse_http_url("http://127.0.0.1:8080/creds?x=1", &u).ok());
  EXPECT_FALSE(u.tls);
  EXPECT_EQ(u.host, "127.0.0.1");
  EXPECT_EQ(u.port, 8080);
  EXPECT_EQ(u.path_and_query, "/creds?x=1");
  ASSERT_TRUE(parse_http_url("http://[fd00:ec2::23]/v1/credentials", &u).ok());
  EXPECT_EQ(u.host, "fd00:ec2::23");
  EXPECT_EQ(u.port, 80);
  ASSERT_TRUE(parse_http_url("https://creds.example.com", &u).ok());
  EXPECT_TRUE(u.tls);
  EXPECT_EQ(u.port, 443);
  EXPECT_EQ(u.path_and_query, "/");
  for (const char* bad : {"ftp://x/", "http://", "http://user:pw@host/", "http://h:0/", "http://h:99999/",
                          "http://h/a b", "http://[::1/"}) {
    EXPECT_FALSE(parse_http_url(bad, &u).ok()) << bad;
  }
}

TEST(CredentialsParsing, AnswersInEachShapeAndTheirMistakes) {
  AwsCredentials c;
  ASSERT_TRUE(parse_credentials_json(container_answer(), false, false, "container", &c).ok());
  EXPECT_EQ(std::string(c.access_key_id()), "ASIACONTAINER0000001");
  EXPECT_EQ(std::string(c.session_token()), kToken);
  EXPECT_EQ(c.expiration_utc_ms(), kNow + 3600 * 1000);
  EXPECT_STREQ(c.source(), "container");
  ASSERT_TRUE(parse_credentials_json(iot_answer(), true, false, "iot", &c).ok());
  EXPECT_EQ(c.expiration_utc_ms(), kNow + 900 * 1000);
  const std::string process_v1 = std::string(R"({"Version": 1, "AccessKeyId": "AKIDPROCESS000000001", "SecretAccessKey": ")") +
                                  kSecret + R"("})";
  ASSERT_TRUE(parse_credentials_json(process_v1, false, true, "process", &c).ok());
  EXPECT_EQ(c.expiration_utc_ms(), 0);
  const std::string bad[] = {
      "not json",
      R"({"AccessKeyId": "ASIA1"})",
      std::string(R"({"AccessKeyId": "ASIA1", "SecretAccessKey": ")") + kSecret + R"(", "Expiration": "soon"})",
      std::string(R"({"AccessKeyId": "ASIA 1", "SecretAccessKey": ")") + kSecret + R"(", "Expiration": "2025-12-05T14:00:00Z"})",
      std::string(R"({"AccessKeyId": "ASIA1", "SecretAccessKey": ")") + kSecret + "\\n" + R"(", "Expiration": "2025-12-05T14:00:00Z"})",
  };
  for (const std::string& b : bad) {
    const Status s = parse_credentials_json(b, false, false, "container", &c);
    EXPECT_EQ(s.code(), Code::kParseError);
    EXPECT_FALSE(leaks(s));
  }
  EXPECT_FALSE(parse_credentials_json(R"({"Version": 2, "AccessKeyId": "A", "SecretAccessKey": "B"})", false, true,
                                      "process", &c).ok());
}

class ContainerTest : public ::testing::Test {
 protected:
  Status get(AwsCredentials* out) {
    ContainerCredentialsProvider p(env_, std::make_unique<ScriptedTransport>(&script_), clock_);
    return p.get(kNow, out);
  }
  MapEnvironment env_;
  ScriptedTransport::Script script_;
  ManualClock clock_;
};

TEST_F(ContainerTest, RelativeUriGoesTo169_254_170_2WithTheToken) {
  env_.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
  env_.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = kAuthToken;
  script_.body = container_answer();
  AwsCredentials c;
  ASSERT_TRUE(get(&c).ok());
  EXPECT_EQ(script_.host, "169.254.170.2");
  EXPECT_EQ(script_.port, 80);
  EXPECT_EQ(script_.path, "/v2/credentials/abc");
  EXPECT_EQ(script_.authorization, kAuthToken);
  EXPECT_EQ(std::string(c.access_key_id()), "ASIACONTAINER0000001");
}

TEST_F(ContainerTest, TheTokenFileWinsOverTheVariable) {
  const std::string dir = ::testing::TempDir();
  const std::string path = dir + "/edgeroute-container-token";
  std::ofstream(path) << "file-token-value\n";
  env_.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:51234/creds";
  env_.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = kAuthToken;
  env_.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = path;
  script_.body = container_answer();
  AwsCredentials c;
  ASSERT_TRUE(get(&c).ok());
  EXPECT_EQ(script_.authorization, "file-token-value");
  EXPECT_EQ(script_.port, 51234);
  std::filesystem::remove(path);
}

TEST_F(ContainerTest, PlainHttpReachesOnlyTheHostsTheSdksAllow) {
  script_.body = container_answer();
  for (const char* ok : {"http://127.0.0.1/x", "http://127.8.9.10:99/x", "http://localhost/x", "http://[::1]/x",
                         "http://169.254.170.2/x", "http://169.254.170.23/x", "http://[fd00:ec2::23]/x",
                         "https://creds.example.com/x"}) {
    env_.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = ok;
    AwsCredentials c;
    EXPECT_TRUE(get(&c).ok()) << ok;
  }
  const int sends = script_.sends;
  for (const char* refused : {"http://creds.example.com/x", "http://10.0.0.1/x", "http://169.254.169.254/x",
                              "http://127.0.0.1.evil.example/x", "http://128.0.0.1/x"}) {
    env_.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = refused;
    AwsCredentials c;
    const Status s = get(&c);
    EXPECT_EQ(s.code(), Code::kInvalidArgument) << refused;
    EXPECT_NE(std::string(s.message()).find("plain http://"), std::string::npos) << s.message();
  }
  EXPECT_EQ(script_.sends, sends) << "a refused URL is never contacted";
}

TEST_F(ContainerTest, ErrorsAreClassifiedAndShowNoToken) {
  env_.vars["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:1/creds";
  env_.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = kAuthToken;
  AwsCredentials c;
  script_.status = 401;
  Status s = get(&c);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_FALSE(leaks(s));
  script_.status = 500;
  EXPECT_EQ(get(&c).code(), Code::kUnavailable);
  script_.error = Status::error(Code::kUnavailable, "connection refused");
  s = get(&c);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(std::string(s.message()).find("127.0.0.1"), std::string::npos);
  env_.vars["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = std::string("a\r\nX-Injected: 1");
  script_.error = Status();
  script_.status = 200;
  EXPECT_EQ(get(&c).code(), Code::kInvalidArgument);
  env_.vars.clear();
  EXPECT_EQ(get(&c).code(), Code::kNotFound);
}

class IotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // One directory per test: ctest runs the tests of this suite side by side.
    char dir[] = "/tmp/edgeroute-iot-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    options_.endpoint = "c2abc.credentials.iot.eu-central-1.amazonaws.com";
    options_.role_alias = "edge-bedrock";
    options_.thing_name = "line-7";
    options_.identity.certificate_file = dir_ + "/device.pem";
    options_.identity.key = dir_ + "/device.key";
    std::ofstream(options_.identity.certificate_file) << "not checked here\n";
    std::ofstream(options_.identity.key) << "not checked here\n";
    chmod(options_.identity.key.c_str(), 0600);
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  Status get(AwsCredentials* out) {
    IotCredentialsProvider p(options_, std::make_unique<ScriptedTransport>(&script_), clock_);
    return p.get(kNow, out);
  }
  std::string dir_;
  IotCredentialsOptions options_;
  ScriptedTransport::Script script_;
  ManualClock clock_;
};

TEST_F(IotTest, AsksForTheRoleAliasWithTheThingName) {
  script_.body = iot_answer();
  AwsCredentials c;
  ASSERT_TRUE(get(&c).ok());
  EXPECT_TRUE(script_.tls);
  EXPECT_EQ(script_.host, "c2abc.credentials.iot.eu-central-1.amazonaws.com");
  EXPECT_EQ(script_.port, 443);
  EXPECT_EQ(script_.path, "/role-aliases/edge-bedrock/credentials");
  EXPECT_EQ(script_.thing_name, "line-7");
  EXPECT_EQ(std::string(c.access_key_id()), "ASIAIOTDEVICE0000001");
  EXPECT_STREQ(c.source(), "iot");
}

TEST_F(IotTest, AnswersAreClassifiedWithOneLineNamingTheEndpointOrFile) {
  AwsCredentials c;
  struct Case {
    int status;
    Code code;
    const char* says;
  } const cases[] = {{403, Code::kPermissionDenied, "refused the device certificate"},
                     {404, Code::kNotFound, "no role alias 'edge-bedrock'"},
                     {429, Code::kThrottled, "throttled"},
                     {503, Code::kUnavailable, "HTTP 503"}};
  for (const Case& k : cases) {
    script_.status = k.status;
    script_.body = "{\"message\": \"x\"}";
    const Status s = get(&c);
    EXPECT_EQ(s.code(), k.code) << k.status;
    EXPECT_NE(std::string(s.message()).find(k.says), std::string::npos) << s.message();
  }
  script_.error = Status::error_with_backend(Code::kUnavailable, 7, "connect: refused");
  const Status s = get(&c);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_NE(std::string(s.message()).find("c2abc.credentials.iot"), std::string::npos) << s.message();
}

TEST_F(IotTest, AKeyReadableByOthersIsRefusedBeforeConnecting) {
  chmod(options_.identity.key.c_str(), 0644);
  AwsCredentials c;
  const Status s = get(&c);
  EXPECT_EQ(s.code(), Code::kPermissionDenied);
  EXPECT_NE(std::string(s.message()).find("readable or writable by group or others (mode 0644)"), std::string::npos)
      << s.message();
  EXPECT_NE(std::string(s.message()).find("device.key"), std::string::npos);
  EXPECT_EQ(script_.sends, 0);
  // An engine key is not a file: no mode to check.
  options_.identity.key_type = "ENG";
  options_.identity.key = "pkcs11:object=device-key;type=private";
  script_.body = iot_answer();
  EXPECT_TRUE(get(&c).ok());
}

TEST_F(IotTest, BadSettingsAreNamed) {
  AwsCredentials c;
  options_.role_alias = "bad/alias";
  EXPECT_NE(std::string(get(&c).message()).find("role alias"), std::string::npos);
  options_.role_alias = "edge-bedrock";
  options_.identity.certificate_file = dir_ + "/missing.pem";
  const Status s = get(&c);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_NE(std::string(s.message()).find("missing.pem"), std::string::npos);
}

TEST(CredentialsSetupTest, NamedSourcesAndTheDefaultChain) {
  MapEnvironment env;
  ManualClock clock;
  int transports = 0;
  auto factory = [&](const TlsClientIdentity&, std::unique_ptr<Transport>* out) {
    ++transports;
    static ScriptedTransport::Script script;
    *out = std::make_unique<ScriptedTransport>(&script);
    return Status();
  };
  std::unique_ptr<CredentialsSetup> setup;
  CredentialsOptions o;
  ASSERT_TRUE(make_credentials(o, env, clock, factory, &setup).ok());
  EXPECT_EQ(setup->chain(), "environment, shared files, process");
  env.vars["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/creds";
  ASSERT_TRUE(make_credentials(o, env, clock, factory, &setup).ok());
  EXPECT_EQ(setup->chain(), "environment, shared files, process, container");
  EXPECT_EQ(transports, 1);
  o.source = "imds";
  EXPECT_EQ(make_credentials(o, env, clock, factory, &setup).code(), Code::kInvalidArgument);
  o.source = "environment";
  o.role_alias = "x";
  EXPECT_EQ(make_credentials(o, env, clock, factory, &setup).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace edgeroute
