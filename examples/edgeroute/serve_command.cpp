// `edgeroute serve`: a loopback HTTP/1.1 endpoint speaking the Bedrock Runtime
// wire, so an application that already uses an AWS SDK gets residency routing,
// failover and the device's credentials by pointing the SDK at it
// (AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:PORT). Local clients prove
// themselves with a token (Authorization: Bearer, which the SDKs send from
// AWS_BEARER_TOKEN_BEDROCK); every request is routed by the model ID in its path
// through one edgeroute::Runtime and signed with the device's credentials.
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "commands.h"
#include "edgeroute/bedrock.h"
#include "edgeroute/file.h"
#include "edgeroute/runtime.h"
#include "fleet_outputs.h"
#include "serve_wire.h"
#include "tool_values.h"

namespace edgeroute {
namespace tool {
namespace {

constexpr const char kServeUsage[] =
    "usage: edgeroute serve --allow LIST --token-file FILE [--listen 127.0.0.1:PORT] [options]\n"
    "\n"
    "A loopback endpoint that speaks the Bedrock Runtime wire (POST /model/ID/converse,\n"
    "/converse-stream, /invoke, /invoke-with-response-stream): point an SDK at it with\n"
    "AWS_ENDPOINT_URL_BEDROCK_RUNTIME=http://127.0.0.1:PORT and AWS_BEARER_TOKEN_BEDROCK set\n"
    "to the token. Each request is routed by the model ID in its path to the nearest\n"
    "candidate the policy allows, fails over inside it, and is signed with this device's\n"
    "credentials (environment or ~/.aws); an identifier the policy does not allow is refused\n"
    "with a 400 ValidationException. Streams are passed on as they arrive. GET /metrics\n"
    "(with the token) answers with the Prometheus text exposition of the calls served.\n"
    "\n"
    "  --listen 127.0.0.1:PORT       loopback address to listen on (default 127.0.0.1:8780;\n"
    "                                port 0: any free port)\n"
    "  --token-file FILE             the local clients' token (16+ characters; the file must not\n"
    "                                be readable by group or others)\n"
    "  --ready-file FILE             written with {\"port\": N} once listening\n"
    "  --max-connections N           open connections at once (default 16; more get a 503)\n"
    "  --max-request-bytes N         largest request body (default 1048576)\n"
    "  --grace-ms N                  on SIGTERM/SIGINT, how long in-flight calls may finish\n"
    "                                (default 10000)\n"
    "  --allow LIST, --catalog FILE, --catalog-extend FILE, --probe, --connect-to R=H:P,\n"
    "  --ca-bundle FILE, --deadline-ms N: as for converse\n"
    "  --catalog-refresh S           refresh the catalog from the Bedrock control plane\n"
    "                                (ListInferenceProfiles in each allowed source region) at\n"
    "                                start, then every S seconds (60..2592000; 0: at start only).\n"
    "                                A profile whose live destinations leave the allowed set is\n"
    "                                refused from then on; a failed refresh keeps the last good\n"
    "                                catalog and is logged. Needs bedrock:ListInferenceProfiles.\n"
    "                                The periodic refresh runs on the probe thread, which then\n"
    "                                also runs probe rounds as --probe does\n"
    "  --catalog-cache FILE          with --catalog-refresh: keep the last good refresh here\n"
    "                                and route on it when a refresh at start fails\n"
    "\n";

constexpr std::size_t kMaxHeaderBytes = 16 * 1024;
constexpr int kHeaderTimeoutMs = 10000;  // a request's line and headers
constexpr int kBodyTimeoutMs = 30000;    // its body
constexpr int kIdleTimeoutMs = 60000;    // a kept-alive connection with no request
constexpr int kTickMs = 200;             // how often waits look at the stop flag

std::atomic<bool> g_stopping{false};
int g_wake_fd = -1;  // the self-pipe's write end: a signal wakes the accept loop

void on_signal(int) {
  g_stopping.store(true);
  const char c = 's';
  if (g_wake_fd >= 0) (void)!::write(g_wake_fd, &c, 1);
}

struct ServeOptions {
  std::string listen = "127.0.0.1:8780";
  std::string token_file;
  std::string ready_file;
  long max_connections = 16;
  std::int64_t max_request_bytes = 1024 * 1024;
  std::int64_t grace_ms = 10000;
  std::int64_t deadline_ms = 120000;
  std::string allow, catalog, ca_bundle;
  std::vector<std::string> catalog_extend;
  std::vector<bedrock::ConnectTo> connect_to;
  bool probe = false;
  std::int64_t catalog_refresh_s = -1;  // -1: no refresh; 0: at start only
  std::string catalog_cache;
  FleetFlags fleet;
};

int usage_error(const std::string& what) {
  std::fprintf(stderr, "edgeroute serve: %s (see edgeroute serve --help)\n", what.c_str());
  return 2;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "edgeroute serve: %s\n", what.c_str());
  return 1;
}

// The token: 16+ printable characters, from a file only its owner can read.
bool read_token(const std::string& path, std::string* token, std::string* error) {
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) {
    *error = "--token-file " + path + ": " + std::strerror(errno);
    return false;
  }
  if ((st.st_mode & 077) != 0) {
    *error = "--token-file " + path + ": readable by group or others; chmod 600 it";
    return false;
  }
  const Status s = read_file_bounded(path.c_str(), 4096, "--token-file", token);
  if (!s.ok()) {
    *error = s.message();
    return false;
  }
  while (!token->empty() && (token->back() == '\n' || token->back() == '\r' || token->back() == ' ')) token->pop_back();
  for (const char c : *token) {
    if (c <= ' ' || c > '~') {
      *error = "--token-file " + path + ": the token must be printable ASCII without spaces";
      return false;
    }
  }
  if (token->size() < 16) {
    *error = "--token-file " + path + ": the token is shorter than 16 characters";
    return false;
  }
  return true;
}

// Compares without stopping at the first difference.
bool same_secret(std::string_view a, std::string_view b) {
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i]) ^ static_cast<unsigned char>(i < b.size() ? b[i] : 0);
  return diff == 0;
}

