// edgeroute/audit.h -- a residency audit trail: one JSON line per routed call,
// and the check an auditor runs on it.
//
// Each line says when the call started, its request ID, the operation, the base
// model, the identifier and source region it ended on with the destination
// regions the catalog permits for that pair, the allow list in force, every HTTP
// exchange (identifier, source region, destinations, outcome class, HTTP status,
// request ID) and every attempt a fail drill failed unsent, and the region that
// served it when the service said (null otherwise). Never a prompt, an answer, an
// error message from the service (it may quote the request) or a credential.
//
//   {"time":"2026-12-05T12:00:00.123Z","request_id":"...","operation":"Converse",
//    "model":"anthropic.claude-haiku-4-5-20251001-v1:0","result":"ok","error_class":null,
//    "identifier":"eu.anthropic...","source_region":"eu-west-1","destinations":["eu-central-1",...],
//    "policy":"eu","attempts":[{"identifier":..,"source_region":..,"destinations":[..],
//    "outcome":"throttle","http_status":429,"request_id":".."}, ...],"drills":[],"served_region":null}
//
// AuditTrail is a CallObserver (RuntimeOptions::observers) that appends these
// lines to a size-rotated file (edgeroute/file_write.h: fsync on rotation). A
// line that cannot be written does not fail the call: it is counted, and the
// first such error kept for the application to report.
#ifndef EDGEROUTE_AUDIT_H
#define EDGEROUTE_AUDIT_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "edgeroute/call_observer.h"
#include "edgeroute/file.h"
#include "edgeroute/policy.h"
#include "edgeroute/status.h"

namespace edgeroute {

// The audit line of one call (without the trailing newline); empty when the event
// has no catalog.
std::string audit_line(const CallEvent& event);

// Checks one audit line against `policy` (and the catalog it was built on): every
// exchange's and the final (identifier, source region) must be a catalog pair the
// policy allows, every recorded destination set must be the catalog's for that
// pair, and a served region must be one of them. OK, or one line naming the
// problem: kParseError for a line that is not an audit record, kPermissionDenied
// for one that breaks the policy, kNotFound for a pair the catalog lacks.
Status verify_audit_line(std::string_view line, const Policy& policy);

class AuditTrail final : public CallObserver {
 public:
  struct Options {
    std::string path;
    RotatingFile::Options rotation;
  };
  // Opens (or continues) the trail. kInvalidArgument / kIo naming the file.
  static Status open(const Options& options, std::unique_ptr<AuditTrail>* out);

  void on_call(const CallEvent& event) override;

  // Lines not written, and the first reason.
  std::uint64_t failed_lines() const;
  Status first_error() const;

 private:
  AuditTrail() = default;
  mutable std::mutex mutex_;
  RotatingFile file_;
  std::uint64_t failed_ = 0;
  Status first_error_;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_AUDIT_H
