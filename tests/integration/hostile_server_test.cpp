// The Bedrock client against a hostile or broken endpoint (tests/support/
// hostile_server.py), one server per test case on loopback: how each fault is
// classified (an endpoint's fault fails over; a caller's does not), that what the
// server says reaches the caller bounded and printable, and that no exchange
// outlives the call's deadline.
#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "edgeroute/bedrock.h"
#include "edgeroute/clock.h"
#include "edgeroute/config.h"
#include "edgeroute/credentials.h"
#include "edgeroute/curl_transport.h"
#include "edgeroute/mbedtls_crypto.h"
#include "hostile_server.h"

namespace edgeroute {
namespace bedrock {
namespace {

using testing_support::HostileServer;

constexpr char kHaiku[] = "anthropic.claude-3-haiku-20240307-v1:0";
constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD
// Added to a deadline when checking how soon a call ended (scheduling, loopback).
constexpr std::int64_t kSlackMs = 1000;

class StaticCredentials final : public CredentialsProvider {
 public:
  Status get(std::int64_t, AwsCredentials* out) const override {
    *out = AwsCredentials::sigv4_keys("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "");
    return Status();
  }
};

// Well-formed UTF-8 (RFC 3629), written independently of the code under test.
bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    std::uint32_t cp = n == 1 ? c : n == 2 ? (c & 0x1F) : n == 3 ? (c & 0x0F) : (c & 0x07);
    for (std::size_t k = 1; k < n; ++k) {
      const auto b = static_cast<unsigned char>(s[i + k]);
      if ((b & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b & 0x3F);
    }
    const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[n] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += n;
  }
  return true;
}

// No C0 control but tab and line feed, no DEL, no C1 control (U+0080..U+009F).
bool printable(const std::string& s, bool one_line) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\n' || c == '\t') {
      if (one_line) return false;
      continue;
    }
    if (c < 0x20 || c == 0x7F) return false;
    if (c == 0xC2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) <= 0x9F) return false;
  }
  return true;
}

std::int64_t now_ms() { return system_clock().monotonic_ns() / 1000000; }

ConverseRequest hello() {
  ConverseRequest r;
  r.model_id = kHaiku;
  r.messages.push_back(Message{"user", {ContentBlock::of_text("Hello")}});
  return r;
}

class HostileServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const char* name : {"http_proxy", "https_proxy", "HTTPS_PROXY", "ALL_PROXY", "all_proxy"}) {
      unsetenv(name);
    }
    ASSERT_TRUE(CurlTransport::create(CurlTransport::Config(), &transport_).ok());
  }

  // A client of the server in `mode`, started for this case.
  Client& client_of(const std::string& mode, const std::vector<std::string>& extra = {}) {
    std::string error;
    started_ = server_.start(mode, &error, extra);
    EXPECT_TRUE(started_) << error;
    ClientConfig config;
    config.endpoint_url = server_.url();
    config.timeouts.connect_ms = 2000;
    config.timeouts.first_byte_ms = 5000;
    config.timeouts.idle_ms = 5000;
    config.max_response_bytes = max_response_bytes_;
    client_ = std::make_unique<Client>(*transport_, credentials_, system_clock(), mbedtls_crypto(),
                                       config);
    return *client_;
  }

  CallOptions options(std::int64_t deadline_ms = 10000) const {
    CallOptions o;
    o.region = "eu-central-1";
    o.deadline_ms = deadline_ms;
    return o;
  }

  Error converse(const std::string& mode, ConverseResponse* out) {
    Client& c = client_of(mode);
    if (!started_) return Error();
    return c.converse(hello(), options(), out);
  }

  Error converse_stream(const std::string& mode, ConverseResponse* out, std::string* streamed) {
    Client& c = client_of(mode);
    if (!started_) return Error();
    return c.converse_stream(
        hello(), options(),
        [&](const StreamEvent& ev) {
          if (ev.kind == StreamEvent::Kind::kTextDelta) streamed->append(ev.text);
          return Status();
        },
        out);
  }

  HostileServer server_;
  bool started_ = false;
  std::size_t max_response_bytes_ = ClientConfig::kDefaultMaxResponseBytes;
  std::unique_ptr<CurlTransport> transport_;
  StaticCredentials credentials_;
  std::unique_ptr<Client> client_;
};

