// The auditor's check of one audit line: see edgeroute/audit.h.
#include <cjson/cJSON.h>

#include <cstdio>
#include <memory>
#include <string>

#include "edgeroute/audit.h"

namespace edgeroute {
namespace {

using JsonPtr = std::unique_ptr<cJSON, void (*)(cJSON*)>;

const char* string_member(const cJSON* o, const char* key) {
  const cJSON* v = cJSON_GetObjectItemCaseSensitive(o, key);
  return cJSON_IsString(v) ? v->valuestring : nullptr;
}

// One (identifier, source region, destinations) of the line: `where` names it.
Status check_pair(const cJSON* o, const char* where, const Policy& policy) {
  const char* identifier = string_member(o, "identifier");
  const char* source = string_member(o, "source_region");
  if (identifier == nullptr || source == nullptr) {
    return Status::error(Code::kParseError, "%s: identifier and source_region must be strings", where);
  }
  const Catalog& catalog = policy.catalog();
  const int index = catalog.find_candidate(identifier, source);
  if (index == Catalog::kNone) {
    return Status::error(Code::kNotFound, "%s: %s @ %s is not a pair of the catalog, so its destinations are unknown",
                         where, identifier, source);
  }
  const Status allowed = policy.check_route(identifier, source);
  if (!allowed.ok()) return Status::error(allowed.code(), "%s: %s", where, allowed.message());
  const cJSON* destinations = cJSON_GetObjectItemCaseSensitive(o, "destinations");
  if (!cJSON_IsArray(destinations)) {
    return Status::error(Code::kParseError, "%s: destinations must be a list of regions", where);
  }
  const Candidate& c = catalog.candidate(static_cast<std::size_t>(index));
  RegionMask recorded;
  const cJSON* d = nullptr;
  cJSON_ArrayForEach(d, destinations) {
    const int region = cJSON_IsString(d) ? catalog.find_region(d->valuestring) : Catalog::kNone;
    if (region == Catalog::kNone || !c.destinations.test(static_cast<std::size_t>(region))) {
      return Status::error(Code::kPermissionDenied,
                           "%s: destination %s is not one the catalog permits for %s @ %s", where,
                           cJSON_IsString(d) ? d->valuestring : "(not a string)", identifier, source);
    }
    recorded.set(static_cast<std::size_t>(region));
  }
  const int missing = c.destinations.first_outside(recorded);
  if (missing >= 0) {
    return Status::error(Code::kPermissionDenied, "%s: destinations leave out %s, which the catalog permits for %s @ %s",
                         where, std::string(catalog.region_name(static_cast<std::size_t>(missing))).c_str(), identifier,
                         source);
  }
  return Status();
}

}  // namespace

Status verify_audit_line(std::string_view line, const Policy& policy) {
  JsonPtr root(cJSON_ParseWithLength(line.data(), line.size()), cJSON_Delete);
  if (root == nullptr || !cJSON_IsObject(root.get())) {
    return Status::error(Code::kParseError, "not a JSON object");
  }
  const cJSON* o = root.get();
  if (string_member(o, "time") == nullptr || string_member(o, "operation") == nullptr ||
      string_member(o, "result") == nullptr) {
    return Status::error(Code::kParseError, "not an audit record: time, operation and result must be strings");
  }
  const cJSON* attempts = cJSON_GetObjectItemCaseSensitive(o, "attempts");
  if (!cJSON_IsArray(attempts)) return Status::error(Code::kParseError, "attempts must be a list");
  const bool routed = !cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(o, "source_region"));
  if (routed) {
    const Status st = check_pair(o, "route", policy);
    if (!st.ok()) return st;
  } else if (cJSON_GetArraySize(attempts) > 0) {
    return Status::error(Code::kParseError, "attempts were sent but the line names no route");
  }
  int n = 0;
  const cJSON* a = nullptr;
  cJSON_ArrayForEach(a, attempts) {
    char where[32];
    std::snprintf(where, sizeof where, "attempt %d", ++n);
    if (!cJSON_IsObject(a)) return Status::error(Code::kParseError, "%s: not an object", where);
    const Status st = check_pair(a, where, policy);
    if (!st.ok()) return st;
  }
  // The served region, when the service named one, must be a destination of the route.
  const cJSON* served = cJSON_GetObjectItemCaseSensitive(o, "served_region");
  if (served != nullptr && !cJSON_IsNull(served)) {
    if (!cJSON_IsString(served) || !routed) {
      return Status::error(Code::kParseError, "served_region must be null or a region of a routed call");
    }
    const Catalog& catalog = policy.catalog();
    const int index = catalog.find_candidate(string_member(o, "identifier"), string_member(o, "source_region"));
    const int region = catalog.find_region(served->valuestring);
    if (region == Catalog::kNone || !catalog.candidate(static_cast<std::size_t>(index)).destinations.test(
                                        static_cast<std::size_t>(region))) {
      return Status::error(Code::kPermissionDenied, "served_region %s is not a destination of the route",
                           served->valuestring);
    }
  }
  return Status();
}

}  // namespace edgeroute
