#include "edgeroute/curl_transport.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <string_view>
#include <vector>

#include "edgeroute/ascii.h"
#include "edgeroute/clock.h"
#include "edgeroute/crypto.h"

namespace edgeroute {
namespace {

constexpr std::int64_t kNsPerMs = 1000000;
// Upper bound on one wait, so a missed wake-up costs at most this long.
constexpr std::int64_t kMaxPollMs = 1000;

// libcurl is initialized once per process and never cleaned up: cleanup is not
// thread-safe and other code in the process may use curl too.
CURLcode global_init_once() {
  static const CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);
  return rc;
}

bool is_token_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// Host names and IP literals: letters, digits, '.', '-', ':' (IPv6), '_'.
bool is_host(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '.' || c == '-' || c == ':' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Printable ASCII without spaces: the path must arrive percent-encoded.
bool is_path(std::string_view s) {
  if (s.empty() || s.front() != '/') return false;
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) return false;
  }
  return true;
}

bool is_header_value(std::string_view s) {
  // memchr rather than a loop: values include a session token of several hundred bytes.
  for (const char c : {'\r', '\n', '\0'}) {
    if (std::memchr(s.data(), c, s.size()) != nullptr) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

// Appends host as it goes into a URL or a CONNECT_TO entry (IPv6 in brackets).
void append_host(std::string* out, std::string_view host) {
  const bool ipv6 = host.find(':') != std::string_view::npos;
  if (ipv6) out->push_back('[');
  out->append(host);
  if (ipv6) out->push_back(']');
}

// The path for messages: never the query, which may hold a presigned signature.
std::string_view path_for_messages(std::string_view path_and_query) {
  return path_and_query.substr(0, path_and_query.find('?'));
}

// State shared with curl's callbacks for one exchange.
struct Exchange {
  HttpResponseSink* sink = nullptr;
  const Clock* clock = nullptr;
  Status sink_status;
  bool sink_failed = false;
  bool in_interim_response = false;  // between a 1xx status line and its blank line
  std::int64_t first_byte_at_ns = 0;  // monotonic; 0 = nothing received yet
  std::int64_t last_byte_at_ns = 0;

  void note_bytes() {
    last_byte_at_ns = clock->monotonic_ns();
    if (first_byte_at_ns == 0) first_byte_at_ns = last_byte_at_ns;
  }
  // Keeps the sink's first error; curl aborts once a callback reports fewer bytes.
  bool fail(Status status) {
    sink_status = status;
    sink_failed = true;
    return false;
  }
};

// Parses "HTTP/1.1 200 OK" / "HTTP/2 200"; -1 when the line is not a status line.
int parse_status_line(std::string_view line) {
  if (line.substr(0, 5) != "HTTP/") return -1;
  const std::size_t space = line.find(' ');
  if (space == std::string_view::npos || line.size() < space + 4) return -1;
  int code = 0;
  for (std::size_t i = space + 1; i < space + 4; ++i) {
    if (line[i] < '0' || line[i] > '9') return -1;
    code = code * 10 + (line[i] - '0');
  }
  return code;
}

std::size_t on_header_line(char* data, std::size_t size, std::size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const std::size_t bytes = size * count;
  ex->note_bytes();
  const std::string_view line = trim(std::string_view(data, bytes));
  const int status = parse_status_line(line);
  if (status >= 100 && status < 200) {
    ex->in_interim_response = true;  // 100 Continue and friends: not the answer
    return bytes;
  }
  if (status >= 200) {
    Status s = ex->sink->on_status(status);
    return s.ok() || ex->fail(s) ? bytes : 0;
  }
  if (line.empty()) {
    ex->in_interim_response = false;
    return bytes;
  }
  // Skip interim headers, obsolete folded continuations and lines without ':'.
  const std::size_t colon = line.find(':');
  if (ex->in_interim_response || data[0] == ' ' || data[0] == '\t' || colon == std::string_view::npos) {
    return bytes;
  }
  Status s = ex->sink->on_header(line.substr(0, colon), trim(line.substr(colon + 1)));
  return s.ok() || ex->fail(s) ? bytes : 0;
}

std::size_t on_body_bytes(char* data, std::size_t size, std::size_t count, void* user) {
  auto* ex = static_cast<Exchange*>(user);
  const std::size_t bytes = size * count;
  ex->note_bytes();
  Status s = ex->sink->on_body(data, bytes);
  return s.ok() || ex->fail(s) ? bytes : 0;
}

// Every socket is close-on-exec: a process that starts a child (an alert hook, a
// helper) must not hand it the TLS connections. libcurl opens its sockets
// without the flag.
int on_socket_opened(void* user, curl_socket_t fd, curlsocktype purpose) {
  (void)user;
  (void)purpose;
  const int flags = fcntl(fd, F_GETFD);
  if (flags >= 0) (void)fcntl(fd, F_SETFD, flags | FD_CLOEXEC);
  return CURL_SOCKOPT_OK;
}

// Whether curl has written the request line, headers and the whole body.
bool request_fully_sent(CURL* easy, std::size_t body_bytes) {
  long header_bytes = 0;
  curl_off_t body_sent = 0;
  if (curl_easy_getinfo(easy, CURLINFO_REQUEST_SIZE, &header_bytes) != CURLE_OK || header_bytes <= 0) {
    return false;
  }
  if (curl_easy_getinfo(easy, CURLINFO_SIZE_UPLOAD_T, &body_sent) != CURLE_OK) return false;
  return body_sent >= 0 && static_cast<std::uint64_t>(body_sent) >= body_bytes;
}

std::int64_t info_us(CURL* easy, CURLINFO what) {
  curl_off_t us = 0;
  return curl_easy_getinfo(easy, what, &us) == CURLE_OK ? static_cast<std::int64_t>(us) : 0;
}

}  // namespace

struct CurlTransport::Impl {
  CURLM* multi = nullptr;
  CURL* easy = nullptr;  // reused for every exchange; connections live in `multi`
  std::string ca_bundle;  // resolved at creation; empty = libcurl's default
  bool http2 = false;
  const Clock* deadline_clock = nullptr;  // deadlines and timings; never null
  TlsClientIdentity client;
  char error_text[CURL_ERROR_SIZE] = {};
  // Scratch reused across exchanges so their capacity is allocated once.
  std::string url;  // as last given to curl; empty: none yet
  std::string next_url;
  std::string connect_to;
  // The request shape the handle is set up for (see configure); empty: none yet.
  std::string method;
  bool has_body = false;
  // The lists handed to curl (CURLOPT_HTTPHEADER, CURLOPT_CONNECT_TO), built in
  // place: curl only reads them during a transfer, so their nodes and lines live
  // here and are rebuilt for each exchange without allocating.
  std::string header_text;  // the lines, each ending in NUL; wiped after each exchange
  std::vector<std::size_t> header_starts;
  std::vector<curl_slist> header_nodes;
  curl_slist connect_to_node = {};

  ~Impl() {
    if (easy != nullptr) curl_easy_cleanup(easy);
    if (multi != nullptr) curl_multi_cleanup(multi);  // closes the cached connections
  }

  Status configure(const HttpRequest& request, const HttpTimeouts& timeouts, Exchange* exchange);
  Status run(const HttpRequest& request, const HttpTimeouts& timeouts, Exchange* exchange);
  Status curl_error(CURLcode code, const HttpRequest& request, const HttpTimeouts& timeouts,
                    const Exchange& exchange) const;
};

Status CurlTransport::create(const Config& config, std::unique_ptr<CurlTransport>* out) {
  out->reset();
  if (config.max_connections == 0) {
    return Status::error(Code::kInvalidArgument, "curl transport: max_connections must be at least 1");
  }
  const CURLcode init = global_init_once();
  if (init != CURLE_OK) {
    return Status::error_with_backend(Code::kInternal, init, "curl_global_init failed: %s",
                                      curl_easy_strerror(init));
  }
  std::unique_ptr<Impl> impl(new Impl);
  impl->http2 = config.http2;
  impl->deadline_clock = config.clock != nullptr ? config.clock : &system_clock();
  impl->client = config.client;
  impl->ca_bundle = config.ca_bundle;
  if (impl->ca_bundle.empty()) {
    const char* env = std::getenv("AWS_CA_BUNDLE");
    if (env != nullptr) impl->ca_bundle = env;
  }
  if (!impl->ca_bundle.empty()) {
    // Checked here so a typo shows up at start-up, not as a TLS failure per call.
    std::FILE* f = std::fopen(impl->ca_bundle.c_str(), "rb");
    if (f == nullptr) {
      return Status::error(Code::kNotFound, "CA bundle %s: cannot be read: %s", impl->ca_bundle.c_str(),
                           std::strerror(errno));
    }
    // A directory opens too, and would fail only later, on every TLS handshake.
    struct stat st;
    const bool directory = fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode);
    std::fclose(f);
    if (directory) {
      return Status::error(Code::kInvalidArgument, "CA bundle %s: is a directory, not a file",
                           impl->ca_bundle.c_str());
    }
  }
  impl->multi = curl_multi_init();
  impl->easy = curl_easy_init();
  if (impl->multi == nullptr || impl->easy == nullptr) {
    return Status::error(Code::kInternal, "curl transport: cannot create curl handles");
  }
  const long max_connections = config.max_connections > 100000
                                   ? 100000L
                                   : static_cast<long>(config.max_connections);
  // The multi handle's cache keeps idle connections and closes the oldest when full.
  if (curl_multi_setopt(impl->multi, CURLMOPT_MAXCONNECTS, max_connections) != CURLM_OK) {
    return Status::error(Code::kInternal, "curl transport: cannot set the connection limit");
  }
  out->reset(new CurlTransport(std::move(impl)));
  return Status();
}

