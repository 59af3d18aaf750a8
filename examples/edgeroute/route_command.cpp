// `edgeroute route`: where a call of a model would go under a residency policy,
// and why there -- every (identifier, source region) candidate with its
// destinations, its verdict, its measured RTT and its rank.
#include <cjson/cJSON.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "edgeroute/catalog.h"
#include "edgeroute/policy.h"
#include "edgeroute/random.h"
#include "edgeroute/router.h"
#include "tool_catalog.h"
#if EDGEROUTE_TOOL_HAVE_CURL
#include "edgeroute/curl_transport.h"
#include "edgeroute/http_prober.h"
#endif

namespace edgeroute {
namespace tool {
namespace {

constexpr const char kRouteUsage[] =
    "usage: edgeroute route --model ID --allow LIST [--mode latency|failover|weighted]\n"
    "                       [--order LIST] [--weights R=W,...] [--catalog FILE]\n"
    "                       [--catalog-extend FILE]... [--json]\n"
    "                       [--probe [--connect-to REGION=HOST:PORT]... [--ca-bundle FILE]]\n"
    "\n"
    "Prints every (identifier, source region) candidate of the model: where Bedrock\n"
    "may process the data, whether the residency policy allows it (or why not), its\n"
    "endpoint's RTT, its rank, and the one chosen.\n"
    "\n"
    "  --model ID             base model ID, e.g. anthropic.claude-3-7-sonnet-20250219-v1:0\n"
    "  --allow LIST           region sets and regions data may be processed in (eu,us-east-1);\n"
    "                         global profiles need `global` itself\n"
    "  --mode MODE            latency (default), failover or weighted\n"
    "  --order LIST           failover: source regions, primary first\n"
    "  --weights R=W,...      weighted: traffic share per source region\n"
    "  --json                 print the table as JSON\n"
    "  --probe                measure each allowed endpoint's RTT first: a few rounds of\n"
    "                         unauthenticated GET / (cold: connect time, warm: first byte)\n"
    "  --connect-to R=H:P     probe region R at host H, port P (e.g. a simulator)\n"
    "  --ca-bundle FILE       PEM trust store for the probes\n";

// Probe rounds per run: the first measures cold connections (connect time), the
// rest warm ones (first byte); three samples keep one slow handshake from
// deciding the ranking.
constexpr int kProbeRounds = 3;

int usage_error(const std::string& what) {
  std::fprintf(stderr, "edgeroute route: %s (see edgeroute route --help)\n", what.c_str());
  return 2;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "edgeroute route: %s\n", what.c_str());
  return 1;
}

struct ConnectTo {
  std::string region, host;
  std::uint16_t port = 0;
};

// REGION=HOST:PORT; false when malformed.
bool parse_connect_to(const std::string& text, ConnectTo* out) {
  const std::size_t equals = text.find('=');
  const std::size_t colon = text.rfind(':');
  if (equals == std::string::npos || equals == 0 || colon == std::string::npos || colon <= equals + 1 ||
      colon + 1 == text.size()) {
    return false;
  }
  char* end = nullptr;
  const unsigned long port = std::strtoul(text.c_str() + colon + 1, &end, 10);
  if (*end != '\0' || port == 0 || port > 65535) return false;
  out->region = text.substr(0, equals);
  out->host = text.substr(equals + 1, colon - equals - 1);
  out->port = static_cast<std::uint16_t>(port);
  return true;
}

struct Options {
  std::string model, allow, order, weights, ca_bundle;
  RouteMode mode = RouteMode::kLatency;
  CatalogFiles catalog;
  bool json = false;
  bool probe = false;
  std::vector<ConnectTo> connect_to;
};

// Returns -1 when parsed, else the exit status (0 for --help).
int parse(int argc, char** argv, Options* o) {
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string value;
    const auto take = [&]() -> bool {
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    if (arg == "--help" || arg == "-h") {
      std::fputs(kRouteUsage, stdout);
      std::fputs(kCatalogFlagsUsage, stdout);
      return 0;
    } else if (arg == "--json") {
      o->json = true;
    } else if (arg == "--probe") {
      o->probe = true;
    } else if (arg == "--model" || arg == "--allow" || arg == "--order" || arg == "--weights" ||
               arg == "--ca-bundle" || arg == "--catalog" || arg == "--catalog-extend" || arg == "--mode" ||
               arg == "--connect-to") {
      if (!take() || value.empty()) return usage_error(arg + " needs a value");
      if (arg == "--model") {
        o->model = value;
      } else if (arg == "--allow") {
        o->allow = value;
      } else if (arg == "--order") {
        o->order = value;
      } else if (arg == "--weights") {
        o->weights = value;
      } else if (arg == "--ca-bundle") {
        o->ca_bundle = value;
      } else if (arg == "--catalog") {
        o->catalog.replace = value;
      } else if (arg == "--catalog-extend") {
        o->catalog.extend.push_back(value);
      } else if (arg == "--mode") {
        if (value == "latency") {
          o->mode = RouteMode::kLatency;
        } else if (value == "failover") {
          o->mode = RouteMode::kFailover;
        } else if (value == "weighted") {
          o->mode = RouteMode::kWeighted;
        } else {
          return usage_error("--mode '" + value + "': expected latency, failover or weighted");
        }
      } else {
        ConnectTo c;
        if (!parse_connect_to(value, &c)) return usage_error("--connect-to '" + value + "': expected REGION=HOST:PORT");
        o->connect_to.push_back(c);
      }
    } else {
      return usage_error("unknown argument '" + arg + "'");
    }
  }
  if (o->model.empty()) return usage_error("give --model ID");
  if (o->allow.empty()) return usage_error("no residency policy: give --allow (e.g. --allow eu)");
  if (!o->order.empty() && o->mode != RouteMode::kFailover) return usage_error("--order needs --mode failover");
  if (!o->weights.empty() && o->mode != RouteMode::kWeighted) return usage_error("--weights needs --mode weighted");
  if ((!o->connect_to.empty() || !o->ca_bundle.empty()) && !o->probe) {
    return usage_error("--connect-to and --ca-bundle need --probe");
  }
  return -1;
}

struct ProbeSummary {
  bool ran = false;
  int rounds = 0;
  std::uint32_t probes = 0;
  std::uint64_t bytes = 0;
};

#if EDGEROUTE_TOOL_HAVE_CURL
// Runs kProbeRounds full sweeps of the allowed endpoints. The router's clock is
// simulated (an hour per round) so that every round is due and within the byte
// budget at once; the probes themselves are real and back to back.
int run_probes(const Options& o, const Catalog& catalog, Router* router, std::int64_t* now_ns,
               ProbeSummary* summary) {
  CurlTransport::Config config;
  config.ca_bundle = o.ca_bundle;
  // Keep every probed endpoint's connection warm between rounds.
  config.max_connections = catalog.region_count() > 0 ? catalog.region_count() : 1;
  std::unique_ptr<CurlTransport> transport;
  Status status = CurlTransport::create(config, &transport);
  if (!status.ok()) return fail(status.message());
  HttpTimeouts timeouts;
  timeouts.connect_ms = 3000;
  timeouts.first_byte_ms = 3000;
  timeouts.idle_ms = 3000;
  const auto prober = std::make_unique<HttpProber>(*transport, catalog, timeouts);
  for (const ConnectTo& c : o.connect_to) {
    status = prober->connect_to(c.region, c.host, c.port);
    if (!status.ok()) return usage_error(status.message());
  }
  constexpr std::int64_t kHourNs = 3600LL * 1000 * 1000 * 1000;
  Random random = Random::from_os();
  for (int round = 0; round < kProbeRounds; ++round) {
    *now_ns = round * kHourNs;
    router->tick(*now_ns, random.next_u64(), *prober);
  }
  const ProbeStats stats = router->probe_stats();
  summary->ran = true;
  summary->rounds = kProbeRounds;
  summary->probes = stats.probes_sent;
  summary->bytes = stats.bytes_total;
  if (!prober->last_error().ok()) std::fprintf(stderr, "edgeroute route: probe: %s\n", prober->last_error().message());
  return -1;
}
#endif

std::string destinations(const Catalog& catalog, const Candidate& c) {
  std::string out;
  for (std::size_t r = 0; r < catalog.region_count(); ++r) {
    if (!c.destinations.test(r)) continue;
    if (!out.empty()) out += ",";
    out += catalog.region_name(r);
  }
  return out;
}

// The candidate's state in words, for the table.
std::string status_text(const Policy& policy, const PickExplanation::Entry& e) {
  switch (e.reason) {
    case SkipReason::kChosen: return "allowed, chosen";
    case SkipReason::kPolicy: {
      char why[160];
      (void)policy.describe(e.verdict, why, sizeof why);
      return std::string("excluded: ") + why;
    }
    case SkipReason::kNotInOrder: return "allowed, not in --order";
    case SkipReason::kZeroWeight: return "allowed, no weight";
    case SkipReason::kHysteresis: return "allowed, faster but within hysteresis";
    case SkipReason::kRankedLower: return "allowed";
  }
  return "?";
}

std::string rtt_text(const Router& router, const Candidate& c, const PickExplanation::Entry& e) {
  if (e.srtt_ns >= 0) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f ms", static_cast<double>(e.srtt_ns) / 1e6);
    return text;
  }
  return router.endpoint_stats(c.source_region).probe_failures > 0 ? "no answer" : "-";
}

bool eligible(const PickExplanation::Entry& e) {
  return e.reason == SkipReason::kChosen || e.reason == SkipReason::kRankedLower ||
         e.reason == SkipReason::kHysteresis;
}

void print_table(const Options& o, const Catalog& catalog, const Policy& policy, const Router& router,
                 const PickExplanation& why, const ProbeSummary& probes) {
  std::printf("model    %s\npolicy   allow %s\nmode     %s\ncatalog  %s\n", o.model.c_str(), o.allow.c_str(),
              to_string(why.mode),
              catalog.snapshot_date().empty() ? "(undated)" : std::string(catalog.snapshot_date()).c_str());
  if (probes.ran) {
    std::printf("probes   %d rounds, %u probes, %llu bytes\n\n", probes.rounds, probes.probes,
                static_cast<unsigned long long>(probes.bytes));
  } else {
    std::printf("probes   none (--probe measures RTTs)\n\n");
  }
  std::printf("%-5s %-52s %-15s %-10s %-50s %s\n", "rank", "identifier", "source", "rtt", "verdict", "destinations");
  for (std::size_t i = 0; i < why.count; ++i) {
    const PickExplanation::Entry& e = why.entries[i];
    const Candidate& c = catalog.candidate(e.candidate);
    const std::string rank = eligible(e) ? std::to_string(e.rank + 1) + (e.reason == SkipReason::kChosen ? " *" : "")
                                         : std::string("-");
    std::printf("%-5s %-52s %-15s %-10s %-50s %s\n", rank.c_str(), std::string(catalog.identifier(c)).c_str(),
                std::string(catalog.region_name(c.source_region)).c_str(), rtt_text(router, c, e).c_str(),
                status_text(policy, e).c_str(), destinations(catalog, c).c_str());
  }
}

void print_json(const Options& o, const Catalog& catalog, const Policy& policy, const Router& router,
                const PickExplanation& why, const ProbeSummary& probes) {
  std::unique_ptr<cJSON, decltype(&cJSON_Delete)> root(cJSON_CreateObject(), cJSON_Delete);
  cJSON_AddStringToObject(root.get(), "model", o.model.c_str());
  cJSON_AddStringToObject(root.get(), "allow", o.allow.c_str());
  cJSON_AddStringToObject(root.get(), "mode", to_string(why.mode));
  cJSON_AddStringToObject(root.get(), "snapshot", std::string(catalog.snapshot_date()).c_str());
  if (probes.ran) {
    cJSON* p = cJSON_AddObjectToObject(root.get(), "probes");
    cJSON_AddNumberToObject(p, "rounds", probes.rounds);
    cJSON_AddNumberToObject(p, "sent", probes.probes);
    cJSON_AddNumberToObject(p, "bytes", static_cast<double>(probes.bytes));
  } else {
    cJSON_AddNullToObject(root.get(), "probes");
  }
  cJSON* chosen = nullptr;
  cJSON* list = cJSON_AddArrayToObject(root.get(), "candidates");
  for (std::size_t i = 0; i < why.count; ++i) {
    const PickExplanation::Entry& e = why.entries[i];
    const Candidate& c = catalog.candidate(e.candidate);
    cJSON* item = cJSON_CreateObject();
    const std::string identifier(catalog.identifier(c));
    const std::string source(catalog.region_name(c.source_region));
    cJSON_AddStringToObject(item, "identifier", identifier.c_str());
    cJSON_AddStringToObject(item, "source_region", source.c_str());
    cJSON* dest = cJSON_AddArrayToObject(item, "destinations");
    for (std::size_t r = 0; r < catalog.region_count(); ++r) {
      if (c.destinations.test(r)) {
        cJSON_AddItemToArray(dest, cJSON_CreateString(std::string(catalog.region_name(r)).c_str()));
      }
    }
    cJSON_AddBoolToObject(item, "global_profile", c.global_profile);
    cJSON_AddBoolToObject(item, "allowed", e.verdict.allowed());
    cJSON_AddStringToObject(item, "exclusion", to_string(e.verdict.exclusion));
    char reason[160];
    (void)policy.describe(e.verdict, reason, sizeof reason);
    cJSON_AddStringToObject(item, "reason", reason);
    cJSON_AddStringToObject(item, "status", to_string(e.reason));
    if (e.srtt_ns >= 0) {
      cJSON_AddNumberToObject(item, "rtt_ms", static_cast<double>(e.srtt_ns) / 1e6);
    } else {
      cJSON_AddNullToObject(item, "rtt_ms");
    }
    cJSON_AddNumberToObject(item, "probe_failures", router.endpoint_stats(c.source_region).probe_failures);
    if (eligible(e)) {
      cJSON_AddNumberToObject(item, "rank", e.rank + 1);
    } else {
      cJSON_AddNullToObject(item, "rank");
    }
    cJSON_AddBoolToObject(item, "chosen", e.reason == SkipReason::kChosen);
    if (e.reason == SkipReason::kChosen) {
      chosen = cJSON_CreateObject();
      cJSON_AddStringToObject(chosen, "identifier", identifier.c_str());
      cJSON_AddStringToObject(chosen, "source_region", source.c_str());
      cJSON_AddStringToObject(chosen, "host", std::string(catalog.region_host(c.source_region)).c_str());
    }
    cJSON_AddItemToArray(list, item);
  }
  cJSON_AddItemToObject(root.get(), "chosen", chosen != nullptr ? chosen : cJSON_CreateNull());
  char* text = cJSON_Print(root.get());
  std::printf("%s\n", text);
  cJSON_free(text);
}

}  // namespace

