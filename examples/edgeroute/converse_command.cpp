// `edgeroute converse` and `edgeroute invoke`: one Bedrock Runtime call (or --repeat
// N of them) to one region, or routed under a residency policy (--allow), over the
// libcurl transport.
#include <cjson/cJSON.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "commands.h"
#include "edgeroute/bedrock.h"
#include "edgeroute/clock.h"
#include "edgeroute/credentials.h"
#include "edgeroute/curl_transport.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/random.h"
#include "edgeroute/router.h"
#include "routing_flags.h"

namespace edgeroute {
namespace tool {
namespace {

using bedrock::Error;

constexpr std::int64_t kDefaultDeadlineMs = 120000;
constexpr std::size_t kMaxBodyFileBytes = 16 * 1024 * 1024;
constexpr long kMaxConcurrency = 64;

constexpr const char kConnectionUsage[] =
    "connection options:\n"
    "  --region REGION               source region (default: AWS_REGION, AWS_DEFAULT_REGION,\n"
    "                                then the profile's region in the config file)\n"
    "  --connect-to REGION=HOST:PORT send REGION's requests to HOST:PORT (TLS and signing keep\n"
    "                                the real host name); repeatable\n"
    "  --ca-bundle FILE              trusted CA certificates (default: AWS_CA_BUNDLE, system)\n"
    "  --deadline-ms N               limit for each call, retries included (default 120000)\n"
    "  --repeat N                    make N calls, one connection kept alive (default 1)\n"
    "\n"
    "Credentials: AWS_BEARER_TOKEN_BEDROCK, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY\n"
    "[/AWS_SESSION_TOKEN], then the shared files of AWS_PROFILE. AWS_ENDPOINT_URL_BEDROCK_RUNTIME\n"
    "or AWS_ENDPOINT_URL replaces the regional endpoint. Exit status 0 only if every call\n"
    "succeeded.\n"
    "\n"
    "routing options: without --region, --allow routes each call -- the router picks an\n"
    "allowed (identifier, source region) of the --model's family, and the call is refused\n"
    "unless the policy allows that pair; with --region, that region must be allowed.\n";

constexpr const char kConverseUsage[] =
    "usage: edgeroute converse --model ID --prompt TEXT [--system TEXT] [--max-tokens N]\n"
    "                          [--stream] [--json] [--concurrency K] [connection options]\n"
    "\n"
    "Sends one Converse (or, with --stream, ConverseStream) request and prints the answer;\n"
    "streamed text is printed as it arrives. --json prints one JSON object per call instead:\n"
    "text, stop_reason, usage, request_id, route, attempts, and error on failure.\n"
    "--concurrency K (1..64) spreads the --repeat N calls over K threads, each with its own\n"
    "client and connection; each answer (or JSON line) is printed whole when its call ends,\n"
    "in the order the calls finish.\n"
    "\n";

constexpr const char kInvokeUsage[] =
    "usage: edgeroute invoke --model ID --body FILE|- [--content-type T] [--accept T] [--stream]\n"
    "                        [--json] [connection options]\n"
    "\n"
    "Sends the model's native request body (InvokeModel, or InvokeModelWithResponseStream\n"
    "with --stream) and prints the response body; streamed chunks are printed as they\n"
    "arrive, one per line. --json prints one JSON object per call instead: body (a string),\n"
    "chunks (with --stream), content_type, usage, request_id, route, attempts, and error on\n"
    "failure.\n"
    "\n";

// The flags converse and invoke share.
struct Connection {
  std::string region;
  std::vector<bedrock::ConnectTo> connect_to;
  std::string ca_bundle;
  std::int64_t deadline_ms = kDefaultDeadlineMs;
  long repeat = 1;
  RoutingFlags routing;
};

// Walks argv; value() takes the next argument for a flag.
class Args {
 public:
  Args(const char* command, int argc, char** argv) : command_(command), argc_(argc), argv_(argv) {}
  bool next(std::string* arg) {
    if (i_ >= argc_) return false;
    *arg = argv_[i_++];
    return true;
  }
  bool value(std::string* out) {
    if (i_ >= argc_) return false;
    *out = argv_[i_++];
    return true;
  }
  int usage_error(const std::string& what) const {
    std::fprintf(stderr, "edgeroute %s: %s (see edgeroute %s --help)\n", command_, what.c_str(),
                 command_);
    return 2;
  }

