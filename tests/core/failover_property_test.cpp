// Property: in-call failover (RoutedCall) over 10,000 random fault sequences, in
// virtual time. Each case is a random catalog, residency policy, routing mode,
// router health settings, retry budget and per-region fault profile; several calls
// run one after another on the same router, so cooldowns, breakers and the
// adaptive rate carry over between them. Every call checks:
//
//   1. residency: every attempt is for a candidate the test's own definition
//      allows (source and every destination inside the allow list, `global`
//      named for a global profile), listed in the model's mode, and passing
//      Policy::check_route;
//   2. the budget: an independent token bucket (the SDKs' standard mode) pays for
//      every retry and matches RetryBudget::available() after every step;
//      attempts per call <= max_attempts;
//   3. time: no attempt starts with less than min_attempt_ns left, waits end
//      before the deadline, and the call ends by deadline + one timer tick;
//   4. no retry after output reached the caller, after a client, auth or clock
//      skew error, or after a success;
//   5. failover finds an endpoint that never fails, unless the budget, the
//      deadline, max_attempts or another endpoint's final answer stops it first
//      (stated exactly at the end of CaseRunner::call()).
//
// No sleeping and no threads: a ManualClock advances by the fake transport's
// durations and to each wait_until_ns(). Every case has its own seed, so a
// failure names the seed and case, and EDGEROUTE_FAILOVER_CASE=<case> reruns
// that case alone.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "edgeroute/catalog.h"
#include "edgeroute/clock.h"
#include "edgeroute/failover.h"
#include "edgeroute/health.h"
#include "edgeroute/policy.h"
#include "edgeroute/random.h"
#include "edgeroute/router.h"
#include "random_world.h"

namespace edgeroute {
namespace {

constexpr std::int64_t kMs = 1000 * 1000;
// The fake transport's timer resolution: a deadline fires at the first tick at or
// after it, as a real timer wheel would.
constexpr std::int64_t kTickNs = kMs;
constexpr int kCases = 10000;
constexpr int kDrillCases = 3000;
// A call that takes more steps than this is stuck (waits are >= 1 ms apart and
// deadlines <= 60 s).
constexpr int kMaxStepsPerCall = 70000;
constexpr std::size_t kMaxTraceBytes = 16 * 1024;

using Ending = RoutedCall::Ending;
using Step = RoutedCall::Step;

std::int64_t range(Random& rnd, std::int64_t lo, std::int64_t hi) {  // [lo, hi]
  return lo + static_cast<std::int64_t>(rnd.next_below(static_cast<std::uint64_t>(hi - lo) + 1));
}

// --- The world: catalog and policy, kept as plain data for the definitions ------

using namespace testing;  // random_world.h

// Fewer regions, sets, models and profiles than the generator's default;
// destinations are plain region lists, and half the allow list's items are
// exactly what one candidate needs, so that most models have something allowed.
WorldOptions world_options() {
  WorldOptions o;
  o.min_regions = 2;
  o.max_regions = 8;
  o.max_sets = 3;
  o.max_models = 2;
  o.max_profiles = 2;
  o.set_destinations = false;
  o.candidate_allow_items = true;
  return o;
}

// --- Faults ----------------------------------------------------------------------

// How one region's endpoint behaves for the whole case. A good endpoint always
// succeeds and answers within min_attempt_ns (so an attempt the call may start
// always finishes in time); a bad one succeeds success_pct percent of the time
// and otherwise fails in a random way.
struct Fault {
  bool good = false;
  std::uint32_t success_pct = 0;
};

bool retryable_by_definition(OutcomeClass outcome) {
  return outcome == OutcomeClass::kThrottle || outcome == OutcomeClass::kQuota ||
         outcome == OutcomeClass::kModelNotReady || outcome == OutcomeClass::kTransient;
}

// The fake transport. Takes a random time, but never past the deadline it is
// given: there its timer fires (at the next tick) and the attempt times out.
AttemptOutcome fake_attempt(Random& rnd, const Fault& fault, bool streaming, std::int64_t start_ns,
                            std::int64_t deadline_ns, std::int64_t min_attempt_ns,
                            std::int64_t max_bad_ns, std::int64_t* end_ns) {
  AttemptOutcome out;
  std::int64_t duration = 0;
  if (fault.good) {
    duration = range(rnd, 0, min_attempt_ns);
  } else {
    duration = range(rnd, 0, max_bad_ns);
    if (below(rnd, 100) >= fault.success_pct) {
      // Weighted by repetition; the entry at kTimeout is a transient failure that
      // was a timeout (a read timeout, say), before the call's deadline.
      static const OutcomeClass kFailures[] = {
          OutcomeClass::kThrottle,  OutcomeClass::kThrottle,      OutcomeClass::kThrottle,
          OutcomeClass::kQuota,     OutcomeClass::kModelNotReady, OutcomeClass::kTransient,
          OutcomeClass::kTransient, OutcomeClass::kTransient,     OutcomeClass::kTransient,
          OutcomeClass::kClient,    OutcomeClass::kAuth,          OutcomeClass::kClockSkew};
      constexpr std::size_t kTimeout = 8;
      const std::size_t k = below(rnd, sizeof kFailures / sizeof kFailures[0]);
      out.outcome = kFailures[k];
      out.timed_out = k == kTimeout;
      if (is_throttle_class(out.outcome) && below(rnd, 2) == 0)
        out.retry_after_ms = range(rnd, 0, 3000);
    }
  }
  if (streaming && below(rnd, 4) == 0) out.output_delivered = true;
  if (below(rnd, 3) == 0) out.rtt_ns = range(rnd, 1, 300) * kMs;
  if (start_ns + duration > deadline_ns) {
    *end_ns = (deadline_ns + kTickNs - 1) / kTickNs * kTickNs;
    out.outcome = OutcomeClass::kTransient;
    out.timed_out = true;
    out.retry_after_ms = -1;
    return out;
  }
  *end_ns = start_ns + duration;
  return out;
}

// --- The budget, modelled independently ------------------------------------------

// The SDKs' standard retry quota: a retry costs retry_cost (timeout_retry_cost
// after a timeout) and is refused when fewer tokens are left; a successful call
// returns its last retry's cost, or no_retry_increment when it needed none; never
// above capacity.
struct BudgetModel {
  RetryBudgetOptions options;
  std::uint64_t tokens = 0;