CurlTransport::CurlTransport(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

CurlTransport::~CurlTransport() = default;

Status CurlTransport::Impl::configure(const HttpRequest& request, const HttpTimeouts& timeouts,
                                      Exchange* exchange) {
  CURLcode rc = CURLE_OK;
  auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(easy, option, value);
  };

  // curl keeps every option between transfers, so options that never change are
  // set once per handle, not per exchange. A request of another shape (method,
  // with or without a body) starts from a reset handle, so that no option of the
  // last shape lingers. reset() keeps the handle's TLS session cache;
  // connections stay in `multi`.
  const bool has_body_now = request.body_bytes > 0;
  if (method.empty() || method != request.method || has_body != has_body_now) {
    curl_easy_reset(easy);
    url.clear();
    method.clear();
    // Never configurable: peer certificate and host name are always verified
    // (VERIFYHOST 2 is "name must match"; libcurl treats 1 the same since 7.66).
    set(CURLOPT_SSL_VERIFYPEER, 1L);
    set(CURLOPT_SSL_VERIFYHOST, 2L);
    if (!ca_bundle.empty()) set(CURLOPT_CAINFO, ca_bundle.c_str());
    if (!client.empty()) {
      if (!client.engine.empty()) {
        set(CURLOPT_SSLENGINE, client.engine.c_str());
        set(CURLOPT_SSLENGINE_DEFAULT, 1L);
      }
      set(CURLOPT_SSLCERT, client.certificate_file.c_str());
      set(CURLOPT_SSLCERTTYPE, "PEM");
      set(CURLOPT_SSLKEY, client.key.c_str());
      set(CURLOPT_SSLKEYTYPE, client.key_type.c_str());
    }
    set(CURLOPT_HTTP_VERSION, http2 ? static_cast<long>(CURL_HTTP_VERSION_2TLS)
                                    : static_cast<long>(CURL_HTTP_VERSION_1_1));
    // No signals: the process may be multi-threaded and DNS timeouts must not use SIGALRM.
    set(CURLOPT_NOSIGNAL, 1L);
    // Long streams through NAT gateways: keep the mapping alive while the model thinks.
    set(CURLOPT_TCP_KEEPALIVE, 1L);
    // A proxy's "200 Connection established" is not the server's answer.
    set(CURLOPT_SUPPRESS_CONNECT_HEADERS, 1L);
    set(CURLOPT_ERRORBUFFER, error_text);
    set(CURLOPT_HEADERFUNCTION, &on_header_line);
    set(CURLOPT_WRITEFUNCTION, &on_body_bytes);
    set(CURLOPT_SOCKOPTFUNCTION, &on_socket_opened);

    const std::string_view m = request.method;
    if (has_body_now || m == "POST") {
      set(CURLOPT_POST, 1L);
      if (m != "POST") set(CURLOPT_CUSTOMREQUEST, std::string(m).c_str());
    } else if (m == "HEAD") {
      set(CURLOPT_NOBODY, 1L);
    } else {
      set(CURLOPT_HTTPGET, 1L);
      if (m != "GET") set(CURLOPT_CUSTOMREQUEST, std::string(m).c_str());
    }
    if (rc != CURLE_OK) {
      return Status::error_with_backend(Code::kInternal, rc, "curl transport: cannot configure: %s",
                                        curl_easy_strerror(rc));
    }
    method.assign(request.method);
    has_body = has_body_now;
  }

  // curl copies and parses the URL when it is set: set it only when it changes.
  next_url.assign(request.tls ? "https://" : "http://");
  append_host(&next_url, request.host);
  next_url.append(":").append(std::to_string(request.port)).append(request.path_and_query);
  if (next_url != url) {
    url.swap(next_url);
    set(CURLOPT_URL, url.c_str());
  }

  if (!request.connect_host.empty()) {
    // "HOST:PORT:CONNECT_HOST:CONNECT_PORT": only the TCP destination changes; TLS
    // (SNI, certificate name) and the Host header keep the request's host.
    connect_to.clear();
    append_host(&connect_to, request.host);
    connect_to.append(":").append(std::to_string(request.port)).append(":");
    append_host(&connect_to, request.connect_host);
    const std::uint16_t port = request.connect_port != 0 ? request.connect_port : request.port;
    connect_to.append(":").append(std::to_string(port));
    connect_to_node.data = &connect_to[0];
    connect_to_node.next = nullptr;
    set(CURLOPT_CONNECT_TO, &connect_to_node);
  } else {
    set(CURLOPT_CONNECT_TO, static_cast<curl_slist*>(nullptr));
  }

  if (has_body || method == "POST") {
    // Not copied: the caller's body outlives send().
    set(CURLOPT_POSTFIELDS, has_body ? static_cast<const char*>(request.body) : "");
    set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body_bytes));
  }

  bool has_content_type = false, has_expect = false;
  header_text.clear();
  header_starts.clear();
  for (std::size_t i = 0; i < request.header_count; ++i) {
    const HttpHeader& h = request.headers[i];
    has_content_type = has_content_type || iequals(h.name, "Content-Type");
    has_expect = has_expect || iequals(h.name, "Expect");
    header_starts.push_back(header_text.size());
    header_text.append(h.name);
    // "Name;" is curl's spelling of a header with an empty value ("Name:" removes it).
    if (h.value.empty()) {
      header_text.append(";");
    } else {
      header_text.append(": ").append(h.value);
    }
    header_text.push_back('\0');
  }
  // curl would add these on its own: 100-continue costs a round trip before large
  // bodies, and a form Content-Type would misdescribe a JSON body.
  const char* removals[] = {has_expect ? nullptr : "Expect:",
                            has_content_type || !has_body ? nullptr : "Content-Type:"};
  for (const char* removal : removals) {
    if (removal == nullptr) continue;
    header_starts.push_back(header_text.size());
    header_text.append(removal);
    header_text.push_back('\0');
  }
  // Linked only now that header_text has stopped growing (and moving).
  header_nodes.resize(header_starts.size());
  for (std::size_t i = 0; i < header_nodes.size(); ++i) {
    header_nodes[i].data = &header_text[header_starts[i]];
    header_nodes[i].next = i + 1 < header_nodes.size() ? &header_nodes[i + 1] : nullptr;
  }
  set(CURLOPT_HTTPHEADER, header_nodes.empty() ? nullptr : header_nodes.data());

  // Zero leaves libcurl's own connect limit (300 s).
  set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeouts.connect_ms));
  error_text[0] = '\0';
  set(CURLOPT_HEADERDATA, static_cast<void*>(exchange));
  set(CURLOPT_WRITEDATA, static_cast<void*>(exchange));
  if (rc != CURLE_OK) {
    method.clear();  // set up again from a reset handle next time
    return Status::error_with_backend(Code::kInternal, rc, "curl transport: cannot configure: %s",
                                      curl_easy_strerror(rc));
  }
  return Status();
}

