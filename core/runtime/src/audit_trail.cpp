// The audit trail's writer: see edgeroute/audit.h.
#include <cjson/cJSON.h>

#include <cstdio>
#include <ctime>

#include "edgeroute/audit.h"
#include "edgeroute/failover.h"
#include "edgeroute/runtime.h"

namespace edgeroute {
namespace {

using JsonPtr = std::unique_ptr<cJSON, void (*)(cJSON*)>;

std::string rfc3339_ms(std::int64_t utc_ms) {
  const std::time_t s = static_cast<std::time_t>(utc_ms / 1000);
  std::tm tm{};
  gmtime_r(&s, &tm);
  char buf[96];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<int>(utc_ms % 1000));
  return buf;
}

void add_string(cJSON* o, const char* key, std::string_view v) {
  cJSON_AddStringToObject(o, key, std::string(v).c_str());
}

// The catalog's destination regions of (identifier, source region); JSON null
// for a pair it lacks (verify then names the pair).
void add_destinations(cJSON* o, const Catalog& catalog, std::string_view identifier, std::string_view source_region) {
  const int index = catalog.find_candidate(identifier, source_region);
  if (index == Catalog::kNone) {
    cJSON_AddNullToObject(o, "destinations");
    return;
  }
  const Candidate& c = catalog.candidate(static_cast<std::size_t>(index));
  cJSON* list = cJSON_AddArrayToObject(o, "destinations");
  for (std::size_t r = 0; r < catalog.region_count(); ++r) {
    if (c.destinations.test(r)) cJSON_AddItemToArray(list, cJSON_CreateString(std::string(catalog.region_name(r)).c_str()));
  }
}

// "throttle: ThrottlingException" -> "throttle"; "" -> "success".
std::string outcome_of(const std::string& attempt_error) {
  if (attempt_error.empty()) return "success";
  return attempt_error.substr(0, attempt_error.find(':'));
}

}  // namespace

std::string audit_line(const CallEvent& event) {
  if (event.catalog == nullptr) return std::string();
  const Catalog& catalog = *event.catalog;
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON* o = root.get();
  add_string(o, "time", rfc3339_ms(event.start_utc_ms));
  if (event.request_id.empty()) {
    cJSON_AddNullToObject(o, "request_id");
  } else {
    add_string(o, "request_id", event.request_id);
  }
  add_string(o, "operation", event.operation);
  add_string(o, "model", event.model);
  add_string(o, "result", event.ok ? "ok" : "failed");
  const CallReport* report = event.report;
  if (event.ok || report == nullptr) {
    cJSON_AddNullToObject(o, "error_class");
  } else {
    add_string(o, "error_class", to_string(report->error.cls));
  }
  // Where the call ended: the last route the router chose.
  const RoutedCall* call = event.call;
  if (call != nullptr && call->attempt_count() > 0) {
    const Route& last = call->attempt(call->attempt_count() - 1).route;
    add_string(o, "identifier", last.identifier);
    add_string(o, "source_region", last.source_region);
    add_destinations(o, catalog, last.identifier, last.source_region);
  } else {
    cJSON_AddNullToObject(o, "identifier");
    cJSON_AddNullToObject(o, "source_region");
    cJSON_AddNullToObject(o, "destinations");
  }
  add_string(o, "policy", event.policy);
  cJSON* attempts = cJSON_AddArrayToObject(o, "attempts");
  if (report != nullptr) {
    for (const bedrock::Attempt& a : report->attempts) {
      cJSON* item = cJSON_CreateObject();
      add_string(item, "identifier", a.identifier);
      add_string(item, "source_region", a.source_region);
      add_destinations(item, catalog, a.identifier, a.source_region);
      add_string(item, "outcome", outcome_of(a.error));
      cJSON_AddNumberToObject(item, "http_status", a.http_status);
      if (a.request_id.empty()) {
        cJSON_AddNullToObject(item, "request_id");
      } else {
        add_string(item, "request_id", a.request_id);
      }
      cJSON_AddItemToArray(attempts, item);
    }
  }
  cJSON* drills = cJSON_AddArrayToObject(o, "drills");
  for (std::size_t i = 0; call != nullptr && i < call->attempt_count(); ++i) {
    const RoutedCall::AttemptRecord& a = call->attempt(i);
    if (!a.drill) continue;
    cJSON* item = cJSON_CreateObject();
    add_string(item, "identifier", a.route.identifier);
    add_string(item, "source_region", a.route.source_region);
    cJSON_AddItemToArray(drills, item);
  }
  // The answers the client reads (botocore's bedrock-runtime model) name no
  // destination region; null says "not said", never "none".
  cJSON_AddNullToObject(o, "served_region");
  char* text = cJSON_PrintUnformatted(o);
  std::string line = text != nullptr ? text : "";
  cJSON_free(text);
  return line;
}

Status AuditTrail::open(const Options& options, std::unique_ptr<AuditTrail>* out) {
  std::unique_ptr<AuditTrail> trail(new AuditTrail());
  const Status st = trail->file_.open(options.path, options.rotation, "audit trail");
  if (!st.ok()) return st;
  *out = std::move(trail);
  return Status();
}

void AuditTrail::on_call(const CallEvent& event) {
  std::string line = audit_line(event);
  if (line.empty()) return;
  line += '\n';
  std::lock_guard<std::mutex> lock(mutex_);
  const Status st = file_.append(line);
  if (!st.ok()) {
    if (failed_ == 0) first_error_ = st;
    ++failed_;
  }
}

std::uint64_t AuditTrail::failed_lines() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return failed_;
}

Status AuditTrail::first_error() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return first_error_;
}

}  // namespace edgeroute
