// `edgeroute route`: where a call of a model would go under a residency policy,
// and why there -- every (identifier, source region) candidate with its
// destinations, its verdict, its measured RTT and its rank.
#include <cjson/cJSON.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <cstring>
#include <string>
#include <vector>

#include "commands.h"
#include "edgeroute/catalog.h"
#include "edgeroute/policy.h"
#include "edgeroute/random.h"
#include "edgeroute/router.h"
#include "routing_flags.h"
#include "tool_config.h"

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
    "  --model ID             base model ID, e.g. anthropic.claude-sonnet-4-5-20250929-v1:0\n"
    "  --config FILE          routing settings (and probe connections) from the JSON file\n"
    "                         converse takes; flags override it\n"
    "  --json                 print the table as JSON\n"
    "  --connect-to R=H:P     probe region R at host H, port P (e.g. a simulator)\n"
    "  --ca-bundle FILE       PEM trust store for the probes\n";

int usage_error(const std::string& what) {
  std::fprintf(stderr, "edgeroute route: %s (see edgeroute route --help)\n", what.c_str());
  return 2;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "edgeroute route: %s\n", what.c_str());
  return 1;
}

struct Options {
  std::string model, ca_bundle;
  RoutingFlags routing;
  bool json = false;
  std::vector<ConnectTo> connect_to;
  bool connection_from_file = false;  // connect_to / ca_bundle came from --config
};

// --config FILE (anywhere in argv): its routing settings, and its connections for
// the probes, before the flags. Returns -1, or the exit status.
int apply_config(int argc, char** argv, Options* o) {
  std::string path;
  for (int i = 0; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--config") == 0) path = argv[i + 1];
  }
  if (path.empty()) return -1;
  ToolConfig file;
  std::string error;
  if (!load_tool_config(path, &file, &error)) return usage_error("--config " + error);
  const std::pair<const char*, const std::string*> texts[] = {{"--allow", &file.allow},
                                                              {"--mode", &file.mode},
                                                              {"--order", &file.order},
                                                              {"--weights", &file.weights},
                                                              {"--catalog", &file.catalog}};
  for (const auto& t : texts) {
    if (t.second->empty()) continue;
    const std::string value = *t.second;
    const int taken = routing_flag(
        t.first,
        [&value](std::string* out) {
          *out = value;
          return true;
        },
        false, &o->routing, &error);
    if (taken != 1) return usage_error("--config " + path + ": " + std::string(t.first + 2) + ": " + error);
  }
  o->routing.catalog.extend = file.catalog_extend;
  o->routing.catalog.extend_keys.assign(file.catalog_extend.size(), "--config " + path + ": routing.catalog_extend");
  if (!file.catalog.empty()) o->routing.catalog.replace_key = "--config " + path + ": routing.catalog";
  if (file.has_probe) o->routing.probe = file.probe;
  for (const std::string& text : file.connect_to) {
    ConnectTo c;
    const Status st = parse_connect_to(text, &c);
    if (!st.ok()) return usage_error("--config " + path + ": connect_to: " + st.message());
    o->connect_to.push_back(c);
  }
  o->ca_bundle = file.ca_bundle;
  o->connection_from_file = true;
  return -1;
}

