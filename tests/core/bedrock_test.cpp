// The Bedrock Runtime client without a network: error classification, identifiers
// on the wire, request and response bodies, HTTP dates, and whole calls against a
// fake Transport that replays canned answers.
#include "edgeroute/bedrock.h"

#include <cjson/cJSON.h>
#include <gtest/gtest.h>

#include <deque>
#include <map>
#include <memory>
#include <type_traits>
#include <string>
#include <vector>

#include "edgeroute/clock.h"
#include "edgeroute/eventstream.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/policy.h"
#include "edgeroute/route.h"
#include "edgeroute/sigv4.h"

namespace edgeroute {
namespace bedrock {
namespace {

constexpr char kHaiku[] = "anthropic.claude-haiku-4-5-20251001-v1:0";
constexpr char kAccessKey[] = "AKIDEXAMPLE";
constexpr char kSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
constexpr char kToken[] = "FwoGZXIvYXdzEXAMPLEsessionTOKEN";
constexpr char kBearer[] = "ABSKZmFrZS1iZWFyZXIta2V5LWZvci11bml0LXRlc3Rz";
constexpr char kOkBody[] =
    R"({"output":{"message":{"role":"assistant","content":[{"text":"Hello "},{"text":"there."},)"
    R"({"toolUse":{"toolUseId":"t1","name":"lookup","input":{"q":1}}}]}},"stopReason":"tool_use",)"
    R"("usage":{"inputTokens":12,"outputTokens":7,"totalTokens":19,"cacheReadInputTokens":3,)"
    R"("cacheWriteInputTokens":4},"metrics":{"latencyMs":321}})";

using JsonPtr = std::unique_ptr<cJSON, void (*)(cJSON*)>;

// One canned answer: status and headers, the body in pieces, then the transport's result.
struct Canned {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::vector<std::string> pieces;
  Status end;
};

// What the client sent.
struct Sent {
  std::string host, path, connect_host, body;
  std::uint16_t port = 0, connect_port = 0;
  bool tls = true;
  std::map<std::string, std::string> headers;
};

class FakeTransport final : public Transport {
 public:
  Status send(const HttpRequest& r, const HttpTimeouts&, HttpResponseSink* sink,
              HttpTiming*) override {
    Sent sent;
    sent.host = std::string(r.host);
    sent.port = r.port;
    sent.tls = r.tls;
    sent.path = std::string(r.path_and_query);
    sent.connect_host = std::string(r.connect_host);
    sent.connect_port = r.connect_port;
    sent.body.assign(static_cast<const char*>(r.body), r.body_bytes);
    for (std::size_t i = 0; i < r.header_count; ++i) {
      sent.headers[std::string(r.headers[i].name)] = std::string(r.headers[i].value);
    }
    requests.push_back(sent);
    if (responses.empty()) return Status::error(Code::kUnavailable, "fake: no canned response");
    const Canned c = responses.front();
    responses.pop_front();
    if (c.status != 0) {
      Status s = sink->on_status(c.status);
      for (const auto& h : c.headers) {
        if (s.ok()) s = sink->on_header(h.first, h.second);
      }
      for (const std::string& piece : c.pieces) {
        if (s.ok()) s = sink->on_body(piece.data(), piece.size());
      }
      if (!s.ok()) return s;
    }
    return c.end;
  }

  std::deque<Canned> responses;
  std::vector<Sent> requests;
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

// An event-stream frame as Bedrock sends it.
std::string frame(const std::string& message_type, const std::string& type_header,
                  const std::string& type, const std::string& payload) {
  eventstream::Header h[3];
  h[0].name = ":message-type";
  h[0].type = eventstream::HeaderType::kString;
  h[0].bytes = message_type;
  h[1].name = type_header;
  h[1].type = eventstream::HeaderType::kString;
  h[1].bytes = type;
  h[2].name = ":content-type";
  h[2].type = eventstream::HeaderType::kString;
  h[2].bytes = "application/json";
  std::string out(payload.size() + 512, '\0');
  std::size_t written = 0;
  EXPECT_TRUE(
      eventstream::encode(h, 3, payload.data(), payload.size(), &out[0], out.size(), &written)
          .ok());
  out.resize(written);
  return out;
}
std::string event(const std::string& type, const std::string& payload) {
  return frame("event", ":event-type", type, payload);
}

// What the client should have sent as Authorization for a Converse of hello_request()
// with these Host and path; *canonical gets the canonical request, to show what was
// covered.
std::string expected_authorization(const std::string& host_header, const std::string& path,
                                   const std::string& body, std::string* canonical) {
  const sigv4::Header headers[] = {
      {"Host", host_header}, {"Content-Type", "application/json"}, {"Accept", "application/json"}};
  const sigv4::Request request{"POST", path, {}, headers, 3, body.data(), body.size()};
  sigv4::Options options;
  options.region = "eu-west-1";
  options.service = "bedrock";
  options.time_unix_s = ManualClock().utc_unix_ms() / 1000;
  const sigv4::Credentials keys{kAccessKey, kSecret, kToken};
  std::vector<char> buf(sigv4::required_buffer_bytes(request, options, keys));
  sigv4::Signer signer(mbedtls_crypto());
  sigv4::SignedRequest signed_request;
  EXPECT_TRUE(signer.sign(request, options, keys, buf.data(), buf.size(), &signed_request).ok());
  *canonical = std::string(signed_request.canonical_request);
  return std::string(signed_request.authorization);
}

ConverseRequest hello_request() {
  ConverseRequest r;
  r.model_id = kHaiku;
  r.messages.push_back(Message{"user", {ContentBlock::of_text("Hello")}});
  return r;
}

CallOptions in(const char* region) {
  CallOptions o;
  o.region = region;
  o.deadline_ms = 5000;
  return o;
}

class ClientTest : public ::testing::Test {
 protected:
  ClientTest() : credentials_(AwsCredentials::sigv4_keys(kAccessKey, kSecret, kToken)) {}

  std::unique_ptr<Client> make(ClientConfig config = ClientConfig()) {
    return std::make_unique<Client>(transport_, credentials_, clock_, mbedtls_crypto(),
                                    std::move(config));
  }

