// Bedrock Runtime client: endpoints, signing, one exchange per attempt, stream
// events, and the clock-skew retry.
#include <cjson/cJSON.h>

#include <cstdint>
#include <memory>

#include "bedrock_internal.h"
#include "edgeroute/ascii.h"
#include "edgeroute/bedrock.h"
#include "edgeroute/eventstream.h"
#include "edgeroute/route.h"

namespace edgeroute {
namespace bedrock {
namespace {

using JsonPtr = std::unique_ptr<cJSON, void (*)(cJSON*)>;

constexpr std::int64_t kNsPerMs = 1000000;
constexpr std::size_t kMaxRegionBytes = 32;
constexpr char kEventStreamType[] = "application/vnd.amazon.eventstream";

enum class Op : std::uint8_t { kConverse, kConverseStream, kInvoke, kInvokeStream };

bool is_stream(Op op) { return op == Op::kConverseStream || op == Op::kInvokeStream; }

std::int64_t parse_int(std::string_view s) {
  std::int64_t v = 0;
  for (const char c : s) {
    if (c < '0' || c > '9' || v > INT64_MAX / 10 - 10) return 0;
    v = v * 10 + (c - '0');
  }
  return v;
}

// Where one call goes.
struct Endpoint {
  std::string host;  // TLS name and the transport's host ("::1" for an IPv6 literal)
  std::uint16_t port = 443;
  bool tls = true;
  std::string host_header;   // signed as Host: host, or host:port for a non-default port
  std::string path_prefix;   // from endpoint_url, put before every /model/... path
  std::string display;       // for Error::endpoint: host, "[::1]" for an IPv6 literal
  std::string connect_host;  // connect_to target, else empty
  std::uint16_t connect_port = 0;
};

Status resolve_endpoint(const ClientConfig& config, std::string_view region, Endpoint* ep) {
  if (region.empty() || region.size() > kMaxRegionBytes) {
    return Status::error(Code::kInvalidArgument, "no region, or a region name over %zu bytes",
                         kMaxRegionBytes);
  }
  for (const char c : region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return Status::error(Code::kInvalidArgument, "'%.*s' is not a region name",
                           static_cast<int>(region.size()), region.data());
    }
  }
  if (!config.endpoint_url.empty()) {
    EndpointUrl url;
    Status st = parse_endpoint_url(config.endpoint_url, &url);
    if (!st.ok()) return st;
    ep->host = std::move(url.host);
    ep->port = url.port;
    ep->tls = url.tls;
    ep->host_header = std::move(url.host_header);
    ep->path_prefix = std::move(url.path_prefix);
    ep->display = ep->host.find(':') != std::string::npos ? "[" + ep->host + "]" : ep->host;
    return Status();
  }
  char host[kMaxRegionBytes + kEndpointHostExtraBytes + 1];
  ep->host.assign(host, endpoint_host(region, host, sizeof host));
  ep->host_header = ep->host;
  ep->display = ep->host;
  for (const ConnectTo& c : config.connect_to) {
    if (c.region == region) {
      ep->connect_host = c.host;
      ep->connect_port = c.port;
    }
  }
  return Status();
}

// A request refused before anything was sent.
Error local_error(const char* operation, const char* message) {
  Error e;
  e.cls = OutcomeClass::kClient;
  e.operation = operation;
  e.message = message;
  return e;
}

// "throttlingException" (the stream's spelling) -> "ThrottlingException".
std::string exception_name(std::string_view stream_name) {
  std::string name(stream_name);
  if (!name.empty() && name[0] >= 'a' && name[0] <= 'z')
    name[0] = static_cast<char>(name[0] - 'a' + 'A');
  return name;
}

// What an Exchange keeps of a response for the client to read afterwards.
struct Received {
  std::string request_id, error_type, date, content_type, body;