 private:
  const char* command_;
  int argc_;
  char** argv_;
  int i_ = 0;
};

bool parse_positive(const std::string& text, long max, long* out) {
  char* end = nullptr;
  errno = 0;
  const long v = std::strtol(text.c_str(), &end, 10);
  if (errno != 0 || end == text.c_str() || *end != '\0' || v <= 0 || v > max) return false;
  *out = v;
  return true;
}

// Handles a connection flag. Returns 0 when arg was not one, 1 when taken, 2 on a
// usage error (already reported).
int connection_flag(const std::string& arg, Args* args, Connection* c) {
  std::string v;
  if (arg == "--region") {
    if (!args->value(&c->region)) return args->usage_error("--region needs a region");
  } else if (arg == "--connect-to") {
    bedrock::ConnectTo to;
    if (!args->value(&v)) return args->usage_error("--connect-to needs REGION=HOST:PORT");
    const Status st = bedrock::parse_connect_to(v, &to);
    if (!st.ok()) return args->usage_error(st.message());
    c->connect_to.push_back(to);
  } else if (arg == "--ca-bundle") {
    if (!args->value(&c->ca_bundle)) return args->usage_error("--ca-bundle needs a file");
  } else if (arg == "--deadline-ms") {
    long ms = 0;
    if (!args->value(&v) || !parse_positive(v, 3600L * 1000, &ms)) {
      return args->usage_error("--deadline-ms needs 1..3600000");
    }
    c->deadline_ms = ms;
  } else if (arg == "--repeat") {
    if (!args->value(&v) || !parse_positive(v, 1000000, &c->repeat)) {
      return args->usage_error("--repeat needs a positive count");
    }
  } else {
    std::string error;
    const int taken = routing_flag(
        arg, [args](std::string* value) { return args->value(value); }, true, &c->routing, &error);
    if (taken == 2) return args->usage_error(error);
    return taken;
  }
  return 1;
}

// The usage of the connection and routing flags, for --help.
void print_connection_usage() {
  std::fputs(kConnectionUsage, stdout);
  std::fputs(routing_flags_usage(true).c_str(), stdout);
  std::fputs(kCatalogFlagsUsage, stdout);
}

// Checks the routing flags against the rest; returns 0 or the exit status after
// reporting the problem.
int check_routing_usage(const Args& args, const Connection& c) {
  const RoutingFlags& r = c.routing;
  if (r.allow.empty()) {
    if (r.any_besides_allow()) {
      return args.usage_error(
          "--mode, --order, --weights, --session, --probe and --catalog route calls: they need --allow LIST");
    }
    return 0;
  }
  if (!c.region.empty() && (r.mode_given || !r.order.empty() || !r.weights.empty())) {
    return args.usage_error("--region fixes the source region: --mode, --order and --weights need routing without it");
  }
  std::string error;
  if (!check_routing_flags(r, &error)) return args.usage_error(error);
  return 0;
}

// Routed calls (--allow): the catalog, policy and router every thread shares.
class Routing {
 public:
  // Returns 0, or the exit status after reporting the problem.
  int open(const char* command, const Connection& c, const std::string& model) {
    if (c.routing.allow.empty()) return 0;
    command_ = command;
    const RoutingFlags& flags = c.routing;
    std::string error;
    int rc = setup_routing(flags, model, &setup_, &error, c.region);
    if (rc == 2) return usage(error);
    if (rc >= 0) return fail(error);
    if (!setup_.allowed.ok()) return fail(std::string("--allow ") + flags.allow + ": " + setup_.allowed.message());
    session_ = c.routing.session;
    if (c.routing.probe) {
      std::vector<ConnectTo> connect_to;
      for (const bedrock::ConnectTo& to : c.connect_to) connect_to.push_back(ConnectTo{to.region, to.host, to.port});
      ProbeSummary summary;
      std::string probe_error;
      rc = run_probes(connect_to, c.ca_bundle, *setup_.catalog, setup_.router.get(), &base_ns_, &summary,
                      &probe_error, &error);
      if (rc == 2) return usage(error);
      if (rc >= 0) return fail(error);
      if (!probe_error.empty()) std::fprintf(stderr, "edgeroute %s: probe: %s\n", command_, probe_error.c_str());
    }
    start_ = std::chrono::steady_clock::now();
    return 0;
  }

