// Fuzz target for the Bedrock client's response handling.
//
// The first input byte picks what the rest is:
//   even  a response body: parse_converse_response, error_type_from_body,
//         error_type_from_header, parse_http_date and classify, all on the same bytes;
//   odd   ConverseStream or InvokeModelWithResponseStream payloads: the rest is cut
//         at '\n' into JSON payloads, each sealed into a valid event-stream frame
//         (so the CRCs never stop the input) with an event type picked from the
//         payload's length, and the whole stream goes through a Client over a fake
//         transport, in pieces.
// Invariants: nothing crashes or leaks (ASan), accumulated output never exceeds
// max_response_bytes, and every Error formats to one line that names the operation.
//
// Two builds of this file:
//   client_fuzzer          libFuzzer (clang): client_fuzzer -max_total_time=30
//   fuzz_client_replay     plain main (any compiler; ../replay_main.h), run by ctest:
//                          fuzz_client_replay [--generated N]
//                          runs the seeds, then N deterministic mutations of them.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "edgeroute/bedrock.h"
#include "edgeroute/clock.h"
#include "edgeroute/eventstream.h"
#include "edgeroute/mbedtls_crypto.h"

namespace {

using namespace edgeroute;
using namespace edgeroute::bedrock;

constexpr std::size_t kMaxResponseBytes = 4096;
constexpr std::size_t kPieceBytes = 13;

[[noreturn]] void fail(const char* what) {
  std::fprintf(stderr, "client fuzz: invariant broken: %s\n", what);
  std::abort();
}

// Answers every request with one canned 200 body, in kPieceBytes pieces.
class ReplayTransport final : public Transport {
 public:
  explicit ReplayTransport(const std::string& body) : body_(body) {}
  Status send(const HttpRequest&, const HttpTimeouts&, HttpResponseSink* sink, HttpTiming*) override {
    Status s = sink->on_status(200);
    if (s.ok()) s = sink->on_header("content-type", "application/vnd.amazon.eventstream");
    for (std::size_t at = 0; s.ok() && at < body_.size(); at += kPieceBytes) {
      s = sink->on_body(body_.data() + at, std::min(kPieceBytes, body_.size() - at));
    }
    return s;
  }