// "%3A" -> ":" once; false for a bad escape.
bool percent_decode(std::string_view in, std::string* out) {
  out->clear();
  for (std::size_t i = 0; i < in.size(); ++i) {
    if (in[i] != '%') {
      *out += in[i];
      continue;
    }
    if (i + 2 >= in.size() || !std::isxdigit(static_cast<unsigned char>(in[i + 1])) ||
        !std::isxdigit(static_cast<unsigned char>(in[i + 2]))) {
      return false;
    }
    *out += static_cast<char>(std::stoi(std::string(in.substr(i + 1, 2)), nullptr, 16));
    i += 2;
  }
  return true;
}

struct Request {
  std::string method, path, version;
  std::string authorization, content_type, accept;
  std::int64_t content_length = -1;
  bool chunked = false;
  bool close = false;
  std::string body;
};

// One client connection: reads requests, answers them.
class Connection {
 public:
  Connection(int fd, Runtime& runtime, const ServeOptions& options, const std::string& token, FleetOutputs& fleet)
      : fd_(fd), runtime_(runtime), options_(options), token_(token), fleet_(fleet) {}
  ~Connection() { ::close(fd_); }

  void run() {
    while (!g_stopping.load()) {
      Request request;
      const int got = read_request(&request);
      if (got <= 0) return;  // closed, timed out or answered already
      if (!handle(request) || request.close) return;
    }
  }