// Drives the transfer and enforces first-byte, idle and deadline limits itself:
// libcurl's own progress checks run only about once a second while a socket is quiet.
Status CurlTransport::Impl::run(const HttpRequest& request, const HttpTimeouts& timeouts,
                                Exchange* exchange) {
  const Clock& clock = *exchange->clock;
  const std::int64_t first_byte_limit_ns = static_cast<std::int64_t>(timeouts.first_byte_ms) * kNsPerMs;
  const std::int64_t idle_limit_ns = static_cast<std::int64_t>(timeouts.idle_ms) * kNsPerMs;
  const std::string_view path = path_for_messages(request.path_and_query);
  std::int64_t request_sent_at_ns = 0;
  for (;;) {
    int running = 0;
    const CURLMcode perform = curl_multi_perform(multi, &running);
    if (perform != CURLM_OK) {
      return Status::error_with_backend(Code::kInternal, perform, "curl_multi_perform: %s",
                                        curl_multi_strerror(perform));
    }
    int queued = 0;
    while (CURLMsg* msg = curl_multi_info_read(multi, &queued)) {
      if (msg->msg != CURLMSG_DONE) continue;
      const CURLcode result = msg->data.result;
      if (exchange->sink_failed) return exchange->sink_status;
      if (result != CURLE_OK) return curl_error(result, request, timeouts, *exchange);
      return Status();
    }

    const std::int64_t now = clock.monotonic_ns();
    if (request_sent_at_ns == 0 && request_fully_sent(easy, request.body_bytes)) request_sent_at_ns = now;
    std::int64_t wake_at = now + kMaxPollMs * kNsPerMs;
    if (timeouts.deadline_monotonic_ns != 0) {
      if (now >= timeouts.deadline_monotonic_ns) {
        return Status::error(Code::kTimeout, "deadline passed during %.*s %.*s%.*s",
                             static_cast<int>(request.method.size()), request.method.data(),
                             static_cast<int>(request.host.size()), request.host.data(),
                             static_cast<int>(path.size()), path.data());
      }
      if (timeouts.deadline_monotonic_ns < wake_at) wake_at = timeouts.deadline_monotonic_ns;
    }
    if (exchange->first_byte_at_ns == 0 && request_sent_at_ns != 0 && first_byte_limit_ns > 0) {
      const std::int64_t limit = request_sent_at_ns + first_byte_limit_ns;
      if (now >= limit) {
        return Status::error(Code::kTimeout, "no response from %.*s within first_byte_ms=%u",
                             static_cast<int>(request.host.size()), request.host.data(),
                             timeouts.first_byte_ms);
      }
      if (limit < wake_at) wake_at = limit;
    }
    if (exchange->first_byte_at_ns != 0 && idle_limit_ns > 0) {
      const std::int64_t limit = exchange->last_byte_at_ns + idle_limit_ns;
      if (now >= limit) {
        return Status::error(Code::kTimeout, "response from %.*s idle for longer than idle_ms=%u",
                             static_cast<int>(request.host.size()), request.host.data(), timeouts.idle_ms);
      }
      if (limit < wake_at) wake_at = limit;
    }
    // Round up so the wait does not end just before a limit and spin.
    const int wait_ms = static_cast<int>((wake_at - now + kNsPerMs - 1) / kNsPerMs);
    // curl shortens the wait further for its own timers (connect timeout, retries).
    const CURLMcode poll = curl_multi_poll(multi, nullptr, 0, wait_ms, nullptr);
    if (poll != CURLM_OK) {
      return Status::error_with_backend(Code::kInternal, poll, "curl_multi_poll: %s",
                                        curl_multi_strerror(poll));
    }
  }
}

