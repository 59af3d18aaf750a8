// CPU per warm Converse call: edgeroute's Bedrock client against a bare libcurl POST
// of the same bytes, to the same local server, in the same run.
//
// The server is a tiny HTTP/1.1 loopback server in this process (one thread, poll,
// 127.0.0.1:0, keep-alive) that answers every POST with the same 200 Converse JSON
// body. The client calls it through ClientConfig::endpoint_url
// http://127.0.0.1:PORT, SigV4-signed with a session token; the server records the
// client's first request, and the bare benchmark replays exactly its headers and
// body with one reused CURL easy handle (curl_easy_perform). client / bare is what
// signing, request building, response parsing, the transport's wait loop and the
// error plumbing add to libcurl itself.
//
// The time compared is CPU time of the calling thread (Google Benchmark's CPU
// column), so the server thread's work is in neither.
//
//   build/bench/tests/bench/client/client_bench --benchmark_repetitions=10
//       --benchmark_report_aggregates_only=true   (one line)
//
// prints each benchmark, then the ratio of the medians. Repetitions run in random
// interleaved order (see main).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <curl/curl.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <benchmark/benchmark.h>

#include "alloc_counter.h"
#include "edgeroute/bedrock.h"
#include "edgeroute/clock.h"
#include "edgeroute/credentials.h"
#include "edgeroute/credentials_cache.h"
#include "edgeroute/curl_transport.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/runtime.h"

