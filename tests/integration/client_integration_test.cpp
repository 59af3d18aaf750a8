// The Bedrock client end to end: libcurl transport, SigV4 or bearer auth, against
// the simulator (tests/sim) over loopback. connect_to sends each region's real
// host name to that region's listener. One region per fault, so every fault of the
// simulator's schedule is checked for its classified error and for ending within
// the call's deadline.
#include <cjson/cJSON.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>

#include "edgeroute/bedrock.h"
#include "edgeroute/clock.h"
#include "edgeroute/credentials.h"
#include "edgeroute/curl_transport.h"
#include "edgeroute/mbedtls_crypto.h"

namespace edgeroute {
namespace bedrock {
namespace {

constexpr int kReadyTimeoutMs = 20000;
constexpr int kStopTimeoutMs = 5000;
constexpr std::int64_t kDeadlineMs = 3000;
// Added to a deadline when checking how soon a call ended (scheduling, loopback, TLS).
constexpr std::int64_t kSlackMs = 1000;

constexpr char kHaiku[] = "anthropic.claude-haiku-4-5-20251001-v1:0";
constexpr char kEuProfile[] = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0";
constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kTempKey[] = "ASIAEXAMPLETEMPKEY01";
constexpr char kTempSecret[] = "tempSecretEXAMPLEKEYtempSecretEXAMPLE";
constexpr char kSessionToken[] = "FwoGZXIvYXdzEXAMPLEsessionTOKEN";
constexpr char kApiKey[] = "ABSKY2xpZW50LWludGVncmF0aW9uLWZha2Uta2V5";

// All keys are fake. One region per behaviour.
constexpr char kWorld[] = R"({
  "description": "client integration tests",
  "seed": 7,
  "accounts": [
    {"id": "111122223333",
     "credentials": [{"access_key_id": "AKIDEXAMPLE", "secret_access_key": "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"}],
     "api_keys": ["ABSKY2xpZW50LWludGVncmF0aW9uLWZha2Uta2V5"]},
    {"id": "444455556666",
     "credentials": [{"access_key_id": "ASIAEXAMPLETEMPKEY01", "secret_access_key": "tempSecretEXAMPLEKEYtempSecretEXAMPLE",
                      "session_token": "FwoGZXIvYXdzEXAMPLEsessionTOKEN"}]}
  ],
  "regions": [
    {"name": "eu-central-1", "delta_interval_ms": 5, "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"]},
    {"name": "eu-west-1", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"], "faults": [{"kind": "throttling"}]},
    {"name": "eu-west-2", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"], "faults": [{"kind": "unavailable"}]},
    {"name": "eu-west-3", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"], "faults": [{"kind": "internal"}]},
    {"name": "eu-north-1", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"], "faults": [{"kind": "model_not_ready"}]},
    {"name": "eu-south-1", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"], "faults": [{"kind": "model_timeout"}]},
    {"name": "us-east-1", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"], "faults": [{"kind": "down"}]},
    {"name": "us-east-2", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"], "faults": [{"kind": "reset"}]},
    {"name": "us-west-1", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"],
     "faults": [{"kind": "stall", "stall_s": 30, "after_deltas": 2}]},
    {"name": "us-west-2", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"],
     "faults": [{"kind": "truncated_stream", "after_deltas": 1}]},
    {"name": "ap-northeast-1", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"],
     "faults": [{"kind": "corrupt_crc", "after_deltas": 1}]},
    {"name": "ap-southeast-1", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"],
     "faults": [{"kind": "midstream_throttle", "after_deltas": 2}]}
  ],
  "profiles": [
    {"id": "eu.anthropic.claude-sonnet-4-5-20250929-v1:0",
     "source_regions": ["eu-central-1"], "destination_regions": ["eu-central-1"]}
  ],
  "profile_only_models": ["anthropic.claude-sonnet-4-5-20250929-v1:0"]
})";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::int64_t now_ms() { return system_clock().monotonic_ns() / 1000000; }

// The simulator as a child process with its own temporary directory; stop()
// always terminates and reaps it.
class Simulator {
 public:
  bool start(std::string* error) {
    char dir_template[] = "/tmp/edgeroute-client-test-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) {
      *error = "mkdtemp failed";
      return false;
    }
    dir_ = dir_template;
    const std::string world = dir_ + "/world.json", state = dir_ + "/state",
                      log = dir_ + "/sim.log";
    std::ofstream(world) << kWorld;
    const std::string script = std::string(EDGEROUTE_SOURCE_DIR) + "/tests/sim/bedrock_sim.py";
    const char* argv[] = {"python3",     script.c_str(),  "--world", world.c_str(), "--state-dir",
                          state.c_str(), "--max-seconds", "300",     nullptr};
    pid_ = fork();
    if (pid_ < 0) {
      *error = "fork failed";
      return false;
    }
    if (pid_ == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execvp("python3", const_cast<char* const*>(argv));
      _exit(127);
    }
    const std::string ready = state + "/ready.json";
    for (int waited_ms = 0; waited_ms < kReadyTimeoutMs; waited_ms += 50) {
      if (std::filesystem::exists(ready)) return parse_ready(read_file(ready), error);
      int wstatus = 0;
      if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
        pid_ = -1;
        *error = "simulator exited: " + read_file(log);
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    *error = "simulator not ready in time: " + read_file(log);
    return false;
  }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      bool reaped = false;
      for (int waited_ms = 0; waited_ms < kStopTimeoutMs && !reaped; waited_ms += 20) {
        int wstatus = 0;
        reaped = waitpid(pid_, &wstatus, WNOHANG) == pid_;
        if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (!reaped) {
        kill(pid_, SIGKILL);
        int wstatus = 0;
        waitpid(pid_, &wstatus, 0);
      }
      pid_ = -1;
    }
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
      dir_.clear();
    }
  }

  const std::map<std::string, std::uint16_t>& ports() const { return ports_; }
  const std::string& ca_file() const { return ca_file_; }
  const std::string& dir() const { return dir_; }

 private:
  bool parse_ready(const std::string& text, std::string* error) {
    std::unique_ptr<cJSON, void (*)(cJSON*)> root(cJSON_Parse(text.c_str()), cJSON_Delete);
    const cJSON* regions = cJSON_GetObjectItemCaseSensitive(root.get(), "regions");
    const cJSON* ca = cJSON_GetObjectItemCaseSensitive(root.get(), "ca_file");
    if (!cJSON_IsObject(regions) || !cJSON_IsString(ca)) {
      *error = "ready.json lacks regions or ca_file";
      return false;
    }
    ca_file_ = ca->valuestring;
    const cJSON* region = nullptr;
    cJSON_ArrayForEach(region, regions) {
      const cJSON* port = cJSON_GetObjectItemCaseSensitive(region, "port");
      if (cJSON_IsNumber(port)) ports_[region->string] = static_cast<std::uint16_t>(port->valueint);
    }
    return true;
  }

  pid_t pid_ = -1;
  std::string dir_;
  std::string ca_file_;
  std::map<std::string, std::uint16_t> ports_;
};

class StaticCredentials final : public CredentialsProvider {
 public:
  explicit StaticCredentials(AwsCredentials c) : c_(std::move(c)) {}
  Status get(std::int64_t, AwsCredentials* out) const override {
    *out = c_;
    return Status();
  }

 private:
  AwsCredentials c_;
};

// The system clock with the UTC time shifted: a device that booted with a wrong clock.
class SkewedClock final : public Clock {
 public:
  explicit SkewedClock(std::int64_t offset_ms) : offset_ms_(offset_ms) {}
  std::int64_t monotonic_ns() const override { return system_clock().monotonic_ns(); }
  std::int64_t utc_unix_ms() const override { return system_clock().utc_unix_ms() + offset_ms_; }

 private:
  std::int64_t offset_ms_;
};

class NoEnvironment final : public Environment {
 public:
  const char* get(const char*) const override { return nullptr; }
};

ConverseRequest hello() {
  ConverseRequest r;
  r.model_id = kHaiku;
  r.messages.push_back(Message{"user", {ContentBlock::of_text("Which region are you in?")}});
  r.inference_config.max_tokens = 64;
  return r;
}

CallOptions in(const std::string& region) {
  CallOptions o;
  o.region = region;
  o.deadline_ms = kDeadlineMs;
  return o;
}

class ClientIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Loopback only: no proxy may sit between the tests and the simulator.
    for (const char* name :
         {"http_proxy", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"}) {
      unsetenv(name);
    }
    sim_ = new Simulator;
    sim_ok_ = sim_->start(&sim_error_);
  }
  static void TearDownTestSuite() {
    sim_->stop();
    delete sim_;
    sim_ = nullptr;
  }

  void SetUp() override {
    ASSERT_TRUE(sim_ok_) << sim_error_;
    CurlTransport::Config config;
    config.ca_bundle = sim_->ca_file();
    ASSERT_TRUE(CurlTransport::create(config, &transport_).ok());
  }

  ClientConfig client_config() const {
    ClientConfig config;
    config.timeouts.connect_ms = 2000;
    config.timeouts.first_byte_ms = 10000;
    config.timeouts.idle_ms = 10000;
    for (const auto& [region, port] : sim_->ports())
      config.connect_to.push_back({region, "127.0.0.1", port});
    return config;
  }

  std::unique_ptr<Client> client(const CredentialsProvider& credentials,
                                 const Clock& clock = system_clock()) {
    return std::make_unique<Client>(*transport_, credentials, clock, mbedtls_crypto(),
                                    client_config());
  }

  static Simulator* sim_;
  static bool sim_ok_;
  static std::string sim_error_;
  std::unique_ptr<CurlTransport> transport_;
  StaticCredentials keys_{AwsCredentials::sigv4_keys(kAccessKey, kSecret, "")};
};

Simulator* ClientIntegrationTest::sim_ = nullptr;
bool ClientIntegrationTest::sim_ok_ = false;
std::string ClientIntegrationTest::sim_error_;

// No secret may appear in anything a caller could print.
void expect_no_secrets(const std::string& text) {
  for (const char* secret : {kSecret, kTempSecret, kSessionToken, kApiKey}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << "secret in: " << text;
  }
}

TEST_F(ClientIntegrationTest, ConverseNamesTheRegion) {
  ConverseResponse out;
  const Error e = client(keys_)->converse(hello(), in("eu-central-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_NE(out.text.find("Hello from eu-central-1"), std::string::npos) << out.text;
  EXPECT_EQ(out.stop_reason, "end_turn");
  EXPECT_GT(out.usage.output_tokens, 0);
  EXPECT_FALSE(out.request_id.empty());
  EXPECT_EQ(out.endpoint, "bedrock-runtime.eu-central-1.amazonaws.com");
  ASSERT_EQ(out.attempts.size(), 1u);
  EXPECT_EQ(out.attempts[0].http_status, 200);
}

TEST_F(ClientIntegrationTest, ProfileIdIsPercentEncodedAndServed) {
  ConverseRequest r = hello();
  r.model_id = kEuProfile;
  ConverseResponse out;
  const Error e = client(keys_)->converse(r, in("eu-central-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_NE(out.text.find(kEuProfile), std::string::npos) << out.text;
}

TEST_F(ClientIntegrationTest, ConverseStreamDeliversTextAsItArrives) {
  std::string streamed;
  int deltas = 0;
  ConverseResponse out;
  const Error e = client(keys_)->converse_stream(
      hello(), in("eu-central-1"),
      [&](const StreamEvent& ev) {
        if (ev.kind == StreamEvent::Kind::kTextDelta) {
          ++deltas;
          streamed.append(ev.text);
        }
        return Status();
      },
      &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_GE(deltas, 2);
  EXPECT_EQ(streamed, out.text);
  EXPECT_NE(out.text.find("Hello from eu-central-1"), std::string::npos) << out.text;
  EXPECT_EQ(out.stop_reason, "end_turn");
  EXPECT_GT(out.usage.total_tokens, 0);
}

InvokeRequest anthropic_request() {
  InvokeRequest r;
  r.model_id = kHaiku;
  r.body = R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":64,)"
           R"("messages":[{"role":"user","content":"Which region are you in?"}]})";
  return r;
}

TEST_F(ClientIntegrationTest, InvokeModelReturnsTheRawBody) {
  InvokeResponse out;
  const Error e = client(keys_)->invoke_model(anthropic_request(), in("eu-central-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_NE(out.body.find("Hello from eu-central-1"), std::string::npos) << out.body;
  EXPECT_NE(out.content_type.find("json"), std::string::npos);
}

TEST_F(ClientIntegrationTest, InvokeModelWithResponseStreamDecodesChunks) {
  int chunks = 0;
  InvokeResponse out;
  const Error e = client(keys_)->invoke_model_with_response_stream(
      anthropic_request(), in("eu-central-1"),
      [&](std::string_view chunk) {
        ++chunks;
        EXPECT_EQ(chunk.substr(0, 1), "{");  // each decoded chunk is one Anthropic JSON event
        return Status();
      },
      &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_GE(chunks, 3);
  EXPECT_NE(out.body.find("eu-central-1"), std::string::npos) << out.body;
}

struct FaultCase {
  const char* region;
  bool stream;
  OutcomeClass expected;
  int http_status;         // -1: any
  const char* error_type;  // nullptr: any
  int output_delivered;    // 0 or 1; -1: either
  bool timed_out;          // a transport timeout ended the call
};

TEST_F(ClientIntegrationTest, EveryFaultGivesItsClassifiedErrorWithinTheDeadline) {
  const FaultCase cases[] = {
      {"eu-west-1", false, OutcomeClass::kThrottle, 429, "ThrottlingException", 0, false},
      {"eu-west-2", false, OutcomeClass::kTransient, 503, "ServiceUnavailableException", 0, false},
      {"eu-west-3", false, OutcomeClass::kTransient, 500, "InternalServerException", 0, false},
      {"eu-north-1", false, OutcomeClass::kModelNotReady, 429, "ModelNotReadyException", 0, false},
      // The model's timeout is an answer, not a transport timeout.
      {"eu-south-1", false, OutcomeClass::kTransient, 408, "ModelTimeoutException", 0, false},
      {"us-east-1", false, OutcomeClass::kTransient, 0, "", 0, false},   // down: refused
      {"us-east-2", false, OutcomeClass::kTransient, -1, "", 0, false},  // reset mid-body
      // Reset mid-stream: the RST may discard what is still in the socket buffer,
      // status line and deltas included.
      {"us-east-2", true, OutcomeClass::kTransient, -1, "", -1, false},
      {"us-west-1", false, OutcomeClass::kTransient, 0, "", 0, true},         // stall: deadline
      {"us-west-1", true, OutcomeClass::kTransient, 200, "", 1, true},        // stall mid-stream
      {"us-west-2", true, OutcomeClass::kTransient, 200, "", 1, false},       // truncated stream
      {"ap-northeast-1", true, OutcomeClass::kTransient, 200, "", 1, false},  // corrupt CRC
      {"ap-southeast-1", true, OutcomeClass::kThrottle, 200, "ThrottlingException", 1,
       false},  // midstream
  };
  auto c = client(keys_);
  for (const FaultCase& fc : cases) {
    SCOPED_TRACE(std::string(fc.region) + (fc.stream ? " stream" : ""));
    ConverseResponse out;
    const std::int64_t start = now_ms();
    const Error e = fc.stream ? c->converse_stream(hello(), in(fc.region), nullptr, &out)
                              : c->converse(hello(), in(fc.region), &out);
    const std::int64_t elapsed = now_ms() - start;
    EXPECT_EQ(e.cls, fc.expected) << e.to_string();
    if (fc.http_status >= 0) {
      EXPECT_EQ(e.http_status, fc.http_status) << e.to_string();
    }
    if (fc.error_type != nullptr) {
      EXPECT_EQ(e.error_type, fc.error_type) << e.to_string();
    }
    if (fc.output_delivered >= 0) {
      EXPECT_EQ(e.output_delivered, fc.output_delivered == 1) << e.to_string();
    }
    EXPECT_EQ(e.timed_out, fc.timed_out) << e.to_string();
    // The simulator sends no x-amz-retry-after (the unit tests cover it).
    EXPECT_EQ(e.retry_after_ms, -1) << e.to_string();
    EXPECT_LT(elapsed, kDeadlineMs + kSlackMs) << e.to_string();
    EXPECT_EQ(e.endpoint, std::string("bedrock-runtime.") + fc.region + ".amazonaws.com");
    EXPECT_EQ(out.attempts.size(), 1u);
    expect_no_secrets(e.to_string());
  }
}

TEST_F(ClientIntegrationTest, EndpointUrlWithAnIpLiteralAndPort) {
  // The region's certificate also names its loopback address, so the URL can use it
  // directly; the request is then signed for Host "127.0.0.1:PORT".
  ClientConfig config = client_config();
  config.connect_to.clear();
  config.endpoint_url = "https://127.0.0.1:" + std::to_string(sim_->ports().at("eu-central-1"));
  Client c(*transport_, keys_, system_clock(), mbedtls_crypto(), config);
  ConverseResponse out;
  const Error e = c.converse(hello(), in("eu-central-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_NE(out.text.find("Hello from eu-central-1"), std::string::npos) << out.text;
  EXPECT_EQ(out.endpoint, "127.0.0.1");
}

TEST_F(ClientIntegrationTest, WrongClockRecoversWithOneRetry) {
  const SkewedClock device(-20 * 60 * 1000);
  auto c = client(keys_, device);
  ConverseResponse out;
  const Error e = c->converse(hello(), in("eu-central-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  ASSERT_EQ(out.attempts.size(), 2u);
  EXPECT_EQ(out.attempts[0].http_status, 403);
  EXPECT_EQ(out.attempts[0].error, "clock_skew: InvalidSignatureException");
  EXPECT_NEAR(static_cast<double>(c->clock_offset_ms()), 20 * 60 * 1000, 3000);
  // The offset is kept: the next call needs no retry.
  ASSERT_TRUE(c->converse(hello(), in("eu-central-1"), &out).ok());
  EXPECT_EQ(out.attempts.size(), 1u);
}

TEST_F(ClientIntegrationTest, WrongSecretIsAnAuthErrorWithoutSecrets) {
  const StaticCredentials wrong(
      AwsCredentials::sigv4_keys(kAccessKey, "not-the-secret-at-all", ""));
  ConverseResponse out;
  const Error e = client(wrong)->converse(hello(), in("eu-central-1"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kAuth) << e.to_string();
  EXPECT_EQ(e.error_type, "InvalidSignatureException");
  EXPECT_EQ(e.to_string().find("not-the-secret-at-all"), std::string::npos);
}

TEST_F(ClientIntegrationTest, SessionCredentialsFromASharedCredentialsFile) {
  const std::string path = sim_->dir() + "/credentials";
  std::ofstream(path) << "[edge]\naws_access_key_id = " << kTempKey
                      << "\naws_secret_access_key = " << kTempSecret
                      << "\naws_session_token = " << kSessionToken << "\n";
  const NoEnvironment env;
  const ProfileCredentialsProvider profile(
      env, ProfileOptions{"edge", path, sim_->dir() + "/no-config"});
  ConverseResponse out;
  const Error e = client(profile)->converse(hello(), in("eu-central-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_NE(out.text.find("eu-central-1"), std::string::npos);
}

TEST_F(ClientIntegrationTest, BearerApiKey) {
  const StaticCredentials bearer(AwsCredentials::bearer(kApiKey));
  ConverseResponse out;
  const Error e = client(bearer)->converse(hello(), in("eu-central-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  const StaticCredentials unknown(AwsCredentials::bearer("ABSKbm90LWEtbGlzdGVkLWtleQ=="));
  const Error denied = client(unknown)->converse(hello(), in("eu-central-1"), &out);
  EXPECT_EQ(denied.cls, OutcomeClass::kClient) << denied.to_string();
  EXPECT_EQ(denied.error_type, "AccessDeniedException");
  expect_no_secrets(denied.to_string());
}

}  // namespace
}  // namespace bedrock
}  // namespace edgeroute
