// edgeroute/runtime.h -- the routed Bedrock Runtime client an application links in.
//
// A Runtime joins the Bedrock client (signing, HTTP, errors, event streams) and the
// routing engine (catalog, residency policy, router, endpoint health, failover,
// probes) behind four calls: Converse, ConverseStream, InvokeModel and
// InvokeModelWithResponseStream. Each call is routed to the nearest allowed
// (identifier, source region) of its model, or pinned to one allowed region; a
// retryable failure (throttling, 5xx, refused connection, timeout, model not
// ready) moves it at once to the next allowed candidate, within the call's
// deadline and a retry budget all calls share, and never once output has reached
// the caller. Every route is checked against the policy again right before its
// request is built: a disallowed route is refused, never sent.
//
//   RuntimeOptions options;
//   options.allow = "eu";
//   std::unique_ptr<Runtime> runtime;
//   Status s = Runtime::create(options, &runtime);
//   ConverseResult r = runtime->converse(request);
//   if (!r.ok()) puts(r.error.to_string().c_str());  // one line, every candidate's state
//
// Threads: every member function may be called from any number of threads at
// once (each call borrows a client and connection of its own). The Runtime starts
// no thread: latency probes and the periodic catalog refresh run when the
// application calls probe_now(), poll() (next_poll_ns() says when) or
// refresh_catalog(), or on ProbeThread, an optional helper that owns one.
//
// Errors are values: create() returns a Status; each call a result whose `error`
// is the client's Error (class and one-line message; on a call that gave up, the
// message names each allowed candidate and its state).
#ifndef EDGEROUTE_RUNTIME_H
#define EDGEROUTE_RUNTIME_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "edgeroute/bedrock.h"
#include "edgeroute/call_observer.h"
#include "edgeroute/catalog.h"
#include "edgeroute/clock.h"
#include "edgeroute/credentials.h"
#include "edgeroute/credentials_setup.h"
#include "edgeroute/failover.h"
#include "edgeroute/health.h"
#include "edgeroute/policy.h"
#include "edgeroute/probe_state.h"
#include "edgeroute/router.h"
#include "edgeroute/status.h"
#include "edgeroute/transport.h"