// --- Endpoint faults are transient (fail over, cool down), not client errors ---

TEST_F(HostileServerTest, A500LargerThanMaxResponseBytesIsTransient) {
  ConverseResponse out;
  const Error e = converse("oversize-500", &out);
  ASSERT_TRUE(started_);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient) << e.to_string();
  EXPECT_EQ(e.http_status, 500);
  EXPECT_NE(e.message.find("max_response_bytes"), std::string::npos) << e.message;
}

TEST_F(HostileServerTest, A400LargerThanMaxResponseBytesStaysAClientError) {
  // The 900 KB message is over this client's limit: the status still decides.
  max_response_bytes_ = 64 * 1024;
  ConverseResponse out;
  const Error e = converse("giant-message", &out);
  ASSERT_TRUE(started_);
  EXPECT_EQ(e.cls, OutcomeClass::kClient) << e.to_string();
  EXPECT_EQ(e.http_status, 400);
  EXPECT_EQ(e.error_type, "ValidationException");
  EXPECT_NE(e.message.find("max_response_bytes"), std::string::npos) << e.message;
}

TEST_F(HostileServerTest, AReplyWithoutAStatusLineIsTransient) {
  ConverseResponse out;
  const Error e = converse("no-status-line", &out);
  ASSERT_TRUE(started_);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient) << e.to_string();
  EXPECT_NE(e.message.find("no HTTP status line"), std::string::npos) << e.message;
}

TEST_F(HostileServerTest, AOneMebibyteHeaderIsTransientAndSaysSo) {
  ConverseResponse out;
  const Error e = converse("huge-header", &out);
  ASSERT_TRUE(started_);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient) << e.to_string();
  EXPECT_NE(e.message.find("response header over libcurl's limit"), std::string::npos) << e.message;
  EXPECT_EQ(e.message.find("Out of memory"), std::string::npos) << e.message;
}

// --- Server text reaches the caller bounded and printable ---

TEST_F(HostileServerTest, AGiantErrorMessageIsCutToItsLimit) {
  ConverseResponse out;
  const Error e = converse("giant-message", &out);
  ASSERT_TRUE(started_);
  EXPECT_EQ(e.cls, OutcomeClass::kClient) << e.message.substr(0, 200);
  EXPECT_LE(e.message.size(), limits::kClientMaxServerMessageBytes);
  EXPECT_NE(e.message.find("bytes cut]"), std::string::npos) << e.message.substr(0, 200);
  EXPECT_LT(e.to_string().size(), limits::kClientMaxServerMessageBytes + 256);
  ASSERT_EQ(out.attempts.size(), 1u);
  EXPECT_LT(out.attempts[0].error.size(), limits::kClientMaxServerMessageBytes + 64);
}

