// edgeroute/bedrock.h -- the Amazon Bedrock Runtime client, one region per call.
//
// Operations: Converse, ConverseStream, InvokeModel, InvokeModelWithResponseStream.
// Each call goes to one region (the router chooses which), is signed with SigV4
// (service "bedrock", the region of the endpoint, body hashed) or carries a Bedrock
// API key as "Authorization: Bearer", and returns either a response or an Error
// that names the operation, the endpoint, the HTTP status and AWS's message, and
// classifies the failure so the caller knows whether another region may help.
//
// Retries: the client retries exactly one thing, a clock-skew answer. Edge devices
// often boot with a wrong clock; the client then takes the offset from the
// response's Date header, keeps it for later calls, re-signs and sends once more.
// Everything else (throttling, 5xx, timeouts) is the router's to retry elsewhere.
//
// Memory: a Converse request body is written directly and responses are parsed
// with cJSON; a response body, error body or accumulated stream text larger than
// ClientConfig::max_response_bytes is an error, never a larger allocation. The
// event-stream decoder (about 130 KiB) is allocated once per Client, and the
// request body, path, headers and response body go into buffers the Client keeps
// between calls, so a warm call allocates mostly for what it returns.
//
// Thread safety: a Client is not thread-safe (its decoder, signer and skew are
// per client). Use one per thread, like the Transport under it.
//
// Secrets: no Error message, attempt record or log line contains a key, token or
// signature. Buffers that held signing material are wiped after each call.
#ifndef EDGEROUTE_BEDROCK_H
#define EDGEROUTE_BEDROCK_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "edgeroute/clock.h"
#include "edgeroute/connect_to.h"
#include "edgeroute/credentials.h"
#include "edgeroute/crypto.h"
#include "edgeroute/outcome.h"
#include "edgeroute/route.h"
#include "edgeroute/sigv4.h"
#include "edgeroute/status.h"
#include "edgeroute/transport.h"

namespace edgeroute {
namespace eventstream {
class Decoder;
}

namespace bedrock {

// Failures are classified in the one vocabulary of edgeroute/outcome.h
// (OutcomeClass::kSuccess: no failure). OutcomeClass is its former name here.
using ErrorClass = OutcomeClass;

// The class of an AWS answer. error_type is the bare name (see error_type_from_header
// and error_type_from_body), message AWS's message (it tells clock skew apart from
// other signature failures); an unknown or empty type is classified by status.
OutcomeClass classify(int http_status, std::string_view error_type, std::string_view message);

// The class of a failure that produced no HTTP answer (a Transport or decoder error).
OutcomeClass classify_transport(Code code);

// "ThrottlingException:http://internal.amazon.com/coral/..." -> "ThrottlingException".
std::string_view error_type_from_header(std::string_view x_amzn_error_type);
// The "__type" or else "code" member of a JSON error body, without a "namespace#"
// prefix; *message gets "message" (or "Message") when present. Empty when the body
// is not a JSON object or has neither member.
std::string error_type_from_body(std::string_view body, std::string* message);

// Server text, made safe once where the client parses it. Everything a server
// controls that the client hands on (Converse text and stream deltas, tool-use IDs
// and names, stop reasons, error types and messages, request IDs) has gone through
// these, so a caller may print it to a terminal or into JSON as it is:
//  - every ill-formed UTF-8 sequence (RFC 3629: overlong forms, surrogates, bytes
//    past U+10FFFF, a cut sequence) becomes U+FFFD, one per maximal ill-formed part;
//  - NUL, the other C0 controls (ESC, BEL, ...), DEL and the C1 controls become
//    U+FFFD; tab and line feed stay, and a CR stays only before a line feed;
//  - a JSON "\u0000" escape in a server's answer becomes U+FFFD as well, rather
//    than silently ending the text where cJSON would.
// InvokeModel bodies and chunks are the model's own bytes and are not changed.
void append_safe_text(std::string* out, std::string_view text);
bool is_safe_text(std::string_view text);
// One line of at most max_bytes bytes (more than 40): as append_safe_text, with tab,
// CR and LF as spaces; longer text is cut at a character boundary and ends in
// "... [N bytes cut]". Replaces *out.
void assign_safe_line(std::string* out, std::string_view text, std::size_t max_bytes);
// Only ill-formed UTF-8 replaced (controls kept): for JSON that escapes its controls.
void append_valid_utf8(std::string* out, std::string_view text);

// The longest x-amz-retry-after kept, milliseconds (1 hour): a larger value is cut
// to it, so a bad header cannot take an endpoint out of service for days.
constexpr std::int64_t kMaxRetryAfterMs = 60 * 60 * 1000;

// A failed call, or ok() for success.
struct Error {
  OutcomeClass cls = OutcomeClass::kSuccess;
  std::string operation;   // "Converse", "ConverseStream", "InvokeModel", ...
  std::string endpoint;    // "bedrock-runtime.eu-central-1.amazonaws.com"; "[::1]" for IPv6
  int http_status = 0;     // 0: no HTTP answer (connection error, local error)
  std::string error_type;  // AWS's name, e.g. "ThrottlingException"; empty if none
  std::string message;     // AWS's message, or what went wrong locally
  std::string request_id;  // x-amzn-RequestId, when the service answered
  // Whether any output (a stream delta or chunk) reached the caller's callback before
  // the failure: if so, a retry elsewhere would repeat it.
  bool output_delivered = false;
  // The response's x-amz-retry-after (how long the service asks the caller to wait
  // before calling this endpoint again), milliseconds, cut to kMaxRetryAfterMs; -1
  // when absent or not a non-negative integer. Any status may carry it. The caller
  // hands it to Router::report().
  std::int64_t retry_after_ms = -1;
  // The attempt failed because a timeout fired (the Transport's Code::kTimeout:
  // connect, first byte, idle gap or deadline). A retry budget charges a timeout
  // more than another transient failure: the attempt held a connection for its
  // whole timeout.
  bool timed_out = false;

