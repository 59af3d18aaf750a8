// The tool's operator outputs for routed calls: --metrics-file (Prometheus text,
// replaced atomically for node_exporter's textfile collector), --emf-file
// (CloudWatch embedded-metric-format lines, appended; - for standard output) and
// --audit-file (the residency audit trail, size-rotated). The library keeps and
// formats everything (edgeroute/metrics.h, edgeroute/audit.h); this file parses
// the flags and decides when to write.
#ifndef EDGEROUTE_EXAMPLES_FLEET_OUTPUTS_H
#define EDGEROUTE_EXAMPLES_FLEET_OUTPUTS_H

#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>

#include "edgeroute/audit.h"
#include "edgeroute/metrics.h"
#include "edgeroute/runtime.h"

namespace edgeroute {
namespace tool {

struct FleetFlags {
  std::string metrics_file;
  std::string emf_file;
  std::string audit_file;
  std::int64_t audit_max_bytes = 16 * 1024 * 1024;
  std::int64_t metrics_interval_ms = 10000;
  // Count the calls' metrics for prometheus() even without a metrics file (serve's
  // GET /metrics). Not a flag of its own.
  bool metrics_on_request = false;
  bool any() const { return !metrics_file.empty() || !emf_file.empty() || !audit_file.empty(); }
};

extern const char kFleetFlagsUsage[];

// Handles one of the flags above. `value` takes the flag's argument. Returns 0
// when arg is not one, 1 when taken, 2 on a usage error (the message in *error).
int fleet_flag(const std::string& arg, const std::function<bool(std::string*)>& value, FleetFlags* flags,
               std::string* error);

class FleetOutputs {
 public:
  FleetOutputs() = default;
  ~FleetOutputs();
  FleetOutputs(const FleetOutputs&) = delete;
  FleetOutputs& operator=(const FleetOutputs&) = delete;

  // Before Runtime::create: opens the audit trail and the EMF file and adds the
  // observers to *options. False with the one-line reason in *error.
  bool open(const FleetFlags& flags, RuntimeOptions* options, std::string* error);
  // After create: writes the metrics file once, so a path that cannot be written
  // fails now rather than after the calls.
  bool start(Runtime& runtime, std::string* error);
  // After each call: writes the metrics file and EMF lines when the interval passed.
  void after_call();
  // At the end: the last write. False with *error when any write failed or audit
  // lines were lost.
  bool finish(std::string* error);
  // The Prometheus text exposition now (FleetFlags::metrics_on_request).
  Status prometheus(std::string* out);

 private:
  bool write_locked(std::string* error);
  // What the writers read, after start(). The caller holds `routing` (a
  // Runtime::routing() snapshot) while it reads them: a catalog refresh cannot
  // free the catalog and router under it.
  MetricsSources sources_locked(const Runtime::RoutingSnapshot& routing) const;

  FleetFlags flags_;
  Metrics metrics_;
  std::unique_ptr<AuditTrail> audit_;
  std::unique_ptr<EmfWriter> emf_;
  std::FILE* emf_file_ = nullptr;
  Runtime* runtime_ = nullptr;
  std::mutex mutex_;
  std::int64_t next_write_ns_ = 0;
  std::string first_error_;
};

}  // namespace tool
}  // namespace edgeroute

#endif  // EDGEROUTE_EXAMPLES_FLEET_OUTPUTS_H
