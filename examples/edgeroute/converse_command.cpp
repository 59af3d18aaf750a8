// `edgeroute converse` and `edgeroute invoke`: one Bedrock Runtime call (or --repeat
// N of them) to one region, or routed under a residency policy (--allow), over the
// libcurl transport.
#include <cjson/cJSON.h>

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
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
#include "edgeroute/file.h"
#include "edgeroute/failover.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/random.h"
#include "edgeroute/router.h"
#include "edgeroute/runtime.h"
#include "fleet_outputs.h"
#include "routing_flags.h"
#include "credentials_command.h"
#include "tool_config.h"
#include "tool_values.h"

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
    "  --config FILE                 settings from a JSON file (see README); flags override it\n"
    "  --connect-timeout-ms N        TCP + TLS handshake limit (default 5000)\n"
    "  --first-byte-timeout-ms N     request sent -> first response byte (default 60000)\n"
    "  --idle-timeout-ms N           longest pause inside a streamed answer (default 30000)\n"
    "  --repeat N                    make N calls, one connection kept alive (default 1)\n"
    "  --interval-ms N               pause N ms between one thread's calls (default 0)\n"
    "\n"
    "Credentials: AWS_BEARER_TOKEN_BEDROCK, AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY\n"
    "[/AWS_SESSION_TOKEN], the shared files of AWS_PROFILE (keys, then credential_process),\n"
    "then AWS_CONTAINER_CREDENTIALS_*_URI; or the source --config's \"credentials\" names\n"
    "(an AWS IoT device certificate: docs/credentials.md). AWS_ENDPOINT_URL_BEDROCK_RUNTIME\n"
    "or AWS_ENDPOINT_URL replaces the regional endpoint. Exit status 0 only if every call\n"
    "succeeded.\n"
    "\n"
    "routing options: without --region, --allow routes each call -- the router picks an\n"
    "allowed (identifier, source region) of the --model's family, and the call is refused\n"
    "unless the policy allows that pair; with --region, that region must be allowed.\n"
    "A retryable failure (throttling, 5xx, connection refused, timeout, model not ready)\n"
    "moves the call at once to the next allowed candidate; it waits only when every\n"
    "allowed candidate is cooling down, and never past --deadline-ms. Retries are paid\n"
    "from a retry budget shared by all calls (500 tokens, 5 a retry, 10 after a\n"
    "timeout); nothing is retried once streamed output has been printed.\n"
    "  --max-attempts N              attempts per call, the first included (1..10, default 3)\n"
    "  --drill drain|fail:REGION:SECONDS\n"
    "                                failover drill: drain takes REGION out of rotation, fail\n"
    "                                makes every call routed there fail unsent; repeatable\n"
    "  --alert-failover-rate R       alert when this share of calls failed over: succeeded only\n"
    "                                after a failed attempt (default 0.2)\n"
    "  --alert-non-primary-share R   alert when this share of successes was served away from\n"
    "                                the primary candidate (default 0.5); over 20+ calls a minute\n"
    "  --alert-command CMD           run CMD (sh -c) when an alert is raised or cleared, with\n"
    "                                EDGEROUTE_ALERT, _STATE, _VALUE, _THRESHOLD, _CALLS set\n";

constexpr const char kConverseUsage[] =
    "usage: edgeroute converse --model ID --prompt TEXT [--system TEXT] [--max-tokens N]\n"
    "                          [--stream] [--json] [--concurrency K] [connection options]\n"
    "\n"
    "Sends one Converse (or, with --stream, ConverseStream) request and prints the answer;\n"
    "streamed text is printed as it arrives. --json prints one JSON object per call instead:\n"
    "text, stop_reason, usage, request_id, route, attempts, and error on failure; routed\n"
    "calls add failed_over (an attempt failed first) and waited_ms (time spent waiting for\n"
    "a cooling region).\n"
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

// A drill started with the calls (--drill KIND:REGION:SECONDS).
struct Drill {
  DrillKind kind = DrillKind::kDrain;
  std::string region;
  long long seconds = 0;
};

// The flags converse and invoke share.
struct Connection {
  std::string region;
  std::vector<ConnectTo> connect_to;
  std::string ca_bundle;
  std::int64_t deadline_ms = kDefaultDeadlineMs;
  long repeat = 1;
  long interval_ms = 0;
  RoutingFlags routing;
  long max_attempts = 3;
  std::vector<Drill> drills;
  std::string alert_command;
  double alert_failover_rate = AlertOptions().failover_rate;
  double alert_non_primary_share = AlertOptions().non_primary_share;
  CredentialsOptions credentials;  // --config's "credentials"
  bool failover_flags = false;  // any of the above but repeat: they need --allow
  bool drill_report = false;    // `edgeroute drill`: a line per call and a summary
  HttpTimeouts timeouts;
  std::string endpoint_url;  // from --config; else the environment's
  // Lists from --config that a flag on the command line replaces (not extends).
  bool connect_to_from_file = false;
  bool catalog_extend_from_file = false;
  FleetFlags fleet;  // --metrics-file, --emf-file, --audit-file
};