 private:
  const std::string& body_;
};

class Keys final : public CredentialsProvider {
 public:
  Status get(std::int64_t, AwsCredentials* out) const override {
    *out = AwsCredentials::sigv4_keys("AKIDEXAMPLE", "fuzz-secret", "");
    return Status();
  }
};

void check_error(const Error& e) {
  if (e.ok()) return;
  const std::string line = e.to_string();
  if (line.find('\n') != std::string::npos || line.find('\r') != std::string::npos) fail("error spans lines");
  if (line.rfind(e.operation, 0) != 0) fail("error does not start with the operation");
}

void fuzz_body(std::string_view body) {
  ConverseResponse out;
  if (parse_converse_response(body, &out).ok() && out.tool_uses_json.empty()) fail("no tool-use array");
  std::string message;
  const std::string type = error_type_from_body(body, &message);
  (void)classify(400, type, message);
  (void)classify(200, error_type_from_header(body), body);
  std::int64_t t = 0;
  (void)parse_http_date(body, &t);
  const std::int64_t retry_after_ms = parse_retry_after_ms(body);
  if (retry_after_ms < -1 || retry_after_ms > kMaxRetryAfterMs) fail("retry-after out of range");
  EndpointUrl url;
  const Status s = parse_endpoint_url(body, &url);
  if (s.ok() && (url.host.empty() || url.port == 0 || url.host_header.empty())) fail("endpoint URL without host or port");
  // A URL past the scheme check must never come back in the message (its userinfo
  // may be a password). Other inputs can only "appear" as part of the fixed text
  // "must start with https://", which is not an echo.
  const auto has_scheme = [](std::string_view text) {
    const auto starts = [&](std::string_view prefix) {
      if (text.size() < prefix.size()) return false;
      for (std::size_t i = 0; i < prefix.size(); ++i) {
        char c = text[i];
        if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
        if (c != prefix[i]) return false;
      }
      return true;
    };
    return starts("https://") || starts("http://");
  };
  if (!s.ok() && has_scheme(body) && body.size() > 12 &&
      std::string_view(s.message()).find(body) != std::string_view::npos) {
    fail("endpoint URL error repeats the URL");
  }
}

void fuzz_stream(std::string_view rest, bool converse) {
  static const char* const kConverseEvents[] = {"messageStart", "contentBlockStart", "contentBlockDelta",
                                                "contentBlockStop", "messageStop", "metadata"};
  std::string wire;
  std::vector<std::uint8_t> frame(limits::kEventStreamMaxMessageBytes);
  while (!rest.empty()) {
    const std::size_t nl = rest.find('\n');
    const std::string_view payload = rest.substr(0, nl);
    rest = nl == std::string_view::npos ? std::string_view() : rest.substr(nl + 1);
    eventstream::Header h[2];
    h[0].name = ":message-type";
    h[0].type = eventstream::HeaderType::kString;
    h[1].type = eventstream::HeaderType::kString;
    // One payload in seven is an in-stream exception.
    if (payload.size() % 7 == 6) {
      h[0].bytes = "exception";
      h[1].name = ":exception-type";
      h[1].bytes = "throttlingException";
    } else {
      h[0].bytes = "event";
      h[1].name = ":event-type";
      h[1].bytes = converse ? kConverseEvents[payload.size() % 6] : "chunk";
    }
    std::size_t written = 0;
    if (!eventstream::encode(h, 2, payload.data(), payload.size(), frame.data(), frame.size(), &written).ok()) {
      continue;  // too large for one frame
    }
    wire.append(reinterpret_cast<const char*>(frame.data()), written);
  }
  ReplayTransport transport(wire);
  Keys keys;
  ManualClock clock;
  ClientConfig config;
  config.max_response_bytes = kMaxResponseBytes;
  Client client(transport, keys, clock, mbedtls_crypto(), config);
  CallOptions options;
  options.region = "eu-central-1";
  if (converse) {
    ConverseRequest request;
    request.model_id = "anthropic.claude-haiku-4-5-20251001-v1:0";
    request.messages.push_back(Message{"user", {ContentBlock::of_text("hi")}});
    ConverseResponse out;
    const Error e = client.converse_stream(
        request, options, [](const StreamEvent&) { return Status(); }, &out);
    if (out.text.size() + out.tool_uses_json.size() > kMaxResponseBytes + 2) fail("stream output over the limit");
    check_error(e);
  } else {
    InvokeRequest request;
    request.model_id = "anthropic.claude-haiku-4-5-20251001-v1:0";
    request.body = "{}";
    InvokeResponse out;
    const Error e = client.invoke_model_with_response_stream(
        request, options, [](std::string_view) { return Status(); }, &out);
    if (out.body.size() > kMaxResponseBytes) fail("stream body over the limit");
    check_error(e);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data + 1), size - 1);
  if (data[0] % 2 == 0) {
    fuzz_body(rest);
  } else {
    fuzz_stream(rest, data[0] % 4 == 1);
  }
  return 0;
}

#if defined(EDGEROUTE_FUZZ_REPLAY)

#include "replay_main.h"

namespace {

// Well-formed inputs of each kind; the mutations start from these.
const char* const kSeeds[] = {
    "\x00{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":\"Hi\"},{\"toolUse\":"
    "{\"toolUseId\":\"t\",\"name\":\"n\",\"input\":{}}}]}},\"stopReason\":\"end_turn\",\"usage\":"
    "{\"inputTokens\":1,\"outputTokens\":2,\"totalTokens\":3},\"metrics\":{\"latencyMs\":4}}",
    "\x00{\"__type\":\"com.amazon#ThrottlingException\",\"message\":\"slow down\"}",
    "\x00Sun, 06 Nov 1994 08:49:37 GMT",
    "\x01{\"role\":\"assistant\"}\n{\"contentBlockIndex\":0,\"delta\":{\"text\":\"Hel\"}}\n"
    "{\"contentBlockIndex\":0,\"delta\":{\"toolUse\":{\"input\":\"{}\"}}}\n{\"stopReason\":\"end_turn\"}\n"
    "{\"usage\":{\"inputTokens\":5},\"metrics\":{\"latencyMs\":9}}",
    "\x03{\"bytes\":\"eyJhIjoxfQ==\"}\n{\"bytes\":\"eHk=\"}\n{\"bytes\":\"not base64!\"}",
};

}  // namespace

int main(int argc, char** argv) {
  edgeroute::fuzz::ReplayTarget target("fuzz_client_replay");
  for (const char* seed : kSeeds) {
    // The leading mode byte may be NUL, so the length is the rest plus one.
    target.seeds.emplace_back(seed, 1 + std::strlen(seed + 1));
  }
  // Mutations keep the mode byte, so every input stays of its seed's kind.
  target.fixed_prefix_bytes = 1;
  target.splice = false;
  return edgeroute::fuzz::replay_main(argc, argv, target);
}

#endif  // EDGEROUTE_FUZZ_REPLAY