  void clear() {
    request_id.clear();
    error_type.clear();
    date.clear();
    content_type.clear();
    body.clear();
  }
};

}  // namespace

// Buffers every call fills, kept by the Client so that a warm call reuses their
// capacity instead of allocating them again. Those that held secrets
// (credentials, bearer) are wiped at the end of every call.
struct Client::Scratch {
  std::string body;             // a Converse request body
  std::string path;             // "/model/<id>/<action>"
  std::string path_and_prefix;  // as sent and signed
  std::vector<sigv4::Header> signed_headers;
  std::vector<HttpHeader> headers;
  AwsCredentials credentials;
  std::string bearer;  // "Bearer <key>"
  Received received;
  // The endpoint of the last region called: it depends only on the region and
  // config_, which never changes. Empty region: none yet.
  std::string endpoint_region;
  Endpoint endpoint;
};

struct Client::Call {
  Op op = Op::kConverse;
  const char* operation = "";
  std::string_view model_id;
  std::string_view path;
  std::string_view body;
  std::string_view content_type;
  std::string_view accept;
  const std::vector<std::pair<std::string, std::string>>* extra_headers = nullptr;
  CallOptions options;
  std::int64_t deadline_ns = 0;
  const StreamCallback* on_event = nullptr;
  const ChunkCallback* on_chunk = nullptr;
  ConverseResponse* converse = nullptr;
  InvokeResponse* invoke = nullptr;
  std::vector<Attempt>* attempts = nullptr;
};

namespace {

// Receives one exchange: status, the headers the client uses, and the body -- kept
// (bounded) for plain responses and errors, decoded as an event stream for a
// successful stream.
class Exchange final : public HttpResponseSink, public eventstream::MessageHandler {
 public:
  // Keeps what it reads in *received, which the caller has cleared.
  Exchange(Op op, std::size_t max_bytes, eventstream::Decoder* decoder,
           const StreamCallback* on_event, const ChunkCallback* on_chunk,
           ConverseResponse* converse, InvokeResponse* invoke, Received* received)
      : request_id(received->request_id),
        error_type(received->error_type),
        date(received->date),
        content_type(received->content_type),
        body(received->body),
        op_(op),
        max_bytes_(max_bytes),
        decoder_(decoder),
        on_event_(on_event),
        on_chunk_(on_chunk),
        converse_(converse),
        invoke_(invoke) {}

  Status on_status(int http_status) override {
    status = http_status;
    return Status();
  }

  Status on_header(std::string_view name, std::string_view value) override {
    if (iequals(name, "x-amzn-requestid")) {
      assign_safe_line(&request_id, value, kMaxRequestIdBytes);
    } else if (iequals(name, "x-amzn-errortype")) {
      assign_safe_line(&error_type, error_type_from_header(value), kMaxErrorTypeBytes);
    } else if (iequals(name, "date")) {
      date.assign(value);
    } else if (iequals(name, "content-type")) {
      assign_safe_line(&content_type, value, kMaxErrorTypeBytes);
    } else if (iequals(name, "x-amzn-bedrock-input-token-count")) {
      usage.input_tokens = parse_int(value);
    } else if (iequals(name, "x-amzn-bedrock-output-token-count")) {
      usage.output_tokens = parse_int(value);
    } else if (iequals(name, "x-amzn-bedrock-invocation-latency")) {
      latency_ms = parse_int(value);
    } else if (iequals(name, "x-amz-retry-after")) {
      retry_after_ms = parse_retry_after_ms(value);
    }
    return Status();
  }

  Status on_body(const void* data, std::size_t bytes) override {
    if (streaming()) return decoder_->feed(data, bytes, this);
    if (body.size() + bytes > max_bytes_) return oversize();
    body.append(static_cast<const char*>(data), bytes);
    return Status();
  }