  bool ok() const { return cls == OutcomeClass::kSuccess; }
  // One line: "Converse bedrock-runtime.eu-west-3.amazonaws.com: throttle: HTTP 429
  // ThrottlingException: Too many requests (request ID abc)[, after output]".
  // retry_after_ms and timed_out are not part of it (the message already says
  // which timeout fired).
  std::string to_string() const;
};

// One try of a call, for the caller to report (the CLI prints them).
struct Attempt {
  std::string identifier;     // model or profile ID as sent
  std::string source_region;  // the region signed for and called
  int http_status = 0;        // 0: no HTTP answer
  std::string error;          // empty on success, else "class: type or message"
  std::int64_t ms = 0;        // wall time of the exchange
  // TCP + TLS set-up time of a new connection, ns; 0 when a kept-alive one was
  // reused. The network round trip alone, as probes measure it: the router's
  // passive latency sample (wall time less the service's latencyMs would also
  // count server-side buffering and delayed ACKs).
  std::int64_t connect_ns = 0;
  // Request start -> first response byte, ns; 0 when no byte came.
  std::int64_t first_byte_ns = 0;
  std::string request_id;  // x-amzn-RequestId of the answer; empty when none came
};

struct Usage {
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
  std::int64_t total_tokens = 0;
  std::int64_t cache_read_input_tokens = 0;
  std::int64_t cache_write_input_tokens = 0;
};

// --- Converse -----------------------------------------------------------------

// One content block: text, or any other block ({"image": ...}, {"document": ...},
// {"toolResult": ...}) passed through as raw JSON.
struct ContentBlock {
  std::string text;
  std::string raw_json;  // when non-empty, sent instead of {"text": text}