  FakeTransport transport_;
  StaticCredentials credentials_;
  ManualClock clock_;  // 2023-11-14T22:13:20Z
};

// --- classification -----------------------------------------------------------

TEST(BedrockClassify, EveryBedrockErrorName) {
  struct Row {
    int status;
    const char* type;
    const char* message;
    OutcomeClass expected;
  };
  const Row rows[] = {
      {429, "ThrottlingException", "Too many requests", OutcomeClass::kThrottle},
      {400, "ServiceQuotaExceededException", "quota", OutcomeClass::kQuota},
      {503, "ServiceUnavailableException", "", OutcomeClass::kTransient},
      {500, "InternalServerException", "", OutcomeClass::kTransient},
      {408, "ModelTimeoutException", "", OutcomeClass::kTransient},
      {429, "ModelNotReadyException", "", OutcomeClass::kModelNotReady},
      {400, "ValidationException", "The provided model identifier is invalid.",
       OutcomeClass::kClient},
      {403, "AccessDeniedException", "", OutcomeClass::kClient},
      {404, "ResourceNotFoundException", "", OutcomeClass::kClient},
      {424, "ModelErrorException", "", OutcomeClass::kClient},
      {424, "ModelStreamErrorException", "", OutcomeClass::kClient},
      {409, "ConflictException", "", OutcomeClass::kClient},
      {403, "UnrecognizedClientException", "The security token included in the request is invalid.",
       OutcomeClass::kAuth},
      {403, "InvalidSignatureException", "The request signature we calculated does not match",
       OutcomeClass::kAuth},
      {403, "InvalidSignatureException",
       "Signature expired: 20231114T221320Z is now earlier than 20231114T222820Z (20231114T223320Z "
       "- 5 min.)",
       OutcomeClass::kClockSkew},
      {403, "InvalidSignatureException", "Signature not yet current: X is still later than Y",
       OutcomeClass::kClockSkew},
      {403, "MissingAuthenticationTokenException", "Missing Authentication Token",
       OutcomeClass::kAuth},
      {403, "MissingAuthenticationToken", "", OutcomeClass::kAuth},
      {403, "ExpiredTokenException", "", OutcomeClass::kAuth},
      {400, "ExpiredToken", "", OutcomeClass::kAuth},
      {403, "RequestTimeTooSkewed", "", OutcomeClass::kClockSkew},
      // Unknown names fall back to the status.
      {429, "SomethingNew", "", OutcomeClass::kThrottle},
      {502, "", "", OutcomeClass::kTransient},
      {408, "", "", OutcomeClass::kTransient},
      {401, "", "", OutcomeClass::kAuth},
      {418, "", "", OutcomeClass::kClient},
  };
  for (const Row& row : rows) {
    EXPECT_EQ(classify(row.status, row.type, row.message), row.expected)
        << row.status << " " << row.type << " " << row.message;
  }
}

TEST(BedrockClassify, TransportFailuresAreTransient) {
  EXPECT_EQ(classify_transport(Code::kTimeout), OutcomeClass::kTransient);
  EXPECT_EQ(classify_transport(Code::kUnavailable), OutcomeClass::kTransient);
  EXPECT_EQ(classify_transport(Code::kChecksumMismatch), OutcomeClass::kTransient);
  EXPECT_EQ(classify_transport(Code::kParseError), OutcomeClass::kTransient);
  EXPECT_EQ(classify_transport(Code::kInvalidArgument), OutcomeClass::kClient);
}

TEST(BedrockClassify, ErrorTypeFromHeaderAndBody) {
  EXPECT_EQ(error_type_from_header(
                "ThrottlingException:http://internal.amazon.com/coral/com.amazon.bedrock/"),
            "ThrottlingException");
  EXPECT_EQ(error_type_from_header("ValidationException"), "ValidationException");
  std::string message;
  EXPECT_EQ(error_type_from_body(
                R"({"__type":"com.amazon.coral.service#ThrottlingException","message":"slow"})",
                &message),
            "ThrottlingException");
  EXPECT_EQ(message, "slow");
  EXPECT_EQ(error_type_from_body(R"({"code":"ValidationException","Message":"bad"})", &message),
            "ValidationException");
  EXPECT_EQ(message, "bad");
  EXPECT_EQ(error_type_from_body("<html>", &message), "");
}

TEST(BedrockClassify, ErrorFormatsToOneLine) {
  Error e;
  e.cls = OutcomeClass::kThrottle;
  e.operation = "Converse";
  e.endpoint = "bedrock-runtime.eu-west-3.amazonaws.com";
  e.http_status = 429;
  e.error_type = "ThrottlingException";
  e.message = "Too many\nrequests";
  e.request_id = "req-1";
  e.output_delivered = true;
  const std::string expected =
      "Converse bedrock-runtime.eu-west-3.amazonaws.com: throttle: HTTP 429 "
      "ThrottlingException: Too many "
      "requests (request ID req-1), after output reached the caller";
  EXPECT_EQ(e.to_string(), expected);
  // Retry-after and the timeout flag are for the router, not the line.
  e.retry_after_ms = 1500;
  e.timed_out = true;
  EXPECT_EQ(e.to_string(), expected);
}

TEST(BedrockClassify, RetryAfterValues) {
  EXPECT_EQ(parse_retry_after_ms("1500"), 1500);
  EXPECT_EQ(parse_retry_after_ms("0"), 0);
  EXPECT_EQ(parse_retry_after_ms(""), -1);
  EXPECT_EQ(parse_retry_after_ms("soon"), -1);
  EXPECT_EQ(parse_retry_after_ms("-5"), -1);
  EXPECT_EQ(parse_retry_after_ms("1.5"), -1);
  EXPECT_EQ(parse_retry_after_ms("15s"), -1);
  EXPECT_EQ(parse_retry_after_ms(std::to_string(kMaxRetryAfterMs)), kMaxRetryAfterMs);
  EXPECT_EQ(parse_retry_after_ms(std::to_string(kMaxRetryAfterMs + 1)), kMaxRetryAfterMs);
  // Would overflow 64 bits: still just "too long".
  EXPECT_EQ(parse_retry_after_ms("99999999999999999999999999"), kMaxRetryAfterMs);
}

// --- identifiers, bodies, dates ------------------------------------------------

TEST(BedrockWire, ModelIdsArePercentEncoded) {
  EXPECT_EQ(model_path(kHaiku, "converse"),
            "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse");
  EXPECT_EQ(
      model_path("arn:aws:bedrock:eu-central-1:111122223333:inference-profile/eu.x-v1:0", "invoke"),
      "/model/arn%3Aaws%3Abedrock%3Aeu-central-1%3A111122223333%3Ainference-profile%2Feu.x-v1%3A0/"
      "invoke");
  EXPECT_EQ(percent_encode("a~b_c.d-e f+\xc3\xa9"), "a~b_c.d-e%20f%2B%C3%A9");
}

TEST(BedrockWire, ConverseBodyHasEveryField) {
  ConverseRequest r = hello_request();
  r.messages[0].content.push_back(
      ContentBlock::of_json(R"({"image":{"format":"png","source":{"bytes":"AAAA"}}})"));
  r.system = {"Be brief."};
  r.inference_config.max_tokens = 100;
  r.inference_config.temperature = 0.5;
  r.inference_config.top_p = 0.9;
  r.inference_config.stop_sequences = {"END"};
  r.tool_config_json = R"({"tools":[]})";
  r.additional_model_request_fields_json = R"({"top_k":5})";
  r.request_metadata_json = R"({"team":"edge"})";
  std::string body;
  ASSERT_TRUE(build_converse_body(r, &body).ok());
  JsonPtr root(cJSON_Parse(body.c_str()), cJSON_Delete);
  ASSERT_TRUE(cJSON_IsObject(root.get())) << body;
  const cJSON* message = cJSON_GetArrayItem(cJSON_GetObjectItem(root.get(), "messages"), 0);
  EXPECT_STREQ(cJSON_GetObjectItem(message, "role")->valuestring, "user");
  const cJSON* content = cJSON_GetObjectItem(message, "content");
  EXPECT_STREQ(cJSON_GetObjectItem(cJSON_GetArrayItem(content, 0), "text")->valuestring, "Hello");
  EXPECT_TRUE(cJSON_IsObject(cJSON_GetObjectItem(cJSON_GetArrayItem(content, 1), "image")));
  EXPECT_STREQ(
      cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root.get(), "system"), 0), "text")
          ->valuestring,
      "Be brief.");
  const cJSON* ic = cJSON_GetObjectItem(root.get(), "inferenceConfig");
  EXPECT_EQ(cJSON_GetObjectItem(ic, "maxTokens")->valueint, 100);
  EXPECT_DOUBLE_EQ(cJSON_GetObjectItem(ic, "temperature")->valuedouble, 0.5);
  EXPECT_DOUBLE_EQ(cJSON_GetObjectItem(ic, "topP")->valuedouble, 0.9);
  EXPECT_STREQ(cJSON_GetArrayItem(cJSON_GetObjectItem(ic, "stopSequences"), 0)->valuestring, "END");
  EXPECT_TRUE(
      cJSON_IsArray(cJSON_GetObjectItem(cJSON_GetObjectItem(root.get(), "toolConfig"), "tools")));
  EXPECT_EQ(
      cJSON_GetObjectItem(cJSON_GetObjectItem(root.get(), "additionalModelRequestFields"), "top_k")
          ->valueint,
      5);
  EXPECT_STREQ(
      cJSON_GetObjectItem(cJSON_GetObjectItem(root.get(), "requestMetadata"), "team")->valuestring,
      "edge");
}

// The body is written by hand, not by cJSON: every byte a caller may put in a text
// must come back unchanged through an independent JSON parser.
TEST(BedrockWire, EveryTextByteSurvivesTheHandWrittenJson) {
  std::string all;
  for (int c = 0; c < 0x80; ++c) all.push_back(static_cast<char>(c));  // NUL and every control too
  all += "\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80";                       // UTF-8 passes through
  ConverseRequest req;
  req.model_id = "m";
  req.messages.push_back(Message{"user", {ContentBlock::of_text(all)}});
  req.system.push_back("quote \" backslash \\ slash / tab \t");
  req.inference_config.stop_sequences = {"\n\nHuman:", std::string("a\0b", 3)};
  req.inference_config.temperature = 0.1;
  req.inference_config.top_p = 1.0 / 3.0;
  req.inference_config.max_tokens = 4096;
  std::string body;
  ASSERT_TRUE(build_converse_body(req, &body).ok());
  EXPECT_EQ(body.find('\0'), std::string::npos);  // a NUL is escaped, never raw
  EXPECT_NE(body.find("\\u0000"), std::string::npos);
  cJSON* root = cJSON_ParseWithLength(body.data(), body.size());
  ASSERT_NE(root, nullptr) << body;
  const cJSON* text = cJSON_GetObjectItem(
      cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "messages"), 0), "content"),
                         0),
      "text");
  ASSERT_TRUE(cJSON_IsString(text));
  // cJSON's strings end at a NUL, so compare what follows the first byte separately.
  EXPECT_EQ(std::string(text->valuestring), std::string());
  const std::string escaped_rest = body.substr(body.find("\\u0000") + 6, 4);
  EXPECT_EQ(escaped_rest, "\\u00");  // 0x01 follows as \u0001
  const cJSON* system_text = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "system"), 0), "text");
  EXPECT_STREQ(system_text->valuestring, "quote \" backslash \\ slash / tab \t");
  const cJSON* config = cJSON_GetObjectItem(root, "inferenceConfig");
  EXPECT_DOUBLE_EQ(cJSON_GetObjectItem(config, "temperature")->valuedouble, 0.1);
  EXPECT_DOUBLE_EQ(cJSON_GetObjectItem(config, "topP")->valuedouble, 1.0 / 3.0);
  EXPECT_EQ(cJSON_GetObjectItem(config, "maxTokens")->valuedouble, 4096.0);
  EXPECT_STREQ(cJSON_GetArrayItem(cJSON_GetObjectItem(config, "stopSequences"), 0)->valuestring, "\n\nHuman:");
  cJSON_Delete(root);
  // Without the NUL, the whole text round-trips byte for byte.
  req.messages[0].content[0].text = all.substr(1);
  ASSERT_TRUE(build_converse_body(req, &body).ok());
  root = cJSON_ParseWithLength(body.data(), body.size());
  ASSERT_NE(root, nullptr);
  text = cJSON_GetObjectItem(
      cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(root, "messages"), 0), "content"),
                         0),
      "text");
  EXPECT_EQ(std::string(text->valuestring), all.substr(1));
  cJSON_Delete(root);
}