  Status on_message(const eventstream::Message& m) override {
    const std::string_view message_type = m.string_header(":message-type");
    const std::string_view json = without_nul_escapes(m.payload, &payload_scratch_);
    if (message_type == "exception" || message_type == "error") {
      if (message_type == "exception") {
        stream_error_type = exception_name(m.string_header(":exception-type"));
        JsonPtr payload(cJSON_ParseWithLength(json.data(), json.size()), cJSON_Delete);
        stream_error_message = std::string(json_string(payload.get(), "message"));
      } else {
        stream_error_type = std::string(m.string_header(":error-code"));
        stream_error_message = std::string(m.string_header(":error-message"));
      }
      if (stream_error_type.empty()) stream_error_type = "UnknownStreamException";
      return Status::error(Code::kUnavailable, "stream exception");
    }
    if (message_type != "event") return Status();  // nothing else is defined; skip it
    JsonPtr payload(cJSON_ParseWithLength(json.data(), json.size()), cJSON_Delete);
    if (!cJSON_IsObject(payload.get()))
      return Status::error(Code::kParseError, "event stream: event payload is not JSON");
    const std::string_view event_type = m.string_header(":event-type");
    return op_ == Op::kConverseStream ? converse_event(event_type, payload.get())
                                      : invoke_event(event_type, payload.get());
  }

  bool streaming() const { return is_stream(op_) && status == 200; }

  // After a stream ended cleanly: a tool use still open means the stream lost its end.
  Status finish_stream() const {
    if (!tool_open_) return Status();
    return Status::error(Code::kParseError, "event stream: ended inside tool use %.*s",
                         kMaxToolIdChars, tool_id_.c_str());
  }

  int status = 0;
  std::string &request_id, &error_type, &date, &content_type, &body;
  Usage usage;
  std::int64_t latency_ms = 0;
  std::int64_t retry_after_ms = -1;
  // An exception event inside a successful stream.
  std::string stream_error_type, stream_error_message;
  bool output_delivered = false;
  bool oversized = false;
  bool callback_failed = false;
  std::string callback_message;

 private:
  // IDs in messages are cut to this many characters, so the rest of the line shows.
  static constexpr int kMaxToolIdChars = 64;

  // What a stream keeps: text, finished tool uses and the open tool use's input.
  std::size_t kept_bytes() const {
    const std::size_t tools =
        converse_->tool_uses_json.size() > 2 ? converse_->tool_uses_json.size() : 0;
    return converse_->text.size() + tools + tool_input_.size();
  }

  // Joins the open tool use's input pieces and adds the tool use to tool_uses_json,
  // shaped as Converse returns it.
  Status close_tool_use() {
    tool_open_ = false;
    const std::string_view input = tool_input_.empty() ? std::string_view("{}") : tool_input_;
    cJSON* parsed = cJSON_ParseWithLength(input.data(), input.size());
    if (parsed == nullptr) {
      return Status::error(Code::kParseError,
                           "event stream: input of tool use %.*s is not valid JSON (%zu bytes)",
                           kMaxToolIdChars, tool_id_.c_str(), tool_input_.size());
    }
    JsonPtr tool_use(cJSON_CreateObject(), cJSON_Delete);
    cJSON_AddStringToObject(tool_use.get(), "toolUseId", tool_id_.c_str());
    cJSON_AddStringToObject(tool_use.get(), "name", tool_name_.c_str());
    cJSON_AddItemToObject(tool_use.get(), "input", parsed);
    if (!tool_type_.empty()) cJSON_AddStringToObject(tool_use.get(), "type", tool_type_.c_str());
    char* printed = cJSON_PrintUnformatted(tool_use.get());
    if (printed == nullptr)
      return Status::error(Code::kInternal, "event stream: cannot print a tool use");
    const std::string_view item(printed);
    std::string& json = converse_->tool_uses_json;
    const std::size_t kept = kept_bytes() - tool_input_.size();
    if (kept + item.size() + 1 > max_bytes_) {
      cJSON_free(printed);
      return oversize();
    }
    json.pop_back();  // the closing ']'
    if (json.size() > 1) json.push_back(',');
    json.append(item).push_back(']');
    cJSON_free(printed);
    tool_input_.clear();
    return Status();
  }

  // text, or a safe copy of it in a buffer reused for every delta (see bedrock.h).
  std::string_view safe(std::string_view text) {
    if (is_safe_text(text)) return text;
    safe_text_.clear();
    append_safe_text(&safe_text_, text);
    return safe_text_;
  }