  bool active() const { return setup_.router != nullptr; }

  // Picks the route of one call into *identifier and options->region. Not OK (and
  // nothing may be sent) when no allowed candidate is left or the pick fails the
  // residency check repeated here, right before the request is built.
  Error pick(const char* operation, bedrock::CallOptions* options, std::string* identifier, Route* route) {
    Status st = setup_.router->pick(setup_.model, session_, now_ns(), random(), route);
    if (!st.ok()) return refusal(operation, "", std::string("no route: ") + st.message());
    st = setup_.policy->check_route(route->identifier, route->source_region);
    if (!st.ok()) {
      return refusal(operation, std::string(route->host), std::string("refused to send: ") + st.message());
    }
    options->region = std::string(route->source_region);
    *identifier = std::string(route->identifier);
    return Error();
  }

  // Tells the router how the call went. The passive latency sample is the last
  // attempt's wall time less the time the service says it spent (metrics.latencyMs):
  // the network's share, and no sample when the service did not say.
  void report(const Route& route, const Error& error, const std::vector<bedrock::Attempt>& attempts,
              std::int64_t service_ms) {
    std::int64_t rtt_ns = 0;
    if (error.ok() && !attempts.empty() && service_ms > 0 && attempts.back().ms > service_ms) {
      rtt_ns = (attempts.back().ms - service_ms) * 1000 * 1000;
    }
    // The classified outcome feeds the endpoint's cooldown and breaker.
    (void)setup_.router->report(route, outcome(error), rtt_ns, now_ns());
  }

 private:
  static OutcomeClass outcome(const Error& error) {
    switch (error.cls) {
      case bedrock::ErrorClass::kNone: return OutcomeClass::kSuccess;
      case bedrock::ErrorClass::kThrottle: return OutcomeClass::kThrottle;
      case bedrock::ErrorClass::kQuota: return OutcomeClass::kQuota;
      case bedrock::ErrorClass::kTransient: return OutcomeClass::kTransient;
      case bedrock::ErrorClass::kModelNotReady: return OutcomeClass::kModelNotReady;
      case bedrock::ErrorClass::kClient: return OutcomeClass::kClient;
      case bedrock::ErrorClass::kAuth: return OutcomeClass::kAuth;
      case bedrock::ErrorClass::kClockSkew: return OutcomeClass::kClockSkew;
    }
    return OutcomeClass::kClient;
  }

  static Error refusal(const char* operation, const std::string& endpoint, const std::string& message) {
    Error e;
    e.cls = bedrock::ErrorClass::kClient;
    e.operation = operation;
    e.endpoint = endpoint;
    e.message = message;
    return e;
  }

  // The router's clock: after the probe rounds' simulated time, real time.
  std::int64_t now_ns() const {
    return base_ns_ + std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - start_)
                          .count();
  }

  std::uint64_t random() {
    std::lock_guard<std::mutex> lock(random_mutex_);
    return random_.next_u64();
  }

  int usage(const std::string& what) const {
    std::fprintf(stderr, "edgeroute %s: %s (see edgeroute %s --help)\n", command_, what.c_str(), command_);
    return 2;
  }
  int fail(const std::string& what) const {
    std::fprintf(stderr, "edgeroute %s: %s\n", command_, what.c_str());
    return 1;
  }