 private:
  // Waits for the socket to be readable up to timeout_ms, looking at the stop
  // flag while no byte of a request has come (a request under way is finished).
  bool wait_readable(int timeout_ms, bool idle) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
    for (;;) {
      if (idle && g_stopping.load()) return false;
      pollfd p{fd_, POLLIN, 0};
      const int r = ::poll(&p, 1, kTickMs);
      if (r > 0) return true;
      if (r < 0 && errno != EINTR) return false;
      if (std::chrono::steady_clock::now() >= until) return false;
    }
  }

  // 1: a request; 0: the connection ended; -1: answered with an error.
  int read_request(Request* r) {
    // Bytes past the previous request's end stay in buffer_.
    std::size_t end = buffer_.find("\r\n\r\n");
    while (end == std::string::npos) {
      if (buffer_.size() > kMaxHeaderBytes) return respond_error(431, "ValidationException", "request headers larger than 16 KiB"), -1;
      if (!wait_readable(buffer_.empty() ? kIdleTimeoutMs : kHeaderTimeoutMs, buffer_.empty())) return 0;
      char chunk[4096];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return 0;
      buffer_.append(chunk, static_cast<std::size_t>(n));
      end = buffer_.find("\r\n\r\n");
    }
    const std::string head = buffer_.substr(0, end);
    buffer_.erase(0, end + 4);
    std::size_t line_end = head.find("\r\n");
    const std::string line = head.substr(0, line_end);
    const std::size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
    if (sp1 == std::string::npos || sp2 == sp1) return respond_error(400, "ValidationException", "malformed request line"), -1;
    r->method = line.substr(0, sp1);
    r->path = line.substr(sp1 + 1, sp2 - sp1 - 1);
    r->version = line.substr(sp2 + 1);
    if (r->version != "HTTP/1.1" && r->version != "HTTP/1.0") {
      return respond_error(505, "ValidationException", "HTTP/1.1 only"), -1;
    }
    r->close = r->version == "HTTP/1.0";
    while (line_end != std::string::npos) {
      const std::size_t next = head.find("\r\n", line_end + 2);
      const std::string h = head.substr(line_end + 2, next == std::string::npos ? std::string::npos : next - line_end - 2);
      line_end = next;
      const std::size_t colon = h.find(':');
      if (colon == std::string::npos) return respond_error(400, "ValidationException", "malformed header line"), -1;
      std::string name = h.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      std::string value = h.substr(colon + 1);
      while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.erase(0, 1);
      while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
      if (name == "authorization") r->authorization = value;
      if (name == "content-type") r->content_type = value;
      if (name == "accept") r->accept = value;
      if (name == "connection" && (value == "close" || value == "Close")) r->close = true;
      if (name == "transfer-encoding") r->chunked = true;
      if (name == "content-length") {
        std::int64_t n = 0;
        if (r->content_length >= 0 || !parse_whole_number(value, 0, INT64_C(1) << 40, &n)) {
          return respond_error(400, "ValidationException", "bad Content-Length"), -1;
        }
        r->content_length = n;
      }
    }
    if (r->chunked) {
      r->close = true;
      return respond_error(411, "ValidationException", "send the body with a Content-Length"), -1;
    }
    if (r->content_length > options_.max_request_bytes) {
      r->close = true;
      return respond_error(413, "ValidationException",
                           "request body larger than " + std::to_string(options_.max_request_bytes) + " bytes"),
             -1;
    }
    const std::size_t want = r->content_length > 0 ? static_cast<std::size_t>(r->content_length) : 0;
    while (buffer_.size() < want) {
      if (!wait_readable(kBodyTimeoutMs, false)) return 0;
      char chunk[16384];
      const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
      if (n <= 0) return 0;
      buffer_.append(chunk, static_cast<std::size_t>(n));
    }
    r->body = buffer_.substr(0, want);
    buffer_.erase(0, want);
    return 1;
  }

  bool send_all(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<std::size_t>(n));
    }
    return true;
  }

  static const char* reason(int status) {
    switch (status) {
      case 200: return "OK";
      case 400: return "Bad Request";
      case 403: return "Forbidden";
      case 404: return "Not Found";
      case 408: return "Request Timeout";
      case 411: return "Length Required";
      case 413: return "Payload Too Large";
      case 424: return "Failed Dependency";
      case 429: return "Too Many Requests";
      case 431: return "Request Header Fields Too Large";
      case 500: return "Internal Server Error";
      case 503: return "Service Unavailable";
      case 505: return "HTTP Version Not Supported";
      default: return "Error";
    }
  }

  bool respond(int status, const std::string& content_type, const std::string& body, const std::string& extra = "") {
    std::string head = "HTTP/1.1 " + std::to_string(status) + " " + reason(status) + "\r\nContent-Type: " +
                       content_type + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" + extra + "\r\n";
    return send_all(head + body);  // one write: no small segment waiting on a delayed ACK
  }

  bool respond_error(int status, const std::string& type, const std::string& message) {
    // The SDKs read the error name from x-amzn-ErrorType (before any ':').
    return respond(status, "application/json", error_body(message),
                   "x-amzn-ErrorType: " + type + ":http://internal.amazon.com/coral/com.amazon.bedrock/\r\n");
  }

  bool respond_call_error(const bedrock::Error& error) {
    const WireError w = wire_error(error);
    return respond_error(w.status, w.type, "edgeroute serve: " + w.message);
  }

  // A chunk of a chunked response.
  bool send_chunk(std::string_view data) {
    char size[24];
    std::snprintf(size, sizeof size, "%zx\r\n", data.size());
    std::string chunk(size);
    chunk.append(data.data(), data.size()).append("\r\n");
    return send_all(chunk);
  }

  // The policy's verdict on the identifier a client named: a catalog identifier
  // with no allowed candidate is refused (the client asked for that profile or
  // region, and the policy forbids it); a base model routes among its allowed ones.
  bool refused(const std::string& identifier, std::string* why) {
    const std::shared_ptr<const Runtime::RoutingSnapshot> routing = runtime_.routing();
    const Catalog& catalog = *routing->catalog;
    const Policy& policy = *routing->policy;
    bool named = false, allowed = false;
    Verdict first;
    for (std::size_t i = 0; i < catalog.candidate_count(); ++i) {
      const Candidate& c = catalog.candidate(i);
      if (catalog.identifier(c) != identifier) continue;
      const Verdict v = policy.check(c);
      if (!named) first = v;
      named = true;
      allowed = allowed || v.allowed();
    }
    if (!named) {
      if (runtime_.base_model(identifier).empty()) {
        *why = identifier + " is not a model or inference profile of edgeroute's catalog";
        return true;
      }
      return false;  // the base model of a profile-only family: routed
    }
    if (allowed) return false;
    char reason[256];
    policy.describe(first, reason, sizeof reason);
    *why = identifier + " is not allowed under allow " + options_.allow + ": " + reason;
    return true;
  }

  bool authorized(const Request& r) const {
    const std::string_view bearer = "Bearer ";
    return r.authorization.compare(0, bearer.size(), bearer) == 0 &&
           same_secret(std::string_view(r.authorization).substr(bearer.size()), token_);
  }

  // GET /metrics: the Prometheus text exposition of the calls served so far, for
  // a scraper that sends the token (Prometheus: authorization.credentials_file).
  bool metrics(const Request& r) {
    if (!authorized(r)) {
      return respond(403, "text/plain; charset=utf-8", "edgeroute serve: send the local token as Authorization: Bearer\n");
    }
    std::string text;
    const Status st = fleet_.prometheus(&text);
    if (!st.ok()) return respond(500, "text/plain; charset=utf-8", std::string("edgeroute serve: ") + st.message() + "\n");
    return respond(200, "text/plain; version=0.0.4; charset=utf-8", text);
  }

  // false: close the connection.
  bool handle(Request& r) {
    if (r.method == "GET" && r.path == "/metrics") return metrics(r);
    if (r.method != "POST") return respond_error(404, "ResourceNotFoundException", "edgeroute serve answers POST /model/ID/ACTION");
    const std::string prefix = "/model/";
    const std::size_t slash = r.path.rfind('/');
    if (r.path.compare(0, prefix.size(), prefix) != 0 || slash < prefix.size()) {
      return respond_error(404, "ResourceNotFoundException", "edgeroute serve answers POST /model/ID/ACTION");
    }
    const std::string action = r.path.substr(slash + 1);
    std::string model;
    if (!percent_decode(std::string_view(r.path).substr(prefix.size(), slash - prefix.size()), &model) || model.empty()) {
      return respond_error(400, "ValidationException", "malformed model ID in the path");
    }
    // Authentication first: nothing about routing is told to a client without the token.
    if (!authorized(r)) {
      return respond_error(403, "AccessDeniedException",
                           "edgeroute serve: send the local token as Authorization: Bearer (AWS_BEARER_TOKEN_BEDROCK)");
    }
    std::string why;
    if (refused(model, &why)) return respond_error(400, "ValidationException", "edgeroute serve: " + why);
    bool ok = true;
    if (action == "converse" || action == "converse-stream") {
      bedrock::ConverseRequest request;
      const Status st = parse_converse_body(r.body, &request);
      if (!st.ok()) return respond_error(400, "ValidationException", std::string("edgeroute serve: ") + st.message());
      request.model_id = model;
      ok = action == "converse" ? converse(request) : converse_stream(request);
    } else if (action == "invoke" || action == "invoke-with-response-stream") {
      bedrock::InvokeRequest request;
      request.model_id = model;
      request.body = r.body;
      if (!r.content_type.empty()) request.content_type = r.content_type;
      if (!r.accept.empty() && action == "invoke") request.accept = r.accept;
      ok = action == "invoke" ? invoke(request) : invoke_stream(request);
    } else {
      return respond_error(404, "ResourceNotFoundException", "edgeroute serve: no action " + action);
    }
    fleet_.after_call();
    return ok;
  }

  bool converse(const bedrock::ConverseRequest& request) {
    const ConverseResult result = runtime_.converse(request);
    if (!result.ok()) return respond_call_error(result.error);
    return respond(200, "application/json", converse_response_body(result.response),
                   "x-amzn-RequestId: " + result.response.request_id + "\r\n");
  }

  // Frames go out as events arrive; the response starts with the first one, so a
  // call that fails before any output still gets a proper error answer (and may
  // fail over inside the runtime first).
  bool start_stream() {
    if (stream_started_) return true;
    stream_started_ = true;
    return send_all(
        "HTTP/1.1 200 OK\r\nContent-Type: application/vnd.amazon.eventstream\r\nTransfer-Encoding: chunked\r\n\r\n");
  }

  bool finish_stream(const CallReport& report) {
    if (!stream_started_) return respond_call_error(report.error);
    if (!report.ok()) {
      std::string frame;
      if (exception_frame(stream_exception_type(report.error), "edgeroute serve: " + report.error.message, &frame).ok()) {
        (void)send_chunk(frame);
      }
    }
    return send_all("0\r\n\r\n") && report.ok();
  }

  bool converse_stream(const bedrock::ConverseRequest& request) {
    stream_started_ = false;
    std::string frame;
    const bedrock::StreamCallback on_event = [&](const bedrock::StreamEvent& e) {
      frame.clear();
      Status st = converse_event_frame(e, &frame);
      if (st.ok() && !(start_stream() && send_chunk(frame))) st = Status::error(Code::kIo, "the local client went away");
      return st;
    };
    const ConverseResult result = runtime_.converse_stream(request, on_event);
    return finish_stream(result);
  }

  bool invoke(const bedrock::InvokeRequest& request) {
    const InvokeResult result = runtime_.invoke_model(request);
    if (!result.ok()) return respond_call_error(result.error);
    return respond(200, result.response.content_type.empty() ? "application/json" : result.response.content_type,
                   result.response.body, "x-amzn-RequestId: " + result.response.request_id + "\r\n");
  }

  bool invoke_stream(const bedrock::InvokeRequest& request) {
    stream_started_ = false;
    std::string frame;
    const bedrock::ChunkCallback on_chunk = [&](std::string_view chunk) {
      frame.clear();
      Status st = chunk_frame(chunk, &frame);
      if (st.ok() && !(start_stream() && send_chunk(frame))) st = Status::error(Code::kIo, "the local client went away");
      return st;
    };
    const InvokeResult result = runtime_.invoke_model_with_response_stream(request, on_chunk);
    return finish_stream(result);
  }

  int fd_;
  Runtime& runtime_;
  const ServeOptions& options_;
  const std::string& token_;
  FleetOutputs& fleet_;
  std::string buffer_;
  bool stream_started_ = false;
};