  bool pay(std::uint32_t cost) {
    if (cost == 0 || tokens < cost) return false;
    tokens -= cost;
    return true;
  }
  void refund(std::uint32_t last_retry_cost) {
    tokens += last_retry_cost > 0 ? last_retry_cost : options.no_retry_increment;
    if (tokens > options.capacity) tokens = options.capacity;
  }
};

// --- Counters the run asserts on, so the generator provably covers each path -----

struct Coverage {
  std::map<Ending, int> endings;
  int calls = 0;
  int attempts = 0;
  int waits = 0;
  int drill_attempts = 0;
  int failovers = 0;       // successes after more than one attempt
  int good_calls = 0;      // calls of a model with a good listed endpoint
  int guaranteed = 0;      // of those, calls the headline of property 5 covers
  int deadline_ticks = 0;  // attempts cut by the deadline
};

// --- One case ----------------------------------------------------------------------

struct Drill {
  std::size_t region = 0;
  DrillKind kind = DrillKind::kDrain;
  std::int64_t until_ns = 0;
};

class CaseRunner {
 public:
  CaseRunner(Catalog& catalog, Router& router, Coverage& coverage)
      : catalog_(catalog), router_(router), cov_(coverage) {}

  void run(std::uint64_t seed, int index, bool with_drills);

 private:
  void trace(const std::string& line) {
    if (trace_.size() < kMaxTraceBytes) trace_ += line + "\n";
  }
  std::string where() const {
    return "\nreplay: seed " + std::to_string(seed_) + ", case " + std::to_string(index_) +
           " (EDGEROUTE_FAILOVER_CASE=" + std::to_string(index_) + ")\ncatalog: " + world_.json +
           "\n" + setup_ + "\n" + trace_;
  }
  const GenCandidate* find_candidate(std::string_view id, std::string_view source) const {
    for (const GenCandidate& c : world_.candidates) {
      if (c.id == id && c.source == source) return &c;
    }
    return nullptr;
  }
  std::size_t region_index(std::string_view name) const {
    for (std::size_t i = 0; i < world_.regions.size(); ++i) {
      if (world_.regions[i] == name) return i;
    }
    return world_.regions.size();
  }
  bool drained(std::size_t region, std::int64_t now) const { return drain_until_[region] > now; }
  bool failing(std::size_t region, std::int64_t now) const { return fail_until_[region] > now; }