  const char* command_ = "";
  RoutingSetup setup_;
  std::string session_;
  std::int64_t base_ns_ = 0;
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  std::mutex random_mutex_;
  Random random_ = Random::from_os();
};

// Everything a call needs, set up from the flags and the environment.
class Session {
 public:
  // Returns 0, or the exit status after reporting the problem.
  // Routed sessions (--allow) take each call's region from the router.
  int open(const char* command, const Connection& c) {
    if (c.region.empty() && c.routing.allow.empty()) {
      const Status st = resolve_region(process_environment(), ProfileOptions(), &region_);
      if (st.code() == Code::kNotFound) {
        return fail(command, std::string(st.message()) + ", give --region, or route the call with --allow LIST");
      }
      if (!st.ok()) return fail(command, st.message());
    } else {
      region_ = c.region;
    }
    CurlTransport::Config transport_config;
    transport_config.ca_bundle = c.ca_bundle;
    const Status st = CurlTransport::create(transport_config, &transport_);
    if (!st.ok()) return fail(command, st.message());
    bedrock::ClientConfig config;
    config.connect_to = c.connect_to;
    config.endpoint_url = bedrock::endpoint_url_from_environment(process_environment());
    client_ = std::make_unique<bedrock::Client>(*transport_, credentials_, system_clock(),
                                                mbedtls_crypto(), std::move(config));
    options_.region = region_;
    options_.deadline_ms = c.deadline_ms;
    return 0;
  }

  bedrock::Client& client() { return *client_; }
  const bedrock::CallOptions& options() const { return options_; }

  static int fail(const char* command, const std::string& what) {
    std::fprintf(stderr, "edgeroute %s: %s\n", command, what.c_str());
    return 1;
  }