namespace edgeroute {

// Builds one Transport; the Runtime makes one per concurrent call and one for probes.
using TransportFactory = std::function<Status(std::unique_ptr<Transport>* out)>;

// The routed client's catalog refreshes so far (Runtime::catalog_refresh_state()).
struct CatalogRefreshState {
  // One line on the last refresh, never a secret: "catalog refreshed: ..." or
  // "catalog refresh: eu-west-3: ...; routing on ...". Empty: none has run.
  std::string report;
  bool last_ok = false;               // the last refresh's catalog is the one in use
  std::uint32_t refreshes = 0;        // succeeded, start-up included
  std::uint32_t failures = 0;         // failed (the catalog in use was kept)
  std::uint64_t generation = 0;       // catalogs swapped in since create()
  std::int64_t last_utc_s = 0;        // when the last refresh ran (UTC), 0: never
  std::int64_t next_due_ns = 0;       // the next periodic refresh (monotonic), 0: none
};

struct RuntimeOptions {
  // --- Where calls may go ---
  // Region sets and regions the data may be processed in ("eu", "eu-central-1,us");
  // global profiles only when "global" is named. Required.
  std::string allow;
  // The catalog: the built-in snapshot, or catalog_file instead, then
  // catalog_extend merged in, in order (docs/routing.md). Required in a build
  // without the snapshot (Catalog::has_default(), EDGEROUTE_BUILTIN_CATALOG).
  std::string catalog_file;
  std::vector<std::string> catalog_extend;
  // At create(), refresh the catalog from the Bedrock control plane in every
  // source region `allow` admits (edgeroute/catalog_refresh.h), saving it to
  // catalog_cache_file when given. A failed refresh is not an error: routing goes
  // on with the last good refresh from catalog_cache_file, else the catalog as
  // loaded; catalog_refresh_report() says which.
  bool refresh_catalog_at_start = false;
  std::string catalog_cache_file;
  // Refresh again every this many seconds (60 to 2592000, 30 days); 0: never.
  // Driven by poll() (next_poll_ns() includes it) or ProbeThread: the Runtime
  // starts no thread. 0 is the default because a refresh needs the
  // bedrock:ListInferenceProfiles permission and a way out to the control plane,
  // which the application opts into as it does for refresh_catalog_at_start;
  // 21600 (6 h) notices within a working day a profile that gains a destination.
  // Each wait is drawn from 0.9 to 1.1 times the interval, so devices started
  // together spread out (by 72 min at 6 h) instead of listing in the same minute;
  // after a failed refresh the next try comes a tenth of the interval later (at
  // least 60 s). Each refresh is applied over the catalog as loaded (snapshot,
  // catalog_file, catalog_extend), so live data wins per profile.
  std::int64_t catalog_refresh_interval_s = 0;
  // Called after every refresh, start-up included, on the thread that ran it
  // (the application's poll(), ProbeThread, or create()). Must not call back into
  // the Runtime's refresh; may read catalog_refresh_state().
  std::function<void(const CatalogRefreshState&)> on_catalog_refresh;
  // Base model IDs (or catalog identifiers, standing for their model) that mode,
  // order and weights apply to; other models are routed in latency mode. A model
  // listed here that the policy leaves nothing is an error at create().
  std::vector<std::string> models;
  RouteMode mode = RouteMode::kLatency;
  std::string order;    // kFailover: "eu-central-1,eu-west-1", primary first
  std::string weights;  // kWeighted: "eu-central-1=3,eu-west-1=1"
  // Non-empty: every call goes to this source region, which the policy must allow
  // for each model in `models` (then mode, order and weights must stay unset).
  std::string pin_region;
  // The router's tuning (probe schedule, cooldowns, breaker, adaptive rate). Its
  // default_mode and models are set from the fields above.
  RouterOptions router;

  // --- How requests are sent ---
  std::vector<ConnectTo> connect_to;  // per-region TCP redirection
  std::string ca_bundle;                      // PEM file; empty: AWS_CA_BUNDLE, else the system store
  std::string endpoint_url;                   // one URL for every region; empty: the regional endpoints
  HttpTimeouts timeouts;                      // connect, first byte, idle (per exchange)
  std::int64_t deadline_ms = 120000;          // per call, retries included, when the call names none
  std::size_t max_response_bytes = bedrock::ClientConfig::kDefaultMaxResponseBytes;

  // --- Failover and alerts ---
  FailoverOptions failover;
  RetryBudgetOptions retry_budget;
  AlertOptions alerts;
  AlertHook alert_hook = nullptr;  // called once per alert crossing, on the calling thread
  void* alert_context = nullptr;

  // --- Probes ---
  // Each probe's total limit, ms (HttpProber); connect/answer limits come from
  // probe_timeouts.
  std::uint32_t probe_total_ms = 5000;
  HttpTimeouts probe_timeouts{3000, 3000, 3000, 0};
  // Latency mode ranks by measured round trips, so by default the first routed
  // call first probes every allowed endpoint once (one GET / each, within half the
  // call's deadline; what is not measured by then ranks in catalog order, and the
  // call has the rest). Not done when the application probed first (probe_now,
  // poll), in failover or weighted mode, or with pin_region. false: catalog order
  // until the application probes.
  bool probe_before_first_call = true;
  // Non-empty: the first call's probes reuse the samples this file holds
  // (edgeroute/probe_state.h) and probe only the endpoints it lacks or whose
  // sample is older than probe_state_max_age_ms, then save what they measured.
  // Its directory must exist. A bad file is a note, never an error.
  std::string probe_state_file;
  std::int64_t probe_state_max_age_ms = kProbeStateDefaultMaxAgeMs;
  // One-line notes on what went wrong without failing anything (an unreadable
  // probe state file, one that could not be saved); called on the calling thread.
  std::function<void(const std::string& note)> on_note;

