#include "fleet_outputs.h"

#include <cerrno>
#include <cstring>
#include <memory>

#include "edgeroute/file.h"
#include "tool_values.h"

namespace edgeroute {
namespace tool {

const char kFleetFlagsUsage[] =
    "operator outputs (routed calls):\n"
    "  --metrics-file PATH           Prometheus text exposition of the calls' metrics, replaced\n"
    "                                atomically (node_exporter's textfile collector reads *.prom)\n"
    "  --emf-file PATH|-             CloudWatch embedded-metric-format lines, appended (-: stdout)\n"
    "  --metrics-interval-ms N       write both every N ms while calls run, and at the end\n"
    "                                (default 10000)\n"
    "  --audit-file PATH             residency audit trail: one JSON line per call, appended\n"
    "  --audit-max-bytes N           rotate the trail to PATH.1 .. PATH.4 past N bytes\n"
    "                                (default 16777216)\n";

int fleet_flag(const std::string& arg, const std::function<bool(std::string*)>& value, FleetFlags* flags,
               std::string* error) {
  std::string v;
  if (arg == "--metrics-file" || arg == "--emf-file" || arg == "--audit-file") {
    std::string* target = arg == "--metrics-file" ? &flags->metrics_file
                          : arg == "--emf-file"   ? &flags->emf_file
                                                  : &flags->audit_file;
    if (!value(target) || target->empty()) {
      *error = arg + (arg == "--emf-file" ? " needs a file or -" : " needs a file");
      return 2;
    }
    if (arg == "--metrics-file" && *target == "-") {
      *error = "--metrics-file needs a file (it is replaced whole; use --emf-file - for lines on stdout)";
      return 2;
    }
    return 1;
  }
  if (arg == "--audit-max-bytes") {
    if (!value(&v) || !parse_whole_number(v, 1024, INT64_C(1) << 40, &flags->audit_max_bytes)) {
      *error = "--audit-max-bytes needs 1024..1099511627776";
      return 2;
    }
    return 1;
  }
  if (arg == "--metrics-interval-ms") {
    if (!value(&v) || !parse_whole_number(v, 100, 86400000, &flags->metrics_interval_ms)) {
      *error = "--metrics-interval-ms needs 100..86400000";
      return 2;
    }
    return 1;
  }
  return 0;
}

FleetOutputs::~FleetOutputs() {
  if (emf_file_ != nullptr && emf_file_ != stdout) std::fclose(emf_file_);
}

bool FleetOutputs::open(const FleetFlags& flags, RuntimeOptions* options, std::string* error) {
  flags_ = flags;
  if (!flags.metrics_file.empty() || !flags.emf_file.empty() || flags.metrics_on_request) {
    options->observers.push_back(&metrics_);
  }
  if (!flags.audit_file.empty()) {
    AuditTrail::Options audit;
    audit.path = flags.audit_file;
    audit.rotation.max_bytes = static_cast<std::uint64_t>(flags.audit_max_bytes);
    const Status st = AuditTrail::open(audit, &audit_);
    if (!st.ok()) {
      *error = st.message();
      return false;
    }
    options->observers.push_back(audit_.get());
  }
  if (!flags.emf_file.empty()) {
    emf_ = std::make_unique<EmfWriter>();
    if (flags.emf_file == "-") {
      emf_file_ = stdout;
    } else {
      emf_file_ = std::fopen(flags.emf_file.c_str(), "ae");
      if (emf_file_ == nullptr) {
        *error = "--emf-file " + flags.emf_file + ": cannot open: " + std::strerror(errno);
        return false;
      }
    }
  }
  return true;
}

bool FleetOutputs::start(Runtime& runtime, std::string* error) {
  std::lock_guard<std::mutex> lock(mutex_);
  runtime_ = &runtime;
  next_write_ns_ = runtime.clock().monotonic_ns() + flags_.metrics_interval_ms * 1000000LL;
  if (flags_.metrics_file.empty()) return true;
  std::string text;
  const std::shared_ptr<const Runtime::RoutingSnapshot> routing = runtime.routing();
  Status st = prometheus_text(sources_locked(*routing), &text);
  if (st.ok()) st = write_file_atomically(flags_.metrics_file.c_str(), text, "--metrics-file");
  if (!st.ok()) *error = st.message();
  return st.ok();
}

MetricsSources FleetOutputs::sources_locked(const Runtime::RoutingSnapshot& routing) const {
  MetricsSources sources;
  sources.metrics = &metrics_;
  sources.catalog = routing.catalog;
  sources.router = routing.router;
  sources.retry_budget = &runtime_->retry_budget();
  sources.now_ns = runtime_->clock().monotonic_ns();
  return sources;
}

Status FleetOutputs::prometheus(std::string* out) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (runtime_ == nullptr || !flags_.metrics_on_request) {
    return Status::error(Code::kUnavailable, "metrics are not being counted");
  }
  const std::shared_ptr<const Runtime::RoutingSnapshot> routing = runtime_->routing();
  out->clear();
  return prometheus_text(sources_locked(*routing), out);
}

bool FleetOutputs::write_locked(std::string* error) {
  if (runtime_ == nullptr) return true;
  const std::shared_ptr<const Runtime::RoutingSnapshot> routing = runtime_->routing();
  const MetricsSources sources = sources_locked(*routing);
  std::string text;
  Status st;
  if (!flags_.metrics_file.empty()) {
    st = prometheus_text(sources, &text);
    if (st.ok()) st = write_file_atomically(flags_.metrics_file.c_str(), text, "--metrics-file");
  }
  if (st.ok() && emf_ != nullptr) {
    text.clear();
    st = emf_->lines(sources, runtime_->clock().utc_unix_ms(), &text);
    if (st.ok() && (std::fwrite(text.data(), 1, text.size(), emf_file_) != text.size() || std::fflush(emf_file_) != 0)) {
      st = Status::error(Code::kIo, "--emf-file %s: write error: %s", flags_.emf_file.c_str(), std::strerror(errno));
    }
  }
  if (!st.ok()) {
    *error = st.message();
    return false;
  }
  return true;
}

void FleetOutputs::after_call() {
  if (flags_.metrics_file.empty() && emf_ == nullptr) return;
  std::lock_guard<std::mutex> lock(mutex_);
  if (runtime_ == nullptr || runtime_->clock().monotonic_ns() < next_write_ns_) return;
  next_write_ns_ = runtime_->clock().monotonic_ns() + flags_.metrics_interval_ms * 1000000LL;
  std::string error;
  if (!write_locked(&error) && first_error_.empty()) first_error_ = error;
}

bool FleetOutputs::finish(std::string* error) {
  std::lock_guard<std::mutex> lock(mutex_);
  std::string e;
  if (!write_locked(&e) && first_error_.empty()) first_error_ = e;
  if (audit_ != nullptr && audit_->failed_lines() > 0 && first_error_.empty()) {
    first_error_ = std::to_string(audit_->failed_lines()) + " audit lines not written: " + audit_->first_error().message();
  }
  *error = first_error_;
  return first_error_.empty();
}

}  // namespace tool
}  // namespace edgeroute