 private:
  std::string region_;
  DefaultCredentialsChain credentials_{process_environment()};
  std::unique_ptr<CurlTransport> transport_;
  std::unique_ptr<bedrock::Client> client_;
  bedrock::CallOptions options_;
};

void add_usage(cJSON* parent, const bedrock::Usage& u) {
  cJSON* usage = cJSON_AddObjectToObject(parent, "usage");
  cJSON_AddNumberToObject(usage, "input_tokens", static_cast<double>(u.input_tokens));
  cJSON_AddNumberToObject(usage, "output_tokens", static_cast<double>(u.output_tokens));
  cJSON_AddNumberToObject(usage, "total_tokens", static_cast<double>(u.total_tokens));
  cJSON_AddNumberToObject(usage, "cache_read_input_tokens",
                          static_cast<double>(u.cache_read_input_tokens));
  cJSON_AddNumberToObject(usage, "cache_write_input_tokens",
                          static_cast<double>(u.cache_write_input_tokens));
}

using JsonPtr = std::unique_ptr<cJSON, void (*)(cJSON*)>;

// Serializes output: each answer or JSON line goes out whole, also from several threads.
std::mutex& output_mutex() {
  static std::mutex mu;
  return mu;
}

// route, attempts and error: what converse and invoke lines share.
void add_outcome(cJSON* o, const std::string& model, const std::string& region,
                 const std::string& endpoint, const std::vector<bedrock::Attempt>& list,
                 const Error& error) {
  cJSON* route = cJSON_AddObjectToObject(o, "route");
  cJSON_AddStringToObject(route, "identifier", model.c_str());
  cJSON_AddStringToObject(route, "source_region", region.c_str());
  cJSON_AddStringToObject(route, "endpoint", error.ok() ? endpoint.c_str() : error.endpoint.c_str());
  cJSON* attempts = cJSON_AddArrayToObject(o, "attempts");
  for (const bedrock::Attempt& a : list) {
    cJSON* item = cJSON_CreateObject();
    cJSON_AddStringToObject(item, "identifier", a.identifier.c_str());
    cJSON_AddStringToObject(item, "source_region", a.source_region.c_str());
    cJSON_AddNumberToObject(item, "status", a.http_status);
    if (a.error.empty()) {
      cJSON_AddNullToObject(item, "error");
    } else {
      cJSON_AddStringToObject(item, "error", a.error.c_str());
    }
    cJSON_AddNumberToObject(item, "ms", static_cast<double>(a.ms));
    cJSON_AddItemToArray(attempts, item);
  }
  if (error.ok()) {
    cJSON_AddNullToObject(o, "error");
  } else {
    cJSON* e = cJSON_AddObjectToObject(o, "error");
    cJSON_AddStringToObject(e, "type", bedrock::to_string(error.cls));
    cJSON_AddStringToObject(e, "aws_type", error.error_type.c_str());
    cJSON_AddNumberToObject(e, "status", error.http_status);
    cJSON_AddBoolToObject(e, "output_delivered", error.output_delivered);
    cJSON_AddStringToObject(e, "message", error.to_string().c_str());
  }
}

// Prints one line and flushes, under the output mutex.
void print_line(const JsonPtr& root) {
  char* line = cJSON_PrintUnformatted(root.get());
  std::lock_guard<std::mutex> lock(output_mutex());
  if (line != nullptr) {
    std::printf("%s\n", line);
    cJSON_free(line);
  }
  std::fflush(stdout);
}

// One JSON line per call (JSON Lines with --repeat).
void print_json(const bedrock::ConverseResponse& r, const std::string& model,
                const std::string& region, const Error& error) {
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON* o = root.get();
  cJSON_AddStringToObject(o, "text", r.text.c_str());
  cJSON_AddStringToObject(o, "stop_reason", r.stop_reason.c_str());
  add_usage(o, r.usage);
  cJSON_AddNumberToObject(o, "latency_ms", static_cast<double>(r.latency_ms));
  cJSON_AddStringToObject(o, "request_id",
                          error.ok() ? r.request_id.c_str() : error.request_id.c_str());
  cJSON_AddItemToObject(o, "tool_uses", cJSON_Parse(r.tool_uses_json.c_str()));
  add_outcome(o, model, region, r.endpoint, r.attempts, error);
  print_line(root);
}

// The same for invoke: the body as a string, and with --stream each chunk.
void print_invoke_json(const bedrock::InvokeResponse& r, const std::vector<std::string>* chunks,
                       const std::string& model, const std::string& region, const Error& error) {
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON* o = root.get();
  cJSON_AddStringToObject(o, "body", r.body.c_str());
  if (chunks != nullptr) {
    cJSON* list = cJSON_AddArrayToObject(o, "chunks");
    for (const std::string& c : *chunks) cJSON_AddItemToArray(list, cJSON_CreateString(c.c_str()));
  }
  cJSON_AddStringToObject(o, "content_type", r.content_type.c_str());
  add_usage(o, r.usage);
  cJSON_AddNumberToObject(o, "latency_ms", static_cast<double>(r.latency_ms));
  cJSON_AddStringToObject(o, "request_id",
                          error.ok() ? r.request_id.c_str() : error.request_id.c_str());
  add_outcome(o, model, region, r.endpoint, r.attempts, error);
  print_line(root);
}

bool read_body(const std::string& path, std::string* out, std::string* error) {
  FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  char buf[8192];
  std::size_t n = 0;
  while (error->empty() && (n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    out->append(buf, n);
    if (out->size() > kMaxBodyFileBytes) *error = path + ": larger than 16 MiB";
  }
  if (error->empty() && std::ferror(f)) *error = path + ": read error";
  if (f != stdin) std::fclose(f);
  return error->empty();
}

}  // namespace

int converse_command(int argc, char** argv) {
  Args args("converse", argc, argv);
  Connection connection;
  bedrock::ConverseRequest request;
  std::string prompt, arg, v;
  bool stream = false, json = false;
  long concurrency = 1;
  while (args.next(&arg)) {
    const int taken = connection_flag(arg, &args, &connection);
    if (taken == 2) return 2;
    if (taken == 1) continue;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kConverseUsage, stdout);
      print_connection_usage();
      return 0;
    } else if (arg == "--model") {
      if (!args.value(&request.model_id)) return args.usage_error("--model needs an ID");
    } else if (arg == "--prompt") {
      if (!args.value(&prompt)) return args.usage_error("--prompt needs text");
    } else if (arg == "--system") {
      if (!args.value(&v)) return args.usage_error("--system needs text");
      request.system.push_back(v);
    } else if (arg == "--max-tokens") {
      long n = 0;
      if (!args.value(&v) || !parse_positive(v, 1000000, &n))
        return args.usage_error("--max-tokens needs a count");
      request.inference_config.max_tokens = n;
    } else if (arg == "--stream") {
      stream = true;
    } else if (arg == "--json") {
      json = true;
    } else if (arg == "--concurrency") {
      if (!args.value(&v) || !parse_positive(v, kMaxConcurrency, &concurrency))
        return args.usage_error("--concurrency needs 1..64");
    } else {
      return args.usage_error("unknown argument '" + arg + "'");
    }
  }
  if (request.model_id.empty()) return args.usage_error("--model ID is required");
  if (prompt.empty()) return args.usage_error("--prompt TEXT is required");
  if (concurrency > connection.repeat) concurrency = connection.repeat;
  if (const int rc = check_routing_usage(args, connection); rc != 0) return rc;
  request.messages.push_back(bedrock::Message{"user", {bedrock::ContentBlock::of_text(prompt)}});