// "drain:eu-central-1:30" -> a drill; false when malformed.
bool parse_drill(const std::string& text, Drill* out) {
  const std::size_t a = text.find(':');
  const std::size_t b = a == std::string::npos ? a : text.find(':', a + 1);
  if (b == std::string::npos) return false;
  const std::string kind = text.substr(0, a);
  if (kind == "drain") {
    out->kind = DrillKind::kDrain;
  } else if (kind == "fail") {
    out->kind = DrillKind::kFail;
  } else {
    return false;
  }
  out->region = text.substr(a + 1, b - a - 1);
  std::int64_t seconds = 0;
  if (out->region.empty() || !parse_whole_number(text.substr(b + 1), 1, 86400, &seconds)) return false;
  out->seconds = seconds;
  return true;
}

bool parse_rate(const std::string& text, double* out) {
  double v = 0;
  if (!parse_decimal(text, &v) || !(v > 0.0 && v <= 1.0)) return false;
  *out = v;
  return true;
}

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

// Digits only, as the config file takes them: not " 5", "+5" or "5ms".
bool parse_positive(const std::string& text, long max, long* out) {
  std::int64_t v = 0;
  if (!parse_whole_number(text, 1, max, &v)) return false;
  *out = static_cast<long>(v);
  return true;
}

// Applies --config FILE (found anywhere in argv) before the flags, which override
// it. Returns 0, or the exit status after reporting the problem.
int apply_config_file(const char* command, int argc, char** argv, Connection* c) {
  std::string path;
  for (int i = 0; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0) path = argv[i + 1];
  }
  if (path.empty()) return 0;
  ToolConfig file;
  std::string error;
  if (!load_tool_config(path, &file, &error)) {
    std::fprintf(stderr, "edgeroute %s: --config %s\n", command, error.c_str());
    return 2;
  }
  const auto bad = [&](const std::string& what) {
    std::fprintf(stderr, "edgeroute %s: --config %s: %s\n", command, path.c_str(), what.c_str());
    return 2;
  };
  c->region = file.region;
  for (const std::string& text : file.connect_to) {
    ConnectTo to;
    const Status st = parse_connect_to(text, &to);
    if (!st.ok()) return bad(std::string("connect_to: ") + st.message());
    c->connect_to.push_back(to);
    c->connect_to_from_file = true;
  }
  c->ca_bundle = file.ca_bundle;
  c->credentials = file.credentials;
  c->endpoint_url = file.endpoint_url;
  if (file.deadline_ms > 0) c->deadline_ms = file.deadline_ms;
  if (file.connect_timeout_ms > 0) c->timeouts.connect_ms = static_cast<std::uint32_t>(file.connect_timeout_ms);
  if (file.first_byte_timeout_ms > 0) c->timeouts.first_byte_ms = static_cast<std::uint32_t>(file.first_byte_timeout_ms);
  if (file.idle_timeout_ms > 0) c->timeouts.idle_ms = static_cast<std::uint32_t>(file.idle_timeout_ms);
  // The routing settings go through the flags' own parser, so they mean the same.
  const std::pair<const char*, const std::string*> texts[] = {
      {"--allow", &file.allow}, {"--mode", &file.mode}, {"--order", &file.order},
      {"--weights", &file.weights}, {"--session", &file.session}, {"--catalog", &file.catalog}};
  for (const auto& t : texts) {
    if (t.second->empty()) continue;
    std::string value = *t.second;
    const int taken = routing_flag(
        t.first,
        [&value](std::string* out) {
          *out = value;
          return true;
        },
        true, &c->routing, &error);
    if (taken != 1) return bad(std::string(t.first + 2) + ": " + error);
  }
  c->routing.catalog.extend = file.catalog_extend;
  c->routing.catalog.extend_keys.assign(file.catalog_extend.size(), "--config " + path + ": routing.catalog_extend");
  if (!file.catalog.empty()) c->routing.catalog.replace_key = "--config " + path + ": routing.catalog";
  c->catalog_extend_from_file = !file.catalog_extend.empty();
  if (file.has_probe) {
    c->routing.probe = file.probe;
    c->routing.no_probe = !file.probe;
  }
  if (!file.state_dir.empty()) c->routing.state_dir = file.state_dir;
  if (file.max_attempts > 0) {
    c->max_attempts = static_cast<long>(file.max_attempts);
    c->failover_flags = true;
  }
  if (!file.alert_command.empty()) c->alert_command = file.alert_command;
  if (file.alert_failover_rate > 0) c->alert_failover_rate = file.alert_failover_rate;
  if (file.alert_non_primary_share > 0) c->alert_non_primary_share = file.alert_non_primary_share;
  if (!file.alert_command.empty() || file.alert_failover_rate > 0 || file.alert_non_primary_share > 0) {
    c->failover_flags = true;
  }
  return 0;
}