TEST_F(HostileServerTest, ControlCharactersInAnErrorMessageAreReplaced) {
  ConverseResponse out;
  const Error e = converse("control-message", &out);
  ASSERT_TRUE(started_);
  EXPECT_TRUE(printable(e.message, true)) << e.message;
  EXPECT_TRUE(printable(e.to_string(), true)) << e.to_string();
  EXPECT_NE(e.message.find("red"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("second line"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find(kReplacement), std::string::npos) << e.message;
}

TEST_F(HostileServerTest, InvalidUtf8InAnErrorMessageIsReplaced) {
  ConverseResponse out;
  const Error e = converse("bad-utf8-message", &out);
  ASSERT_TRUE(started_);
  EXPECT_TRUE(valid_utf8(e.message)) << e.message;
  EXPECT_TRUE(valid_utf8(e.to_string()));
  EXPECT_EQ(e.message, "bad \xEF\xBF\xBD\xEF\xBF\xBD bytes \xEF\xBF\xBD");
}

TEST_F(HostileServerTest, ControlCharactersInConverseTextAreReplaced) {
  ConverseResponse out;
  const Error e = converse("control-text", &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_TRUE(printable(out.text, false)) << out.text;
  EXPECT_NE(out.text.find("red"), std::string::npos);
  EXPECT_NE(out.text.find(" done"), std::string::npos) << out.text;
}

TEST_F(HostileServerTest, ControlCharactersInStreamedTextAreReplaced) {
  ConverseResponse out;
  std::string streamed;
  const Error e = converse_stream("control-text", &out, &streamed);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_TRUE(printable(streamed, false)) << streamed;
  EXPECT_EQ(streamed, out.text);
  EXPECT_NE(out.text.find(" done"), std::string::npos) << out.text;
}

TEST_F(HostileServerTest, AnEscapedNulDoesNotEndConverseText) {
  ConverseResponse out;
  const Error e = converse("nul-text", &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_EQ(out.text, "before\xEF\xBF\xBD" "after");
}

TEST_F(HostileServerTest, AnEscapedNulDoesNotEndStreamedText) {
  ConverseResponse out;
  std::string streamed;
  const Error e = converse_stream("nul-text", &out, &streamed);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_EQ(streamed, "before\xEF\xBF\xBD" "after");
  EXPECT_EQ(out.text, streamed);
}

TEST_F(HostileServerTest, InvalidUtf8InConverseTextIsReplaced) {
  ConverseResponse out;
  const Error e = converse("bad-utf8-text", &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_TRUE(valid_utf8(out.text)) << out.text;
  EXPECT_EQ(out.text.substr(0, 3), "caf");
  EXPECT_NE(out.text.find(" end "), std::string::npos) << out.text;
  EXPECT_NE(out.text.find(" ok"), std::string::npos) << out.text;
}

TEST_F(HostileServerTest, InvalidUtf8InStreamedTextIsReplaced) {
  ConverseResponse out;
  std::string streamed;
  const Error e = converse_stream("bad-utf8-text", &out, &streamed);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_TRUE(valid_utf8(streamed)) << streamed;
  EXPECT_EQ(streamed, out.text);
  EXPECT_NE(out.text.find(" ok"), std::string::npos) << out.text;
}

// --- Drips end at the call's deadline ---

TEST_F(HostileServerTest, HeaderDripEndsAtTheDeadline) {
  Client& c = client_of("header-drip", {"--drip-ms", "100"});
  ASSERT_TRUE(started_);
  constexpr std::int64_t kDeadlineMs = 1500;
  ConverseResponse out;
  const std::int64_t start = now_ms();
  const Error e = c.converse(hello(), options(kDeadlineMs), &out);
  const std::int64_t took = now_ms() - start;
  EXPECT_EQ(e.cls, OutcomeClass::kTransient) << e.to_string();
  EXPECT_TRUE(e.timed_out) << e.to_string();
  EXPECT_GE(took, kDeadlineMs - 100);
  EXPECT_LE(took, kDeadlineMs + kSlackMs);
}

TEST_F(HostileServerTest, BodyDripEndsAtTheDeadline) {
  Client& c = client_of("body-drip", {"--drip-ms", "100"});
  ASSERT_TRUE(started_);
  constexpr std::int64_t kDeadlineMs = 1500;
  ConverseResponse out;
  const std::int64_t start = now_ms();
  const Error e = c.converse(hello(), options(kDeadlineMs), &out);
  const std::int64_t took = now_ms() - start;
  EXPECT_EQ(e.cls, OutcomeClass::kTransient) << e.to_string();
  EXPECT_TRUE(e.timed_out) << e.to_string();
  EXPECT_LE(took, kDeadlineMs + kSlackMs);
}

}  // namespace
}  // namespace bedrock
}  // namespace edgeroute
