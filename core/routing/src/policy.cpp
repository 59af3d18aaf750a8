// Residency policy: allow lists as region masks; a candidate is a subset test.
#include "edgeroute/policy.h"

#include <cstdarg>
#include <cstdio>

namespace edgeroute {
namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// snprintf that appends at `*used`, keeps counting past the end, and returns what
// the whole text needs.
void append(char* buf, std::size_t capacity, std::size_t* used, const char* format, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;

void append(char* buf, std::size_t capacity, std::size_t* used, const char* format, ...) {
  va_list args;
  va_start(args, format);
  char* at = *used < capacity ? buf + *used : nullptr;
  const std::size_t room = *used < capacity ? capacity - *used : 0;
  const int n = std::vsnprintf(at, room, format, args);
  va_end(args);
  if (n > 0) *used += static_cast<std::size_t>(n);
}

}  // namespace

const char* to_string(Exclusion exclusion) {
  switch (exclusion) {
    case Exclusion::kAllowed: return "allowed";
    case Exclusion::kSourceNotAllowed: return "source_not_allowed";
    case Exclusion::kGlobalNotAllowed: return "global_not_allowed";
    case Exclusion::kDestinationNotAllowed: return "destination_not_allowed";
  }
  return "unknown";
}

Status Policy::parse(std::string_view list, Allow* out) const {
  Allow allow;
  std::size_t names = 0;
  char text[kAllowTextBytes];
  std::size_t text_bytes = 0;
  bool cut = false;
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view name = trim_spaces(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
    if (name.empty()) continue;
    ++names;
    // "eu, us" is kept as "eu,us"; what does not fit ends in "...".
    const std::size_t need = (text_bytes > 0 ? 1 : 0) + name.size();
    if (!cut && text_bytes + need <= sizeof text - 3) {
      if (text_bytes > 0) text[text_bytes++] = ',';
      for (char c : name) text[text_bytes++] = c;
    } else if (!cut) {
      cut = true;
      for (int i = 0; i < 3; ++i) text[text_bytes++] = '.';
    }
    const int set = catalog_->find_region_set(name);
    if (set != Catalog::kNone) {
      allow.regions |= catalog_->region_set(static_cast<std::size_t>(set));
      if (name == "global") allow.global = true;
      continue;
    }
    const int region = catalog_->find_region(name);
    if (region == Catalog::kNone) {
      return Status::error(Code::kInvalidArgument,
                           "allow: '%.*s' is neither a region set nor a region of the catalog",
                           static_cast<int>(name.size()), name.data());
    }
    allow.regions.set(static_cast<std::size_t>(region));
  }
  if (names == 0) return Status::error(Code::kInvalidArgument, "allow: the list is empty");
  allow.text.assign(std::string_view(text, text_bytes));
  *out = allow;
  return Status();
}

Status Policy::set_allow(std::string_view allow_list) { return parse(allow_list, &default_allow_); }

Status Policy::set_model_allow(std::string_view model_id, std::string_view allow_list) {
  const int model = catalog_->find_model(model_id);
  if (model == Catalog::kNone) {
    return Status::error(Code::kNotFound, "allow: model '%.*s' is not in the catalog",
                         static_cast<int>(model_id.size()), model_id.data());
  }
  Allow allow;
  Status s = parse(allow_list, &allow);
  if (!s.ok()) return s;
  std::size_t i = 0;
  while (i < override_count_ && overrides_[i].model != model) ++i;
  if (i == override_count_) ++override_count_;  // at most one per model: cannot overflow
  overrides_[i].model = static_cast<std::uint16_t>(model);
  overrides_[i].allow = allow;
  return Status();
}

const Policy::Allow& Policy::allow_for(std::size_t model) const {
  for (std::size_t i = 0; i < override_count_; ++i) {
    if (overrides_[i].model == model) return overrides_[i].allow;
  }
  return default_allow_;
}

Verdict Policy::check(const Candidate& c) const {
  const Allow& allow = allow_for(c.model);
  Verdict v;
  v.model = c.model;
  if (!allow.regions.test(c.source_region)) {
    v.exclusion = Exclusion::kSourceNotAllowed;
    v.region = c.source_region;
  } else if (c.global_profile && !allow.global) {
    v.exclusion = Exclusion::kGlobalNotAllowed;
  } else {
    const int outside = c.destinations.first_outside(allow.regions);
    if (outside >= 0) {
      v.exclusion = Exclusion::kDestinationNotAllowed;
      v.region = static_cast<std::uint16_t>(outside);
    }
  }
  return v;
}

Status Policy::check_route(std::string_view identifier, std::string_view source_region) const {
  const int index = catalog_->find_candidate(identifier, source_region);
  if (index == Catalog::kNone) {
    return Status::error(Code::kPermissionDenied,
                         "residency: %.*s @ %.*s is not in the catalog; its destinations are unknown",
                         static_cast<int>(identifier.size()), identifier.data(),
                         static_cast<int>(source_region.size()), source_region.data());
  }
  const Verdict v = check(catalog_->candidate(static_cast<std::size_t>(index)));
  if (v.allowed()) return Status();
  char reason[160];
  (void)describe(v, reason, sizeof reason);
  return Status::error(Code::kPermissionDenied, "residency: %.*s @ %.*s: %s",
                       static_cast<int>(identifier.size()), identifier.data(),
                       static_cast<int>(source_region.size()), source_region.data(), reason);
}

std::size_t Policy::describe(const Verdict& v, char* buf, std::size_t capacity) const {
  std::size_t used = 0;
  if (capacity > 0) buf[0] = '\0';
  const bool known = v.region < catalog_->region_count();
  const std::string_view region = known ? catalog_->region_name(v.region) : std::string_view("?");
  const std::string_view country = known ? catalog_->region_country(v.region) : std::string_view();
  const std::string_view allow = allow_for(v.model).text.view();
  const char* role = v.exclusion == Exclusion::kSourceNotAllowed ? "source" : "destination";
  switch (v.exclusion) {
    case Exclusion::kAllowed:
      append(buf, capacity, &used, "allowed");
      break;
    case Exclusion::kSourceNotAllowed:
    case Exclusion::kDestinationNotAllowed:
      append(buf, capacity, &used, "%s %.*s", role, static_cast<int>(region.size()), region.data());
      if (!country.empty()) {
        append(buf, capacity, &used, " (%.*s)", static_cast<int>(country.size()), country.data());
      }
      if (allow.empty()) {
        append(buf, capacity, &used, " outside the allowed set (none set)");
      } else {
        append(buf, capacity, &used, " outside %.*s", static_cast<int>(allow.size()), allow.data());
      }
      break;
    case Exclusion::kGlobalNotAllowed:
      append(buf, capacity, &used, "global profile, and 'global' is not allowed");
      break;
  }
  return used;
}

Status Policy::require_candidate(std::size_t model) const {
  const std::size_t first = catalog_->model_first_candidate(model);
  const std::size_t count = catalog_->model_candidate_count(model);
  for (std::size_t i = first; i < first + count; ++i) {
    if (check(catalog_->candidate(i)).allowed()) return Status();
  }
  const std::string_view name = catalog_->model_name(model);
  if (count == 0) {
    return Status::error(Code::kPermissionDenied, "policy leaves %.*s no candidate: the catalog has none",
                         static_cast<int>(name.size()), name.data());
  }
  const Candidate& c = catalog_->candidate(first);
  const std::string_view id = catalog_->identifier(c);
  const std::string_view source = catalog_->region_name(c.source_region);
  char reason[160];
  (void)describe(check(c), reason, sizeof reason);
  return Status::error(Code::kPermissionDenied,
                       "policy leaves %.*s no candidate: all %zu excluded, e.g. %.*s @ %.*s: %s",
                       static_cast<int>(name.size()), name.data(), count, static_cast<int>(id.size()),
                       id.data(), static_cast<int>(source.size()), source.data(), reason);
}

std::size_t Policy::explain(std::size_t model, char* buf, std::size_t capacity) const {
  std::size_t used = 0;
  if (capacity > 0) buf[0] = '\0';
  const std::size_t first = catalog_->model_first_candidate(model);
  const std::size_t count = catalog_->model_candidate_count(model);
  for (std::size_t i = first; i < first + count; ++i) {
    const Candidate& c = catalog_->candidate(i);
    const std::string_view id = catalog_->identifier(c);
    const std::string_view source = catalog_->region_name(c.source_region);
    char reason[160];
    (void)describe(check(c), reason, sizeof reason);
    append(buf, capacity, &used, "%.*s @ %.*s: %s\n", static_cast<int>(id.size()), id.data(),
           static_cast<int>(source.size()), source.data(), reason);
  }
  return used;
}

std::size_t Policy::allowed_profiles(std::size_t model, char* buf, std::size_t capacity) const {
  std::size_t used = 0;
  if (capacity > 0) buf[0] = '\0';
  const std::size_t first = catalog_->model_first_candidate(model);
  const std::size_t count = catalog_->model_candidate_count(model);
  int last_profile = -1;  // a profile's candidates are consecutive
  for (std::size_t i = first; i < first + count; ++i) {
    const Candidate& c = catalog_->candidate(i);
    if (c.profile < 0 || c.profile == last_profile || !check(c).allowed()) continue;
    last_profile = c.profile;
    const std::string_view id = catalog_->identifier(c);
    append(buf, capacity, &used, "%s%.*s", used == 0 ? "" : ", ", static_cast<int>(id.size()), id.data());
  }
  return used;
}

}  // namespace edgeroute