Status CurlTransport::Impl::curl_error(CURLcode code, const HttpRequest& request,
                                       const HttpTimeouts& timeouts, const Exchange& exchange) const {
  const char* text = error_text[0] != '\0' ? error_text : curl_easy_strerror(code);
  const std::string_view path = path_for_messages(request.path_and_query);
  const int host_len = static_cast<int>(request.host.size());
  const int path_len = static_cast<int>(path.size());
  switch (code) {
    // Only the connect limit is given to curl; the other limits are ours.
    case CURLE_OPERATION_TIMEDOUT:
      return Status::error_with_backend(Code::kTimeout, code,
                                        "connect to %.*s exceeded connect_ms=%u (TCP + TLS): %s",
                                        host_len, request.host.data(), timeouts.connect_ms, text);
    // The URL is always http:// or https://, so this is the peer's answer: no status
    // line (HTTP/0.9, or not HTTP at all). A fault of that endpoint, not of the request.
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Status::error_with_backend(Code::kUnavailable, code,
                                        "%.*s%.*s: the reply has no HTTP status line (HTTP/0.9 "
                                        "or not HTTP): %s",
                                        host_len, request.host.data(), path_len, path.data(), text);
    // libcurl refuses a response header line over CURL_MAX_HTTP_HEADER (100 KiB) as
    // "out of memory" (CURLE_TOO_LARGE from 8.6). Once bytes came, it is the peer's.
    case CURLE_OUT_OF_MEMORY:
#if LIBCURL_VERSION_NUM >= 0x080600
    case CURLE_TOO_LARGE:
#endif
      if (exchange.first_byte_at_ns != 0) {
        return Status::error_with_backend(Code::kUnavailable, code,
                                          "%.*s%.*s: a response header over libcurl's limit "
                                          "(%d bytes per header line)",
                                          host_len, request.host.data(), path_len, path.data(),
                                          CURL_MAX_HTTP_HEADER);
      }
      return Status::error_with_backend(Code::kUnavailable, code, "%.*s%.*s: %s", host_len,
                                        request.host.data(), path_len, path.data(), text);
    case CURLE_URL_MALFORMAT:
    case CURLE_BAD_FUNCTION_ARGUMENT:
      return Status::error_with_backend(Code::kInvalidArgument, code, "bad request for %.*s%.*s: %s",
                                        host_len, request.host.data(), path_len, path.data(), text);
    default:
      // Refused, reset, DNS, TLS handshake or verification, truncated answers.
      return Status::error_with_backend(Code::kUnavailable, code, "%.*s%.*s: %s", host_len,
                                        request.host.data(), path_len, path.data(), text);
  }
}