  static ContentBlock of_text(std::string t) { return ContentBlock{std::move(t), {}}; }
  static ContentBlock of_json(std::string j) { return ContentBlock{{}, std::move(j)}; }
};

struct Message {
  std::string role;  // "user" or "assistant"
  std::vector<ContentBlock> content;
};

struct InferenceConfig {
  std::int64_t max_tokens = 0;  // 0: not sent
  double temperature = -1;      // < 0: not sent
  double top_p = -1;            // < 0: not sent
  std::vector<std::string> stop_sequences;
};

struct ConverseRequest {
  std::string model_id;  // model ID, profile ID or ARN; percent-encoded on the wire
  std::vector<Message> messages;
  std::vector<std::string> system;  // system prompts, one text block each
  InferenceConfig inference_config;
  // Raw JSON passed through unchanged when non-empty (validated as JSON).
  std::string tool_config_json;
  std::string additional_model_request_fields_json;
  std::string request_metadata_json;
};

struct ConverseResponse {
  std::string text;  // every text block of the output message, joined
  // JSON array of the toolUse blocks, [{"toolUseId":..,"name":..,"input":{..}}, ...];
  // "[]" when none. A stream builds the same array from its tool-use events.
  std::string tool_uses_json = "[]";
  std::string stop_reason;
  Usage usage;
  std::int64_t latency_ms = 0;  // metrics.latencyMs
  std::string request_id;
  std::string source_region;  // region called
  std::string endpoint;       // host called
  std::vector<Attempt> attempts;
};

// One ConverseStream event, valid only during the callback.
struct StreamEvent {
  enum class Kind : std::uint8_t {
    kMessageStart,
    kContentBlockStart,  // a tool use begins: tool_use_id, tool_name
    kTextDelta,          // text
    kToolUseDelta,       // text holds a piece of the tool input JSON
    kContentBlockStop,
    kMessageStop,  // stop_reason
    kMetadata,     // usage, latency_ms
  };
  Kind kind = Kind::kMessageStart;
  std::int64_t content_block_index = 0;
  std::string_view text;
  std::string_view tool_use_id;
  std::string_view tool_name;
  std::string_view stop_reason;
  Usage usage;
  std::int64_t latency_ms = 0;
};

// Returning an error stops the stream; the call then fails with class kClient and
// the callback's message.
using StreamCallback = std::function<Status(const StreamEvent&)>;

// --- InvokeModel --------------------------------------------------------------

struct InvokeRequest {
  std::string model_id;
  std::string body;                               // the model's native request
  std::string content_type = "application/json";  // of body
  std::string accept = "application/json";        // wanted for the response (non-stream)
  // Extra request headers, e.g. {"X-Amzn-Bedrock-Trace", "ENABLED"} or
  // X-Amzn-Bedrock-GuardrailIdentifier; signed like the others.
  std::vector<std::pair<std::string, std::string>> headers;
};

struct InvokeResponse {
  std::string body;          // the model's native response (for streams: every chunk, joined)
  std::string content_type;  // of body
  // From X-Amzn-Bedrock-Input-Token-Count / -Output-Token-Count /
  // -Invocation-Latency when the service sends them.
  Usage usage;
  std::int64_t latency_ms = 0;
  std::string request_id;
  std::string source_region;
  std::string endpoint;
  std::vector<Attempt> attempts;
};

// Receives each decoded `chunk` of InvokeModelWithResponseStream, valid only during
// the call. Returning an error stops the stream.
using ChunkCallback = std::function<Status(std::string_view chunk)>;

// --- The client ---------------------------------------------------------------

// Per-region TCP redirection: the one type and parser of edgeroute/connect_to.h.
using edgeroute::ConnectTo;
using edgeroute::parse_connect_to;

struct ClientConfig {
  static constexpr std::size_t kDefaultMaxResponseBytes = 1024 * 1024;
  // Largest response body, error body, or accumulated stream output kept, bytes.
  std::size_t max_response_bytes = kDefaultMaxResponseBytes;
  // connect_ms, first_byte_ms, idle_ms apply to every exchange; the deadline comes
  // from each call (CallOptions::deadline_ms).
  HttpTimeouts timeouts;
  // One URL for every region ("https://host[:port][/prefix]", host a name, an IPv4
  // address or a bracketed IPv6 literal; AWS_ENDPOINT_URL_BEDROCK_RUNTIME or
  // AWS_ENDPOINT_URL): requests go to it, under the path prefix, and are signed for
  // its host and full path. http:// only for a loopback host. Checked at each call
  // (parse_endpoint_url); a bad URL fails the call with class kClient. Empty: the
  // regional endpoint bedrock-runtime.REGION.amazonaws.com.
  std::string endpoint_url;
  std::vector<ConnectTo> connect_to;
  // Residency where the request is sent: when set, every call's (model_id, region)
  // is checked right before its request is built, and a pair the gate refuses fails
  // the call with class kClient ("refused to send: <why>") and sends nothing. The
  // routed client sets its policy here; a client left without one sends where it is
  // told (a pinned call with no policy). Not owned; must outlive the client.
  const ResidencyGate* residency = nullptr;
};

// The endpoint override from the environment: AWS_ENDPOINT_URL_BEDROCK_RUNTIME, else
// AWS_ENDPOINT_URL, else empty.
std::string endpoint_url_from_environment(const Environment& env);

struct CallOptions {
  // The source region: SigV4 scope, and the endpoint host (edgeroute::endpoint_host,
  // the same as the catalog's Route::host) unless endpoint_url overrides it. With
  // the request's model_id it is the route that ClientConfig::residency checks.
  std::string region;
  std::int64_t deadline_ms = 0;  // for the whole call including the skew retry; 0: none
  // Non-empty: the model or profile ID called instead of the request's model_id (the
  // routed client's choice, without a copy of the request). Must outlive the call.
  std::string_view model_id;
};

class Client {
 public:
  // None of the references are owned; they must outlive the client. crypto serves
  // the signer.
  Client(Transport& transport, const CredentialsProvider& credentials, const Clock& clock,
         const Crypto& crypto, ClientConfig config = ClientConfig());
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Error converse(const ConverseRequest& request, const CallOptions& options, ConverseResponse* out);
  // Events go to on_event as they arrive; *out accumulates the text, the tool uses
  // (each one's input pieces joined and parsed at its contentBlockStop, into
  // tool_uses_json as Converse returns them), stop reason, usage and latency. Text
  // and tool-use input together are bounded by max_response_bytes. Tool-use input
  // that is not valid JSON at its contentBlockStop, or a tool use still open when
  // the stream ends, fails the call as kTransient (a corrupt stream).
  Error converse_stream(const ConverseRequest& request, const CallOptions& options,
                        const StreamCallback& on_event, ConverseResponse* out);
  Error invoke_model(const InvokeRequest& request, const CallOptions& options, InvokeResponse* out);
  // Each decoded chunk goes to on_chunk; out->body joins them (bounded).
  Error invoke_model_with_response_stream(const InvokeRequest& request, const CallOptions& options,
                                          const ChunkCallback& on_chunk, InvokeResponse* out);