  // --- Seams (all optional) ---
  // Credentials; null: the sources credentials_settings names (by default the
  // chain in credentials_setup.h: environment, shared files, container), behind
  // one CachingCredentialsProvider, fetched at create(). A provider passed here
  // is used as is (cache it yourself).
  const CredentialsProvider* credentials = nullptr;
  CredentialsOptions credentials_settings;
  // The monotonic and UTC clock of every deadline, cooldown and signature; null:
  // system_clock().
  const Clock* clock = nullptr;
  // Transports; empty: the libcurl transport with ca_bundle.
  TransportFactory make_transport;
  // Crypto for the signer; null: mbedTLS.
  const Crypto* crypto = nullptr;
  // Told of every exchange and every finished call (edgeroute/call_observer.h):
  // metrics, an audit trail. Not owned; they must outlive the Runtime.
  std::vector<CallObserver*> observers;
};

// Per call; all optional.
struct CallSettings {
  std::string session;        // keeps a conversation on one candidate while it stays usable
  std::int64_t deadline_ms = 0;  // 0: RuntimeOptions::deadline_ms
  // The caller keeps what the stream callback hands it until the call ends (and
  // drops it when told a new attempt starts): nothing has reached its user, so a
  // stream that breaks may be retried elsewhere. Otherwise a failure after the
  // first delta is final.
  bool buffered = false;
  // Called before each attempt after the first, so a buffering caller can drop
  // what it kept of the failed one.
  std::function<void()> on_retry;
};

// Where a call went and how. The route's names are views into the catalog
// generation the call ran on, which the report keeps alive: they stay valid for
// as long as the report (or a copy of it) does, across catalog refreshes and
// after the Runtime is gone. A successful routed call allocates nothing for the
// report beyond its attempts (the vector and their strings).
struct CallReport {
  bedrock::Error error;             // ok() on success
  std::string_view identifier;      // the model or profile ID of the last attempt
  std::string_view source_region;   // its source region
  std::string_view endpoint;        // its host
  std::vector<bedrock::Attempt> attempts;  // every attempt sent
  // Every attempt, sent or not (drills, refusals), in order: steps[0, attempt_count).
  struct Step {
    std::string_view source_region;
    OutcomeClass outcome = OutcomeClass::kSuccess;
    bool drill = false;  // a fail drill: not sent
  };
  Step steps[FailoverOptions::kMaxAttempts];
  std::uint32_t attempt_count = 0;  // drills included
  bool failed_over = false;         // succeeded after a failed attempt
  std::int64_t waited_ms = 0;       // waiting for a cooling candidate
  bool ok() const { return error.ok(); }
  // The steps as one line: "eu-central-1 fail drill, eu-west-1 success".
  std::string path() const;

 private:
  friend class Runtime;
  std::shared_ptr<const void> catalog_;  // what the views point into
};

// The attempts are in CallReport::attempts, once: response.attempts stays empty.
struct ConverseResult : CallReport {
  bedrock::ConverseResponse response;  // text, tool uses, stop reason, usage, request ID
};
struct InvokeResult : CallReport {
  bedrock::InvokeResponse response;    // body, content type, usage, request ID
};

class Runtime {
 public:
  // Loads the catalog, sets the policy and the router, and checks every setting.
  // kInvalidArgument / kNotFound / kPermissionDenied / kIo with a one-line message
  // naming the setting (and file) at fault.
  static Status create(const RuntimeOptions& options, std::unique_ptr<Runtime>* out);
  ~Runtime();
  Runtime(const Runtime&) = delete;
  Runtime& operator=(const Runtime&) = delete;