TEST(BedrockWire, MinimalConverseBodyLeavesOptionalFieldsOut) {
  std::string body;
  ASSERT_TRUE(build_converse_body(hello_request(), &body).ok());
  EXPECT_EQ(body, R"({"messages":[{"role":"user","content":[{"text":"Hello"}]}]})");
}

TEST(BedrockWire, BadRequestsAreRefusedLocally) {
  std::string body;
  ConverseRequest r = hello_request();
  r.tool_config_json = "{not json";
  const Status s = build_converse_body(r, &body);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_STREQ(s.message(), "toolConfig: not valid JSON");
  r = hello_request();
  r.messages.clear();
  EXPECT_EQ(build_converse_body(r, &body).code(), Code::kInvalidArgument);
}

TEST(BedrockWire, ConverseResponseIsParsed) {
  ConverseResponse out;
  ASSERT_TRUE(parse_converse_response(kOkBody, &out).ok());
  EXPECT_EQ(out.text, "Hello there.");
  EXPECT_EQ(out.tool_uses_json, R"([{"toolUseId":"t1","name":"lookup","input":{"q":1}}])");
  EXPECT_EQ(out.stop_reason, "tool_use");
  EXPECT_EQ(out.usage.input_tokens, 12);
  EXPECT_EQ(out.usage.output_tokens, 7);
  EXPECT_EQ(out.usage.total_tokens, 19);
  EXPECT_EQ(out.usage.cache_read_input_tokens, 3);
  EXPECT_EQ(out.usage.cache_write_input_tokens, 4);
  EXPECT_EQ(out.latency_ms, 321);
}

TEST(BedrockWire, MalformedResponsesAreClearErrors) {
  ConverseResponse out;
  Status s = parse_converse_response(R"({"output":{"message":)", &out);
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_STREQ(s.message(), "converse response: not a JSON object (21 bytes)");
  s = parse_converse_response(R"({"stopReason":"end_turn"})", &out);
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_STREQ(s.message(), "converse response: no output.message.content array");
}

