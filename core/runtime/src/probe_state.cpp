// The probe state file: see edgeroute/probe_state.h.
#include "edgeroute/probe_state.h"

#include <cjson/cJSON.h>

#include <cmath>
#include <memory>

namespace edgeroute {
namespace {

constexpr const char* kFormat = "edgeroute-probe-state/1";
constexpr std::size_t kMaxNameBytes = 255;
// Larger than any real round trip (a minute): a bigger value is a damaged file.
constexpr std::int64_t kMaxRttUs = 60ll * 1000 * 1000;

struct JsonDeleter {
  void operator()(cJSON* j) const { cJSON_Delete(j); }
};

bool whole_number(const cJSON* item, std::int64_t min, std::int64_t max, std::int64_t* out) {
  if (!cJSON_IsNumber(item)) return false;
  const double v = item->valuedouble;
  if (!(v >= static_cast<double>(min) && v <= static_cast<double>(max)) || std::floor(v) != v) return false;
  *out = static_cast<std::int64_t>(v);
  return true;
}

bool short_string(const cJSON* item, std::string* out) {
  if (!cJSON_IsString(item) || item->valuestring == nullptr) return false;
  const std::string_view v(item->valuestring);
  if (v.empty() || v.size() > kMaxNameBytes) return false;
  out->assign(v.data(), v.size());
  return true;
}

}  // namespace

Status parse_probe_state(std::string_view text, const Catalog& catalog, std::int64_t now_unix_ms,
                         std::int64_t max_age_ms, ProbeStateRead* out) {
  *out = ProbeStateRead();
  if (text.size() > kProbeStateMaxBytes) {
    return Status::error(Code::kInvalidArgument, "larger than %u bytes", static_cast<unsigned>(kProbeStateMaxBytes));
  }
  std::unique_ptr<cJSON, JsonDeleter> root(cJSON_ParseWithLength(text.data(), text.size()));
  if (root == nullptr) return Status::error(Code::kInvalidArgument, "not JSON");
  const cJSON* format = cJSON_GetObjectItemCaseSensitive(root.get(), "format");
  if (!cJSON_IsObject(root.get()) || !cJSON_IsString(format) || std::string_view(format->valuestring) != kFormat) {
    return Status::error(Code::kInvalidArgument, "not an edgeroute probe state file (no \"format\": \"%s\")", kFormat);
  }
  const cJSON* regions = cJSON_GetObjectItemCaseSensitive(root.get(), "regions");
  if (!cJSON_IsArray(regions)) return Status::error(Code::kInvalidArgument, "regions: expected a list");
  ProbeStateRead read;
  std::size_t index = 0;
  for (const cJSON* entry = regions->child; entry != nullptr; entry = entry->next, ++index) {
    ProbeSample s;
    if (!cJSON_IsObject(entry) || !short_string(cJSON_GetObjectItemCaseSensitive(entry, "region"), &s.region) ||
        !short_string(cJSON_GetObjectItemCaseSensitive(entry, "endpoint"), &s.endpoint) ||
        !whole_number(cJSON_GetObjectItemCaseSensitive(entry, "rtt_us"), 1, kMaxRttUs, &s.rtt_us) ||
        !whole_number(cJSON_GetObjectItemCaseSensitive(entry, "measured_unix_ms"), 0, INT64_C(1) << 52,
                      &s.measured_unix_ms) ||
        !whole_number(cJSON_GetObjectItemCaseSensitive(entry, "expires_unix_ms"), 0, INT64_C(1) << 52,
                      &s.expires_unix_ms)) {
      return Status::error(Code::kInvalidArgument,
                           "regions[%u]: expected region, endpoint, rtt_us (1..%lld), measured_unix_ms and "
                           "expires_unix_ms",
                           static_cast<unsigned>(index), static_cast<long long>(kMaxRttUs));
    }
    const bool known = catalog.find_region(s.region) != Catalog::kNone;
    const bool future = s.measured_unix_ms > now_unix_ms + kProbeStateClockSlackMs;
    const bool expired = now_unix_ms >= s.expires_unix_ms || now_unix_ms - s.measured_unix_ms >= max_age_ms;
    bool repeated = false;
    for (const ProbeSample& kept : read.samples) repeated = repeated || kept.region == s.region;
    if (!known || future || expired || repeated) {
      ++read.dropped;
      continue;
    }
    read.samples.push_back(std::move(s));
  }
  *out = std::move(read);
  return Status();
}

std::string format_probe_state(const std::vector<ProbeSample>& samples) {
  std::unique_ptr<cJSON, JsonDeleter> root(cJSON_CreateObject());
  cJSON_AddStringToObject(root.get(), "format", kFormat);
  cJSON* regions = cJSON_AddArrayToObject(root.get(), "regions");
  for (const ProbeSample& s : samples) {
    cJSON* e = cJSON_CreateObject();
    cJSON_AddStringToObject(e, "region", s.region.c_str());
    cJSON_AddStringToObject(e, "endpoint", s.endpoint.c_str());
    cJSON_AddNumberToObject(e, "rtt_us", static_cast<double>(s.rtt_us));
    cJSON_AddNumberToObject(e, "measured_unix_ms", static_cast<double>(s.measured_unix_ms));
    cJSON_AddNumberToObject(e, "expires_unix_ms", static_cast<double>(s.expires_unix_ms));
    cJSON_AddItemToArray(regions, e);
  }
  char* printed = cJSON_PrintUnformatted(root.get());
  std::string text = printed != nullptr ? std::string(printed) + "\n" : std::string();
  cJSON_free(printed);
  return text;
}

std::string probe_state_path(const std::string& state_dir) { return state_dir + "/probes.json"; }

}  // namespace edgeroute