  Status oversize() {
    oversized = true;
    return Status::error(Code::kLimitExceeded, "response over max_response_bytes (%zu)",
                         max_bytes_);
  }

  Status deliver(const StreamEvent& event) {
    if (event.kind == StreamEvent::Kind::kTextDelta ||
        event.kind == StreamEvent::Kind::kToolUseDelta) {
      output_delivered = true;
    }
    if (on_event_ == nullptr || !*on_event_) return Status();
    Status s = (*on_event_)(event);
    if (!s.ok()) {
      callback_failed = true;
      callback_message = s.message();
    }
    return s;
  }

  Status converse_event(std::string_view type, const cJSON* payload) {
    StreamEvent ev;
    ev.content_block_index = json_int(payload, "contentBlockIndex");
    if (type == "messageStart") {
      ev.kind = StreamEvent::Kind::kMessageStart;
    } else if (type == "contentBlockStart") {
      const cJSON* tool_use = cJSON_GetObjectItemCaseSensitive(
          cJSON_GetObjectItemCaseSensitive(payload, "start"), "toolUse");
      ev.kind = StreamEvent::Kind::kContentBlockStart;
      ev.tool_use_id = json_string(tool_use, "toolUseId");
      ev.tool_name = json_string(tool_use, "name");
      if (cJSON_IsObject(tool_use)) {
        // Content blocks arrive one after another; a second start before the first
        // stop means frames were lost.
        if (tool_open_) {
          return Status::error(Code::kParseError,
                               "event stream: tool use %.*s started inside tool use %.*s",
                               kMaxToolIdChars, std::string(ev.tool_use_id).c_str(),
                               kMaxToolIdChars, tool_id_.c_str());
        }
        tool_open_ = true;
        tool_index_ = ev.content_block_index;
        assign_safe_line(&tool_id_, ev.tool_use_id, kMaxErrorTypeBytes);
        assign_safe_line(&tool_name_, ev.tool_name, kMaxErrorTypeBytes);
        assign_safe_line(&tool_type_, json_string(tool_use, "type"), kMaxErrorTypeBytes);
        tool_input_.clear();
        ev.tool_use_id = tool_id_;
        ev.tool_name = tool_name_;
      }
    } else if (type == "contentBlockDelta") {
      const cJSON* delta = cJSON_GetObjectItemCaseSensitive(payload, "delta");
      const cJSON* text = cJSON_GetObjectItemCaseSensitive(delta, "text");
      const cJSON* tool_use = cJSON_GetObjectItemCaseSensitive(delta, "toolUse");
      if (cJSON_IsString(text)) {
        ev.kind = StreamEvent::Kind::kTextDelta;
        ev.text = safe(text->valuestring);
        if (kept_bytes() + ev.text.size() > max_bytes_) return oversize();
        converse_->text.append(ev.text);
      } else if (cJSON_IsObject(tool_use)) {
        ev.kind = StreamEvent::Kind::kToolUseDelta;
        ev.text = safe(json_string(tool_use, "input"));
        if (!tool_open_ || ev.content_block_index != tool_index_) {
          return Status::error(Code::kParseError,
                               "event stream: tool-use input for content block %lld, which "
                               "started no tool use",
                               static_cast<long long>(ev.content_block_index));
        }
        if (kept_bytes() + ev.text.size() > max_bytes_) return oversize();
        tool_input_.append(ev.text);
      } else {
        return Status();  // reasoning and other deltas this client does not surface
      }
    } else if (type == "contentBlockStop") {
      ev.kind = StreamEvent::Kind::kContentBlockStop;
      if (tool_open_ && ev.content_block_index == tool_index_) {
        const Status s = close_tool_use();
        if (!s.ok()) return s;
      }
    } else if (type == "messageStop") {
      ev.kind = StreamEvent::Kind::kMessageStop;
      assign_safe_line(&converse_->stop_reason, json_string(payload, "stopReason"),
                       kMaxStopReasonBytes);
      ev.stop_reason = converse_->stop_reason;
    } else if (type == "metadata") {
      ev.kind = StreamEvent::Kind::kMetadata;
      read_usage(cJSON_GetObjectItemCaseSensitive(payload, "usage"), &converse_->usage);
      converse_->latency_ms =
          json_int(cJSON_GetObjectItemCaseSensitive(payload, "metrics"), "latencyMs");
      ev.usage = converse_->usage;
      ev.latency_ms = converse_->latency_ms;
    } else {
      return Status();  // an event type added after this client was written
    }
    return deliver(ev);
  }