// Counts the connections being served, for the limit and the graceful stop.
class Active {
 public:
  bool enter(long max) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (count_ >= max) return false;
    ++count_;
    return true;
  }
  void leave() {
    std::lock_guard<std::mutex> lock(mutex_);
    --count_;
    done_.notify_all();
  }
  // True when none is left by the deadline.
  bool wait_empty(std::int64_t ms) {
    std::unique_lock<std::mutex> lock(mutex_);
    return done_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return count_ == 0; });
  }
  long count() {
    std::lock_guard<std::mutex> lock(mutex_);
    return count_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable done_;
  long count_ = 0;
};

int parse_flags(int argc, char** argv, ServeOptions* o) {
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string v;
    const auto value = [&](std::string* out) {
      if (i + 1 >= argc) return false;
      *out = argv[++i];
      return true;
    };
    std::string error;
    const int fleet = fleet_flag(arg, value, &o->fleet, &error);
    if (fleet == 2) return usage_error(error);
    if (fleet == 1) continue;
    std::int64_t n = 0;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kServeUsage, stdout);
      std::fputs(kFleetFlagsUsage, stdout);
      return 0;
    } else if (arg == "--listen") {
      if (!value(&o->listen)) return usage_error("--listen needs 127.0.0.1:PORT");
    } else if (arg == "--token-file") {
      if (!value(&o->token_file)) return usage_error("--token-file needs a file");
    } else if (arg == "--ready-file") {
      if (!value(&o->ready_file)) return usage_error("--ready-file needs a file");
    } else if (arg == "--allow") {
      if (!value(&o->allow)) return usage_error("--allow needs a list");
    } else if (arg == "--catalog") {
      if (!value(&o->catalog)) return usage_error("--catalog needs a file");
    } else if (arg == "--catalog-extend") {
      if (!value(&v)) return usage_error("--catalog-extend needs a file");
      o->catalog_extend.push_back(v);
    } else if (arg == "--ca-bundle") {
      if (!value(&o->ca_bundle)) return usage_error("--ca-bundle needs a file");
    } else if (arg == "--probe") {
      o->probe = true;
    } else if (arg == "--catalog-refresh") {
      if (!value(&v) || !parse_whole_number(v, 0, 30LL * 24 * 3600, &o->catalog_refresh_s) ||
          (o->catalog_refresh_s != 0 && o->catalog_refresh_s < 60)) {
        return usage_error("--catalog-refresh needs seconds: 0 (at start only) or 60..2592000");
      }
    } else if (arg == "--catalog-cache") {
      if (!value(&o->catalog_cache)) return usage_error("--catalog-cache needs a file");
    } else if (arg == "--connect-to") {
      bedrock::ConnectTo to;
      if (!value(&v)) return usage_error("--connect-to needs REGION=HOST:PORT");
      const Status st = bedrock::parse_connect_to(v, &to);
      if (!st.ok()) return usage_error(st.message());
      o->connect_to.push_back(to);
    } else if (arg == "--max-connections") {
      if (!value(&v) || !parse_whole_number(v, 1, 1024, &n)) return usage_error("--max-connections needs 1..1024");
      o->max_connections = static_cast<long>(n);
    } else if (arg == "--max-request-bytes") {
      if (!value(&v) || !parse_whole_number(v, 1024, 64 * 1024 * 1024, &o->max_request_bytes)) {
        return usage_error("--max-request-bytes needs 1024..67108864");
      }
    } else if (arg == "--grace-ms") {
      if (!value(&v) || !parse_whole_number(v, 0, 600000, &o->grace_ms)) return usage_error("--grace-ms needs 0..600000");
    } else if (arg == "--deadline-ms") {
      if (!value(&v) || !parse_whole_number(v, 1, 3600000, &o->deadline_ms)) return usage_error("--deadline-ms needs 1..3600000");
    } else {
      return usage_error("unknown argument '" + arg + "'");
    }
  }
  if (o->allow.empty()) return usage_error("--allow LIST is required: where calls may go");
  if (o->token_file.empty()) return usage_error("--token-file FILE is required: local clients authenticate with it");
  if (!o->catalog_cache.empty() && o->catalog_refresh_s < 0) {
    return usage_error("--catalog-cache keeps what --catalog-refresh fetches: give --catalog-refresh too");
  }
  return -1;
}