  void check_route(const Route& route, const std::string& model, std::int64_t now,
                   bool drill_attempt);
  void call(const std::string& model, std::uint64_t call_rnd_bits);

  Catalog& catalog_;
  Router& router_;
  Coverage& cov_;
  std::unique_ptr<Policy> policy_;
  std::unique_ptr<RetryBudget> budget_;
  Random rnd_{0};
  ManualClock clock_;
  std::uint64_t seed_ = 0;
  int index_ = 0;
  const WorldOptions world_options_ = world_options();
  World world_;
  std::map<std::string, Allow> allow_of_;
  std::map<std::string, Regions> listed_;  // per model: allowed sources its mode uses
  std::vector<Fault> faults_;              // per region of world_.regions
  std::vector<std::int64_t> drain_until_, fail_until_;
  std::vector<bool> drilled_;
  BudgetModel model_;
  std::int64_t max_bad_ns_ = 0;
  std::string setup_;
  std::string trace_;
};

// Property 1 (and the drills): the route is allowed by definition, used by the
// model's mode, passes check_route, and respects any drill on its endpoint.
void CaseRunner::check_route(const Route& route, const std::string& model, std::int64_t now,
                             bool drill_attempt) {
  const GenCandidate* c = find_candidate(route.identifier, route.source_region);
  ASSERT_NE(c, nullptr) << std::string(route.identifier) << " @ "
                        << std::string(route.source_region) << " was never generated" << where();
  ASSERT_EQ(c->model, model) << where();
  ASSERT_TRUE(allowed_by_definition(*c, allow_of_[model]))
      << c->id << " @ " << c->source << " is outside the allowed regions" << where();
  ASSERT_TRUE(listed_[model].count(c->source))
      << c->source << " is not used in this model's mode" << where();
  ASSERT_TRUE(policy_->check_route(route.identifier, route.source_region).ok()) << where();
  const std::size_t r = region_index(route.source_region);
  ASSERT_FALSE(drained(r, now)) << "attempt on drained " << c->source << where();
  ASSERT_EQ(failing(r, now), drill_attempt)
      << (drill_attempt ? "a fail drill attempt outside a fail drill on "
                        : "sent to an endpoint with a fail drill on: ")
      << c->source << where();
  ASSERT_EQ(route.drill_failure, drill_attempt) << where();
}

void CaseRunner::run(std::uint64_t seed, int index, bool with_drills) {
  seed_ = seed;
  index_ = index;
  rnd_ = Random(seed);
  trace_.clear();
  world_ = make_world(rnd_, world_options_);
  ASSERT_TRUE(catalog_.load_json(world_.json, "random.json", CatalogMerge::kReplace).ok())
      << where();

  policy_ = std::make_unique<Policy>(catalog_);
  allow_of_.clear();
  Allow base;
  const std::string allow_list = make_allow(rnd_, world_, world_options_, &base);
  setup_ = "allow: " + allow_list;
  ASSERT_TRUE(policy_->set_allow(allow_list).ok()) << where();
  for (const std::string& m : world_.models) {
    allow_of_[m] = base;
    if (below(rnd_, 4) == 0) {
      Allow own;
      const std::string list = make_allow(rnd_, world_, world_options_, &own);
      setup_ += "; " + m + " allow: " + list;
      ASSERT_TRUE(policy_->set_model_allow(m, list).ok()) << where();
      allow_of_[m] = own;
    }
  }
  std::map<std::string, Regions> allowed;
  for (const GenCandidate& c : world_.candidates) {
    if (allowed_by_definition(c, allow_of_[c.model])) allowed[c.model].insert(c.source);
  }

  // Routing: modes and lists that init() accepts (lists name allowed sources only;
  // a model nothing is allowed for keeps the default mode and gets kNoRoute).
  RouterOptions options;
  options.default_mode = static_cast<RouteMode>(below(rnd_, 3));
  std::vector<ModelRouting> routing;
  std::vector<std::string> lists;
  lists.reserve(world_.models.size());  // ModelRouting points into these
  listed_ = allowed;
  for (const std::string& m : world_.models) {
    if (allowed[m].empty() || below(rnd_, 3) == 0) continue;
    ModelRouting r;
    r.model = m;
    r.mode = static_cast<RouteMode>(below(rnd_, 3));
    std::string list;
    if (r.mode != RouteMode::kLatency && below(rnd_, 3) != 0) {
      Regions used;
      for (const std::string& region :
           subset(rnd_, std::vector<std::string>(allowed[m].begin(), allowed[m].end()))) {
        const std::size_t weight = below(rnd_, 4);
        list += (list.empty() ? "" : ",") + region;
        if (r.mode == RouteMode::kWeighted) list += "=" + std::to_string(weight);
        if (r.mode == RouteMode::kFailover || weight > 0) used.insert(region);
      }
      listed_[m] = used;
    }
    lists.push_back(list);
    (r.mode == RouteMode::kFailover ? r.order : r.weights) = lists.back();
    routing.push_back(r);
    setup_ += "; " + m + " " + to_string(r.mode) + " [" + list + "]";
  }
  options.models = routing.data();
  options.model_count = routing.size();
  options.cooldown.base_ns = range(rnd_, 10, 1000) * kMs;
  options.cooldown.cap_ns = options.cooldown.base_ns * range(rnd_, 1, 40);
  options.cooldown.max_retry_after_ns = range(rnd_, 100, 60000) * kMs;
  options.breaker.consecutive_failures = static_cast<std::uint32_t>(range(rnd_, 1, 6));
  options.breaker.min_requests = static_cast<std::uint32_t>(range(rnd_, 2, 20));
  options.breaker.open_ns = range(rnd_, 10, 10000) * kMs;
  options.adaptive_rate = below(rnd_, 4) != 0;
  setup_ += "; default mode " + std::string(to_string(options.default_mode)) + ", cooldown base " +
            std::to_string(options.cooldown.base_ns / kMs) + " ms cap " +
            std::to_string(options.cooldown.cap_ns / kMs) + " ms, breaker " +
            std::to_string(options.breaker.consecutive_failures) + " in a row, open " +
            std::to_string(options.breaker.open_ns / kMs) + " ms, adaptive rate " +
            (options.adaptive_rate ? "on" : "off");
  const Status init = router_.init(*policy_, options);
  ASSERT_TRUE(init.ok()) << init.message() << where();

  // The budget: the SDKs' default, or a small one that runs dry.
  RetryBudgetOptions budget_options;
  if (below(rnd_, 2) == 0) budget_options.capacity = static_cast<std::uint32_t>(range(rnd_, 0, 40));
  budget_ = std::make_unique<RetryBudget>(budget_options);
  model_.options = budget_options;
  model_.tokens = budget_options.capacity;
  setup_ += "; budget " + std::to_string(budget_options.capacity);

  faults_.assign(world_.regions.size(), Fault());
  static const std::uint32_t kSuccessPct[] = {0, 20, 50, 80};
  for (std::size_t r = 0; r < faults_.size(); ++r) {
    faults_[r].good = below(rnd_, 4) == 0;
    faults_[r].success_pct = kSuccessPct[below(rnd_, 4)];
    setup_ += "; " + world_.regions[r] +
              (faults_[r].good ? " good" : " bad " + std::to_string(faults_[r].success_pct) + "%");
  }
  static const std::int64_t kMaxBadNs[] = {20 * kMs, 200 * kMs, 2000 * kMs, 20000 * kMs};
  max_bad_ns_ = kMaxBadNs[below(rnd_, 4)];
  setup_ += "; bad attempts up to " + std::to_string(max_bad_ns_ / kMs) + " ms";

  clock_ = ManualClock(range(rnd_, 1, 1000000) * kMs);
  RandomProber prober(rnd_, /*random_sizes=*/false);
  router_.tick(clock_.monotonic_ns(), rnd_.next_u64(), prober);

  drain_until_.assign(world_.regions.size(), 0);
  fail_until_.assign(world_.regions.size(), 0);
  drilled_.assign(world_.regions.size(), false);
  if (with_drills) {
    const std::int64_t now = clock_.monotonic_ns();
    const std::size_t count = 1 + below(rnd_, 2);
    for (std::size_t d = 0; d < count; ++d) {
      const std::size_t r = region_index(world_.mentioned[below(rnd_, world_.mentioned.size())]);
      const DrillKind kind = below(rnd_, 2) == 0 ? DrillKind::kDrain : DrillKind::kFail;
      const std::int64_t until = now + range(rnd_, 1, 120000) * kMs;
      // Only an endpoint some allowed candidate uses can be drilled.
      const Policy& policy = *router_.policy();
      bool used = false;
      for (std::size_t i = 0; i < policy.catalog().candidate_count(); ++i) {
        const Candidate& c = policy.catalog().candidate(i);
        used = used || (policy.catalog().region_name(c.source_region) == world_.regions[r] &&
                        policy.check(c).allowed());
      }
      const Status drilled = router_.drill(world_.regions[r], kind, until, now);
      if (!used) {
        ASSERT_EQ(drilled.code(), Code::kInvalidArgument) << where();
        ASSERT_NE(std::string(drilled.message()).find("outside the allowed set"), std::string::npos);
        continue;
      }
      ASSERT_TRUE(drilled.ok()) << drilled.message() << where();
      (kind == DrillKind::kDrain ? drain_until_ : fail_until_)[r] = until;
      drilled_[r] = true;
      setup_ += "; drill " + std::string(to_string(kind)) + " " + world_.regions[r] + " for " +
                std::to_string((until - now) / kMs) + " ms";
    }
    const Status unknown = router_.drill("zz-nowhere-1", DrillKind::kDrain, now + kMs, now);
    ASSERT_EQ(unknown.code(), Code::kNotFound) << where();
  }

  const std::size_t calls = 1 + below(rnd_, 8);
  for (std::size_t k = 0; k < calls; ++k) {
    static const std::int64_t kGapNs[] = {0, 50 * kMs, 2000 * kMs, 30000 * kMs};
    clock_.advance_ns(range(rnd_, 0, kGapNs[below(rnd_, 4)]));
    call(world_.models[below(rnd_, world_.models.size())], rnd_.next_u64());
    if (::testing::Test::HasFatalFailure()) return;
  }
}

void CaseRunner::call(const std::string& model, std::uint64_t call_rnd_bits) {
  const std::int64_t start = clock_.monotonic_ns();
  FailoverOptions fo;
  fo.max_attempts = static_cast<std::uint32_t>(range(rnd_, 1, FailoverOptions::kMaxAttempts));
  static const std::int64_t kPollNs[] = {kMs, 10 * kMs, 50 * kMs, 200 * kMs};
  static const std::int64_t kMinAttemptNs[] = {0, kMs, 10 * kMs, 50 * kMs};
  fo.poll_ns = kPollNs[below(rnd_, 4)];
  fo.min_attempt_ns = kMinAttemptNs[below(rnd_, 4)];
  // Deadlines from shorter than one attempt to a minute.
  static const std::int64_t kDeadlineNs[] = {20 * kMs,   500 * kMs,  500 * kMs,
                                             5000 * kMs, 5000 * kMs, 60000 * kMs};
  const std::int64_t deadline = start + range(rnd_, 0, kDeadlineNs[below(rnd_, 6)]);
  const bool streaming = (call_rnd_bits & 1) != 0;
  const std::string session =
      (call_rnd_bits & 6) != 0 ? "s" + std::to_string((call_rnd_bits >> 1) & 3) : "";
  trace("call " + model + " session '" + session + "' at " + std::to_string(start) + " deadline +" +
        std::to_string(deadline - start) + " ns, max_attempts " + std::to_string(fo.max_attempts) +
        ", min_attempt " + std::to_string(fo.min_attempt_ns) + ", poll " +
        std::to_string(fo.poll_ns) + (streaming ? ", streaming" : "") + ", tokens " +
        std::to_string(model_.tokens));

  // Property 5's premise: a listed source of this model that never fails.
  const Regions& listed = listed_[model];
  std::string good;
  for (const std::string& s : listed) {
    const std::size_t r = region_index(s);
    if (faults_[r].good && !drilled_[r]) good = s;
  }
  const std::uint64_t tokens_at_start = model_.tokens;

  RoutedCall call(router_, *budget_, model, session, deadline, fo);
  // The budget model's view of the call: a retry is owed after a retryable failure
  // and paid when the call goes on to retry (before it waits for an endpoint, as
  // the SDKs take the token before their backoff sleep).
  bool owed = false, paid = false;
  std::uint32_t owed_cost = 0, last_paid = 0;
  std::size_t attempts = 0;
  std::uint32_t waits = 0;
  bool ended_final = false;  // an attempt ended in a way that may not be retried
  Ending expected = Ending::kNone;
  std::int64_t end_ns = -1;
  const auto settle = [&](std::int64_t now) -> Ending {
    if (deadline - now < fo.min_attempt_ns) return Ending::kDeadline;
    if (owed && !paid) {
      if (!model_.pay(owed_cost)) return Ending::kBudget;
      paid = true;
      last_paid = owed_cost;
    }
    return Ending::kNone;
  };
  const auto after_failure = [&](bool timed_out) {
    owed = attempts < fo.max_attempts;
    paid = false;
    owed_cost = timed_out ? model_.options.timeout_retry_cost : model_.options.retry_cost;
    if (!owed) expected = Ending::kAttempts;
  };

  for (int steps = 0;; ++steps) {
    ASSERT_LT(steps, kMaxStepsPerCall) << "the call does not end" << where();
    const std::int64_t now = clock_.monotonic_ns();
    const std::size_t before = call.attempt_count();
    const Step step = call.next(now, rnd_.next_u64());
    // Fail drills are consumed inside next(): each is an attempt, paid like any.
    for (std::size_t i = before; i < call.attempt_count(); ++i) {
      const RoutedCall::AttemptRecord& rec = call.attempt(i);
      ASSERT_TRUE(rec.drill) << "an attempt recorded without complete()" << where();
      ASSERT_EQ(i, attempts) << where();
      ASSERT_STREQ(to_string(settle(now)), to_string(Ending::kNone))
          << "a drill attempt the deadline or budget did not allow" << where();
      check_route(rec.route, model, now, true);
      if (::testing::Test::HasFatalFailure()) return;
      ASSERT_EQ(rec.start_ns, now) << where();
      ASSERT_EQ(rec.end_ns, now) << where();
      ASSERT_STREQ(to_string(rec.outcome), "transient") << where();
      trace("  drill failure on " + std::string(rec.route.source_region));
      ++attempts;
      ++cov_.drill_attempts;
      after_failure(false);
    }
    // The same rule decides whether this next() had to end the call, and pays a
    // retry it goes on with.
    if (expected == Ending::kNone) expected = settle(now);
    ASSERT_EQ(budget_->available(), model_.tokens) << "budget differs from the model" << where();
    if (step == Step::kDone) {
      end_ns = now;
      trace("  done: " + std::string(to_string(call.ending())) + " " + call.status().message());
      ASSERT_STRNE(to_string(call.ending()), to_string(Ending::kRefused))
          << "the router picked a route the policy refuses: " << call.status().message() << where();
      if (expected != Ending::kNone) {
        ASSERT_STREQ(to_string(call.ending()), to_string(expected)) << where();
      } else if (call.ending() == Ending::kNoRoute) {
        ASSERT_EQ(attempts, 0u) << where();
        ASSERT_TRUE(listed.empty())
            << "no route although " << *listed.begin() << " is listed" << where();
      } else {
        // Nothing usable could be reached in time: the earliest due endpoint (or the
        // next poll) leaves less than min_attempt_ns before the deadline.
        ASSERT_STREQ(to_string(call.ending()), to_string(Ending::kDeadline)) << where();
        const std::int64_t due = router_.next_due_ns(model, now);
        ASSERT_GT(due, now) << "ended for the deadline with a usable endpoint" << where();
        const std::int64_t wake = due == INT64_MAX ? now + fo.poll_ns : due;
        ASSERT_LT(deadline - wake, fo.min_attempt_ns) << where();
      }
      ASSERT_EQ(budget_->available(), model_.tokens) << "budget differs from the model" << where();
      break;
    }
    ASSERT_TRUE(expected == Ending::kNone)
        << "expected the call to end (" << to_string(expected) << "), got step "
        << (step == Step::kSend ? "send" : "wait") << where();
    ASSERT_FALSE(ended_final) << "retried after a final outcome" << where();
    if (step == Step::kWait) {
      const std::int64_t until = call.wait_until_ns();
      ASSERT_GT(until, now) << "a wait that does not advance" << where();
      ASSERT_LT(until, deadline) << "a wait past the deadline" << where();
      // Waiting for an endpoint that comes back too late for an attempt only makes
      // the caller wait to fail.
      ASSERT_GE(deadline - until, fo.min_attempt_ns)
          << "a wait that leaves no time for an attempt" << where();
      ASSERT_TRUE(good.empty()) << "waited although " << good << " is always usable" << where();
      ++waits;
      ++cov_.waits;
      clock_.advance_ns(until - now);
      continue;
    }
    ASSERT_EQ(step, Step::kSend) << where();
    const Route route = call.route();
    check_route(route, model, now, false);
    if (::testing::Test::HasFatalFailure()) return;
    ASSERT_GE(deadline - now, fo.min_attempt_ns)
        << "an attempt started too close to the deadline" << where();
    ASSERT_TRUE(attempts == 0 || paid) << "a retry sent without being paid for" << where();
    const std::size_t region = region_index(route.source_region);
    std::int64_t attempt_end = 0;
    const AttemptOutcome outcome = fake_attempt(rnd_, faults_[region], streaming, now, deadline,
                                                fo.min_attempt_ns, max_bad_ns_, &attempt_end);
    if (attempt_end > deadline) ++cov_.deadline_ticks;
    ASSERT_LE(attempt_end, deadline + kTickNs) << where();
    clock_.advance_ns(attempt_end - now);
    call.complete(outcome, attempt_end);
    trace("  " + std::string(route.identifier) + " @ " + std::string(route.source_region) + " " +
          std::to_string(now) + ".." + std::to_string(attempt_end) + " " +
          to_string(outcome.outcome) + (outcome.timed_out ? " timed out" : "") +
          (outcome.output_delivered ? " output delivered" : "") +
          (outcome.retry_after_ms >= 0 ? " retry-after " + std::to_string(outcome.retry_after_ms)
                                       : ""));
    ASSERT_EQ(call.attempt_count(), attempts + 1) << where();
    const RoutedCall::AttemptRecord& rec = call.attempt(attempts);
    ASSERT_FALSE(rec.drill) << where();
    ASSERT_EQ(rec.route.candidate, route.candidate) << where();
    ASSERT_STREQ(to_string(rec.outcome), to_string(outcome.outcome)) << where();
    ASSERT_EQ(rec.start_ns, now) << where();
    ASSERT_EQ(rec.end_ns, attempt_end) << where();
    ++attempts;
    ++cov_.attempts;
    // Property 4: what may and may not be retried.
    if (outcome.outcome == OutcomeClass::kSuccess) {
      model_.refund(attempts > 1 ? last_paid : 0);
      expected = Ending::kSuccess;
      ended_final = true;
    } else if (outcome.output_delivered) {
      expected = Ending::kOutputDelivered;
      ended_final = true;
    } else if (!retryable_by_definition(outcome.outcome)) {
      expected = Ending::kNotRetryable;
      ended_final = true;
    } else {
      after_failure(outcome.timed_out);
    }
    if (expected != Ending::kNone) {
      ASSERT_TRUE(call.done()) << "not done after " << to_string(outcome.outcome) << where();
      ASSERT_STREQ(to_string(call.ending()), to_string(expected)) << where();
    } else {
      ASSERT_FALSE(call.done()) << "ended after a retryable failure: " << to_string(call.ending())
                                << where();
    }
    ASSERT_EQ(budget_->available(), model_.tokens) << "budget differs from the model" << where();
  }

  // A finished call stays finished: nothing more is sent or charged.
  ASSERT_EQ(call.next(clock_.monotonic_ns(), rnd_.next_u64()), Step::kDone) << where();
  ASSERT_EQ(call.attempt_count(), attempts) << where();
  ASSERT_EQ(budget_->available(), model_.tokens) << where();

  // Properties 2 and 3 over the whole call.
  ASSERT_LE(call.attempt_count(), fo.max_attempts) << where();
  ASSERT_LE(end_ns, deadline + kTickNs) << "the call outlived its deadline" << where();
  ASSERT_EQ(call.waits(), waits) << where();
  ASSERT_EQ(call.ok(), call.ending() == Ending::kSuccess) << where();

  // Property 5. With a good endpoint G listed for the model (always succeeds,
  // answers within min_attempt_ns, never drilled), G is always usable, so:
  //   - the call never waits (checked above at every kWait);
  //   - each attempt goes to a source region not tried before in the call (G stays
  //     untried and usable until it is tried, and then the call has succeeded);
  //   - the call ends in success, or for a reason other than G:
  //     kNotRetryable / kOutputDelivered (another endpoint's final answer),
  //     kBudget (the model had less than the retry's cost), kDeadline only by the
  //     rule "less than min_attempt_ns left" (settle() predicted it), or kAttempts
  //     after max_attempts distinct regions none of which was G;
  //   - hence, a priori: if no attempt ended final, max_attempts >= n (the listed
  //     sources), the budget held (n - 1) * timeout_retry_cost at the start, and
  //     deadline - start >= (n - 1) * the longest bad attempt + min_attempt_ns,
  //     the call succeeds.
  if (!good.empty()) {
    ++cov_.good_calls;
    Regions tried;
    for (std::size_t i = 0; i < call.attempt_count(); ++i) {
      const std::string source(call.attempt(i).route.source_region);
      ASSERT_TRUE(tried.insert(source).second)
          << "retried " << source << " while " << good << " was untried" << where();
    }
    switch (call.ending()) {
      case Ending::kSuccess:
      case Ending::kNotRetryable:
      case Ending::kOutputDelivered:
        break;
      case Ending::kBudget:
      case Ending::kDeadline:
        break;  // predicted by settle(): asserted above
      case Ending::kAttempts:
        ASSERT_EQ(call.attempt_count(), fo.max_attempts) << where();
        ASSERT_FALSE(tried.count(good)) << where();
        break;
      default:
        FAIL() << "ended " << to_string(call.ending()) << " although " << good << " is usable"
               << where();
    }
    const std::uint64_t n = listed.size();
    const bool premise =
        fo.max_attempts >= n && tokens_at_start >= (n - 1) * model_.options.timeout_retry_cost &&
        deadline - start >= static_cast<std::int64_t>(n - 1) * max_bad_ns_ + fo.min_attempt_ns;
    const bool final_failure =
        call.ending() == Ending::kNotRetryable || call.ending() == Ending::kOutputDelivered;
    if (premise && !final_failure) {
      ++cov_.guaranteed;
      ASSERT_TRUE(call.ok()) << "failover did not find " << good << ": " << to_string(call.ending())
                             << " " << call.status().message() << where();
    }
  }

  ++cov_.calls;
  ++cov_.endings[call.ending()];
  if (call.ok() && call.attempt_count() > 1) ++cov_.failovers;
}

std::uint64_t case_seed(std::uint64_t base, int index) {
  // splitmix64 of base + index: neighbouring cases get unrelated streams.
  std::uint64_t z = base + 0x9E3779B97F4A7C15ull * static_cast<std::uint64_t>(index + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// Runs `count` cases (or only EDGEROUTE_FAILOVER_CASE), stopping at the first failure.
Coverage run_cases(std::uint64_t base_seed, int count, bool with_drills, bool* single) {
  Coverage coverage;
  auto catalog = std::make_unique<Catalog>();
  auto router = std::make_unique<Router>();
  CaseRunner runner(*catalog, *router, coverage);
  int first = 0, last = count;
  const char* only = std::getenv("EDGEROUTE_FAILOVER_CASE");
  *single = only != nullptr && *only != '\0';
  if (*single) {
    first = std::atoi(only);
    last = first + 1;
  }
  for (int i = first; i < last; ++i) {
    runner.run(case_seed(base_seed, i), i, with_drills);
    if (::testing::Test::HasFailure()) break;
  }
  return coverage;
}

TEST(FailoverProperty, TenThousandFaultSequencesKeepResidencyBudgetAndDeadline) {
  bool single = false;
  const Coverage cov = run_cases(20261124, kCases, false, &single);
  if (single || HasFailure()) return;
  // The generator must reach every ending and every mechanism, not only the easy ones.
  for (Ending e : {Ending::kSuccess, Ending::kNotRetryable, Ending::kOutputDelivered,
                   Ending::kAttempts, Ending::kBudget, Ending::kDeadline, Ending::kNoRoute}) {
    EXPECT_GT(cov.endings.count(e) ? cov.endings.at(e) : 0, 50) << to_string(e);
  }
  EXPECT_GT(cov.calls, kCases * 3);
  EXPECT_GT(cov.failovers, 800);
  EXPECT_GT(cov.waits, 1000);
  EXPECT_GT(cov.deadline_ticks, 1000);
  EXPECT_GT(cov.good_calls, 5000);
  EXPECT_GT(cov.guaranteed, 2000);
}

TEST(FailoverProperty, DrillsTakeEndpointsOutWithoutBreakingTheProperties) {
  bool single = false;
  const Coverage cov = run_cases(20261125, kDrillCases, true, &single);
  if (single || HasFailure()) return;
  EXPECT_GT(cov.drill_attempts, 500);
  EXPECT_GT(cov.endings.count(Ending::kSuccess) ? cov.endings.at(Ending::kSuccess) : 0, 1000);
  EXPECT_GT(cov.failovers, 200);
  EXPECT_GT(cov.guaranteed, 500);
}

}  // namespace
}  // namespace edgeroute
