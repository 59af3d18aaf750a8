// The routing flags and router set-up the tool's commands share: see routing_flags.h.
#include "routing_flags.h"

#include <cstdio>
#include <cstdlib>

#include "edgeroute/clock.h"
#include "edgeroute/random.h"
#include "tool_values.h"
#if EDGEROUTE_TOOL_HAVE_CURL
#include "edgeroute/curl_transport.h"
#include "edgeroute/http_prober.h"
#endif

namespace edgeroute {
namespace tool {

namespace {

// Probe rounds per run: the first measures cold connections (connect time), the
// rest warm ones (first byte); three samples keep one slow handshake from
// deciding the ranking.
constexpr int kProbeRounds = 3;

}  // namespace

std::string routing_flags_usage(bool with_session) {
  std::string usage =
      "  --allow LIST           region sets and regions data may be processed in (eu,us-east-1);\n"
      "                         global profiles need `global` itself\n"
      "  --mode MODE            latency (default), failover or weighted\n"
      "  --order LIST           failover: source regions, primary first\n"
      "  --weights R=W,...      weighted: traffic share per source region\n";
  if (with_session) {
    usage +=
        "  --session KEY          keep the calls of one conversation on one candidate while\n"
        "                         it stays usable (warm prompt caches)\n";
  }
  usage +=
      "  --probe                measure each allowed endpoint's RTT first: a few rounds of\n"
      "                         unauthenticated GET / (cold: connect time, warm: first byte)\n";
  if (with_session) {
    usage +=
        "  --no-probe             latency mode without probes: catalog order until a call\n"
        "                         measures (default: the first call probes each allowed\n"
        "                         endpoint not in the state file once, within half its deadline)\n"
        "  --state-dir DIR        keep probe results there between runs, 30 min each (default:\n"
        "                         $XDG_STATE_HOME/edgeroute, else ~/.local/state/edgeroute)\n"
        "  --probe-interval-ms N  with --probe, keep probing while the calls run, a round every\n"
        "                         N ms (default: 30 s, spacing out to 4 min while the ranking\n"
        "                         holds)\n";
  }
  return usage;
}

int routing_flag(const std::string& arg, const std::function<bool(std::string*)>& value,
                 bool with_session, RoutingFlags* flags, std::string* error) {
  if (arg == "--probe") {
    flags->probe = true;
    flags->no_probe = false;  // the last of the two wins (a flag over the config file)
    return 1;
  }
  if (arg == "--no-probe" && with_session) {
    flags->no_probe = true;
    flags->probe = false;
    return 1;
  }
  if (arg == "--state-dir" && with_session) {
    if (!value(&flags->state_dir) || flags->state_dir.empty()) {
      *error = "--state-dir needs a directory";
      return 2;
    }
    return 1;
  }
  if (arg == "--probe-interval-ms" && with_session) {
    std::string v;
    std::int64_t ms = 0;
    if (!value(&v) || !parse_whole_number(v, 1, 3600000, &ms)) {
      *error = "--probe-interval-ms needs 1..3600000";
      return 2;
    }
    flags->probe_interval_ms = ms;
    return 1;
  }
  std::string* target = nullptr;
  if (arg == "--allow") {
    target = &flags->allow;
  } else if (arg == "--order") {
    target = &flags->order;
  } else if (arg == "--weights") {
    target = &flags->weights;
  } else if (arg == "--catalog") {
    target = &flags->catalog.replace;
    flags->catalog.replace_key = "--catalog";
  } else if (arg == "--session" && with_session) {
    target = &flags->session;
  } else if (arg != "--catalog-extend" && arg != "--mode") {
    return 0;
  }
  std::string v;
  if (!value(&v) || v.empty()) {
    *error = arg + " needs a value";
    return 2;
  }
  // The same list syntax as the config file's comma-separated strings.
  std::vector<std::string> items;
  if ((arg == "--allow" || arg == "--order" || arg == "--weights") && !parse_list(v, &items)) {
    *error = arg + " needs a comma-separated list without empty items";
    return 2;
  }
  if (target != nullptr) {
    *target = v;
  } else if (arg == "--catalog-extend") {
    flags->catalog.extend.push_back(v);
  } else {
    flags->mode_given = true;
    if (v == "latency") {
      flags->mode = RouteMode::kLatency;
    } else if (v == "failover") {
      flags->mode = RouteMode::kFailover;
    } else if (v == "weighted") {
      flags->mode = RouteMode::kWeighted;
    } else {
      *error = "--mode '" + v + "': expected latency, failover or weighted";
      return 2;
    }
  }
  return 1;
}

bool check_routing_flags(const RoutingFlags& flags, std::string* error) {
  if (flags.probe_interval_ms > 0 && !flags.probe) {
    *error = "--probe-interval-ms needs --probe";
    return false;
  }
  if (!flags.order.empty() && flags.mode != RouteMode::kFailover) {
    *error = "--order needs --mode failover";
    return false;
  }
  if (!flags.weights.empty() && flags.mode != RouteMode::kWeighted) {
    *error = "--weights needs --mode weighted";
    return false;
  }
  return true;
}

int setup_routing(const RoutingFlags& flags, const std::string& model_id, RoutingSetup* out,
                  std::string* error, const std::string& pin_region) {
  out->catalog = load_tool_catalog(flags.catalog, error);
  if (!out->catalog) return 1;
  const Catalog& catalog = *out->catalog;
  // A profile or in-region identifier stands for its base model: the router
  // picks the identifier.
  int model = catalog.find_model(model_id);
  for (std::size_t i = 0; model == Catalog::kNone && i < catalog.candidate_count(); ++i) {
    const Candidate& c = catalog.candidate(i);
    if (catalog.identifier(c) == model_id) model = c.model;
  }
  if (model == Catalog::kNone) {
    *error = "model " + model_id + " is not in the catalog (see edgeroute catalog show)";
    return 1;
  }
  out->model = std::string(catalog.model_name(static_cast<std::size_t>(model)));
  out->policy = std::make_unique<Policy>(catalog);
  Status status = out->policy->set_allow(flags.allow);
  if (!status.ok()) {
    *error = std::string("--allow: ") + status.message();
    return 2;
  }
  // When the policy leaves the model nothing, init() would refuse the model's
  // settings; the router is still built with the defaults so that `route` can
  // explain why.
  out->allowed = out->policy->require_candidate(static_cast<std::size_t>(model));
  out->routing.model = out->model;
  out->routing.mode = flags.mode;
  out->routing.order = flags.order;
  out->routing.weights = flags.weights;
  if (!pin_region.empty() && out->allowed.ok()) {
    bool allowed_there = false;
    const std::size_t first = catalog.model_first_candidate(static_cast<std::size_t>(model));
    const std::size_t count = catalog.model_candidate_count(static_cast<std::size_t>(model));
    for (std::size_t i = first; i < first + count && !allowed_there; ++i) {
      const Candidate& c = catalog.candidate(i);
      allowed_there =
          catalog.region_name(c.source_region) == pin_region && out->policy->check(c).allowed();
    }
    if (!allowed_there) {
      *error = "--region " + pin_region + " is not allowed for " + out->model + " under --allow " +
               flags.allow + " (see edgeroute route)";
      return 2;
    }
    out->order = pin_region;
    out->routing.mode = RouteMode::kFailover;
    out->routing.order = out->order;
    out->routing.weights = std::string_view();
  }
  RouterOptions options;
  options.default_mode = out->routing.mode;
  options.models = out->allowed.ok() ? &out->routing : nullptr;
  options.model_count = out->allowed.ok() ? 1 : 0;
  // Every round sweeps all allowed endpoints, and a one-off run is not held to
  // a gateway's hourly byte budget.
  options.probes.full_sweep_interval_ms = 1;
  options.probes.budget_bytes_per_hour = UINT64_MAX;
  if (flags.probe_interval_ms > 0) {  // a steady spacing the caller chose
    options.probes.interval_ms = flags.probe_interval_ms;
    options.probes.max_interval_ms = flags.probe_interval_ms;
    options.probes.jitter_pct = 0;
  }
  options.utc_unix_s = system_clock().utc_unix_ms() / 1000;  // end-of-life models are refused
  out->router = std::make_unique<Router>();
  status = out->router->init(*out->policy, options);
  if (!status.ok()) {
    *error = status.message();
    return 2;
  }
  return -1;
}

#if EDGEROUTE_TOOL_HAVE_CURL
struct ProbeLoop::Impl {
  std::unique_ptr<CurlTransport> transport;
  std::unique_ptr<HttpProber> prober;
};

ProbeLoop::ProbeLoop() : impl_(std::make_unique<Impl>()) {}
ProbeLoop::~ProbeLoop() = default;

int ProbeLoop::open(const std::vector<ConnectTo>& connect_to, const std::string& ca_bundle, const Catalog& catalog,
                    std::string* error) {
  CurlTransport::Config config;
  config.ca_bundle = ca_bundle;
  // Keep every probed endpoint's connection warm between rounds.
  config.max_connections = catalog.region_count() > 0 ? catalog.region_count() : 1;
  Status status = CurlTransport::create(config, &impl_->transport);
  if (!status.ok()) {
    *error = status.message();
    return 1;
  }
  HttpTimeouts timeouts;
  timeouts.connect_ms = 3000;
  timeouts.first_byte_ms = 3000;
  timeouts.idle_ms = 3000;
  impl_->prober = std::make_unique<HttpProber>(*impl_->transport, catalog, timeouts);
  for (const ConnectTo& c : connect_to) {
    status = impl_->prober->connect_to(c.region, c.host, c.port);
    if (!status.ok()) {
      *error = status.message();
      return 2;
    }
  }
  return -1;
}

void ProbeLoop::first_rounds(Router* router, std::int64_t* now_ns, ProbeSummary* summary, std::string* probe_error,
                             std::int64_t deadline_ns) {
  constexpr std::int64_t kHourNs = 3600LL * 1000 * 1000 * 1000;
  Random random = Random::from_os();
  impl_->prober->set_deadline_ns(deadline_ns);
  int rounds = 0;
  for (int round = 0; round < kProbeRounds; ++round) {
    if (deadline_ns > 0 && system_clock().monotonic_ns() >= deadline_ns) break;
    *now_ns = round * kHourNs;
    router->tick(*now_ns, random.next_u64(), *impl_->prober);
    ++rounds;
  }
  impl_->prober->set_deadline_ns(0);  // later rounds: each probe's own limit only
  const ProbeStats stats = router->probe_stats();
  summary->ran = true;
  summary->rounds = rounds;
  summary->probes = stats.probes_sent;
  summary->bytes = stats.bytes_total;
  if (!impl_->prober->last_error().ok()) *probe_error = impl_->prober->last_error().message();
}

int run_probes(const std::vector<ConnectTo>& connect_to, const std::string& ca_bundle,
               const Catalog& catalog, Router* router, std::int64_t* now_ns, ProbeSummary* summary,
               std::string* probe_error, std::string* error) {
  ProbeLoop loop;
  const int rc = loop.open(connect_to, ca_bundle, catalog, error);
  if (rc >= 0) return rc;
  loop.first_rounds(router, now_ns, summary, probe_error);
  return -1;
}
#endif

}  // namespace tool
}  // namespace edgeroute
