// The libcurl transport against the Bedrock simulator (tests/sim), over loopback
// only: connect_to sends every request for bedrock-runtime.REGION.amazonaws.com to
// the simulator's listener for REGION.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "edgeroute/clock.h"
#include "edgeroute/curl_transport.h"

namespace edgeroute {
namespace {

constexpr std::int64_t kNsPerMs = 1000000;
constexpr int kReadyTimeoutMs = 20000;
constexpr int kStopTimeoutMs = 5000;
// Added to a limit when checking how soon a timeout fired (scheduling, loopback).
constexpr std::int64_t kSlackMs = 700;

constexpr char kApiKey[] = "ABSKY3VybC10cmFuc3BvcnQtdGVzdC1mYWtlLWtleQ==";
constexpr char kConversePath[] = "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse";
constexpr char kConverseStreamPath[] = "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream";
constexpr char kConverseBody[] = R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})";

// One region per behaviour under test. All keys are fake.
constexpr char kWorld[] = R"({
  "description": "curl transport tests",
  "seed": 1,
  "accounts": [{"id": "111122223333", "api_keys": ["ABSKY3VybC10cmFuc3BvcnQtdGVzdC1mYWtlLWtleQ=="]}],
  "regions": [
    {"name": "eu-central-1", "delta_interval_ms": 20, "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"]},
    {"name": "eu-west-1", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"], "faults": [{"kind": "down"}]},
    {"name": "eu-west-2", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"],
     "faults": [{"kind": "stall", "stall_s": 30, "after_deltas": 2}]},
    {"name": "ap-southeast-2", "models": ["anthropic.claude-haiku-4-5-20251001-v1:0"],
     "faults": [{"kind": "reset"}]}
  ]
})";

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::int64_t now_ns() { return system_clock().monotonic_ns(); }

// The simulator as a child process with its own temporary state directory;
// stop() always terminates and reaps it.
class Simulator {
 public:
  bool start(std::string* error) {
    char dir_template[] = "/tmp/edgeroute-curl-test-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) {
      *error = "mkdtemp failed";
      return false;
    }
    dir_ = dir_template;
    const std::string world = dir_ + "/world.json", state = dir_ + "/state", log = dir_ + "/sim.log";
    std::ofstream(world) << kWorld;
    const std::string script = std::string(EDGEROUTE_SOURCE_DIR) + "/tests/sim/bedrock_sim.py";
    const char* argv[] = {"python3", script.c_str(), "--world", world.c_str(), "--state-dir", state.c_str(),
                          "--max-seconds", "120", nullptr};
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

  std::uint16_t port(const std::string& region) const { return ports_.at(region); }
  const std::string& ca_file() const { return ca_file_; }

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
      if (!cJSON_IsNumber(port)) continue;
      ports_[region->string] = static_cast<std::uint16_t>(port->valueint);
    }
    return true;
  }

  pid_t pid_ = -1;
  std::string dir_;
  std::string ca_file_;
  std::map<std::string, std::uint16_t> ports_;
};

// Records what arrives; can be told to fail at a given callback.
class RecordingSink : public HttpResponseSink {
 public:
  enum class FailAt { kNever, kStatus, kFirstBody };

  explicit RecordingSink(FailAt fail_at = FailAt::kNever) : fail_at_(fail_at) {}

  Status on_status(int http_status) override {
    status = http_status;
    if (fail_at_ == FailAt::kStatus) return Status::error(Code::kPermissionDenied, "sink refused the status");
    return Status();
  }
  Status on_header(std::string_view name, std::string_view value) override {
    std::string lower(name);
    for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    headers[lower] = std::string(value);
    return Status();
  }
  Status on_body(const void* data, std::size_t bytes) override {
    ++body_pieces;
    body.append(static_cast<const char*>(data), bytes);
    if (fail_at_ == FailAt::kFirstBody) return Status::error(Code::kLimitExceeded, "sink is full");
    return Status();
  }

  int status = 0;
  std::map<std::string, std::string> headers;
  std::string body;
  int body_pieces = 0;

 private:
  FailAt fail_at_;
};

class CurlTransportTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    // Loopback only: no proxy may sit between the tests and the simulator.
    for (const char* name : {"http_proxy", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"}) {
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

  // A request for REGION's real host name, sent to the simulator's listener.
  HttpRequest request_for(const std::string& region, const char* path, bool authorized = true) {
    host_ = "bedrock-runtime." + region + ".amazonaws.com";
    auth_ = std::string("Bearer ") + kApiKey;
    headers_[0] = {"Content-Type", "application/json"};
    headers_[1] = {"Authorization", auth_};
    HttpRequest r;
    r.method = "POST";
    r.host = host_;
    r.path_and_query = path;
    r.connect_host = "127.0.0.1";
    r.connect_port = sim_->port(region);
    r.headers = headers_;
    r.header_count = authorized ? 2 : 1;
    r.body = kConverseBody;
    r.body_bytes = std::strlen(kConverseBody);
    return r;
  }

  static Simulator* sim_;
  static bool sim_ok_;
  static std::string sim_error_;
  std::unique_ptr<CurlTransport> transport_;
  std::string host_, auth_;
  HttpHeader headers_[2];
};

Simulator* CurlTransportTest::sim_ = nullptr;
bool CurlTransportTest::sim_ok_ = false;
std::string CurlTransportTest::sim_error_;

HttpTimeouts short_timeouts() {
  HttpTimeouts t;
  t.connect_ms = 2000;
  t.first_byte_ms = 5000;
  t.idle_ms = 5000;
  return t;
}

TEST_F(CurlTransportTest, ConnectToKeepsTheRealHostNameAndGetsAnHttpAnswer) {
  RecordingSink sink;
  HttpTiming timing;
  const Status s = transport_->send(request_for("eu-central-1", kConversePath, /*authorized=*/false),
                                    short_timeouts(), &sink, &timing);
  ASSERT_TRUE(s.ok()) << s.message();
  // Any HTTP status counts: TLS verified the real name and the request reached the server.
  EXPECT_EQ(sink.status, 403);
  EXPECT_EQ(sink.headers.count("x-amzn-requestid"), 1u);
  EXPECT_EQ(sink.headers["x-edgeroute-sim-region"], "eu-central-1");
  EXPECT_NE(sink.body.find("Missing Authentication Token"), std::string::npos);
  EXPECT_FALSE(timing.reused_connection);
  EXPECT_GT(timing.connect_ns, 0);
  EXPECT_GT(timing.first_byte_ns, 0);
  EXPECT_GE(timing.total_ns, timing.first_byte_ns);
}

TEST_F(CurlTransportTest, SecondCallReusesTheKeptAliveConnection) {
  HttpTiming first, second;
  RecordingSink sink1, sink2;
  ASSERT_TRUE(transport_->send(request_for("eu-central-1", kConversePath), short_timeouts(), &sink1, &first).ok());
  ASSERT_TRUE(transport_->send(request_for("eu-central-1", kConversePath), short_timeouts(), &sink2, &second).ok());
  EXPECT_EQ(sink1.status, 200);
  EXPECT_EQ(sink2.status, 200);
  EXPECT_FALSE(first.reused_connection);
  EXPECT_TRUE(second.reused_connection);
  EXPECT_EQ(second.connect_ns, 0);
}

// The deadline is read on the caller's clock, never mixed with the system clock:
// on a clock an hour behind the system's, a deadline 5 s ahead is 5 s ahead.
TEST_F(CurlTransportTest, TheDeadlineIsOnTheInjectedClock) {
  class HourBehind final : public Clock {
   public:
    std::int64_t monotonic_ns() const override { return system_clock().monotonic_ns() - 3600LL * 1000000000; }
    std::int64_t utc_unix_ms() const override { return system_clock().utc_unix_ms(); }
  };
  static const HourBehind behind;
  CurlTransport::Config config;
  config.ca_bundle = sim_->ca_file();
  config.clock = &behind;
  std::unique_ptr<CurlTransport> transport;
  ASSERT_TRUE(CurlTransport::create(config, &transport).ok());
  HttpTimeouts t = short_timeouts();
  t.deadline_monotonic_ns = behind.monotonic_ns() + 5LL * 1000000000;
  RecordingSink sink;
  const Status s = transport->send(request_for("eu-central-1", kConversePath), t, &sink, nullptr);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(sink.status, 200);
  // And one already passed on that clock (though far ahead on the system's) fires.
  t.deadline_monotonic_ns = behind.monotonic_ns() - 1;
  RecordingSink late;
  EXPECT_EQ(transport->send(request_for("eu-central-1", kConversePath), t, &late, nullptr).code(), Code::kTimeout);
}

TEST_F(CurlTransportTest, UntrustedServerIsUnavailable) {
  unsetenv("AWS_CA_BUNDLE");
  std::unique_ptr<CurlTransport> system_trust;
  ASSERT_TRUE(CurlTransport::create(CurlTransport::Config(), &system_trust).ok());
  RecordingSink sink;
  // Loading the system's CA store takes over a second for an emulated binary
  // (qemu-user); the verdict, not the timeout, is what this test is about.
  HttpTimeouts t = short_timeouts();
  t.connect_ms = 20000;
  const Status s = system_trust->send(request_for("eu-central-1", kConversePath), t, &sink, nullptr);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.message();
  EXPECT_NE(std::strstr(s.message(), "certificate"), nullptr) << s.message();
  EXPECT_EQ(sink.status, 0);
}

TEST_F(CurlTransportTest, CertificateForAnotherHostIsUnavailable) {
  // eu-central-1's listener holds a certificate for eu-central-1 only.
  HttpRequest r = request_for("eu-central-1", kConversePath);
  r.host = "bedrock-runtime.us-east-1.amazonaws.com";
  RecordingSink sink;
  const Status s = transport_->send(r, short_timeouts(), &sink, nullptr);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.message();
  EXPECT_EQ(sink.status, 0);
}

TEST_F(CurlTransportTest, RefusedConnectionIsUnavailableAtOnce) {
  RecordingSink sink;
  const std::int64_t start = now_ns();
  const Status s = transport_->send(request_for("eu-west-1", kConversePath), short_timeouts(), &sink, nullptr);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.message();
  EXPECT_LT(now_ns() - start, 1000 * kNsPerMs);
}

TEST_F(CurlTransportTest, ResetMidResponseIsUnavailable) {
  RecordingSink sink;
  const Status s = transport_->send(request_for("ap-southeast-2", kConversePath), short_timeouts(), &sink, nullptr);
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.message();
}

TEST_F(CurlTransportTest, StalledResponseTimesOutAfterFirstByteMs) {
  HttpTimeouts t = short_timeouts();
  t.first_byte_ms = 300;
  RecordingSink sink;
  HttpTiming timing;
  const std::int64_t start = now_ns();
  const Status s = transport_->send(request_for("eu-west-2", kConversePath), t, &sink, &timing);
  // The first-byte timer starts once the connection is up: TCP + TLS set-up (slow
  // for an emulated binary) is not part of the bound.
  const std::int64_t elapsed_ms = (now_ns() - start - timing.connect_ns) / kNsPerMs;
  EXPECT_EQ(s.code(), Code::kTimeout) << s.message();
  EXPECT_NE(std::strstr(s.message(), "first_byte_ms"), nullptr) << s.message();
  EXPECT_GT(timing.connect_ns, 0);  // a new connection: its set-up time is known
  EXPECT_GE(elapsed_ms, 300);
  EXPECT_LT(elapsed_ms, 300 + kSlackMs);
  EXPECT_EQ(sink.status, 0);
}

TEST_F(CurlTransportTest, StalledStreamTimesOutAfterIdleMs) {
  HttpTimeouts t = short_timeouts();
  t.idle_ms = 300;
  RecordingSink sink;
  HttpTiming timing;
  const Status s = transport_->send(request_for("eu-west-2", kConverseStreamPath), t, &sink, &timing);
  EXPECT_EQ(s.code(), Code::kTimeout) << s.message();
  EXPECT_NE(std::strstr(s.message(), "idle_ms"), nullptr) << s.message();
  EXPECT_EQ(sink.status, 200);
  EXPECT_FALSE(sink.body.empty());  // the deltas before the stall arrived
  EXPECT_GE(timing.total_ns - timing.first_byte_ns, 300 * kNsPerMs);
  // From the first byte: the deltas before the stall plus the idle limit.
  EXPECT_LT(timing.total_ns - timing.first_byte_ns, (300 + kSlackMs) * kNsPerMs);
}

TEST_F(CurlTransportTest, DeadlineBoundsTheWholeCall) {
  HttpTimeouts t = short_timeouts();
  t.first_byte_ms = 60000;
  t.idle_ms = 60000;
  const std::int64_t start = now_ns();
  t.deadline_monotonic_ns = start + 400 * kNsPerMs;
  RecordingSink sink;
  const Status s = transport_->send(request_for("eu-west-2", kConverseStreamPath), t, &sink, nullptr);
  const std::int64_t elapsed_ms = (now_ns() - start) / kNsPerMs;
  EXPECT_EQ(s.code(), Code::kTimeout) << s.message();
  EXPECT_NE(std::strstr(s.message(), "deadline"), nullptr) << s.message();
  EXPECT_GE(elapsed_ms, 400);
  EXPECT_LT(elapsed_ms, 400 + kSlackMs);
}

TEST_F(CurlTransportTest, PassedDeadlineFailsWithoutSending) {
  HttpTimeouts t = short_timeouts();
  t.deadline_monotonic_ns = now_ns() - 1;
  RecordingSink sink;
  const Status s = transport_->send(request_for("eu-central-1", kConversePath), t, &sink, nullptr);
  EXPECT_EQ(s.code(), Code::kTimeout);
  EXPECT_EQ(sink.status, 0);
}

TEST_F(CurlTransportTest, StreamingBodyArrivesInPieces) {
  RecordingSink sink;
  const Status s = transport_->send(request_for("eu-central-1", kConverseStreamPath), short_timeouts(), &sink,
                                    nullptr);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(sink.status, 200);
  EXPECT_EQ(sink.headers["content-type"], "application/vnd.amazon.eventstream");
  // The simulator pauses between deltas, so they cannot all arrive in one read.
  EXPECT_GE(sink.body_pieces, 3);
  EXPECT_NE(sink.body.find("messageStop"), std::string::npos);
}

TEST_F(CurlTransportTest, SinkErrorAbortsAndIsReturnedAsIs) {
  for (RecordingSink::FailAt fail_at : {RecordingSink::FailAt::kStatus, RecordingSink::FailAt::kFirstBody}) {
    RecordingSink sink(fail_at);
    const Status s = transport_->send(request_for("eu-central-1", kConverseStreamPath), short_timeouts(), &sink,
                                      nullptr);
    const bool at_status = fail_at == RecordingSink::FailAt::kStatus;
    EXPECT_EQ(s.code(), at_status ? Code::kPermissionDenied : Code::kLimitExceeded);
    EXPECT_STREQ(s.message(), at_status ? "sink refused the status" : "sink is full");
    EXPECT_EQ(sink.body_pieces, at_status ? 0 : 1);
  }
  // The aborted connection was dropped; the next exchange works on a fresh one.
  RecordingSink sink;
  HttpTiming timing;
  ASSERT_TRUE(transport_->send(request_for("eu-central-1", kConversePath), short_timeouts(), &sink, &timing).ok());
  EXPECT_EQ(sink.status, 200);
  EXPECT_FALSE(timing.reused_connection);
}

TEST_F(CurlTransportTest, HeaderInjectionIsRejectedWithoutEchoingTheValue) {
  HttpRequest r = request_for("eu-central-1", kConversePath);
  const HttpHeader bad[] = {{"Authorization", "Bearer secret-value\r\nX-Evil: 1"}};
  r.headers = bad;
  r.header_count = 1;
  RecordingSink sink;
  const Status s = transport_->send(r, short_timeouts(), &sink, nullptr);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(std::strstr(s.message(), "secret-value"), nullptr);
  EXPECT_EQ(sink.status, 0);
}

TEST(CurlTransportConfig, RejectsUnreadableCaBundleAndZeroConnections) {
  std::unique_ptr<CurlTransport> t;
  CurlTransport::Config config;
  config.ca_bundle = "/nonexistent/ca.pem";
  EXPECT_EQ(CurlTransport::create(config, &t).code(), Code::kNotFound);
  EXPECT_EQ(t, nullptr);
  config = CurlTransport::Config();
  config.max_connections = 0;
  EXPECT_EQ(CurlTransport::create(config, &t).code(), Code::kInvalidArgument);
}

}  // namespace
}  // namespace edgeroute