  // The correction added to the device's UTC clock when signing, learned from a
  // clock-skew answer, milliseconds.
  std::int64_t clock_offset_ms() const { return clock_offset_ms_; }

 private:
  struct Call;
  struct Scratch;
  Error execute(Call* call);
  Error execute_once(Call* call, bool* retry_for_skew);

  Transport& transport_;
  const CredentialsProvider& credentials_;
  const Clock& clock_;
  ClientConfig config_;
  sigv4::Signer signer_;
  std::unique_ptr<eventstream::Decoder> decoder_;
  std::vector<char> sign_buf_;        // reused; wiped after each call
  std::unique_ptr<Scratch> scratch_;  // per-call buffers, reused; secrets wiped after each call
  std::int64_t clock_offset_ms_ = 0;
};

// --- Building blocks, public for tests and tools --------------------------------

// Every byte except A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex): ':' -> %3A, '/' -> %2F.
std::string percent_encode(std::string_view text);
// "/model/" + percent_encode(model_id) + "/" + action ("converse", "invoke", ...).
std::string model_path(std::string_view model_id, std::string_view action);
// Base64, RFC 4648's standard alphabet with padding: appends the encoding of `bytes`;
// decodes `text` into *out, false (with *out unspecified) unless it is well formed.
void append_base64(std::string_view bytes, std::string* out);
bool base64_decode(std::string_view text, std::string* out);

// The Converse request body. kInvalidArgument: no model or messages, an empty role,
// or a passthrough field that is not valid JSON (the message names the field).
Status build_converse_body(const ConverseRequest& request, std::string* body);
// Parses a Converse response body into text, tool uses, stop reason, usage, latency.
// kParseError with a one-line reason for malformed JSON or a missing output message.
Status parse_converse_response(std::string_view body, ConverseResponse* out);

// ClientConfig::endpoint_url, taken apart.
struct EndpointUrl {
  bool tls = true;
  std::string host;         // as the transport wants it: "::1" for "[::1]"
  std::uint16_t port = 0;   // the URL's, else the scheme's default (443 or 80)
  std::string host_header;  // as signed and sent: "[::1]:8443", "gw.example"
  std::string path_prefix;  // "/bedrock", or empty; no trailing '/'
};
// kInvalidArgument, one line that never repeats the URL (it may hold a password):
// a scheme other than https:// (http:// is allowed for 127.0.0.0/8, ::1 and
// localhost), userinfo, a query or fragment, an empty or malformed host, a bad port,
// or a path that is not plain percent-encoded segments.
Status parse_endpoint_url(std::string_view url, EndpointUrl* out);

// x-amz-retry-after as milliseconds: digits only, cut to kMaxRetryAfterMs; -1 when
// empty or malformed.
std::int64_t parse_retry_after_ms(std::string_view value);

// Parses an RFC 7231 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") into Unix seconds.
bool parse_http_date(std::string_view text, std::int64_t* unix_s);

}  // namespace bedrock
}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_BEDROCK_H