  Status invoke_event(std::string_view type, const cJSON* payload) {
    if (type != "chunk") return Status();
    if (!base64_decode(json_string(payload, "bytes"), &chunk_)) {
      return Status::error(Code::kParseError, "event stream: chunk bytes are not base64");
    }
    if (invoke_->body.size() + chunk_.size() > max_bytes_) return oversize();
    invoke_->body.append(chunk_);
    output_delivered = true;
    if (on_chunk_ == nullptr || !*on_chunk_) return Status();
    Status s = (*on_chunk_)(chunk_);
    if (!s.ok()) {
      callback_failed = true;
      callback_message = s.message();
    }
    return s;
  }

  Op op_;
  std::size_t max_bytes_;
  eventstream::Decoder* decoder_;
  const StreamCallback* on_event_;
  const ChunkCallback* on_chunk_;
  ConverseResponse* converse_;
  InvokeResponse* invoke_;
  std::string chunk_;  // the decoded chunk, reused
  std::string payload_scratch_;  // a payload with its "\u0000" escapes replaced
  std::string safe_text_;        // a delta made safe
  // The ConverseStream tool use between its contentBlockStart and contentBlockStop.
  bool tool_open_ = false;
  std::int64_t tool_index_ = 0;
  std::string tool_id_, tool_name_, tool_type_;
  std::string tool_input_;  // its input pieces, joined
};

}  // namespace

Client::Client(Transport& transport, const CredentialsProvider& credentials, const Clock& clock,
               const Crypto& crypto, ClientConfig config)
    : transport_(transport),
      credentials_(credentials),
      clock_(clock),
      config_(std::move(config)),
      signer_(crypto),
      decoder_(std::make_unique<eventstream::Decoder>()),
      scratch_(std::make_unique<Scratch>()) {}

Client::~Client() {
  if (!sign_buf_.empty()) secure_wipe(sign_buf_.data(), sign_buf_.size());
}

Error Client::execute(Call* call) {
  // Residency, where the request is built: the exact identifier and source region
  // about to be signed and sent, or nothing is sent.
  if (config_.residency != nullptr) {
    const Status allowed = config_.residency->check_route(call->model_id, call->options.region);
    if (!allowed.ok()) {
      Error e = local_error(call->operation, "refused to send: ");
      e.message.append(allowed.message());
      char host[kMaxRegionBytes + kEndpointHostExtraBytes + 1];
      const std::size_t n = call->options.region.size() <= kMaxRegionBytes
                                ? endpoint_host(call->options.region, host, sizeof host)
                                : 0;
      e.endpoint.assign(host, n);
      return e;
    }
  }
  call->deadline_ns = call->options.deadline_ms > 0
                          ? clock_.monotonic_ns() + call->options.deadline_ms * kNsPerMs
                          : 0;
  bool retry_for_skew = false;
  Error error = execute_once(call, &retry_for_skew);
  // Once only: a second skew answer means the Date header cannot be trusted either.
  if (retry_for_skew) error = execute_once(call, &retry_for_skew);
  return error;
}

Error Client::execute_once(Call* call, bool* retry_for_skew) {
  *retry_for_skew = false;
  Error error;
  error.operation = call->operation;
  ConverseResponse* converse = call->converse;
  InvokeResponse* invoke = call->invoke;
  // A retry starts from an empty response; only the attempts carry over.
  if (converse != nullptr) {
    std::vector<Attempt> attempts = std::move(converse->attempts);
    *converse = ConverseResponse();
    converse->attempts = std::move(attempts);
  }
  if (invoke != nullptr) {
    std::vector<Attempt> attempts = std::move(invoke->attempts);
    *invoke = InvokeResponse();
    invoke->attempts = std::move(attempts);
  }

  Scratch& scratch = *scratch_;
  // The credentials and bearer header are wiped on every way out of this call.
  struct WipeSecrets {
    Scratch* scratch;
    ~WipeSecrets() {
      scratch->credentials.clear();
      secure_wipe(&scratch->bearer[0], scratch->bearer.size());
      scratch->bearer.clear();
    }
  } wipe_secrets{&scratch};

  Attempt attempt;
  attempt.identifier.assign(call->model_id);
  attempt.source_region = call->options.region;
  auto finish = [&](Error& e) {
    // Every way out: whatever a server put in these is one bounded, printable line.
    if (!e.ok()) {
      std::string line;
      assign_safe_line(&line, e.message, limits::kClientMaxServerMessageBytes);
      e.message.swap(line);
      assign_safe_line(&line, e.error_type, kMaxErrorTypeBytes);
      e.error_type.swap(line);
    }
    attempt.http_status = e.http_status;
    attempt.request_id = e.request_id;
    if (!e.ok()) {
      attempt.error = to_string(e.cls);
      attempt.error.append(": ").append(e.error_type.empty() ? e.message : e.error_type);
    }
    call->attempts->push_back(std::move(attempt));
    return std::move(e);
  };

  Status st;
  if (scratch.endpoint_region.empty() || scratch.endpoint_region != call->options.region) {
    scratch.endpoint_region.clear();
    scratch.endpoint = Endpoint();
    st = resolve_endpoint(config_, call->options.region, &scratch.endpoint);
    if (st.ok()) scratch.endpoint_region = call->options.region;
  }
  const Endpoint& ep = scratch.endpoint;
  error.endpoint = ep.display;
  if (!st.ok()) {
    error.cls = OutcomeClass::kClient;
    error.message = st.message();
    return finish(error);
  }
  AwsCredentials& credentials = scratch.credentials;
  st = credentials_.get(clock_.utc_unix_ms() + clock_offset_ms_, &credentials);
  if (!st.ok()) {
    error.cls = OutcomeClass::kAuth;
    error.message = std::string("no usable credentials: ") + st.message();
    return finish(error);
  }

  // Host is signed but not handed to the transport, which sends its own.
  std::vector<sigv4::Header>& signed_headers = scratch.signed_headers;
  signed_headers.clear();
  signed_headers.push_back({"Host", ep.host_header});
  signed_headers.push_back({"Content-Type", call->content_type});
  if (!call->accept.empty()) {
    signed_headers.push_back(
        {call->op == Op::kInvokeStream ? "X-Amzn-Bedrock-Accept" : "Accept", call->accept});
  }
  if (call->extra_headers != nullptr) {
    for (const auto& h : *call->extra_headers) signed_headers.push_back({h.first, h.second});
  }
  // An endpoint URL's path prefix is part of the path as sent and as signed.
  const std::string& path_and_prefix =
      scratch.path_and_prefix.assign(ep.path_prefix).append(call->path);
  std::vector<HttpHeader>& headers = scratch.headers;
  headers.clear();
  for (std::size_t i = 1; i < signed_headers.size(); ++i)
    headers.push_back({signed_headers[i].name, signed_headers[i].value});

  if (credentials.is_bearer()) {
    scratch.bearer.assign("Bearer ").append(credentials.bearer_token());
    headers.push_back({"Authorization", scratch.bearer});
  } else {
    const sigv4::Request request{"POST",
                                 path_and_prefix,
                                 {},
                                 signed_headers.data(),
                                 signed_headers.size(),
                                 call->body.data(),
                                 call->body.size()};
    sigv4::Options options;
    options.region = call->options.region;
    options.service = "bedrock";
    options.time_unix_s = (clock_.utc_unix_ms() + clock_offset_ms_) / 1000;
    const sigv4::Credentials keys = credentials.for_signer();
    const std::size_t need = sigv4::required_buffer_bytes(request, options, keys);
    if (sign_buf_.size() < need) {
      if (!sign_buf_.empty()) secure_wipe(sign_buf_.data(), sign_buf_.size());
      sign_buf_.assign(need, '\0');
    }
    sigv4::SignedRequest signed_request;
    st = signer_.sign(request, options, keys, sign_buf_.data(), sign_buf_.size(), &signed_request);
    if (!st.ok()) {
      error.cls = OutcomeClass::kClient;
      error.message = std::string("cannot sign: ") + st.message();
      return finish(error);
    }
    for (std::size_t i = 0; i < signed_request.added_header_count; ++i) {
      headers.push_back(
          {signed_request.added_headers[i].name, signed_request.added_headers[i].value});
    }
  }

  HttpRequest request;
  request.method = "POST";
  request.host = ep.host;
  request.port = ep.port;
  request.tls = ep.tls;
  request.path_and_query = path_and_prefix;
  request.connect_host = ep.connect_host;
  request.connect_port = ep.connect_port;
  request.headers = headers.data();
  request.header_count = headers.size();
  request.body = call->body.data();
  request.body_bytes = call->body.size();
  HttpTimeouts timeouts = config_.timeouts;
  timeouts.deadline_monotonic_ns = call->deadline_ns;

  decoder_->reset();
  scratch.received.clear();
  Exchange ex(call->op, config_.max_response_bytes, decoder_.get(), call->on_event, call->on_chunk,
              converse, invoke, &scratch.received);
  const std::int64_t start_ns = clock_.monotonic_ns();
  HttpTiming timing;
  st = transport_.send(request, timeouts, &ex, &timing);
  attempt.ms = (clock_.monotonic_ns() - start_ns) / kNsPerMs;
  attempt.connect_ns = timing.reused_connection ? 0 : timing.connect_ns;
  attempt.first_byte_ns = timing.first_byte_ns;
  if (!sign_buf_.empty()) secure_wipe(sign_buf_.data(), sign_buf_.size());

  error.http_status = ex.status;
  error.request_id = ex.request_id;
  error.output_delivered = ex.output_delivered;
  error.retry_after_ms = ex.retry_after_ms;
  if (!st.ok()) {
    if (!ex.stream_error_type.empty()) {
      error.error_type = ex.stream_error_type;
      error.message = ex.stream_error_message;
      error.cls = classify(ex.status, error.error_type, error.message);
    } else if (ex.callback_failed) {
      error.cls = OutcomeClass::kClient;
      error.message = "stopped by the callback: " + ex.callback_message;
    } else if (ex.oversized) {
      // An error answer too large to keep is that endpoint's failure (a 5xx from a
      // proxy in front of it, say): classified by its status like any error answer.
      // A success too large is this caller's limit, the same everywhere.
      error.cls = ex.status >= 300 ? classify(ex.status, ex.error_type, std::string_view())
                                   : OutcomeClass::kClient;
      error.error_type = ex.error_type;
      error.message = st.message();
    } else {
      error.cls = classify_transport(st.code());
      error.message = st.message();
      error.timed_out = st.code() == Code::kTimeout;
    }
    return finish(error);
  }
  if (ex.status != 200) {
    std::string message;
    std::string body_type = error_type_from_body(ex.body, &message);
    error.error_type = !ex.error_type.empty() ? ex.error_type : body_type;
    error.message = !message.empty() ? message : "(no message)";
    error.cls = classify(ex.status, error.error_type, error.message);
    std::int64_t server_s = 0;
    if (error.cls == OutcomeClass::kClockSkew && parse_http_date(ex.date, &server_s)) {
      clock_offset_ms_ = server_s * 1000 - clock_.utc_unix_ms();
      *retry_for_skew = true;
    }
    return finish(error);
  }

  if (ex.streaming()) {
    st = decoder_->finish();
    if (st.ok()) st = ex.finish_stream();
    if (!st.ok()) {
      error.cls = OutcomeClass::kTransient;
      error.message = st.message();
      return finish(error);
    }
  } else if (converse != nullptr) {
    st = parse_converse_response(ex.body, converse);
    if (!st.ok()) {
      // A 200 with a body we cannot read: the exchange broke, not the request.
      error.cls = OutcomeClass::kTransient;
      error.message = st.message();
      return finish(error);
    }
  } else {
    invoke->body = std::move(ex.body);
  }
  if (converse != nullptr) {
    converse->request_id = ex.request_id;
    converse->source_region = call->options.region;
    converse->endpoint = ep.display;
  } else {
    invoke->content_type = ex.content_type;
    invoke->usage = ex.usage;
    invoke->latency_ms = ex.latency_ms;
    invoke->request_id = ex.request_id;
    invoke->source_region = call->options.region;
    invoke->endpoint = ep.display;
  }
  return finish(error);
}

Error Client::converse(const ConverseRequest& request, const CallOptions& options,
                       ConverseResponse* out) {
  out->attempts.clear();
  Status st = build_converse_body(request, &scratch_->body);
  if (!st.ok()) return local_error("Converse", st.message());
  Call call;
  call.op = Op::kConverse;
  call.operation = "Converse";
  call.model_id = options.model_id.empty() ? std::string_view(request.model_id) : options.model_id;
  scratch_->path.clear();
  append_model_path(&scratch_->path, call.model_id, "converse");
  call.path = scratch_->path;
  call.body = scratch_->body;
  call.content_type = "application/json";
  call.accept = "application/json";
  call.options = options;
  call.converse = out;
  call.attempts = &out->attempts;
  return execute(&call);
}

Error Client::converse_stream(const ConverseRequest& request, const CallOptions& options,
                              const StreamCallback& on_event, ConverseResponse* out) {
  out->attempts.clear();
  Status st = build_converse_body(request, &scratch_->body);
  if (!st.ok()) return local_error("ConverseStream", st.message());
  Call call;
  call.op = Op::kConverseStream;
  call.operation = "ConverseStream";
  call.model_id = options.model_id.empty() ? std::string_view(request.model_id) : options.model_id;
  scratch_->path.clear();
  append_model_path(&scratch_->path, call.model_id, "converse-stream");
  call.path = scratch_->path;
  call.body = scratch_->body;
  call.content_type = "application/json";
  call.accept = kEventStreamType;
  call.options = options;
  call.on_event = &on_event;
  call.converse = out;
  call.attempts = &out->attempts;
  return execute(&call);
}

Error Client::invoke_model(const InvokeRequest& request, const CallOptions& options,
                           InvokeResponse* out) {
  out->attempts.clear();
  if (request.model_id.empty()) return local_error("InvokeModel", "no model ID");
  Call call;
  call.op = Op::kInvoke;
  call.operation = "InvokeModel";
  call.model_id = options.model_id.empty() ? std::string_view(request.model_id) : options.model_id;
  scratch_->path.clear();
  append_model_path(&scratch_->path, call.model_id, "invoke");
  call.path = scratch_->path;
  call.body = request.body;
  call.content_type = request.content_type;
  call.accept = request.accept;
  call.extra_headers = &request.headers;
  call.options = options;
  call.invoke = out;
  call.attempts = &out->attempts;
  return execute(&call);
}

Error Client::invoke_model_with_response_stream(const InvokeRequest& request,
                                                const CallOptions& options,
                                                const ChunkCallback& on_chunk,
                                                InvokeResponse* out) {
  out->attempts.clear();
  if (request.model_id.empty()) return local_error("InvokeModelWithResponseStream", "no model ID");
  Call call;
  call.op = Op::kInvokeStream;
  call.operation = "InvokeModelWithResponseStream";
  call.model_id = options.model_id.empty() ? std::string_view(request.model_id) : options.model_id;
  scratch_->path.clear();
  append_model_path(&scratch_->path, call.model_id, "invoke-with-response-stream");
  call.path = scratch_->path;
  call.body = request.body;
  call.content_type = request.content_type;
  call.accept = request.accept;
  call.extra_headers = &request.headers;
  call.options = options;
  call.on_chunk = &on_chunk;
  call.invoke = out;
  call.attempts = &out->attempts;
  return execute(&call);
}

}  // namespace bedrock
}  // namespace edgeroute
