// The routing flags `route`, `converse` and `invoke` share (--allow, --mode,
// --order, --weights, --catalog, --catalog-extend, --session, --probe), and the
// Catalog + Policy + Router they set up, with the optional probe rounds.
#ifndef EDGEROUTE_EXAMPLES_ROUTING_FLAGS_H
#define EDGEROUTE_EXAMPLES_ROUTING_FLAGS_H

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "edgeroute/catalog.h"
#include "edgeroute/connect_to.h"
#include "edgeroute/policy.h"
#include "edgeroute/router.h"
#include "edgeroute/status.h"
#include "tool_catalog.h"

namespace edgeroute {
namespace tool {

struct RoutingFlags {
  std::string allow, order, weights, session;
  RouteMode mode = RouteMode::kLatency;
  bool mode_given = false;
  CatalogFiles catalog;
  bool probe = false;
  bool no_probe = false;  // --no-probe: catalog order, no probes (calls only)
  std::string state_dir;  // --state-dir: where the probe state file lives (calls only)
  std::int64_t probe_interval_ms = 0;  // --probe-interval-ms; 0: the router's default
  // Whether any routing flag but --allow was given (they mean nothing without it).
  bool any_besides_allow() const {
    return mode_given || !order.empty() || !weights.empty() || !session.empty() || probe || no_probe ||
           !state_dir.empty() || probe_interval_ms > 0 ||
           !catalog.replace.empty() || !catalog.extend.empty();
  }
};

// The usage lines of the flags (without --catalog/--catalog-extend: kCatalogFlagsUsage).
// The session line only where with_session.
std::string routing_flags_usage(bool with_session);

// Handles one routing flag. `value` takes the flag's argument (false: none left).
// Returns 0 when arg is not a routing flag (or --session and !with_session), 1 when
// taken, 2 on a usage error (the message in *error).
int routing_flag(const std::string& arg, const std::function<bool(std::string*)>& value,
                 bool with_session, RoutingFlags* flags, std::string* error);

// The combinations that are usage errors (--order without --mode failover, ...).
bool check_routing_flags(const RoutingFlags& flags, std::string* error);

// The catalog, policy and router for calls of one model, in that order of
// lifetime (the router refers to the policy, the policy to the catalog).
struct RoutingSetup {
  std::unique_ptr<Catalog> catalog;
  std::unique_ptr<Policy> policy;
  std::unique_ptr<Router> router;
  std::string model;     // the base model ID the router picks for
  Status allowed;        // the policy's require_candidate() for it
  std::string order;     // the failover order when pinned to a region
  ModelRouting routing;  // points into the flags, `model` and `order`
};

// Loads the catalog, sets the policy and initializes the router for `model_id`
// (a base model ID, or an identifier of the catalog, which stands for its base
// model). When the policy leaves the model nothing, the router is still built
// (with the defaults) and out->allowed says why. Returns -1 when done, else the
// exit status (1 failed, 2 bad usage) with the one-line reason in *error.
// A non-empty pin_region fixes the source region (`--region` with `--allow`):
// a usage error unless the policy allows a candidate of the model there, and the
// router then picks among that region's candidates only.
int setup_routing(const RoutingFlags& flags, const std::string& model_id, RoutingSetup* out,
                  std::string* error, const std::string& pin_region = std::string());

struct ProbeSummary {
  bool ran = false;
  int rounds = 0;
  std::uint32_t probes = 0;
  std::uint64_t bytes = 0;
};

#if EDGEROUTE_TOOL_HAVE_CURL
// The probe rounds of `route --probe`: a few full sweeps over the libcurl transport.
// (Routed calls probe through edgeroute::Runtime.)
class ProbeLoop {
 public:
  ProbeLoop();
  ~ProbeLoop();
  ProbeLoop(const ProbeLoop&) = delete;
  ProbeLoop& operator=(const ProbeLoop&) = delete;

  // Returns -1 when ready, else the exit status with the reason in *error.
  int open(const std::vector<ConnectTo>& connect_to, const std::string& ca_bundle, const Catalog& catalog,
           std::string* error);
  // The first sweeps, in simulated time (an hour apart, so each is due); *now_ns
  // is the last one's time. A probe's transport error goes to *probe_error. No
  // probe runs past deadline_ns (system_clock()'s monotonic time; 0: none), and
  // no round starts after it.
  void first_rounds(Router* router, std::int64_t* now_ns, ProbeSummary* summary, std::string* probe_error,
                    std::int64_t deadline_ns = 0);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Runs a few full probe sweeps of the allowed endpoints over the libcurl
// transport. The router's clock is simulated (an hour per round) so that every
// round is due; *now_ns is the last round's time. A probe's transport error goes
// to *probe_error (the run still succeeds). Returns -1 when done, else the exit
// status with the reason in *error.
int run_probes(const std::vector<ConnectTo>& connect_to, const std::string& ca_bundle,
               const Catalog& catalog, Router* router, std::int64_t* now_ns, ProbeSummary* summary,
               std::string* probe_error, std::string* error);
#endif

}  // namespace tool
}  // namespace edgeroute

#endif  // EDGEROUTE_EXAMPLES_ROUTING_FLAGS_H