  ConverseResult converse(const bedrock::ConverseRequest& request, const CallSettings& settings = CallSettings());
  ConverseResult converse_stream(const bedrock::ConverseRequest& request, const bedrock::StreamCallback& on_event,
                                 const CallSettings& settings = CallSettings());
  InvokeResult invoke_model(const bedrock::InvokeRequest& request, const CallSettings& settings = CallSettings());
  InvokeResult invoke_model_with_response_stream(const bedrock::InvokeRequest& request,
                                                 const bedrock::ChunkCallback& on_chunk,
                                                 const CallSettings& settings = CallSettings());

  // Probes: a full sweep of every allowed endpoint now (rounds of them: the first
  // measures connection set-up, later ones warm round trips), ending by
  // deadline_ns on the Runtime's clock (0: each probe's own limit only). Returns
  // the probes sent; a probe's transport error goes to *last_error when given.
  std::size_t probe_now(int rounds = 3, std::int64_t deadline_ns = 0, Status* last_error = nullptr);
  // The probes before the first call (RuntimeOptions::probe_before_first_call), run
  // now when still pending, ending by deadline_ns: the state file's samples are
  // reused, the other allowed endpoints probed once. Returns the probes sent on
  // the wire (0 when not pending, or another thread is probing).
  std::size_t probe_if_pending(std::int64_t deadline_ns);
  // Runs the probe round that is due, if any (frugally: the best few, spacing out
  // while the ranking holds). Call it from the application's loop at or after
  // next_poll_ns(). Returns the probes sent.
  // With RuntimeOptions::catalog_refresh_interval_s, poll() also runs the catalog
  // refresh when it is due (the calling thread waits for it; calls in flight do
  // not) and next_poll_ns() is the earlier of the two.
  std::size_t poll(std::int64_t now_ns);
  std::int64_t next_poll_ns() const;

  // Refreshes the catalog from the Bedrock control plane now, in every source
  // region the policy allows (edgeroute/catalog_refresh.h), whatever the
  // interval. The new catalog, policy and router are built off to the side and
  // swapped in: calls in flight finish on the ones they started with (kept alive
  // until the last of them ends), calls that start afterwards use the new ones,
  // and every request built afterwards is checked against the new policy. A
  // failed refresh changes nothing and is reported. One refresh at a time; a
  // second caller meanwhile gets kUnavailable. Returns the refresh's status; the
  // same line is in catalog_refresh_state().report.
  Status refresh_catalog();
  CatalogRefreshState catalog_refresh_state() const;

  // A failover drill (docs/routing.md "Drills"): until until_ns on the Runtime's
  // clock. kNotFound for a region the catalog lacks; kInvalidArgument for one the
  // policy allows no candidate in (a drill there would do nothing).
  Status drill(const std::string& region, DrillKind kind, std::int64_t until_ns);

  // The catalog, policy and router in use. A catalog refresh swaps them: a
  // reference stays valid until the next swap, so with periodic refresh take a
  // routing() snapshot to hold them longer (it keeps that generation alive).
  const Catalog& catalog() const;
  const Policy& policy() const;
  Router& router();
  struct RoutingSnapshot {
    const Catalog* catalog;
    const Policy* policy;
    Router* router;
    std::uint64_t generation;
  };
  std::shared_ptr<const RoutingSnapshot> routing() const;
  // One line on the last catalog refresh (empty when none was asked for).
  std::string catalog_refresh_report() const { return catalog_refresh_state().report; }
  const Clock& clock() const { return *clock_; }
  // The credentials cache the Runtime built (null when the caller passed a provider).
  const CachingCredentialsProvider* credentials_cache() const {
    return credentials_setup_ != nullptr ? &credentials_setup_->cache() : nullptr;
  }
  const RetryBudget& retry_budget() const { return budget_; }
  // "eu.m@eu-central-1 cooling 480 ms (throttled 3x), eu.m@eu-west-1 usable; 9
  // disallowed by the policy, never tried": every allowed candidate of `model`.
  std::string candidate_states(const std::string& model) const;
  // The base model ID a request's model_id stands for; empty when the catalog has none.
  std::string base_model(const std::string& model_id) const;

