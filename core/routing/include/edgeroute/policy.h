// edgeroute/policy.h -- the residency policy: where a request may be processed.
//
// An allow list names region sets ("eu") and/or regions ("eu-central-1"). A
// candidate is allowed only if its source region and EVERY destination region its
// identifier may reach from that source lie inside the allowed set. So a
// region-level obligation ("eu-central-1") rules out every multi-region profile and
// leaves in-region model IDs. `global` profiles need `global` in the list itself:
// allowing every region one by one does not allow a profile whose destinations AWS
// may extend at any time.
//
// A policy is built at start-up against one catalog, which must outlive it and
// not change. check() and check_route() never allocate and may be called from any
// number of threads once building is done.
#ifndef EDGEROUTE_POLICY_H
#define EDGEROUTE_POLICY_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "edgeroute/catalog.h"
#include "edgeroute/route.h"
#include "edgeroute/status.h"

namespace edgeroute {

// Why the policy excludes a candidate.
enum class Exclusion : std::uint8_t {
  kAllowed = 0,
  kSourceNotAllowed,       // the endpoint itself lies outside the allowed set
  kGlobalNotAllowed,       // a global profile, and `global` is not in the allow list
  kDestinationNotAllowed,  // Bedrock may process it in a region outside the allowed set
};

// Stable lowercase name, e.g. "destination_not_allowed".
const char* to_string(Exclusion exclusion);

struct Verdict {
  Exclusion exclusion = Exclusion::kAllowed;
  // The offending region for kSourceNotAllowed / kDestinationNotAllowed (the
  // lowest-numbered one when several are outside).
  std::uint16_t region = 0;
  // The candidate's model: whose allow list decided (describe() names it).
  std::uint16_t model = 0;
  bool allowed() const { return exclusion == Exclusion::kAllowed; }
};

class Policy final : public ResidencyGate {
 public:
  explicit Policy(const Catalog& catalog) : catalog_(&catalog) {}

  // Sets the allow list for every model without an override: comma-separated set
  // and region names, spaces ignored ("eu", "eu-central-1", "eu, us"). Until it is
  // set, nothing is allowed. kInvalidArgument when a name is neither a region set
  // nor a region of the catalog, or the list is empty.
  Status set_allow(std::string_view allow_list);
  // Replaces the allow list for one model (kNotFound when the catalog lacks it).
  Status set_model_allow(std::string_view model_id, std::string_view allow_list);

  Verdict check(const Candidate& candidate) const;
  // The check the client repeats where the request is built: OK only when the
  // catalog has this (identifier, source region) pair and the policy allows it;
  // otherwise kPermissionDenied naming the reason. Unknown pairs are denied: their
  // destinations cannot be vouched for.
  Status check_route(std::string_view identifier, std::string_view source_region) const override;

  // OK when `model` has at least one allowed candidate. Otherwise kPermissionDenied
  // whose message counts the exclusions and names the first; explain() has them all.
  Status require_candidate(std::size_t model) const;
  // Writes one line per candidate of `model`: "<identifier> @ <source>: allowed" or
  // the reason it is excluded. Returns the bytes needed (excluding the NUL); the
  // text is cut, NUL-terminated, when `capacity` is smaller.
  std::size_t explain(std::size_t model, char* buf, std::size_t capacity) const;
  // The IDs of the inference profiles of `model` with at least one allowed
  // candidate, ", "-separated (what to call a profile-only model by). Returns the
  // bytes needed (excluding the NUL), like explain(); empty when there are none.
  std::size_t allowed_profiles(std::size_t model, char* buf, std::size_t capacity) const;
  // One reason as text, naming the region, its country when the catalog knows it,
  // and the allow list that left it out ("destination eu-west-2 (GB) outside eu").
  std::size_t describe(const Verdict& verdict, char* buf, std::size_t capacity) const;

  // The regions the default allow list admits (a catalog refresh lists in these).
  const RegionMask& allowed_regions() const { return default_allow_.regions; }
  // Whether the allow list that applies to `model` names `global`.
  bool allows_global(std::size_t model) const { return allow_for(model).global; }
  const Catalog& catalog() const { return *catalog_; }

 private:
  // The allow list as given, for explanations; a longer one is cut (with "...").
  static constexpr std::size_t kAllowTextBytes = 64;
  struct Allow {
    RegionMask regions;
    bool global = false;
    FixedName<kAllowTextBytes> text;
  };
  struct Override {
    std::uint16_t model = 0;
    Allow allow;
  };

  Status parse(std::string_view allow_list, Allow* out) const;
  const Allow& allow_for(std::size_t model) const;

  const Catalog* catalog_;
  Allow default_allow_;
  Override overrides_[limits::kRouterMaxModels];
  std::size_t override_count_ = 0;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_POLICY_H