  Routing routing;
  if (const int rc = routing.open("converse", connection, request.model_id); rc != 0) return rc;

  // One session (client, transport, connection) per thread, all opened up front.
  std::vector<std::unique_ptr<Session>> sessions;
  for (long t = 0; t < concurrency; ++t) {
    sessions.push_back(std::make_unique<Session>());
    if (const int rc = sessions.back()->open("converse", connection); rc != 0) return rc;
  }
  // Text goes out as it arrives, unless the answer is printed as JSON or several
  // threads share stdout (then each answer is printed whole when its call ends).
  const bool live = !json && concurrency == 1;
  const bedrock::StreamCallback print_text = [live](const bedrock::StreamEvent& ev) {
    if (live && ev.kind == bedrock::StreamEvent::Kind::kTextDelta) {
      std::fwrite(ev.text.data(), 1, ev.text.size(), stdout);
      if (std::fflush(stdout) != 0)
        return Status::error(Code::kIo, "cannot write to standard output");
    }
    return Status();
  };
  // Session t makes calls t, t + K, t + 2K, ... of the N.
  std::vector<int> failures(static_cast<std::size_t>(concurrency), 0);
  const auto run = [&](long t) {
    Session& session = *sessions[static_cast<std::size_t>(t)];
    for (long i = t; i < connection.repeat; i += concurrency) {
      bedrock::ConverseResponse response;
      bedrock::ConverseRequest call = request;
      bedrock::CallOptions options = session.options();
      Route route;
      Error error;
      if (routing.active()) {
        error = routing.pick(stream ? "ConverseStream" : "Converse", &options, &call.model_id, &route);
      }
      if (error.ok()) {
        error = stream ? session.client().converse_stream(call, options, print_text, &response)
                       : session.client().converse(call, options, &response);
        if (routing.active()) routing.report(route, error, response.attempts, response.latency_ms);
      }
      if (!error.ok()) ++failures[static_cast<std::size_t>(t)];
      if (json) {
        print_json(response, call.model_id, options.region, error);
        continue;
      }
      std::lock_guard<std::mutex> lock(output_mutex());
      // Streamed text already went out live; otherwise print what was received.
      if ((!stream || !live) && (error.ok() || error.output_delivered))
        std::fwrite(response.text.data(), 1, response.text.size(), stdout);
      if (error.ok() || error.output_delivered) std::fputc('\n', stdout);
      std::fflush(stdout);
      if (!error.ok()) Session::fail("converse", error.to_string());
    }
  };
  std::vector<std::thread> threads;
  for (long t = 1; t < concurrency; ++t) threads.emplace_back(run, t);
  run(0);
  for (std::thread& th : threads) th.join();
  int failed = 0;
  for (const int f : failures) failed += f;
  return failed == 0 ? 0 : 1;
}