// Returns -1 when parsed, else the exit status (0 for --help).
int parse(int argc, char** argv, Options* o) {
  if (const int rc = apply_config(argc, argv, o); rc >= 0) return rc;
  bool connection_flags = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    std::string value;
    const auto take = [&]() -> bool {
      if (i + 1 >= argc) return false;
      value = argv[++i];
      return true;
    };
    std::string error;
    const int routing = routing_flag(
        arg,
        [&](std::string* v) {
          if (!take()) return false;
          *v = value;
          return true;
        },
        false, &o->routing, &error);
    if (routing == 2) return usage_error(error);
    if (routing == 1) continue;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kRouteUsage, stdout);
      std::fputs(routing_flags_usage(false).c_str(), stdout);
      std::fputs(kCatalogFlagsUsage, stdout);
      return 0;
    } else if (arg == "--json") {
      o->json = true;
    } else if (arg == "--model" || arg == "--ca-bundle" || arg == "--connect-to" || arg == "--config") {
      if (!take() || value.empty()) return usage_error(arg + " needs a value");
      if (arg == "--model") {
        o->model = value;
      } else if (arg == "--config") {
        // read before the other flags
      } else if (arg == "--ca-bundle") {
        o->ca_bundle = value;
        connection_flags = true;
      } else {
        ConnectTo c;
        const Status st = parse_connect_to(value, &c);
        if (!st.ok()) return usage_error(std::string("--") + st.message());  // "--connect-to 'X': ..."
        if (o->connection_from_file && !connection_flags) o->connect_to.clear();  // the flags replace the file's
        o->connect_to.push_back(c);
        connection_flags = true;
      }
    } else {
      return usage_error("unknown argument '" + arg + "'");
    }
  }
  if (o->model.empty()) return usage_error("give --model ID");
  if (o->routing.allow.empty()) return usage_error("no residency policy: give --allow (e.g. --allow eu)");
  std::string error;
  if (!check_routing_flags(o->routing, &error)) return usage_error(error);
  // The file's connections serve calls as well; only flags given here must probe.
  if (connection_flags && !o->routing.probe) {
    return usage_error("--connect-to and --ca-bundle need --probe");
  }
  return -1;
}

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
  std::printf("model    %s\npolicy   allow %s\nmode     %s\ncatalog  %s\n", o.model.c_str(), o.routing.allow.c_str(),
              to_string(why.mode),
              catalog.snapshot_date().empty() ? "(undated)" : std::string(catalog.snapshot_date()).c_str());
  if (probes.ran) {
    std::printf("probes   %d rounds, %u probes, %llu bytes\n\n", probes.rounds, probes.probes,
                static_cast<unsigned long long>(probes.bytes));
  } else {
    std::printf("probes   none (--probe measures RTTs)\n\n");
  }
  // The verdict column is as wide as its longest entry, so that a long reason
  // never runs into the destinations.
  int verdict_width = 7;
  for (std::size_t i = 0; i < why.count; ++i) {
    const int n = static_cast<int>(status_text(policy, why.entries[i]).size());
    if (n > verdict_width) verdict_width = n;
  }
  std::printf("%-5s %-52s %-15s %-10s %-*s  %s\n", "rank", "identifier", "source", "rtt", verdict_width, "verdict",
              "destinations");
  for (std::size_t i = 0; i < why.count; ++i) {
    const PickExplanation::Entry& e = why.entries[i];
    const Candidate& c = catalog.candidate(e.candidate);
    const std::string rank = eligible(e) ? std::to_string(e.rank + 1) + (e.reason == SkipReason::kChosen ? " *" : "")
                                         : std::string("-");
    std::printf("%-5s %-52s %-15s %-10s %-*s  %s\n", rank.c_str(), std::string(catalog.identifier(c)).c_str(),
                std::string(catalog.region_name(c.source_region)).c_str(), rtt_text(router, c, e).c_str(),
                verdict_width, status_text(policy, e).c_str(), destinations(catalog, c).c_str());
  }
}

void print_json(const Options& o, const Catalog& catalog, const Policy& policy, const Router& router,
                const PickExplanation& why, const ProbeSummary& probes) {
  std::unique_ptr<cJSON, decltype(&cJSON_Delete)> root(cJSON_CreateObject(), cJSON_Delete);
  cJSON_AddStringToObject(root.get(), "model", o.model.c_str());
  cJSON_AddStringToObject(root.get(), "allow", o.routing.allow.c_str());
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
  if (o.routing.probe) return usage_error("--probe needs the libcurl transport, which this build lacks");
#endif
  std::string error;
  RoutingSetup setup;
  const int set_up = setup_routing(o.routing, o.model, &setup, &error);
  if (set_up == 2) return usage_error(error);
  if (set_up >= 0) return fail(error);
  const Catalog* catalog = setup.catalog.get();
  const Policy* policy = setup.policy.get();
  Router* router = setup.router.get();
  const Status& allowed = setup.allowed;

  std::int64_t now_ns = 0;
  ProbeSummary probes;
#if EDGEROUTE_TOOL_HAVE_CURL
  if (o.routing.probe && allowed.ok()) {
    std::string probe_error;
    const int probe_status =
        run_probes(o.connect_to, o.ca_bundle, *catalog, router, &now_ns, &probes, &probe_error, &error);
    if (probe_status == 2) return usage_error(error);
    if (probe_status >= 0) return fail(error);
    if (!probe_error.empty()) std::fprintf(stderr, "edgeroute route: probe: %s\n", probe_error.c_str());
  }
#endif
  Route route;
  const auto why = std::make_unique<PickExplanation>();
  const Status picked = router->pick(setup.model, "", now_ns, Random::from_os().next_u64(), &route, why.get());
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