// Handles a connection flag. Returns 0 when arg was not one, 1 when taken, 2 on a
// usage error (already reported).
int connection_flag(const std::string& arg, Args* args, Connection* c) {
  std::string v;
  if (arg == "--region") {
    if (!args->value(&c->region)) return args->usage_error("--region needs a region");
  } else if (arg == "--config") {
    if (!args->value(&v)) return args->usage_error("--config needs a file");  // read before the other flags
  } else if (arg == "--connect-to") {
    ConnectTo to;
    if (!args->value(&v)) return args->usage_error("--connect-to needs REGION=HOST:PORT");
    const Status st = parse_connect_to(v, &to);
    if (!st.ok()) return args->usage_error(st.message());
    if (c->connect_to_from_file) c->connect_to.clear();
    c->connect_to_from_file = false;
    c->connect_to.push_back(to);
  } else if (arg == "--connect-timeout-ms" || arg == "--first-byte-timeout-ms" || arg == "--idle-timeout-ms") {
    long ms = 0;
    if (!args->value(&v) || !parse_positive(v, 3600L * 1000, &ms)) return args->usage_error(arg + " needs 1..3600000");
    std::uint32_t* target = arg == "--connect-timeout-ms"      ? &c->timeouts.connect_ms
                            : arg == "--first-byte-timeout-ms" ? &c->timeouts.first_byte_ms
                                                               : &c->timeouts.idle_ms;
    *target = static_cast<std::uint32_t>(ms);
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
  } else if (arg == "--interval-ms") {
    if (!args->value(&v) || !parse_positive(v, 3600L * 1000, &c->interval_ms)) {
      return args->usage_error("--interval-ms needs 1..3600000");
    }
  } else if (arg == "--max-attempts") {
    if (!args->value(&v) || !parse_positive(v, FailoverOptions::kMaxAttempts, &c->max_attempts)) {
      return args->usage_error("--max-attempts needs 1..10");
    }
    c->failover_flags = true;
  } else if (arg == "--drill") {
    Drill d;
    if (!args->value(&v) || !parse_drill(v, &d)) {
      return args->usage_error("--drill needs drain|fail:REGION:SECONDS (1..86400)");
    }
    c->drills.push_back(d);
    c->failover_flags = true;
  } else if (arg == "--alert-command") {
    if (!args->value(&c->alert_command)) return args->usage_error("--alert-command needs a command");
    c->failover_flags = true;
  } else if (arg == "--alert-failover-rate" || arg == "--alert-non-primary-share") {
    double* target = arg == "--alert-failover-rate" ? &c->alert_failover_rate : &c->alert_non_primary_share;
    if (!args->value(&v) || !parse_rate(v, target)) return args->usage_error(arg + " needs a share in (0, 1]");
    c->failover_flags = true;
  } else {
    if (arg == "--catalog-extend" && c->catalog_extend_from_file) {
      c->routing.catalog.extend.clear();
      c->routing.catalog.extend_keys.clear();
      c->catalog_extend_from_file = false;
    }
    std::string error;
    const int fleet = fleet_flag(arg, [args](std::string* value) { return args->value(value); }, &c->fleet, &error);
    if (fleet != 0) return fleet == 2 ? args->usage_error(error) : 1;
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
  std::fputs(kFleetFlagsUsage, stdout);
}

// Checks the routing flags against the rest; returns 0 or the exit status after
// reporting the problem.
int check_routing_usage(const Args& args, const Connection& c) {
  const RoutingFlags& r = c.routing;
  if (r.allow.empty()) {
    if (c.fleet.any()) {
      return args.usage_error("--metrics-file, --emf-file and --audit-file record routed calls: they need --allow LIST");
    }
    if (c.failover_flags) {
      return args.usage_error("--max-attempts, --drill and the --alert flags act on routed calls: they need --allow LIST");
    }
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

// Starts `/bin/sh -c command` with `env` added to the environment; returns its pid,
// or -1 (with a message) when it cannot start. The caller reaps it (wait_child).
// The command does not inherit the process's AWS secrets: an alert script that
// logs its environment must not log a key.
long spawn_shell(const std::string& command, const std::string* env, std::size_t env_count) {
  static const char* const kSecrets[] = {"AWS_SECRET_ACCESS_KEY=", "AWS_SESSION_TOKEN=", "AWS_SECURITY_TOKEN=",
                                         "AWS_BEARER_TOKEN_BEDROCK="};
  std::vector<std::string> all;
  for (char** e = environ; *e != nullptr; ++e) {
    bool secret = false;
    for (const char* prefix : kSecrets) secret = secret || std::strncmp(*e, prefix, std::strlen(prefix)) == 0;
    if (!secret) all.emplace_back(*e);
  }
  all.insert(all.end(), env, env + env_count);
  std::vector<char*> envp;
  for (std::string& e : all) envp.push_back(&e[0]);
  envp.push_back(nullptr);
  std::string sh = "/bin/sh", dash_c = "-c", cmd = command;
  char* argv[] = {&sh[0], &dash_c[0], &cmd[0], nullptr};
  // Its stdout is the tool's stderr (a line of its own must not land inside the
  // answer or JSON Lines on stdout), its stdin /dev/null, and it inherits no
  // descriptor past stderr: no connection of the tool's.
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, 2, 1);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 34))
  posix_spawn_file_actions_addclosefrom_np(&actions, 3);
#endif
  pid_t pid = -1;
  const int rc = posix_spawn(&pid, "/bin/sh", &actions, nullptr, argv, envp.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    std::fprintf(stderr, "edgeroute: alert command could not start: %s\n", std::strerror(rc));
    return -1;
  }
  return static_cast<long>(pid);
}