 private:
  struct Lane;
  class Attempter;
  struct Routing;
  // Checks each request against the newest policy (ClientConfig::residency).
  class Gate final : public ResidencyGate {
   public:
    explicit Gate(const Runtime& runtime) : runtime_(runtime) {}
    Status check_route(std::string_view identifier, std::string_view source_region) const override;

   private:
    const Runtime& runtime_;
  };
  explicit Runtime(const RuntimeOptions& options);
  Status init();
  // Policy, router and prober over `catalog`; `at_create` makes a model of
  // RuntimeOptions::models left without an allowed candidate an error.
  Status build_routing(std::unique_ptr<Catalog> catalog, bool at_create, std::string* notes,
                       std::shared_ptr<Routing>* out);
  std::shared_ptr<Routing> current() const;
  void refresh_catalog_at_start(Catalog* catalog, const Policy& policy);
  void finish_refresh(bool ok, const std::string& report, bool swapped);
  std::int64_t next_refresh_delay_ns(bool after_failure);
  void name_profiles_of_profile_only_model(const Routing& routing, const std::string& model,
                                           bedrock::Error* error) const;
  static std::string_view base_model_view(const Catalog& catalog, std::string_view model_id);
  std::size_t probe_with_state(const Routing& routing, std::int64_t deadline_ns);
  void note(const std::string& line) const;
  std::string candidate_states(const Routing& routing, const std::string& model) const;
  std::unique_ptr<Lane> take_lane(Status* error);
  void give_back(std::unique_ptr<Lane> lane);
  // Runs one routed call; send(client, options, attempts) makes each attempt
  // (options.model_id names the routed identifier).
  using SendFn = std::function<bedrock::Error(bedrock::Client& client, const bedrock::CallOptions& options,
                                              std::vector<bedrock::Attempt>* attempts)>;
  void run_call(const char* operation, const std::string& model_id, const CallSettings& settings,
                const SendFn& send, CallReport* report);
  void notify_call(const char* operation, const Catalog& catalog, std::string_view model, const RoutedCall* call,
                   const CallReport& report, std::int64_t start_ns, std::int64_t start_utc_ms) const;

  RuntimeOptions options_;
  const Clock* clock_;
  std::unique_ptr<CredentialsProvider> own_credentials_;
  std::unique_ptr<CredentialsSetup> credentials_setup_;
  const CredentialsProvider* credentials_ = nullptr;
  // The catalog as loaded, before any live refresh: each refresh starts from a copy.
  std::unique_ptr<Catalog> base_catalog_;
  Gate gate_{*this};
  mutable std::mutex routing_mutex_;  // guards routing_ (the pointer, not what it holds)
  std::shared_ptr<Routing> routing_;
  // The refresh's locks and state, on the heap: the Runtime's own size stays
  // what docs/footprint.md publishes.
  struct RefreshState;
  std::unique_ptr<RefreshState> refresh_;
  RetryBudget budget_;
  std::unique_ptr<FailoverMonitor> monitor_;
  std::mutex lanes_mutex_;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::mutex probe_mutex_;  // one prober, one thread at a time
  std::unique_ptr<Transport> probe_transport_;
  std::atomic<bool> probe_pending_{false};
  std::mutex random_mutex_;
  std::uint64_t random_state_ = 0;
  std::uint64_t next_random();
};

// The optional helper: a thread that calls runtime.poll() when a round is due
// (looking every look_ms), until stop() or destruction. The application chooses
// to start it; the Runtime never does.
class ProbeThread {
 public:
  explicit ProbeThread(Runtime& runtime, std::int64_t look_ms = 100);
  ~ProbeThread();
  ProbeThread(const ProbeThread&) = delete;
  ProbeThread& operator=(const ProbeThread&) = delete;
  void stop();

 private:
  Runtime& runtime_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_RUNTIME_H