// "127.0.0.1:8780" -> a loopback IPv4 address; false when not one.
bool parse_listen(const std::string& text, sockaddr_in* out) {
  const std::size_t colon = text.rfind(':');
  if (colon == std::string::npos) return false;
  std::int64_t port = 0;
  if (!parse_whole_number(text.substr(colon + 1), 0, 65535, &port)) return false;
  std::memset(out, 0, sizeof *out);
  out->sin_family = AF_INET;
  out->sin_port = htons(static_cast<std::uint16_t>(port));
  if (inet_pton(AF_INET, text.substr(0, colon).c_str(), &out->sin_addr) != 1) return false;
  return (ntohl(out->sin_addr.s_addr) >> 24) == 127;
}

}  // namespace

int serve_command(int argc, char** argv) {
  ServeOptions o;
  if (const int rc = parse_flags(argc, argv, &o); rc >= 0) return rc;
  sockaddr_in address;
  if (!parse_listen(o.listen, &address)) {
    return usage_error("--listen " + o.listen + ": expected a loopback address 127.x.x.x:PORT (serve is for this device only)");
  }
  std::string token, error;
  if (!read_token(o.token_file, &token, &error)) return fail(error);

  RuntimeOptions options;
  options.allow = o.allow;
  options.catalog_file = o.catalog;
  options.catalog_extend = o.catalog_extend;
  options.connect_to = o.connect_to;
  options.ca_bundle = o.ca_bundle;
  options.deadline_ms = o.deadline_ms;
  if (o.catalog_refresh_s >= 0) {
    options.refresh_catalog_at_start = true;
    options.catalog_refresh_interval_s = o.catalog_refresh_s;
    options.catalog_cache_file = o.catalog_cache;
    // Each refresh, at start and later, is one line on stderr (never a secret).
    options.on_catalog_refresh = [](const CatalogRefreshState& state) {
      std::fprintf(stderr, "edgeroute serve: %s\n", state.report.c_str());
      std::fflush(stderr);
    };
  }
  FleetOutputs fleet;  // outlives the runtime: it observes it
  o.fleet.metrics_on_request = true;  // GET /metrics
  if (!fleet.open(o.fleet, &options, &error)) return fail(error);
  std::unique_ptr<Runtime> runtime;
  const Status created = Runtime::create(options, &runtime);
  if (!created.ok()) return fail(created.message());
  if (!fleet.start(*runtime, &error)) return fail(error);
  std::unique_ptr<ProbeThread> probes;
  if (o.probe) runtime->probe_now(3, runtime->clock().monotonic_ns() + 5000000000LL);
  // The thread that calls poll(): probe rounds, and the periodic catalog refresh.
  if (o.probe || o.catalog_refresh_s > 0) probes = std::make_unique<ProbeThread>(*runtime);

  const int listener = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  const int one = 1;
  (void)::setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(listener, 64) != 0) {
    const int err = errno;
    if (listener >= 0) ::close(listener);
    return fail("--listen " + o.listen + ": " + std::strerror(err));
  }
  socklen_t len = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &len);
  const int port = ntohs(address.sin_port);

  int wake[2];
  if (::pipe2(wake, O_CLOEXEC | O_NONBLOCK) != 0) return fail(std::string("pipe: ") + std::strerror(errno));
  g_wake_fd = wake[1];
  struct sigaction sa;
  std::memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_signal;
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);

  if (!o.ready_file.empty()) {
    const std::string ready = "{\"port\": " + std::to_string(port) + ", \"pid\": " + std::to_string(getpid()) + "}\n";
    std::FILE* f = std::fopen(o.ready_file.c_str(), "w");
    if (f == nullptr || std::fputs(ready.c_str(), f) < 0 || std::fclose(f) != 0) {
      return fail("--ready-file " + o.ready_file + ": cannot write");
    }
  }
  std::fprintf(stderr, "edgeroute serve: listening on http://127.0.0.1:%d, routing under allow %s\n", port,
               o.allow.c_str());

  Active active;
  while (!g_stopping.load()) {
    pollfd fds[2] = {{listener, POLLIN, 0}, {wake[0], POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0 && errno != EINTR) break;
    if (g_stopping.load()) break;
    if ((fds[0].revents & POLLIN) == 0) continue;
    const int fd = ::accept4(listener, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    // Stream frames go out as they come: no waiting to fill a segment.
    (void)::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    if (!active.enter(o.max_connections)) {
      const std::string body = error_body("edgeroute serve: all " + std::to_string(o.max_connections) +
                                          " connections are in use; try again");
      const std::string answer =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nx-amzn-ErrorType: "
          "ServiceUnavailableException:http://internal.amazon.com/coral/com.amazon.bedrock/\r\nConnection: "
          "close\r\nContent-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body;
      (void)!::send(fd, answer.data(), answer.size(), MSG_NOSIGNAL);
      ::close(fd);
      continue;
    }
    std::thread([fd, &runtime, &o, &token, &fleet, &active] {
      {
        Connection c(fd, *runtime, o, token, fleet);
        c.run();
      }
      active.leave();
    }).detach();
  }
  ::close(listener);
  // In-flight calls finish (their own deadlines bound them) within the grace period;
  // idle connections close at once.
  const long open = active.count();
  const bool drained = active.wait_empty(o.grace_ms);
  if (!drained) {
    std::fprintf(stderr, "edgeroute serve: %ld connections still busy after %lld ms: stopping anyway\n",
                 active.count(), static_cast<long long>(o.grace_ms));
    std::string unused;
    (void)fleet.finish(&unused);
    std::fflush(stderr);
    ::_exit(1);  // threads still hold the runtime: do not destroy it under them
  }
  probes.reset();
  if (!fleet.finish(&error)) fail(error);
  std::fprintf(stderr, "edgeroute serve: stopped (%ld connections were open)\n", open);
  return 0;
}

}  // namespace tool
}  // namespace edgeroute