int invoke_command(int argc, char** argv) {
  Args args("invoke", argc, argv);
  Connection connection;
  bedrock::InvokeRequest request;
  std::string body_path, arg;
  bool stream = false, json = false;
  while (args.next(&arg)) {
    const int taken = connection_flag(arg, &args, &connection);
    if (taken == 2) return 2;
    if (taken == 1) continue;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kInvokeUsage, stdout);
      print_connection_usage();
      return 0;
    } else if (arg == "--model") {
      if (!args.value(&request.model_id)) return args.usage_error("--model needs an ID");
    } else if (arg == "--body") {
      if (!args.value(&body_path)) return args.usage_error("--body needs a file or -");
    } else if (arg == "--content-type") {
      if (!args.value(&request.content_type))
        return args.usage_error("--content-type needs a type");
    } else if (arg == "--accept") {
      if (!args.value(&request.accept)) return args.usage_error("--accept needs a type");
    } else if (arg == "--stream") {
      stream = true;
    } else if (arg == "--json") {
      json = true;
    } else {
      return args.usage_error("unknown argument '" + arg + "'");
    }
  }
  if (request.model_id.empty()) return args.usage_error("--model ID is required");
  if (body_path.empty()) return args.usage_error("--body FILE|- is required");
  std::string error_text;
  if (!read_body(body_path, &request.body, &error_text)) return Session::fail("invoke", error_text);
  if (const int rc = check_routing_usage(args, connection); rc != 0) return rc;

  Routing routing;
  if (const int rc = routing.open("invoke", connection, request.model_id); rc != 0) return rc;
  Session session;
  if (const int rc = session.open("invoke", connection); rc != 0) return rc;
  // With --json the chunks are kept for the call's JSON line instead of printed.
  std::vector<std::string> chunks;
  const bedrock::ChunkCallback print_chunk = [json, &chunks](std::string_view chunk) {
    if (json) {
      chunks.emplace_back(chunk);
      return Status();
    }
    std::fwrite(chunk.data(), 1, chunk.size(), stdout);
    std::fputc('\n', stdout);
    if (std::fflush(stdout) != 0)
      return Status::error(Code::kIo, "cannot write to standard output");
    return Status();
  };
  int failures = 0;
  for (long i = 0; i < connection.repeat; ++i) {
    bedrock::InvokeResponse response;
    chunks.clear();
    bedrock::InvokeRequest call = request;
    bedrock::CallOptions options = session.options();
    Route route;
    Error error;
    if (routing.active()) {
      error = routing.pick(stream ? "InvokeModelWithResponseStream" : "InvokeModel", &options, &call.model_id,
                           &route);
    }
    if (error.ok()) {
      error = stream ? session.client().invoke_model_with_response_stream(call, options, print_chunk, &response)
                     : session.client().invoke_model(call, options, &response);
      if (routing.active()) routing.report(route, error, response.attempts, response.latency_ms);
    }
    if (json) {
      if (!error.ok()) ++failures;
      print_invoke_json(response, stream ? &chunks : nullptr, call.model_id, options.region, error);
      continue;
    }
    if (!error.ok()) {
      ++failures;
      Session::fail("invoke", error.to_string());
      continue;
    }
    if (!stream) {
      std::fwrite(response.body.data(), 1, response.body.size(), stdout);
      std::fputc('\n', stdout);
    }
    std::fflush(stdout);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace tool
}  // namespace edgeroute