namespace {

using namespace edgeroute;

constexpr const char kResponseBody[] =
    "{\"output\":{\"message\":{\"role\":\"assistant\",\"content\":[{\"text\":"
    "\"Hello from the loopback server. This is a short answer.\"}]}},"
    "\"stopReason\":\"end_turn\",\"usage\":{\"inputTokens\":25,\"outputTokens\":12,"
    "\"totalTokens\":37},\"metrics\":{\"latencyMs\":120}}";

// One thread, one listening socket, any number of keep-alive connections. Each
// complete request (headers + Content-Length body) gets the fixed answer.
class LoopbackServer {
 public:
  LoopbackServer() {
    listen_fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    if (listen_fd_ < 0) return;
    const int one = 1;
    ::setsockopt(listen_fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    socklen_t len = sizeof addr;
    if (::bind(listen_fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(listen_fd_, 16) != 0 ||
        ::getsockname(listen_fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ::close(listen_fd_);
      listen_fd_ = -1;
      return;
    }
    port_ = ntohs(addr.sin_port);
    response_ = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                "x-amzn-RequestId: 0f3c9a52-bench-4e0a-9d1f-000000000000\r\n"
                "Content-Length: " +
                std::to_string(sizeof kResponseBody - 1) + "\r\n\r\n" + kResponseBody;
    thread_ = std::thread([this] { run(); });
  }

  // Stops within one poll interval (20 ms) and closes every socket.
  ~LoopbackServer() {
    stop_.store(true);
    if (thread_.joinable()) thread_.join();
    for (const Conn& c : conns_) ::close(c.fd);
    if (listen_fd_ >= 0) ::close(listen_fd_);
  }

  bool ok() const { return port_ != 0; }
  std::uint16_t port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  // The header block (request line to the blank line) and body of the first
  // request received since clear_first().
  bool first_request(std::string* head, std::string* body) {
    std::lock_guard<std::mutex> lock(mu_);
    if (first_head_.empty()) return false;
    *head = first_head_;
    *body = first_body_;
    return true;
  }
  void clear_first() {
    std::lock_guard<std::mutex> lock(mu_);
    first_head_.clear();
    first_body_.clear();
  }

 private:
  struct Conn {
    int fd;
    std::string in;
    bool continued;
  };

  void run() {
    std::vector<pollfd> fds;
    while (!stop_.load()) {
      fds.clear();
      fds.push_back({listen_fd_, POLLIN, 0});
      for (const Conn& c : conns_) fds.push_back({c.fd, POLLIN, 0});
      const int n = ::poll(fds.data(), fds.size(), 20);
      if (n <= 0) continue;
      if ((fds[0].revents & POLLIN) != 0) {
        const int fd = ::accept(listen_fd_, nullptr, nullptr);
        if (fd >= 0) {
          const int one = 1;
          ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          conns_.push_back({fd, {}, false});
        }
      }
      // fds[i + 1] belongs to conns_[i] as it was before the accept above.
      for (std::size_t i = fds.size() - 1; i >= 1; --i) {
        if (fds[i].revents == 0) continue;
        if (!serve(&conns_[i - 1])) {
          ::close(conns_[i - 1].fd);
          conns_.erase(conns_.begin() + static_cast<std::ptrdiff_t>(i - 1));
        }
      }
    }
  }

  // Reads what is there and answers every complete request. False: closed.
  bool serve(Conn* c) {
    char buf[16384];
    const ssize_t got = ::recv(c->fd, buf, sizeof buf, 0);
    if (got <= 0) return false;
    c->in.append(buf, static_cast<std::size_t>(got));
    for (;;) {
      const std::size_t end = c->in.find("\r\n\r\n");
      if (end == std::string::npos) return true;
      const std::string head = c->in.substr(0, end + 2);
      const std::size_t length = content_length(head);
      if (c->in.size() < end + 4 + length) {
        if (head.find("100-continue") != std::string::npos && !c->continued) {
          c->continued = send_all(c->fd, "HTTP/1.1 100 Continue\r\n\r\n");
        }
        return true;
      }
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (first_head_.empty()) {
          first_head_ = head;
          first_body_ = c->in.substr(end + 4, length);
        }
      }
      c->in.erase(0, end + 4 + length);
      c->continued = false;
      if (!send_all(c->fd, response_)) return false;
    }
  }

  static std::size_t content_length(const std::string& head) {
    std::size_t pos = 0;
    while ((pos = head.find("\r\n", pos)) != std::string::npos) {
      pos += 2;
      if (strncasecmp(head.c_str() + pos, "content-length:", 15) == 0) {
        return static_cast<std::size_t>(std::strtoul(head.c_str() + pos + 15, nullptr, 10));
      }
    }
    return 0;
  }

  static bool send_all(int fd, const std::string& data) {
    std::size_t sent = 0;
    while (sent < data.size()) {
      const ssize_t n = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      sent += static_cast<std::size_t>(n);
    }
    return true;
  }

  int listen_fd_ = -1;
  std::uint16_t port_ = 0;
  std::string response_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::vector<Conn> conns_;  // server thread only
  std::mutex mu_;
  std::string first_head_, first_body_;
};

LoopbackServer* g_server = nullptr;

class StaticCredentials final : public CredentialsProvider {
 public:
  explicit StaticCredentials(AwsCredentials c) : c_(c) {}
  Status get(std::int64_t, AwsCredentials* out) const override {
    *out = c_;
    return Status();
  }

 private:
  AwsCredentials c_;
};

const StaticCredentials& sigv4_credentials() {
  static const std::string token(600, 'T');
  static const StaticCredentials creds(AwsCredentials::sigv4_keys(
      "AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", token));
  return creds;
}

// A Bedrock API key: no SigV4, for scale (the bare replay is of the signed request).
const StaticCredentials& bearer_credentials() {
  static const StaticCredentials creds(
      AwsCredentials::bearer("ABSKZWRnZXJvdXRlLWJlbmNoLWZha2Uta2V5LW5vdC1hLXJlYWwtb25l"));
  return creds;
}

bedrock::ConverseRequest converse_request() {
  bedrock::ConverseRequest r;
  r.model_id = "eu.anthropic.claude-sonnet-4-5-20250929-v1:0";
  r.system.push_back("You are a terse assistant on an edge gateway.");
  r.messages.push_back(bedrock::Message{
      "user", {bedrock::ContentBlock::of_text(
                  "Summarize the last hour of sensor readings in one sentence: temperature "
                  "21.4 C steady, humidity 48 %, no alarms.")}});
  r.inference_config.max_tokens = 256;
  return r;
}

// A client with its own transport, warmed up (connection open, signing key cached).
struct ClientSetup {
  std::unique_ptr<CurlTransport> transport;
  std::unique_ptr<bedrock::Client> client;
  bedrock::ConverseRequest request = converse_request();
  bedrock::CallOptions options;

  std::string make(const CredentialsProvider& credentials) {
    if (g_server == nullptr || !g_server->ok()) return "loopback server did not start";
    const Status st = CurlTransport::create(CurlTransport::Config(), &transport);
    if (!st.ok()) return st.message();
    bedrock::ClientConfig config;
    config.endpoint_url = g_server->url();
    client = std::make_unique<bedrock::Client>(*transport, credentials, system_clock(),
                                               mbedtls_crypto(), config);
    options.region = "eu-central-1";
    options.deadline_ms = 10000;
    bedrock::ConverseResponse out;
    const bedrock::Error e = client->converse(request, options, &out);
    if (!e.ok()) return e.to_string();
    return {};
  }
};

void BM_Client(benchmark::State& state) {
  ClientSetup s;
  const std::string problem =
      s.make(state.range(0) == 0 ? static_cast<const CredentialsProvider&>(sigv4_credentials())
                                 : bearer_credentials());
  if (!problem.empty()) {
    state.SkipWithError(problem.c_str());
    return;
  }
  edgeroute::testing::AllocationScope allocations;
  for (auto _ : state) {
    bedrock::ConverseResponse out;
    const bedrock::Error e = s.client->converse(s.request, s.options, &out);
    if (!e.ok()) {
      state.SkipWithError(e.to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(out.text.data());
  }
  state.counters["allocs_per_call"] = benchmark::Counter(
      static_cast<double>(allocations.allocations()) / static_cast<double>(state.iterations()));
}

std::size_t discard_body(char* data, std::size_t size, std::size_t n, void* user) {
  static_cast<std::string*>(user)->append(data, size * n);
  return size * n;
}

// The request the client sent, replayed by plain libcurl: every header but Host and
// Content-Length (curl writes those itself), the same body.
void BM_BareCurl(benchmark::State& state) {
  std::string head, body;
  {
    // One client call to record exactly what it sends.
    ClientSetup s;
    g_server->clear_first();
    const std::string problem = s.make(sigv4_credentials());
    if (!problem.empty() || !g_server->first_request(&head, &body)) {
      state.SkipWithError(problem.empty() ? "no request recorded" : problem.c_str());
      return;
    }
  }
  const std::size_t line_end = head.find("\r\n");
  const std::string request_line = head.substr(0, line_end);
  const std::size_t sp1 = request_line.find(' ');
  const std::size_t sp2 = request_line.rfind(' ');
  const std::string url = g_server->url() + request_line.substr(sp1 + 1, sp2 - sp1 - 1);
  curl_slist* headers = nullptr;
  bool has_accept = false, has_expect = false;
  for (std::size_t pos = line_end + 2; pos < head.size();) {
    const std::size_t next = head.find("\r\n", pos);
    const std::string line = head.substr(pos, next - pos);
    pos = next + 2;
    if (strncasecmp(line.c_str(), "host:", 5) == 0 ||
        strncasecmp(line.c_str(), "content-length:", 15) == 0)
      continue;
    if (strncasecmp(line.c_str(), "accept:", 7) == 0) has_accept = true;
    if (strncasecmp(line.c_str(), "expect:", 7) == 0) has_expect = true;
    headers = curl_slist_append(headers, line.c_str());
  }
  // Whatever curl would add by itself and the client did not send.
  if (!has_accept) headers = curl_slist_append(headers, "Accept:");
  if (!has_expect) headers = curl_slist_append(headers, "Expect:");

  CURL* easy = curl_easy_init();
  std::string response;
  curl_easy_setopt(easy, CURLOPT_URL, url.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(easy, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(easy, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, discard_body);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, &response);
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, 10000L);
  bool failed = curl_easy_perform(easy) != CURLE_OK;  // warm-up: connection open
  for (auto _ : state) {
    if (failed) break;
    response.clear();
    long status = 0;
    failed = curl_easy_perform(easy) != CURLE_OK ||
             curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK ||
             status != 200;
    benchmark::DoNotOptimize(response.data());
  }
  if (failed) state.SkipWithError("bare libcurl POST failed");
  state.counters["request_bytes"] = static_cast<double>(head.size() + body.size());
  curl_easy_cleanup(easy);
  curl_slist_free_all(headers);
}

// Where a warm call's credentials come from: the environment provider (what a
// process with AWS_* variables uses) against the caching provider that sits in
// front of every source in the routed client (here over a source with the same
// keys, valid for an hour). The signed request is the same; only get() differs.
class MapEnvironment final : public Environment {
 public:
  const char* get(const char* name) const override {
    if (std::strcmp(name, "AWS_ACCESS_KEY_ID") == 0) return "AKIDEXAMPLE";
    if (std::strcmp(name, "AWS_SECRET_ACCESS_KEY") == 0) return "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
    if (std::strcmp(name, "AWS_SESSION_TOKEN") == 0) return token().c_str();
    return nullptr;
  }
  static const std::string& token() {
    static const std::string t(600, 'T');
    return t;
  }
};

class ExpiringSource final : public CredentialsProvider {
 public:
  Status get(std::int64_t now_ms, AwsCredentials* out) const override {
    *out = AwsCredentials::sigv4_keys("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY",
                                      MapEnvironment::token(), now_ms + 3600 * 1000);
    return Status();
  }
};

void BM_ClientCredentials(benchmark::State& state) {
  static const MapEnvironment env;
  static const EnvironmentCredentialsProvider environment(env);
  static const ExpiringSource source;
  static CachingCredentialsProvider cached(source);
  if (state.range(0) == 1 && !cached.prime(system_clock().utc_unix_ms()).ok()) {
    state.SkipWithError("the caching provider did not fetch");
    return;
  }
  ClientSetup s;
  const std::string problem =
      s.make(state.range(0) == 0 ? static_cast<const CredentialsProvider&>(environment) : cached);
  if (!problem.empty()) {
    state.SkipWithError(problem.c_str());
    return;
  }
  edgeroute::testing::AllocationScope allocations;
  for (auto _ : state) {
    bedrock::ConverseResponse out;
    const bedrock::Error e = s.client->converse(s.request, s.options, &out);
    if (!e.ok()) {
      state.SkipWithError(e.to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(out.text.data());
  }
  state.counters["allocs_per_call"] = benchmark::Counter(
      static_cast<double>(allocations.allocations()) / static_cast<double>(state.iterations()));
}

// The routed call: edgeroute::Runtime under an EU policy (router pick and report,
// the failover loop, the residency check, the client) to the same server, for the
// model's base ID, so the router picks the identifier (the EU profile the client
// calls directly above) and the source region. Probes are off: they would leave
// the loopback (endpoint_url serves calls, not probes), and a warm call makes none.
void BM_Routed(benchmark::State& state) {
  if (g_server == nullptr || !g_server->ok()) {
    state.SkipWithError("loopback server did not start");
    return;
  }
  RuntimeOptions options;
  options.allow = "eu";
  options.endpoint_url = g_server->url();
  options.credentials = &sigv4_credentials();
  options.deadline_ms = 10000;
  options.probe_before_first_call = false;
  std::unique_ptr<Runtime> runtime;
  const Status st = Runtime::create(options, &runtime);
  if (!st.ok()) {
    state.SkipWithError(st.message());
    return;
  }
  bedrock::ConverseRequest request = converse_request();
  request.model_id = "anthropic.claude-sonnet-4-5-20250929-v1:0";
  ConverseResult warm = runtime->converse(request);  // connection open, signing key cached
  if (!warm.ok() || warm.identifier != "eu.anthropic.claude-sonnet-4-5-20250929-v1:0") {
    state.SkipWithError(warm.ok() ? "routed to another identifier" : warm.error.to_string().c_str());
    return;
  }
  edgeroute::testing::AllocationScope allocations;
  for (auto _ : state) {
    const ConverseResult r = runtime->converse(request);
    if (!r.ok()) {
      state.SkipWithError(r.error.to_string().c_str());
      break;
    }
    benchmark::DoNotOptimize(r.response.text.data());
  }
  state.counters["allocs_per_call"] = benchmark::Counter(
      static_cast<double>(allocations.allocations()) / static_cast<double>(state.iterations()));
}

// Arg 0: SigV4 with a session token (the comparison); 1: bearer key (for scale).
BENCHMARK(BM_Client)->ArgName("bearer")->Arg(0)->Arg(1);
BENCHMARK(BM_BareCurl);
BENCHMARK(BM_Routed);
// Arg 0: environment credentials; 1: the caching provider.
BENCHMARK(BM_ClientCredentials)->ArgName("cached")->Arg(0)->Arg(1);

// Prints the usual console output and at the end client / bare of the CPU times
// (medians when repetitions were asked for).
class RatioReporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.error_occurred) continue;
      const bool aggregate = r.run_type == Run::RT_Aggregate;
      if (aggregate && r.aggregate_name != "median") continue;
      const std::string key = r.run_name.str();
      (aggregate ? medians_ : last_)[key] = {r.GetAdjustedCPUTime(), r.GetAdjustedRealTime()};
      const auto allocs = r.counters.find("allocs_per_call");
      if (allocs != r.counters.end()) allocs_[key] = allocs->second.value;
    }
  }
  void Finalize() override {
    ConsoleReporter::Finalize();
    const auto& times = medians_.empty() ? last_ : medians_;
    const auto c = times.find("BM_Client/bearer:0");
    const auto b = times.find("BM_BareCurl");
    if (c == times.end() || b == times.end() || b->second.first <= 0) return;
    std::printf("\nclient / bare libcurl, CPU of the calling thread (%s): %.3f\n",
                medians_.empty() ? "single run" : "medians", c->second.first / b->second.first);
    std::printf("  client %.2f us CPU (%.2f us wall), bare %.2f us CPU (%.2f us wall)\n",
                c->second.first / 1000.0, c->second.second / 1000.0, b->second.first / 1000.0,
                b->second.second / 1000.0);
    const auto env = times.find("BM_ClientCredentials/cached:0");
    const auto cache = times.find("BM_ClientCredentials/cached:1");
    if (env != times.end() && cache != times.end() && env->second.first > 0) {
      std::printf("  caching provider / environment credentials, CPU: %.3f (%.2f us vs %.2f us)\n",
                  cache->second.first / env->second.first, cache->second.first / 1000.0, env->second.first / 1000.0);
    }
    const auto routed = times.find("BM_Routed");
    if (routed != times.end()) {
      std::printf("routed call (Runtime: router + failover + client) / bare libcurl, CPU: %.3f (%.2f us CPU)\n",
                  routed->second.first / b->second.first, routed->second.first / 1000.0);
      std::printf("  routed / client alone, CPU: %.3f\n", routed->second.first / c->second.first);
      const auto ra = allocs_.find("BM_Routed");
      const auto ca = allocs_.find("BM_Client/bearer:0");
      if (ra != allocs_.end() && ca != allocs_.end()) {
        std::printf("  heap allocations per call: routed %.1f, client alone %.1f\n", ra->second, ca->second);
      }
    }
    const auto k = times.find("BM_Client/bearer:1");
    if (k != times.end()) {
      std::printf("  client with a bearer key (no SigV4) / bare: %.3f (%.2f us CPU)\n",
                  k->second.first / b->second.first, k->second.first / 1000.0);
    }
  }

 private:
  std::map<std::string, std::pair<double, double>> medians_, last_;
  std::map<std::string, double> allocs_;  // the last run's (repetitions agree)
};

}  // namespace

int main(int argc, char** argv) {
  // Repetitions of the three benchmarks run interleaved in random order unless the
  // command line says otherwise: on a shared host the load drifts over seconds,
  // and run one after another the client and the bare POST would see different
  // loads. (A flag given later on the command line wins.)
  std::vector<char*> args(argv, argv + argc);
  static char interleave[] = "--benchmark_enable_random_interleaving=true";
  args.insert(args.begin() + (argc > 0 ? 1 : 0), interleave);
  int args_count = static_cast<int>(args.size());
  benchmark::Initialize(&args_count, args.data());
  if (benchmark::ReportUnrecognizedArguments(args_count, args.data())) return 1;
  curl_global_init(CURL_GLOBAL_DEFAULT);
  int rc = 0;
  {
    LoopbackServer server;  // stopped and joined at the end of this block
    if (!server.ok()) {
      std::fprintf(stderr, "client_bench: cannot listen on 127.0.0.1\n");
      rc = 1;
    } else {
      g_server = &server;
      RatioReporter reporter;
      benchmark::RunSpecifiedBenchmarks(&reporter);
      g_server = nullptr;
    }
  }
  benchmark::Shutdown();
  return rc;
}