// Alert commands still running at exit are waited for this long, in all.
constexpr std::int64_t kAlertWaitMs = 3000;

// Reaps the alert commands, waiting at most until deadline; a command still
// running then is left to finish on its own (and said so), not waited for.
void wait_children(const char* command, const std::vector<long>& pids) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(kAlertWaitMs);
  for (const long pid : pids) {
    if (pid <= 0) continue;
    for (;;) {
      int status = 0;
      const pid_t done = waitpid(static_cast<pid_t>(pid), &status, WNOHANG);
      if (done != 0 && !(done < 0 && errno == EINTR)) break;  // reaped, or not ours any more
      if (std::chrono::steady_clock::now() >= deadline) {
        std::fprintf(stderr, "edgeroute %s: alert command (pid %ld) still running after %lld ms: not waited for\n",
                     command, pid, static_cast<long long>(kAlertWaitMs));
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
}

// The probe state directory: --state-dir, else $XDG_STATE_HOME/edgeroute, else
// ~/.local/state/edgeroute (the XDG Base Directory defaults), made when missing
// (mode 0700: it tells where the device is). Empty, with the reason in *why, when
// there is none to be had: the calls then probe every run.
std::string probe_state_dir(const RoutingFlags& flags, std::string* why) {
  std::string dir = flags.state_dir;
  if (dir.empty()) {
    const char* xdg = process_environment().get("XDG_STATE_HOME");
    const char* home = process_environment().get("HOME");
    if (xdg != nullptr && xdg[0] == '/') {  // a relative value is to be ignored (XDG spec)
      dir = std::string(xdg) + "/edgeroute";
    } else if (home != nullptr && home[0] == '/') {
      dir = std::string(home) + "/.local/state/edgeroute";
    } else {
      *why = "no state directory (HOME is not set; see --state-dir): probing every run";
      return std::string();
    }
  }
  // mkdir -p: each missing component in turn.
  for (std::size_t slash = dir.find('/', 1);; slash = dir.find('/', slash + 1)) {
    const std::string part = dir.substr(0, slash);
    if (::mkdir(part.c_str(), 0700) != 0 && errno != EEXIST) {
      *why = "state directory " + dir + ": cannot create " + part + ": " + std::strerror(errno) +
             "; probing every run";
      return std::string();
    }
    if (slash == std::string::npos) break;
  }
  return dir;
}

// Routed calls (--allow): one Runtime that every thread shares, its probes,
// the drills and the alert command.
class Routed {
 public:
  // Returns 0, or the exit status after reporting the problem.
  int open(const char* command, const Connection& c, const std::string& model) {
    if (c.routing.allow.empty()) return 0;
    command_ = command;
    const RoutingFlags& flags = c.routing;
    // The flags' own checks first, in the flags' words and exit statuses.
    RoutingSetup setup;
    std::string error;
    const int rc = setup_routing(flags, model, &setup, &error, c.region);
    if (rc == 2) return usage(error);
    if (rc >= 0) return fail(error);
    if (!setup.allowed.ok()) return fail(std::string("--allow ") + flags.allow + ": " + setup.allowed.message());

    RuntimeOptions options;
    options.allow = flags.allow;
    options.catalog_file = flags.catalog.replace;
    options.catalog_extend = flags.catalog.extend;
    options.models = {model};
    options.mode = flags.mode;
    options.order = flags.order;
    options.weights = flags.weights;
    options.pin_region = c.region;
    // Every round sweeps all allowed endpoints, and a one-off run is not held to
    // a gateway's hourly byte budget.
    options.router.probes.full_sweep_interval_ms = 1;
    options.router.probes.budget_bytes_per_hour = UINT64_MAX;
    if (flags.probe_interval_ms > 0) {  // a steady spacing the caller chose
      options.router.probes.interval_ms = flags.probe_interval_ms;
      options.router.probes.max_interval_ms = flags.probe_interval_ms;
      options.router.probes.jitter_pct = 0;
    }
    options.connect_to = c.connect_to;
    options.ca_bundle = c.ca_bundle;
    options.credentials_settings = c.credentials;
    options.endpoint_url =
        c.endpoint_url.empty() ? bedrock::endpoint_url_from_environment(process_environment()) : c.endpoint_url;
    options.timeouts = c.timeouts;
    options.deadline_ms = c.deadline_ms;
    options.failover.max_attempts = static_cast<std::uint32_t>(c.max_attempts);
    options.alerts.failover_rate = c.alert_failover_rate;
    options.alerts.non_primary_share = c.alert_non_primary_share;
    options.alert_hook = &Routed::on_alert;
    options.alert_context = this;
    // Nearest by default: the first call probes, reusing the state file's samples.
    options.probe_before_first_call = !flags.no_probe;
    if (!flags.no_probe && !flags.probe && options.mode == RouteMode::kLatency && c.region.empty()) {
      std::string why;
      const std::string dir = probe_state_dir(flags, &why);
      if (!why.empty()) std::fprintf(stderr, "edgeroute %s: note: %s\n", command_, why.c_str());
      if (!dir.empty()) options.probe_state_file = probe_state_path(dir);
    }
    options.on_note = [this](const std::string& note) {
      std::fprintf(stderr, "edgeroute %s: note: %s\n", command_, note.c_str());
    };
    if (!fleet_.open(c.fleet, &options, &error)) return fail(error);
    const Status st = Runtime::create(options, &runtime_);
    if (!st.ok()) return fail(st.message());
    if (!fleet_.start(*runtime_, &error)) return fail(error);
    session_ = flags.session;
    deadline_ms_ = c.deadline_ms;
    if (flags.probe) {
      // The probes take at most half the deadline, and the first call's deadline
      // counts from their start: one routed call with probes ends within --deadline-ms.
      const std::int64_t start_ns = runtime_->clock().monotonic_ns();
      Status probe_error;
      runtime_->probe_now(3, start_ns + c.deadline_ms * 1000000LL / 2, &probe_error);
      if (!probe_error.ok()) std::fprintf(stderr, "edgeroute %s: probe: %s\n", command_, probe_error.message());
      probe_ms_ = (runtime_->clock().monotonic_ns() - start_ns) / 1000000;
      // Later rounds follow the router's schedule while the calls run.
      probes_ = std::make_unique<ProbeThread>(*runtime_);
    }
    for (const Drill& d : c.drills) {
      const Status drilled = runtime_->drill(d.region, d.kind, runtime_->clock().monotonic_ns() + d.seconds * 1000000000LL);
      if (!drilled.ok()) return usage(drilled.message());
      std::fprintf(stderr, "edgeroute %s: drill: %s %s for %lld s\n", command_, to_string(d.kind), d.region.c_str(),
                   static_cast<long long>(d.seconds));
    }
    alert_command_ = c.alert_command;
    return 0;
  }

  bool active() const { return runtime_ != nullptr; }
  Runtime& runtime() { return *runtime_; }
  // The operator outputs: after each call, and once at the end (false: reported).
  void after_call() {
    if (active()) fleet_.after_call();
  }
  bool finish_outputs() {
    std::string error;
    if (!active() || fleet_.finish(&error)) return true;
    std::fprintf(stderr, "edgeroute %s: %s\n", command_, error.c_str());
    return false;
  }

  // A call's settings. buffered: nothing reaches the user before the call ends, so
  // a broken stream may still fail over.
  CallSettings settings(bool buffered) {
    CallSettings s;
    s.session = session_;
    s.buffered = buffered;
    if (first_call_.exchange(false)) s.deadline_ms = deadline_ms_ - probe_ms_ > 1 ? deadline_ms_ - probe_ms_ : 1;
    return s;
  }

  ~Routed() {
    probes_.reset();  // its thread stops before the runtime it polls goes
    std::lock_guard<std::mutex> lock(alert_mutex_);
    wait_children(command_, alert_children_);
  }

 private:
  // An alert crossed its threshold: say so on stderr, and run --alert-command
  // with the details in its environment (it is not waited for here).
  static void on_alert(const Alert& alert, void* context) {
    Routed* self = static_cast<Routed*>(context);
    std::fprintf(stderr, "edgeroute %s: alert %s: %s %.2f (threshold %.2f) over the last %u calls\n", self->command_,
                 alert.raised ? "raised" : "cleared", to_string(alert.kind), alert.value, alert.threshold,
                 alert.calls);
    if (self->alert_command_.empty()) return;
    char value[32], threshold[32];
    std::snprintf(value, sizeof value, "%.4f", alert.value);
    std::snprintf(threshold, sizeof threshold, "%.4f", alert.threshold);
    const std::string env[] = {std::string("EDGEROUTE_ALERT=") + to_string(alert.kind),
                               std::string("EDGEROUTE_ALERT_STATE=") + (alert.raised ? "raised" : "cleared"),
                               std::string("EDGEROUTE_ALERT_VALUE=") + value,
                               std::string("EDGEROUTE_ALERT_THRESHOLD=") + threshold,
                               "EDGEROUTE_ALERT_CALLS=" + std::to_string(alert.calls)};
    std::lock_guard<std::mutex> lock(self->alert_mutex_);
    self->alert_children_.push_back(spawn_shell(self->alert_command_, env, sizeof env / sizeof env[0]));
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
  FleetOutputs fleet_;  // before the runtime: its observers outlive it
  std::unique_ptr<Runtime> runtime_;
  std::unique_ptr<ProbeThread> probes_;  // after the runtime: destroyed first
  std::string session_;
  std::int64_t deadline_ms_ = 0;
  std::int64_t probe_ms_ = 0;             // how long the first probe rounds took
  std::atomic<bool> first_call_{true};  // its deadline includes them
  std::string alert_command_;
  std::mutex alert_mutex_;
  std::vector<long> alert_children_;
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
    config.timeouts = c.timeouts;
    config.endpoint_url =
        c.endpoint_url.empty() ? bedrock::endpoint_url_from_environment(process_environment()) : c.endpoint_url;
    const Status made = tool_credentials(c.credentials, c.ca_bundle, &credentials_);
    if (!made.ok()) return fail(command, made.message());
    client_ = std::make_unique<bedrock::Client>(*transport_, credentials_->provider(), system_clock(),
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
  std::unique_ptr<CredentialsSetup> credentials_;
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
void add_outcome(cJSON* o, std::string_view model, std::string_view region,
                 const std::string& endpoint, const std::vector<bedrock::Attempt>& list,
                 const Error& error, const CallReport* routed) {
  if (routed != nullptr) {
    cJSON_AddBoolToObject(o, "failed_over", routed->failed_over);
    cJSON_AddNumberToObject(o, "waited_ms", static_cast<double>(routed->waited_ms));
  }
  cJSON* route = cJSON_AddObjectToObject(o, "route");
  cJSON_AddStringToObject(route, "identifier", std::string(model).c_str());
  cJSON_AddStringToObject(route, "source_region", std::string(region).c_str());
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
    cJSON_AddStringToObject(e, "type", to_string(error.cls));
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
void print_json(const bedrock::ConverseResponse& r, std::string_view model, std::string_view region,
                const Error& error, const CallReport* routed) {
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON* o = root.get();
  cJSON_AddStringToObject(o, "text", r.text.c_str());
  cJSON_AddStringToObject(o, "stop_reason", r.stop_reason.c_str());
  add_usage(o, r.usage);
  cJSON_AddNumberToObject(o, "latency_ms", static_cast<double>(r.latency_ms));
  cJSON_AddStringToObject(o, "request_id",
                          error.ok() ? r.request_id.c_str() : error.request_id.c_str());
  cJSON_AddItemToObject(o, "tool_uses", cJSON_Parse(r.tool_uses_json.c_str()));
  // A routed call's attempts are in its report (the response holds none).
  add_outcome(o, model, region, r.endpoint, routed != nullptr ? routed->attempts : r.attempts, error, routed);
  print_line(root);
}

// The model's own bytes as a JSON string's text: UTF-8, and no NUL (a cJSON
// string ends there), each bad part shown as U+FFFD.
std::string json_text(std::string_view bytes) {
  std::string out;
  bedrock::append_valid_utf8(&out, bytes);
  for (std::size_t at = out.find('\0'); at != std::string::npos; at = out.find('\0', at)) {
    out.replace(at, 1, "\xEF\xBF\xBD");
  }
  return out;
}

// The same for invoke: the body as a string, and with --stream each chunk.
void print_invoke_json(const bedrock::InvokeResponse& r, const std::vector<std::string>* chunks,
                       std::string_view model, std::string_view region, const Error& error,
                       const CallReport* routed) {
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON* o = root.get();
  cJSON_AddStringToObject(o, "body", json_text(r.body).c_str());
  if (chunks != nullptr) {
    cJSON* list = cJSON_AddArrayToObject(o, "chunks");
    for (const std::string& c : *chunks) cJSON_AddItemToArray(list, cJSON_CreateString(json_text(c).c_str()));
  }
  cJSON_AddStringToObject(o, "content_type", r.content_type.c_str());
  add_usage(o, r.usage);
  cJSON_AddNumberToObject(o, "latency_ms", static_cast<double>(r.latency_ms));
  cJSON_AddStringToObject(o, "request_id",
                          error.ok() ? r.request_id.c_str() : error.request_id.c_str());
  // A routed call's attempts are in its report (the response holds none).
  add_outcome(o, model, region, r.endpoint, routed != nullptr ? routed->attempts : r.attempts, error, routed);
  print_line(root);
}

// `edgeroute drill`: one line per call (where it went, each attempt) and a summary.
class DrillReport {
 public:
  void record(long index, const CallReport& r, const Error& error) {
    const double t = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::lock_guard<std::mutex> lock(output_mutex());
    ++calls_;
    if (!error.ok()) {
      ++failed_;
      std::printf("  %6.1f s  call %-4ld FAILED  %s\n", t, index + 1, error.to_string().c_str());
    } else {
      ++served_[std::string(r.source_region)];
      if (r.failed_over) ++failed_over_;
      std::printf("  %6.1f s  call %-4ld %-16s %s\n", t, index + 1, std::string(r.source_region).c_str(),
                  r.failed_over ? ("failed over: " + r.path()).c_str() : "");
    }
    std::fflush(stdout);
  }
  void summary() const {
    std::printf("drill summary: %ld calls, %ld failed, %ld failed over; served by", calls_, failed_, failed_over_);
    for (const auto& kv : served_) std::printf(" %s=%ld", kv.first.c_str(), kv.second);
    std::printf("\n");
    std::fflush(stdout);
  }

 private:
  std::chrono::steady_clock::time_point start_ = std::chrono::steady_clock::now();
  long calls_ = 0, failed_ = 0, failed_over_ = 0;
  std::map<std::string, long> served_;
};

bool read_body(const std::string& path, std::string* out, std::string* error) {
  const Status st = read_file_bounded(path.c_str(), kMaxBodyFileBytes, "--body", out);
  if (!st.ok()) *error = st.message();
  return st.ok();
}

}  // namespace

namespace {

// converse, or `edgeroute drill` (which runs converse with its own flags): `command`
// names the command in every message.
int run_converse(const char* command, int argc, char** argv) {
  Args args(command, argc, argv);
  Connection connection;
  if (const int rc = apply_config_file(command, argc, argv, &connection); rc != 0) return rc;
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
    } else if (arg == "--drill-report") {  // set by `edgeroute drill`
      connection.drill_report = true;
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

  Routed routed;
  if (const int rc = routed.open(command, connection, request.model_id); rc != 0) return rc;

  // Unrouted: one session (client, transport, connection) per thread, all opened
  // up front. Routed calls borrow the runtime's.
  std::vector<std::unique_ptr<Session>> sessions;
  for (long t = 0; t < concurrency && !routed.active(); ++t) {
    sessions.push_back(std::make_unique<Session>());
    if (const int rc = sessions.back()->open(command, connection); rc != 0) return rc;
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
  DrillReport drill;
  // Thread t makes calls t, t + K, t + 2K, ... of the N.
  std::vector<int> failures(static_cast<std::size_t>(concurrency), 0);
  const auto run = [&](long t) {
    for (long i = t; i < connection.repeat; i += concurrency) {
      if (i != t && connection.interval_ms > 0) {
        std::this_thread::sleep_for(std::chrono::milliseconds(connection.interval_ms));
      }
      ConverseResult result;
      if (routed.active()) {
        // Buffered (--json, --concurrency > 1): nothing reaches the user before the
        // call ends, so a stream that breaks may still fail over.
        const CallSettings settings = routed.settings(!live);
        result = stream ? routed.runtime().converse_stream(request, print_text, settings)
                        : routed.runtime().converse(request, settings);
      } else {
        Session& session = *sessions[static_cast<std::size_t>(t)];
        result.source_region = session.options().region;
        result.error = stream ? session.client().converse_stream(request, session.options(), print_text, &result.response)
                              : session.client().converse(request, session.options(), &result.response);
      }
      routed.after_call();
      const Error& error = result.error;
      const bedrock::ConverseResponse& response = result.response;
      const std::string_view model_id = result.identifier.empty() ? std::string_view(request.model_id) : result.identifier;
      const CallReport* routed_report = routed.active() ? &result : nullptr;
      if (!error.ok()) ++failures[static_cast<std::size_t>(t)];
      if (connection.drill_report) {
        drill.record(i, result, error);
        continue;
      }
      if (json) {
        print_json(response, model_id, result.source_region, error, routed_report);
        continue;
      }
      std::lock_guard<std::mutex> lock(output_mutex());
      // Streamed text already went out live; otherwise the answer is printed whole,
      // and only when there is one: partial text of a failed call is not an answer.
      if ((!stream || !live) && error.ok()) std::fwrite(response.text.data(), 1, response.text.size(), stdout);
      if (error.ok() || (stream && live && error.output_delivered)) std::fputc('\n', stdout);
      std::fflush(stdout);
      if (!error.ok()) Session::fail(command, error.to_string());
    }
  };
  std::vector<std::thread> threads;
  for (long t = 1; t < concurrency; ++t) threads.emplace_back(run, t);
  run(0);
  for (std::thread& th : threads) th.join();
  if (connection.drill_report) drill.summary();
  int failed = 0;
  for (const int f : failures) failed += f;
  if (!routed.finish_outputs()) return 1;
  return failed == 0 ? 0 : 1;
}

}  // namespace

int converse_command(int argc, char** argv) { return run_converse("converse", argc, argv); }

int invoke_command(int argc, char** argv) {
  Args args("invoke", argc, argv);
  Connection connection;
  if (const int rc = apply_config_file("invoke", argc, argv, &connection); rc != 0) return rc;
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

  Routed routed;
  if (const int rc = routed.open("invoke", connection, request.model_id); rc != 0) return rc;
  Session session;
  if (!routed.active()) {
    if (const int rc = session.open("invoke", connection); rc != 0) return rc;
  }
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
    if (i > 0 && connection.interval_ms > 0) {
      std::this_thread::sleep_for(std::chrono::milliseconds(connection.interval_ms));
    }
    chunks.clear();
    InvokeResult result;
    if (routed.active()) {
      // With --json the chunks are kept until the call ends: a broken stream may fail over.
      CallSettings settings = routed.settings(json);
      settings.on_retry = [&chunks] { chunks.clear(); };  // a retry starts the chunk list again
      result = stream ? routed.runtime().invoke_model_with_response_stream(request, print_chunk, settings)
                      : routed.runtime().invoke_model(request, settings);
    } else {
      result.source_region = session.options().region;
      result.error = stream ? session.client().invoke_model_with_response_stream(request, session.options(), print_chunk,
                                                                                 &result.response)
                            : session.client().invoke_model(request, session.options(), &result.response);
    }
    routed.after_call();
    const Error& error = result.error;
    const bedrock::InvokeResponse& response = result.response;
    const std::string_view model_id = result.identifier.empty() ? std::string_view(request.model_id) : result.identifier;
    const CallReport* routed_report = routed.active() ? &result : nullptr;
    if (json) {
      if (!error.ok()) ++failures;
      print_invoke_json(response, stream ? &chunks : nullptr, model_id, result.source_region, error, routed_report);
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
  if (!routed.finish_outputs()) return 1;
  return failures == 0 ? 0 : 1;
}

}  // namespace tool
}  // namespace edgeroute

namespace edgeroute {
namespace tool {

constexpr const char kDrillUsage[] =
    "usage: edgeroute drill --region REGION --seconds N [--kind fail|drain] --model ID --allow LIST\n"
    "                       [--repeat N] [--interval-ms N] [converse options]\n"
    "\n"
    "A failover drill: takes REGION out for N seconds while routed Converse calls run,\n"
    "and prints where each call went and a summary. --kind fail (the default) makes every\n"
    "call routed to REGION fail at once without being sent, so the calls take the real\n"
    "failover path; drain skips REGION altogether. By default the calls run every 500 ms\n"
    "from the start of the drill to 2 s after its end (--repeat 2N+4), so the region's\n"
    "return shows too. The prompt defaults to a short health-check question. Exit status\n"
    "0 only if every call succeeded.\n";

int drill_command(int argc, char** argv) {
  std::string region, kind = "fail";
  long seconds = 0;
  bool repeat = false, interval = false, prompt = false;
  std::vector<std::string> rest;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kDrillUsage, stdout);
      return 0;
    } else if (arg == "--region" || arg == "--seconds" || arg == "--kind") {
      if (!has_value) {
        std::fprintf(stderr, "edgeroute drill: %s needs a value (see edgeroute drill --help)\n", arg.c_str());
        return 2;
      }
      const std::string v = argv[++i];
      if (arg == "--region") region = v;
      if (arg == "--kind") kind = v;
      if (arg == "--seconds" && !parse_positive(v, 86400, &seconds)) {
        std::fprintf(stderr, "edgeroute drill: --seconds needs 1..86400 (see edgeroute drill --help)\n");
        return 2;
      }
      continue;
    }
    repeat = repeat || arg == "--repeat";
    interval = interval || arg == "--interval-ms";
    prompt = prompt || arg == "--prompt";
    rest.push_back(arg);
  }
  if (region.empty() || seconds == 0 || (kind != "fail" && kind != "drain")) {
    std::fprintf(stderr,
                 "edgeroute drill: --region REGION, --seconds N and --kind fail|drain are required (see edgeroute "
                 "drill --help)\n");
    return 2;
  }
  std::vector<std::string> args = {"--drill", kind + ":" + region + ":" + std::to_string(seconds)};
  if (!repeat) args.insert(args.end(), {"--repeat", std::to_string(2 * seconds + 4)});
  if (!interval) args.insert(args.end(), {"--interval-ms", "500"});
  if (!prompt) args.insert(args.end(), {"--prompt", "Health check: reply with one word."});
  args.insert(args.end(), rest.begin(), rest.end());
  args.push_back("--drill-report");
  std::vector<char*> pointers;
  for (std::string& a : args) pointers.push_back(&a[0]);
  pointers.push_back(nullptr);
  std::printf("drill: %s %s for %ld s\n", kind.c_str(), region.c_str(), seconds);
  std::fflush(stdout);
  return run_converse("drill", static_cast<int>(args.size()), pointers.data());
}

}  // namespace tool
}  // namespace edgeroute