int route_command(int argc, char** argv) {
  Options o;
  const int parsed = parse(argc, argv, &o);
  if (parsed >= 0) return parsed;
#if !EDGEROUTE_TOOL_HAVE_CURL
  if (o.probe) return usage_error("--probe needs the libcurl transport, which this build lacks");
#endif
  std::string error;
  const std::unique_ptr<Catalog> catalog = load_tool_catalog(o.catalog, &error);
  if (!catalog) return fail(error);
  if (catalog->find_model(o.model) == Catalog::kNone) {
    return fail("model " + o.model + " is not in the catalog (see edgeroute catalog show)");
  }
  const auto policy = std::make_unique<Policy>(*catalog);
  Status status = policy->set_allow(o.allow);
  if (!status.ok()) return usage_error(std::string("--allow: ") + status.message());

  // When the policy leaves the model nothing, init() would refuse the model's
  // settings; the table is still the answer to "why not", so it is built with
  // the defaults and printed before the refusal.
  const Status allowed = policy->require_candidate(static_cast<std::size_t>(catalog->find_model(o.model)));
  ModelRouting routing;
  routing.model = o.model;
  routing.mode = o.mode;
  routing.order = o.order;
  routing.weights = o.weights;
  RouterOptions options;
  options.default_mode = o.mode;
  options.models = allowed.ok() ? &routing : nullptr;
  options.model_count = allowed.ok() ? 1 : 0;
  // Every round sweeps all allowed endpoints, and a one-off run is not held to
  // a gateway's hourly byte budget.
  options.probes.full_sweep_interval_ms = 1;
  options.probes.budget_bytes_per_hour = UINT64_MAX;
  const auto router = std::make_unique<Router>();
  status = router->init(*policy, options);
  if (!status.ok()) return usage_error(status.message());

  std::int64_t now_ns = 0;
  ProbeSummary probes;
#if EDGEROUTE_TOOL_HAVE_CURL
  if (o.probe && allowed.ok()) {
    const int probe_status = run_probes(o, *catalog, router.get(), &now_ns, &probes);
    if (probe_status >= 0) return probe_status;
  }
#endif
  Route route;
  const auto why = std::make_unique<PickExplanation>();
  const Status picked = router->pick(o.model, "", now_ns, Random::from_os().next_u64(), &route, why.get());
  if (o.json) {
    print_json(o, *catalog, *policy, *router, *why, probes);
  } else {
    print_table(o, *catalog, *policy, *router, *why, probes);
  }
  if (!allowed.ok()) return fail(allowed.message());
  if (!picked.ok()) return fail(picked.message());
  if (!o.json) {
    std::printf("\nchosen: %.*s @ %.*s (%.*s)\n", static_cast<int>(route.identifier.size()), route.identifier.data(),
                static_cast<int>(route.source_region.size()), route.source_region.data(),
                static_cast<int>(route.host.size()), route.host.data());
  }
  return 0;
}

}  // namespace tool
}  // namespace edgeroute