TEST(BedrockWire, HttpDates) {
  std::int64_t t = 0;
  ASSERT_TRUE(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT", &t));
  EXPECT_EQ(t, 784111777);
  ASSERT_TRUE(parse_http_date("Tue, 14 Nov 2023 22:33:20 GMT", &t));
  EXPECT_EQ(t, 1700001200);
  ASSERT_TRUE(parse_http_date("Thu, 29 Feb 2024 00:00:00 GMT", &t));
  EXPECT_EQ(t, 1709164800);
  EXPECT_FALSE(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT", &t));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 08:49:37 UTC", &t));
  EXPECT_FALSE(parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT", &t));
  EXPECT_FALSE(parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT", &t));
  EXPECT_FALSE(parse_http_date("", &t));
}

TEST(BedrockWire, EndpointUrlForms) {
  struct Row {
    const char* url;
    bool tls;
    const char* host;
    std::uint16_t port;
    const char* host_header;
    const char* path_prefix;
  };
  const Row rows[] = {
      {"https://gw.example", true, "gw.example", 443, "gw.example", ""},
      {"HTTPS://gw.example:443/", true, "gw.example", 443, "gw.example", ""},
      {"https://gw.example:8443", true, "gw.example", 8443, "gw.example:8443", ""},
      {"https://[::1]:8443", true, "::1", 8443, "[::1]:8443", ""},
      {"https://[2001:db8::7]", true, "2001:db8::7", 443, "[2001:db8::7]", ""},
      {"https://gw.example/bedrock", true, "gw.example", 443, "gw.example", "/bedrock"},
      {"https://gw.example:9000/a/b%20c/", true, "gw.example", 9000, "gw.example:9000", "/a/b%20c"},
      {"http://localhost:8080/", false, "localhost", 8080, "localhost:8080", ""},
      {"http://127.0.0.1", false, "127.0.0.1", 80, "127.0.0.1", ""},
      {"http://127.10.0.3:81/p", false, "127.10.0.3", 81, "127.10.0.3:81", "/p"},
      {"http://[::1]:8080", false, "::1", 8080, "[::1]:8080", ""},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.url);
    EndpointUrl url;
    const Status s = parse_endpoint_url(row.url, &url);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_EQ(url.tls, row.tls);
    EXPECT_EQ(url.host, row.host);
    EXPECT_EQ(url.port, row.port);
    EXPECT_EQ(url.host_header, row.host_header);
    EXPECT_EQ(url.path_prefix, row.path_prefix);
  }
}

TEST(BedrockWire, EndpointUrlRefusals) {
  struct Row {
    const char* url;
    const char* message;
  };
  const Row rows[] = {
      {"ftp://gw.example", "endpoint URL: must start with https://"},
      {"gw.example", "endpoint URL: must start with https://"},
      {"http://gw.example",
       "endpoint URL: http:// only for a loopback host (127.0.0.0/8, [::1], "
       "localhost); use https://"},
      {"http://128.0.0.1",
       "endpoint URL: http:// only for a loopback host (127.0.0.0/8, [::1], "
       "localhost); use https://"},
      {"http://127.0.0.1.evil.example",
       "endpoint URL: http:// only for a loopback host (127.0.0.0/8, [::1], localhost); use "
       "https://"},
      {"http://localhost.evil.example",
       "endpoint URL: http:// only for a loopback host (127.0.0.0/8, [::1], localhost); use "
       "https://"},
      {"https://edge:hunter2@gw.example",
       "endpoint URL: user name or password (user:pass@) is not allowed"},
      {"https://gw.example/bedrock?x=1",
       "endpoint URL: a query (?) or fragment (#) is not allowed"},
      {"https://gw.example?x=1", "endpoint URL: a query (?) or fragment (#) is not allowed"},
      {"https://gw.example/#top", "endpoint URL: a query (?) or fragment (#) is not allowed"},
      {"https://", "endpoint URL: no host"},
      {"https://:8443", "endpoint URL: no host"},
      {"https://[]:8443", "endpoint URL: bad IPv6 address"},
      {"https://[::1", "endpoint URL: IPv6 address without ']'"},
      {"https://[::1]x", "endpoint URL: unexpected text after ']'"},
      {"https://[fe80::1%25eth0]", "endpoint URL: bad IPv6 address"},
      {"https://gw example", "endpoint URL: the host has a character not allowed in a host name"},
      {"https://gw.example:", "endpoint URL: port must be 1..65535"},
      {"https://gw.example:0", "endpoint URL: port must be 1..65535"},
      {"https://gw.example:65536", "endpoint URL: port must be 1..65535"},
      {"https://gw.example:84x3", "endpoint URL: port must be 1..65535"},
      {"https://[::1]:", "endpoint URL: port must be 1..65535"},
      {"https://gw.example/a b",
       "endpoint URL: the path has a character that must be "
       "percent-encoded"},
      {"https://gw.example/a%2",
       "endpoint URL: the path has a character that must be "
       "percent-encoded"},
      {"https://gw.example//bedrock", "endpoint URL: the path has an empty, '.' or '..' segment"},
      {"https://gw.example/a/../b", "endpoint URL: the path has an empty, '.' or '..' segment"},
  };
  for (const Row& row : rows) {
    SCOPED_TRACE(row.url);
    EndpointUrl url;
    const Status s = parse_endpoint_url(row.url, &url);
    EXPECT_EQ(s.code(), Code::kInvalidArgument);
    EXPECT_STREQ(s.message(), row.message);
    EXPECT_EQ(std::string(s.message()).find("hunter2"), std::string::npos);
  }
}

TEST(BedrockWire, ConnectTo) {
  ConnectTo c;
  ASSERT_TRUE(parse_connect_to("eu-central-1=127.0.0.1:4443", &c).ok());
  EXPECT_EQ(c.region, "eu-central-1");
  EXPECT_EQ(c.host, "127.0.0.1");
  EXPECT_EQ(c.port, 4443);
  EXPECT_FALSE(parse_connect_to("eu-central-1=127.0.0.1", &c).ok());
  EXPECT_FALSE(parse_connect_to("EU=127.0.0.1:1", &c).ok());
  EXPECT_FALSE(parse_connect_to("eu-central-1=h:0", &c).ok());
  EXPECT_FALSE(parse_connect_to("eu-central-1=h:70000", &c).ok());
  // One parser for the client, the prober, the C API and the tool: its one line
  // quotes the text and names the problem.
  const struct {
    const char* text;
    const char* message;
  } bad[] = {{"eu-west-1", "connect-to 'eu-west-1': expected REGION=HOST:PORT"},
             {"=h:1", "connect-to '=h:1': expected REGION=HOST:PORT"},
             {"eu-west-1=:1", "connect-to 'eu-west-1=:1': expected REGION=HOST:PORT"},
             {"EU=h:1", "connect-to 'EU=h:1': 'EU' is not a region name"},
             {"eu-west-1=h:99999", "connect-to 'eu-west-1=h:99999': port must be 1..65535"},
             {"eu-west-1=h:+1", "connect-to 'eu-west-1=h:+1': port must be 1..65535"},
             {"eu-west-1=a b:1", "connect-to 'eu-west-1=a b:1': the host has a space or control character"}};
  for (const auto& b : bad) {
    const Status st = parse_connect_to(b.text, &c);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << b.text;
    EXPECT_STREQ(st.message(), b.message);
  }
  EXPECT_EQ(c.region, "eu-central-1");  // unchanged by every failure
  // The same type everywhere: the client's name for it is the common one.
  static_assert(std::is_same<bedrock::ConnectTo, edgeroute::ConnectTo>::value, "one ConnectTo");
}

// --- whole calls over the fake transport ----------------------------------------

TEST_F(ClientTest, ConverseIsSignedAndParsed) {
  transport_.responses.push_back({200, {{"x-amzn-RequestId", "req-ok"}}, {kOkBody}, Status()});
  ClientConfig config;
  config.connect_to.push_back({"eu-central-1", "127.0.0.1", 4443});
  auto client = make(config);
  ConverseResponse out;
  const Error e = client->converse(hello_request(), in("eu-central-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  ASSERT_EQ(transport_.requests.size(), 1u);
  const Sent& sent = transport_.requests[0];
  EXPECT_EQ(sent.host, "bedrock-runtime.eu-central-1.amazonaws.com");
  EXPECT_EQ(sent.port, 443);
  EXPECT_EQ(sent.connect_host, "127.0.0.1");
  EXPECT_EQ(sent.connect_port, 4443);
  EXPECT_EQ(sent.path, "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse");
  EXPECT_EQ(sent.headers.count("Host"), 0u);  // the transport adds it
  EXPECT_EQ(sent.headers.at("Content-Type"), "application/json");
  EXPECT_EQ(sent.headers.at("X-Amz-Date"), "20231114T221320Z");
  EXPECT_EQ(sent.headers.at("X-Amz-Security-Token"), kToken);
  EXPECT_EQ(sent.headers.at("Authorization")
                .rfind("AWS4-HMAC-SHA256 "
                       "Credential=AKIDEXAMPLE/20231114/eu-central-1/bedrock/aws4_request, ",
                       0),
            0u);
  EXPECT_EQ(out.text, "Hello there.");
  EXPECT_EQ(out.request_id, "req-ok");
  EXPECT_EQ(out.source_region, "eu-central-1");
  EXPECT_EQ(out.endpoint, "bedrock-runtime.eu-central-1.amazonaws.com");
  ASSERT_EQ(out.attempts.size(), 1u);
  EXPECT_EQ(out.attempts[0].identifier, kHaiku);
  EXPECT_EQ(out.attempts[0].http_status, 200);
  EXPECT_EQ(out.attempts[0].error, "");
}

// Residency where the request is sent: a Client holding the policy refuses every
// (identifier, source region) outside it, for every operation, before anything is
// signed or sent; a pinned in-region model ID in an allowed region still goes out.
TEST_F(ClientTest, AClientWithAPolicySendsNothingOutsideIt) {
  Catalog catalog;
  ASSERT_TRUE(catalog
                  .load_json(R"({"region_sets": {"eu": ["eu-central-1", "eu-west-1"], "us": ["us-east-1"]},
                    "profiles": [{"id": "eu.m", "model": "m", "geography": "eu",
                                  "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"]}},
                                 {"id": "us.m", "model": "m", "geography": "us", "sources": {"us-east-1": ["us"]}}],
                    "in_region": [{"model": "m", "regions": ["eu-west-1", "us-east-1"]}]})",
                             "test", CatalogMerge::kReplace)
                  .ok());
  Policy policy(catalog);
  ASSERT_TRUE(policy.set_allow("eu-west-1").ok());  // region-level: profiles are out
  ClientConfig config;
  config.residency = &policy;
  std::unique_ptr<Client> client = make(config);

  const StreamCallback on_event = [](const StreamEvent&) { return Status(); };
  const ChunkCallback on_chunk = [](std::string_view) { return Status(); };
  struct Pair {
    const char* identifier;
    const char* region;
  };
  // A US profile, an EU profile (it may process in eu-central-1), the in-region ID
  // in a region outside the list, and names the catalog does not know.
  const Pair refused[] = {{"us.m", "us-east-1"}, {"eu.m", "eu-west-1"}, {"m", "us-east-1"},
                          {"m", "eu-central-1"}, {"x", "eu-west-1"},    {"m", "eu-west-9"}};
  for (const Pair& p : refused) {
    SCOPED_TRACE(std::string(p.identifier) + "@" + p.region);
    ConverseRequest converse = hello_request();
    converse.model_id = p.identifier;
    InvokeRequest invoke;
    invoke.model_id = p.identifier;
    invoke.body = "{}";
    ConverseResponse c;
    InvokeResponse i;
    const Error errors[] = {client->converse(converse, in(p.region), &c),
                            client->converse_stream(converse, in(p.region), on_event, &c),
                            client->invoke_model(invoke, in(p.region), &i),
                            client->invoke_model_with_response_stream(invoke, in(p.region), on_chunk, &i)};
    for (const Error& e : errors) {
      EXPECT_EQ(e.cls, OutcomeClass::kClient);
      EXPECT_EQ(e.message.rfind("refused to send: ", 0), 0u) << e.message;
      EXPECT_EQ(e.http_status, 0);
    }
    EXPECT_TRUE(c.attempts.empty());
    EXPECT_TRUE(i.attempts.empty());
  }
  EXPECT_TRUE(transport_.requests.empty());

  // The legitimate pinned call: the in-region model ID in the allowed region.
  transport_.responses.push_back({200, {}, {kOkBody}, Status()});
  ConverseRequest pinned = hello_request();
  pinned.model_id = "m";
  ConverseResponse out;
  const Error e = client->converse(pinned, in("eu-west-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  ASSERT_EQ(transport_.requests.size(), 1u);
  // The host it went to is the one the catalog names for the route.
  const int region = catalog.find_region("eu-west-1");
  ASSERT_NE(region, Catalog::kNone);
  EXPECT_EQ(transport_.requests[0].host, catalog.region_host(static_cast<std::size_t>(region)));
}

TEST(EndpointHost, OnePlaceBuildsEveryEndpointHost) {
  char host[64];
  EXPECT_EQ(std::string(host, endpoint_host("eu-central-1", host, sizeof host)),
            "bedrock-runtime.eu-central-1.amazonaws.com");
  EXPECT_EQ(endpoint_host("eu-central-1", host, 42), 0u);  // one byte short of the NUL
  EXPECT_EQ(endpoint_host("eu-central-1", host, 43), 42u);
  EXPECT_EQ(endpoint_host("", host, sizeof host), 0u);
  EXPECT_EQ(endpoint_host("evil.example.com/", host, sizeof host), 0u);
  EXPECT_EQ(endpoint_host("EU-CENTRAL-1", host, sizeof host), 0u);
}

TEST_F(ClientTest, BearerKeyReplacesSigV4) {
  StaticCredentials bearer(AwsCredentials::bearer(kBearer));
  Client client(transport_, bearer, clock_, mbedtls_crypto());
  transport_.responses.push_back({200, {}, {kOkBody}, Status()});
  ConverseResponse out;
  ASSERT_TRUE(client.converse(hello_request(), in("us-east-1"), &out).ok());
  const Sent& sent = transport_.requests[0];
  EXPECT_EQ(sent.headers.at("Authorization"), std::string("Bearer ") + kBearer);
  EXPECT_EQ(sent.headers.count("X-Amz-Date"), 0u);
}

TEST_F(ClientTest, EndpointOverrideIsUsedForEveryRegionAndSignedWithItsHost) {
  ClientConfig config;
  config.endpoint_url = "http://localhost:8080/";
  auto client = make(config);
  transport_.responses.push_back({200, {}, {kOkBody}, Status()});
  ConverseResponse out;
  ASSERT_TRUE(client->converse(hello_request(), in("eu-west-1"), &out).ok());
  EXPECT_EQ(transport_.requests[0].host, "localhost");
  EXPECT_EQ(transport_.requests[0].port, 8080);
  EXPECT_FALSE(transport_.requests[0].tls);
  EXPECT_EQ(out.endpoint, "localhost");
  EXPECT_NE(transport_.requests[0].headers.at("Authorization").find("/eu-west-1/bedrock/"),
            std::string::npos);
}

TEST_F(ClientTest, EndpointUrlWithIpv6HostIsSignedWithTheBracketedHost) {
  ClientConfig config;
  config.endpoint_url = "https://[::1]:8443";
  transport_.responses.push_back({200, {}, {kOkBody}, Status()});
  ConverseResponse out;
  const Error e = make(config)->converse(hello_request(), in("eu-west-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  const Sent& sent = transport_.requests[0];
  EXPECT_EQ(sent.host, "::1");  // the transport adds the brackets to its URL
  EXPECT_EQ(sent.port, 8443);
  EXPECT_TRUE(sent.tls);
  EXPECT_EQ(sent.path, "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse");
  EXPECT_EQ(out.endpoint, "[::1]");
  std::string canonical;
  EXPECT_EQ(sent.headers.at("Authorization"),
            expected_authorization("[::1]:8443", sent.path, sent.body, &canonical));
  EXPECT_NE(canonical.find("\nhost:[::1]:8443\n"), std::string::npos) << canonical;
}

TEST_F(ClientTest, EndpointUrlPathPrefixIsSentAndSigned) {
  ClientConfig config;
  config.endpoint_url = "https://gw.example/bedrock/";
  transport_.responses.push_back({200, {}, {kOkBody}, Status()});
  ConverseResponse out;
  const Error e = make(config)->converse(hello_request(), in("eu-west-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  const Sent& sent = transport_.requests[0];
  EXPECT_EQ(sent.host, "gw.example");
  EXPECT_EQ(sent.port, 443);
  EXPECT_EQ(sent.path, "/bedrock/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse");
  std::string canonical;
  EXPECT_EQ(sent.headers.at("Authorization"),
            expected_authorization("gw.example", sent.path, sent.body, &canonical));
  // Double-encoded, as for every non-S3 service.
  EXPECT_EQ(canonical.rfind("POST\n/bedrock/model/anthropic.claude-haiku-4-5-20251001-v1%253A0/"
                            "converse\n",
                            0),
            0u)
      << canonical;
}

TEST_F(ClientTest, BadEndpointUrlFailsTheCallBeforeSending) {
  ClientConfig config;
  config.endpoint_url = "https://edge:hunter2@gw.example";
  ConverseResponse out;
  const Error e = make(config)->converse(hello_request(), in("eu-west-1"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kClient);
  EXPECT_EQ(e.message, "endpoint URL: user name or password (user:pass@) is not allowed");
  EXPECT_EQ(e.to_string().find("hunter2"), std::string::npos);
  EXPECT_TRUE(transport_.requests.empty());
  config.endpoint_url = "http://gw.example";
  EXPECT_EQ(make(config)->converse(hello_request(), in("eu-west-1"), &out).cls,
            OutcomeClass::kClient);
  EXPECT_TRUE(transport_.requests.empty());
}

TEST_F(ClientTest, RetryAfterIsKeptFromAnyAnswer) {
  transport_.responses.push_back(
      {429,
       {{"x-amzn-ErrorType", "ThrottlingException"}, {"X-Amz-Retry-After", "2500"}},
       {R"({"message":"slow down"})"},
       Status()});
  transport_.responses.push_back(
      {503, {{"x-amz-retry-after", "soon"}}, {R"({"message":"busy"})"}, Status()});
  transport_.responses.push_back({500, {}, {R"({"message":"oops"})"}, Status()});
  // An in-stream throttle: the header came with the 200 that opened the stream.
  transport_.responses.push_back(
      {200,
       {{"x-amz-retry-after", "86400000"}},
       {frame("exception", ":exception-type", "throttlingException", R"({"message":"tokens"})")},
       Status()});
  auto client = make();
  ConverseResponse out;
  Error e = client->converse(hello_request(), in("eu-west-1"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kThrottle);
  EXPECT_EQ(e.retry_after_ms, 2500);
  e = client->converse(hello_request(), in("eu-west-1"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient);
  EXPECT_EQ(e.retry_after_ms, -1);  // malformed
  e = client->converse(hello_request(), in("eu-west-1"), &out);
  EXPECT_EQ(e.retry_after_ms, -1);  // absent
  e = client->converse_stream(hello_request(), in("eu-west-1"), nullptr, &out);
  EXPECT_EQ(e.cls, OutcomeClass::kThrottle);
  EXPECT_EQ(e.retry_after_ms, kMaxRetryAfterMs);  // a day, cut to the limit
}

TEST_F(ClientTest, TimeoutIsMarkedAsSuch) {
  transport_.responses.push_back(
      {0, {}, {}, Status::error(Code::kTimeout, "no response from h within first_byte_ms=100")});
  transport_.responses.push_back(
      {0, {}, {}, Status::error(Code::kUnavailable, "connection refused")});
  // The caller's callback may fail with kTimeout for its own reasons: not a transport timeout.
  transport_.responses.push_back(
      {200,
       {},
       {event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hel"}})")},
       Status()});
  auto client = make();
  ConverseResponse out;
  Error e = client->converse(hello_request(), in("eu-west-1"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient);
  EXPECT_TRUE(e.timed_out);
  EXPECT_EQ(e.to_string(),
            "Converse bedrock-runtime.eu-west-1.amazonaws.com: transient: no response from h "
            "within first_byte_ms=100");
  e = client->converse(hello_request(), in("eu-west-1"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient);
  EXPECT_FALSE(e.timed_out);
  e = client->converse_stream(
      hello_request(), in("eu-west-1"),
      [](const StreamEvent&) { return Status::error(Code::kTimeout, "display too slow"); }, &out);
  EXPECT_EQ(e.cls, OutcomeClass::kClient);
  EXPECT_FALSE(e.timed_out);
}

TEST_F(ClientTest, ServiceErrorIsClassifiedAndNamesEverything) {
  transport_.responses.push_back(
      {429,
       {{"x-amzn-RequestId", "req-429"},
        {"x-amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/coral/"}},
       {R"({"message":"Too many requests, please wait before trying again."})"},
       Status()});
  auto client = make();
  ConverseResponse out;
  const Error e = client->converse(hello_request(), in("eu-west-3"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kThrottle);
  EXPECT_EQ(e.http_status, 429);
  EXPECT_EQ(e.error_type, "ThrottlingException");
  EXPECT_EQ(e.request_id, "req-429");
  EXPECT_EQ(e.to_string(),
            "Converse bedrock-runtime.eu-west-3.amazonaws.com: throttle: HTTP 429 "
            "ThrottlingException: Too many "
            "requests, please wait before trying again. (request ID req-429)");
  ASSERT_EQ(out.attempts.size(), 1u);
  EXPECT_EQ(out.attempts[0].error, "throttle: ThrottlingException");
  const std::string line = e.to_string();
  EXPECT_EQ(line.find(kSecret), std::string::npos);
  EXPECT_EQ(line.find(kToken), std::string::npos);
}

TEST_F(ClientTest, ErrorTypeFromBodyWhenNoHeader) {
  transport_.responses.push_back(
      {400,
       {},
       {R"({"__type":"com.amazon#ValidationException","message":"bad model"})"},
       Status()});
  ConverseResponse out;
  const Error e = make()->converse(hello_request(), in("eu-west-1"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kClient);
  EXPECT_EQ(e.error_type, "ValidationException");
  EXPECT_EQ(e.message, "bad model");
}

TEST_F(ClientTest, MalformedSuccessBodyIsATransientError) {
  transport_.responses.push_back({200, {}, {"{\"output\": tru"}, Status()});
  ConverseResponse out;
  const Error e = make()->converse(hello_request(), in("eu-west-1"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient);
  EXPECT_NE(e.message.find("not a JSON object"), std::string::npos) << e.message;
}

TEST_F(ClientTest, OversizedResponseIsAnError) {
  ClientConfig config;
  config.max_response_bytes = 64;
  transport_.responses.push_back({200, {}, {std::string(40, ' '), std::string(40, ' ')}, Status()});
  ConverseResponse out;
  const Error e = make(config)->converse(hello_request(), in("eu-west-1"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kClient);
  EXPECT_EQ(e.message, "response over max_response_bytes (64)");
}

TEST_F(ClientTest, ConnectionErrorIsTransient) {
  transport_.responses.push_back(
      {0, {}, {}, Status::error(Code::kUnavailable, "connection refused")});
  ConverseResponse out;
  const Error e = make()->converse(hello_request(), in("eu-west-1"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient);
  EXPECT_EQ(e.http_status, 0);
  EXPECT_EQ(e.to_string(),
            "Converse bedrock-runtime.eu-west-1.amazonaws.com: transient: connection refused");
}

TEST_F(ClientTest, ClockSkewIsLearnedFromDateAndRetriedOnce) {
  // The device is 20 minutes behind the server.
  const char* expired =
      R"j({"message":"Signature expired: 20231114T221320Z is now earlier than 20231114T222820Z (20231114T223320Z - 5 min.)"})j";
  transport_.responses.push_back(
      {403,
       {{"x-amzn-ErrorType", "InvalidSignatureException:http://internal.amazon.com/"},
        {"Date", "Tue, 14 Nov 2023 22:33:20 GMT"}},
       {expired},
       Status()});
  transport_.responses.push_back({200, {}, {kOkBody}, Status()});
  transport_.responses.push_back({200, {}, {kOkBody}, Status()});
  auto client = make();
  ConverseResponse out;
  const Error e = client->converse(hello_request(), in("eu-central-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_EQ(client->clock_offset_ms(), 20 * 60 * 1000);
  ASSERT_EQ(out.attempts.size(), 2u);
  EXPECT_EQ(out.attempts[0].error, "clock_skew: InvalidSignatureException");
  EXPECT_EQ(out.attempts[1].http_status, 200);
  EXPECT_EQ(transport_.requests[1].headers.at("X-Amz-Date"), "20231114T223320Z");
  // Kept for later calls: the next one is signed with the corrected time at once.
  ASSERT_TRUE(client->converse(hello_request(), in("eu-central-1"), &out).ok());
  EXPECT_EQ(out.attempts.size(), 1u);
  EXPECT_EQ(transport_.requests[2].headers.at("X-Amz-Date"), "20231114T223320Z");
}

TEST_F(ClientTest, ClockSkewWithoutDateIsNotRetried) {
  transport_.responses.push_back({403,
                                  {{"x-amzn-ErrorType", "InvalidSignatureException"}},
                                  {R"({"message":"Signature expired: x"})"},
                                  Status()});
  ConverseResponse out;
  const Error e = make()->converse(hello_request(), in("eu-central-1"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kClockSkew);
  EXPECT_EQ(transport_.requests.size(), 1u);
}

TEST_F(ClientTest, ConverseStreamDeliversEventsInOrder) {
  const std::string stream =
      event("messageStart", R"({"role":"assistant","p":"ab"})") +
      event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hel"}})") +
      event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"lo"}})") +
      event("contentBlockStop", R"({"contentBlockIndex":0})") +
      event("messageStop", R"({"stopReason":"end_turn"})") +
      event("metadata", R"({"usage":{"inputTokens":5,"outputTokens":2,"totalTokens":7},)"
                        R"("metrics":{"latencyMs":42}})");
  // Bytes in awkward pieces, as curl hands them over.
  Canned c{200,
           {{"Content-Type", "application/vnd.amazon.eventstream"}, {"x-amzn-RequestId", "req-s"}},
           {},
           Status()};
  for (std::size_t i = 0; i < stream.size(); i += 7) c.pieces.push_back(stream.substr(i, 7));
  transport_.responses.push_back(c);
  std::string seen;
  ConverseResponse out;
  const Error e = make()->converse_stream(
      hello_request(), in("eu-central-1"),
      [&](const StreamEvent& ev) {
        seen += std::to_string(static_cast<int>(ev.kind)) + ":" + std::string(ev.text) + ";";
        return Status();
      },
      &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_EQ(seen, "0:;2:Hel;2:lo;4:;5:;6:;");
  EXPECT_EQ(transport_.requests[0].path,
            "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/converse-stream");
  EXPECT_EQ(out.text, "Hello");
  EXPECT_EQ(out.stop_reason, "end_turn");
  EXPECT_EQ(out.usage.total_tokens, 7);
  EXPECT_EQ(out.latency_ms, 42);
  EXPECT_EQ(out.request_id, "req-s");
}

// A ConverseStream that uses a tool: text, then a tool use whose input arrives in pieces.
std::string tool_use_stream(const std::string& input_a, const std::string& input_b) {
  return event("messageStart", R"({"role":"assistant"})") +
         event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hello "}})") +
         event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"there."}})") +
         event("contentBlockStop", R"({"contentBlockIndex":0})") +
         event(
             "contentBlockStart",
             R"({"contentBlockIndex":1,"start":{"toolUse":{"toolUseId":"t1","name":"lookup"}}})") +
         event("contentBlockDelta",
               R"({"contentBlockIndex":1,"delta":{"toolUse":{"input":")" + input_a + R"("}}})") +
         event("contentBlockDelta",
               R"({"contentBlockIndex":1,"delta":{"toolUse":{"input":")" + input_b + R"("}}})") +
         event("contentBlockStop", R"({"contentBlockIndex":1})") +
         event("messageStop", R"({"stopReason":"tool_use"})");
}

TEST_F(ClientTest, StreamedToolUseMatchesConverse) {
  transport_.responses.push_back({200, {}, {tool_use_stream(R"({\"q\")", ":1}")}, Status()});
  std::string pieces;
  ConverseResponse out;
  const Error e = make()->converse_stream(
      hello_request(), in("eu-central-1"),
      [&](const StreamEvent& ev) {
        if (ev.kind == StreamEvent::Kind::kToolUseDelta) pieces.append(ev.text);
        return Status();
      },
      &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_EQ(pieces, R"({"q":1})");  // the callback still sees every piece
  ConverseResponse whole;
  ASSERT_TRUE(parse_converse_response(kOkBody, &whole).ok());
  EXPECT_EQ(out.tool_uses_json, whole.tool_uses_json);
  EXPECT_EQ(out.text, whole.text);
  EXPECT_EQ(out.stop_reason, "tool_use");
}

TEST_F(ClientTest, StreamedToolUsesWithoutInputAndWithType) {
  const std::string stream =
      event("contentBlockStart",
            R"({"contentBlockIndex":0,"start":{"toolUse":{"toolUseId":"a","name":"now"}}})") +
      event("contentBlockStop", R"({"contentBlockIndex":0})") +
      event("contentBlockStart",
            R"({"contentBlockIndex":1,"start":{"toolUse":)"
            R"({"toolUseId":"b","name":"search","type":"server_tool_use"}}})") +
      event("contentBlockDelta",
            R"({"contentBlockIndex":1,"delta":{"toolUse":{"input":"{\"q\":[\"x\"]}"}}})") +
      event("contentBlockStop", R"({"contentBlockIndex":1})");
  transport_.responses.push_back({200, {}, {stream}, Status()});
  ConverseResponse out;
  const Error e = make()->converse_stream(hello_request(), in("eu-central-1"), nullptr, &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_EQ(out.tool_uses_json,
            R"([{"toolUseId":"a","name":"now","input":{}},)"
            R"({"toolUseId":"b","name":"search","input":{"q":["x"]},"type":"server_tool_use"}])");
}

TEST_F(ClientTest, StreamedToolUseWithBrokenInputIsTransient) {
  transport_.responses.push_back({200, {}, {tool_use_stream(R"({\"q\")", ":")}, Status()});
  ConverseResponse out;
  const Error e = make()->converse_stream(hello_request(), in("eu-central-1"), nullptr, &out);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient);
  EXPECT_EQ(e.message, "event stream: input of tool use t1 is not valid JSON (5 bytes)");
  EXPECT_TRUE(e.output_delivered);
}

TEST_F(ClientTest, StreamEndingInsideAToolUseIsTransient) {
  std::string stream = tool_use_stream(R"({\"q\")", ":1}");
  // Cut after the second input piece: no contentBlockStop, no messageStop.
  const std::string stop = event("contentBlockStop", R"({"contentBlockIndex":1})");
  stream.resize(stream.find(stop));
  transport_.responses.push_back({200, {}, {stream}, Status()});
  ConverseResponse out;
  const Error e = make()->converse_stream(hello_request(), in("eu-central-1"), nullptr, &out);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient);
  EXPECT_EQ(e.message, "event stream: ended inside tool use t1");
}

TEST_F(ClientTest, ToolUseInputWithoutAStartIsTransient) {
  transport_.responses.push_back(
      {200,
       {},
       {event("contentBlockDelta",
              R"({"contentBlockIndex":3,"delta":{"toolUse":{"input":"{}"}}})")},
       Status()});
  ConverseResponse out;
  const Error e = make()->converse_stream(hello_request(), in("eu-central-1"), nullptr, &out);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient);
  EXPECT_EQ(e.message,
            "event stream: tool-use input for content block 3, which started no tool use");
}

TEST_F(ClientTest, StreamedToolUseInputCountsAgainstTheLimit) {
  ClientConfig config;
  config.max_response_bytes = 64;  // "Hello there." (12) + 30 + 30 is over it
  const std::string piece(30, 'x');
  transport_.responses.push_back(
      {200, {}, {tool_use_stream("[\\\"" + piece, piece + "\\\"]")}, Status()});
  ConverseResponse out;
  const Error e = make(config)->converse_stream(hello_request(), in("eu-central-1"), nullptr, &out);
  EXPECT_EQ(e.cls, OutcomeClass::kClient);
  EXPECT_EQ(e.message, "response over max_response_bytes (64)");
  EXPECT_LE(out.text.size() + out.tool_uses_json.size(), 64u);
}

TEST_F(ClientTest, InStreamExceptionSaysOutputWasDelivered) {
  const std::string stream =
      event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hel"}})") +
      frame("exception", ":exception-type", "throttlingException",
            R"({"message":"Too many tokens"})");
  transport_.responses.push_back({200, {}, {stream}, Status()});
  ConverseResponse out;
  const Error e = make()->converse_stream(hello_request(), in("us-east-2"), nullptr, &out);
  EXPECT_EQ(e.cls, OutcomeClass::kThrottle);
  EXPECT_EQ(e.error_type, "ThrottlingException");
  EXPECT_EQ(e.message, "Too many tokens");
  EXPECT_TRUE(e.output_delivered);
  EXPECT_EQ(e.http_status, 200);
}

TEST_F(ClientTest, TruncatedStreamIsTransient) {
  const std::string one =
      event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hel"}})");
  transport_.responses.push_back({200, {}, {one + one.substr(0, 10)}, Status()});
  ConverseResponse out;
  const Error e = make()->converse_stream(hello_request(), in("us-east-2"), nullptr, &out);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient);
  EXPECT_TRUE(e.output_delivered);
  EXPECT_NE(e.message.find("truncated"), std::string::npos) << e.message;
}

TEST_F(ClientTest, CorruptFrameIsTransient) {
  std::string one = event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hel"}})");
  one[one.size() - 1] = static_cast<char>(one[one.size() - 1] ^ 1);
  transport_.responses.push_back({200, {}, {one}, Status()});
  ConverseResponse out;
  const Error e = make()->converse_stream(hello_request(), in("us-east-1"), nullptr, &out);
  EXPECT_EQ(e.cls, OutcomeClass::kTransient);
  EXPECT_FALSE(e.output_delivered);
}

TEST_F(ClientTest, CallbackCanStopTheStream) {
  transport_.responses.push_back(
      {200,
       {},
       {event("contentBlockDelta", R"({"contentBlockIndex":0,"delta":{"text":"Hel"}})")},
       Status()});
  ConverseResponse out;
  const Error e = make()->converse_stream(
      hello_request(), in("us-east-1"),
      [](const StreamEvent&) { return Status::error(Code::kIo, "stdout closed"); }, &out);
  EXPECT_EQ(e.cls, OutcomeClass::kClient);
  EXPECT_EQ(e.message, "stopped by the callback: stdout closed");
}

TEST_F(ClientTest, InvokeModelSendsRawBodyAndHeaders) {
  transport_.responses.push_back({200,
                                  {{"Content-Type", "application/json"},
                                   {"X-Amzn-Bedrock-Input-Token-Count", "11"},
                                   {"X-Amzn-Bedrock-Output-Token-Count", "22"},
                                   {"X-Amzn-Bedrock-Invocation-Latency", "33"}},
                                  {R"({"content":[{"type":"text","text":"hi"}]})"},
                                  Status()});
  InvokeRequest r;
  r.model_id = kHaiku;
  r.body = R"({"anthropic_version":"bedrock-2023-05-31","max_tokens":10,"messages":[]})";
  r.headers.push_back({"X-Amzn-Bedrock-Trace", "ENABLED"});
  InvokeResponse out;
  const Error e = make()->invoke_model(r, in("eu-central-1"), &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  const Sent& sent = transport_.requests[0];
  EXPECT_EQ(sent.path, "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke");
  EXPECT_EQ(sent.body, r.body);
  EXPECT_EQ(sent.headers.at("Accept"), "application/json");
  EXPECT_EQ(sent.headers.at("X-Amzn-Bedrock-Trace"), "ENABLED");
  EXPECT_NE(sent.headers.at("Authorization").find("x-amzn-bedrock-trace"), std::string::npos);
  EXPECT_EQ(out.body, R"({"content":[{"type":"text","text":"hi"}]})");
  EXPECT_EQ(out.usage.input_tokens, 11);
  EXPECT_EQ(out.usage.output_tokens, 22);
  EXPECT_EQ(out.latency_ms, 33);
}

TEST_F(ClientTest, InvokeStreamDecodesBase64Chunks) {
  // base64("{\"a\":1}") and base64("xy")
  transport_.responses.push_back({200,
                                  {},
                                  {event("chunk", R"({"bytes":"eyJhIjoxfQ==","p":"abc"})") +
                                   event("chunk", R"({"bytes":"eHk="})")},
                                  Status()});
  InvokeRequest r;
  r.model_id = kHaiku;
  r.body = "{}";
  std::vector<std::string> chunks;
  InvokeResponse out;
  const Error e = make()->invoke_model_with_response_stream(
      r, in("eu-central-1"),
      [&](std::string_view chunk) {
        chunks.emplace_back(chunk);
        return Status();
      },
      &out);
  ASSERT_TRUE(e.ok()) << e.to_string();
  EXPECT_EQ(transport_.requests[0].path,
            "/model/anthropic.claude-haiku-4-5-20251001-v1%3A0/invoke-with-response-stream");
  EXPECT_EQ(transport_.requests[0].headers.at("X-Amzn-Bedrock-Accept"), "application/json");
  ASSERT_EQ(chunks.size(), 2u);
  EXPECT_EQ(chunks[0], "{\"a\":1}");
  EXPECT_EQ(chunks[1], "xy");
  EXPECT_EQ(out.body, "{\"a\":1}xy");
}

TEST_F(ClientTest, BadRegionIsRefusedBeforeSending) {
  ConverseResponse out;
  const Error e = make()->converse(hello_request(), in("eu-central-1.evil.example/"), &out);
  EXPECT_EQ(e.cls, OutcomeClass::kClient);
  EXPECT_TRUE(transport_.requests.empty());
}

}  // namespace
}  // namespace bedrock
}  // namespace edgeroute