Status CurlTransport::send(const HttpRequest& request, const HttpTimeouts& timeouts,
                           HttpResponseSink* sink, HttpTiming* timing) {
  HttpTiming unused;
  HttpTiming* t = timing != nullptr ? timing : &unused;
  *t = HttpTiming();
  if (sink == nullptr) return Status::error(Code::kInvalidArgument, "curl transport: no response sink");
  if (!is_token(request.method)) return Status::error(Code::kInvalidArgument, "bad HTTP method");
  if (!is_host(request.host)) return Status::error(Code::kInvalidArgument, "bad host name");
  if (request.port == 0) return Status::error(Code::kInvalidArgument, "port 0");
  if (!request.connect_host.empty() && !is_host(request.connect_host)) {
    return Status::error(Code::kInvalidArgument, "bad connect_to host");
  }
  if (!is_path(request.path_and_query)) {
    return Status::error(Code::kInvalidArgument,
                         "path must start with '/' and be percent-encoded printable ASCII");
  }
  if (request.body_bytes > 0 && request.body == nullptr) {
    return Status::error(Code::kInvalidArgument, "body_bytes without a body");
  }
  if (request.header_count > 0 && request.headers == nullptr) {
    return Status::error(Code::kInvalidArgument, "header_count without headers");
  }
  for (std::size_t i = 0; i < request.header_count; ++i) {
    // The value is never quoted: it may be a credential.
    if (!is_token(request.headers[i].name) || !is_header_value(request.headers[i].value)) {
      return Status::error(Code::kInvalidArgument, "header %zu: bad name, or CR/LF/NUL in the value", i);
    }
  }

  // The caller's clock: its deadline was computed on it.
  const Clock& clock = *impl_->deadline_clock;
  const std::int64_t start_ns = clock.monotonic_ns();
  if (timeouts.deadline_monotonic_ns != 0 && start_ns >= timeouts.deadline_monotonic_ns) {
    return Status::error(Code::kTimeout, "deadline passed before the request was sent");
  }

  Exchange exchange;
  exchange.sink = sink;
  exchange.clock = &clock;
  Status status = impl_->configure(request, timeouts, &exchange);
  if (status.ok()) {
    const CURLMcode added = curl_multi_add_handle(impl_->multi, impl_->easy);
    if (added != CURLM_OK) {
      status = Status::error_with_backend(Code::kInternal, added, "curl_multi_add_handle: %s",
                                          curl_multi_strerror(added));
    } else {
      status = impl_->run(request, timeouts, &exchange);
      long connects = 0, request_header_bytes = 0;
      curl_easy_getinfo(impl_->easy, CURLINFO_NUM_CONNECTS, &connects);
      curl_easy_getinfo(impl_->easy, CURLINFO_REQUEST_SIZE, &request_header_bytes);
      t->reused_connection = connects == 0 && request_header_bytes > 0;
      if (connects > 0) {
        t->connect_ns = 1000 * info_us(impl_->easy, request.tls ? CURLINFO_APPCONNECT_TIME_T
                                                                 : CURLINFO_CONNECT_TIME_T);
      }
      // Removing an unfinished transfer closes its connection, so a stalled or
      // aborted exchange never leaves a half-read connection in the cache.
      curl_multi_remove_handle(impl_->multi, impl_->easy);
    }
  }
  // The lines held the Authorization header and session token.
  secure_wipe(&impl_->header_text[0], impl_->header_text.size());
  if (exchange.first_byte_at_ns != 0) t->first_byte_ns = exchange.first_byte_at_ns - start_ns;
  t->total_ns = clock.monotonic_ns() - start_ns;
  return status;
}

}  // namespace edgeroute
