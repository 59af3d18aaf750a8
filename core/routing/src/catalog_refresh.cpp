// Live catalog refresh: ListInferenceProfiles on the Bedrock control plane in each
// allowed source region (edgeroute/catalog_refresh.h).
#include "edgeroute/catalog_refresh.h"

#include <cjson/cJSON.h>

#include <cstdio>
#include <ctime>
#include <memory>

#include "edgeroute/catalog_import.h"
#include "edgeroute/crypto.h"
#include "edgeroute/file.h"

namespace edgeroute {
namespace {

constexpr std::int64_t kNsPerMs = 1000000;
// What of a server's error message goes into ours, bytes.
constexpr std::size_t kMaxServerMessageBytes = 160;

// Collects one answer: status, error type, body (bounded).
class PageSink final : public HttpResponseSink {
 public:
  Status on_status(int http_status) override {
    status = http_status;
    return Status();
  }
  Status on_header(std::string_view name, std::string_view value) override {
    if (equals_ignore_case(name, "x-amzn-ErrorType")) {
      // "ValidationException:http://internal.amazon.com/coral/..." -> the name.
      error_type.assign(value.substr(0, value.find(':')).substr(0, 64));
    }
    return Status();
  }
  Status on_body(const void* data, std::size_t bytes) override {
    if (body.size() + bytes > kCatalogRefreshMaxPageBytes) {
      oversized = true;
      return Status::error(Code::kLimitExceeded, "answer larger than %zu bytes", kCatalogRefreshMaxPageBytes);
    }
    body.append(static_cast<const char*>(data), bytes);
    return Status();
  }

  int status = 0;
  std::string error_type;
  std::string body;
  bool oversized = false;

 private:
  static bool equals_ignore_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i) {
      const auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
      if (lower(a[i]) != lower(b[i])) return false;
    }
    return true;
  }
};

// RFC 3986 unreserved characters stay; everything else is %XX (a token is opaque).
std::string percent_encode(std::string_view text) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (const char c : text) {
    const unsigned char u = static_cast<unsigned char>(c);
    if ((u >= 'A' && u <= 'Z') || (u >= 'a' && u <= 'z') || (u >= '0' && u <= '9') || c == '-' || c == '_' ||
        c == '.' || c == '~') {
      out += c;
    } else {
      out += '%';
      out += kHex[u >> 4];
      out += kHex[u & 15];
    }
  }
  return out;
}

// A server's message, as one printable bounded line.
std::string safe_line(std::string_view text) {
  std::string out;
  for (const char c : text.substr(0, kMaxServerMessageBytes)) {
    const unsigned char u = static_cast<unsigned char>(c);
    out += u < 0x20 || u == 0x7f ? ' ' : c;
  }
  return out;
}

std::string server_message(const std::string& body) {
  std::unique_ptr<cJSON, decltype(&cJSON_Delete)> root(cJSON_ParseWithLength(body.data(), body.size()), cJSON_Delete);
  if (!root) return std::string();
  const cJSON* message = cJSON_GetObjectItemCaseSensitive(root.get(), "message");
  if (!cJSON_IsString(message)) message = cJSON_GetObjectItemCaseSensitive(root.get(), "Message");
  return cJSON_IsString(message) ? safe_line(message->valuestring) : std::string();
}

std::string utc_text(std::int64_t utc_s, const char* format) {
  const std::time_t t = static_cast<std::time_t>(utc_s);
  std::tm utc{};
  gmtime_r(&t, &utc);
  char text[32];
  std::strftime(text, sizeof text, format, &utc);
  return text;
}

// One region's listing, page by page; each page is appended to *pages.
class RegionLister {
 public:
  RegionLister(Transport& transport, const Crypto& crypto, const Clock& clock,
               const ControlPlaneCredentials& credentials, const CatalogRefreshOptions& options,
               std::int64_t deadline_ns)
      : transport_(transport),
        clock_(clock),
        credentials_(credentials),
        options_(options),
        deadline_ns_(deadline_ns),
        signer_(crypto) {}

  ~RegionLister() {
    if (!sign_buf_.empty()) secure_wipe(&sign_buf_[0], sign_buf_.size());
    if (!bearer_.empty()) secure_wipe(&bearer_[0], bearer_.size());
  }

  Status list(const std::string& region, std::vector<ImportFile>* pages) {
    const std::string host = "bedrock." + region + ".amazonaws.com";
    std::string token;
    for (std::size_t page = 1;; ++page) {
      if (page > kCatalogRefreshMaxPages) {
        return Status::error(Code::kLimitExceeded,
                             "%s: ListInferenceProfiles: more than %zu pages (kCatalogRefreshMaxPages)",
                             region.c_str(), kCatalogRefreshMaxPages);
      }
      if (clock_.monotonic_ns() >= deadline_ns_) {
        return Status::error(Code::kTimeout, "%s: ListInferenceProfiles: the refresh deadline passed (page %zu)",
                             region.c_str(), page);
      }
      std::string query = "maxResults=" + std::to_string(options_.page_size) + "&type=SYSTEM_DEFINED";
      if (!token.empty()) query += "&nextToken=" + percent_encode(token);
      PageSink sink;
      Status s = send(region, host, query, &sink);
      if (!s.ok()) return s;
      std::unique_ptr<cJSON, decltype(&cJSON_Delete)> root(cJSON_ParseWithLength(sink.body.data(), sink.body.size()),
                                                           cJSON_Delete);
      if (!root || !cJSON_IsObject(root.get())) {
        return Status::error(Code::kParseError, "%s: ListInferenceProfiles page %zu: not a JSON object",
                             region.c_str(), page);
      }
      const cJSON* next = cJSON_GetObjectItemCaseSensitive(root.get(), "nextToken");
      pages->push_back(ImportFile{region + " page " + std::to_string(page), std::move(sink.body)});
      if (next == nullptr || cJSON_IsNull(next)) return Status();
      if (!cJSON_IsString(next) || next->valuestring[0] == '\0' || next->valuestring == token) {
        return Status::error(Code::kParseError, "%s: ListInferenceProfiles page %zu: nextToken: expected a new token",
                             region.c_str(), page);
      }
      token = next->valuestring;
    }
  }

 private:
  Status send(const std::string& region, const std::string& host, const std::string& query, PageSink* sink) {
    const char* kPath = "/inference-profiles";
    std::vector<sigv4::Header> signed_headers{{"Host", host}, {"Accept", "application/json"}};
    std::vector<HttpHeader> headers{{"Accept", "application/json"}};
    if (!credentials_.bearer_token.empty()) {
      bearer_.assign("Bearer ").append(credentials_.bearer_token);
      headers.push_back({"Authorization", bearer_});
    } else {
      const sigv4::Request request{"GET", kPath, query, signed_headers.data(), signed_headers.size(), nullptr, 0};
      sigv4::Options options;
      options.region = region;
      options.service = "bedrock";
      options.time_unix_s = clock_.utc_unix_ms() / 1000;
      const std::size_t need = sigv4::required_buffer_bytes(request, options, credentials_.keys);
      if (sign_buf_.size() < need) {
        if (!sign_buf_.empty()) secure_wipe(&sign_buf_[0], sign_buf_.size());
        sign_buf_.assign(need, '\0');
      }
      sigv4::SignedRequest signed_request;
      Status s = signer_.sign(request, options, credentials_.keys, &sign_buf_[0], sign_buf_.size(), &signed_request);
      if (!s.ok()) return Status::error(Code::kInvalidArgument, "%s: cannot sign: %s", region.c_str(), s.message());
      for (std::size_t i = 0; i < signed_request.added_header_count; ++i) {
        headers.push_back({signed_request.added_headers[i].name, signed_request.added_headers[i].value});
      }
    }
    const std::string path_and_query = std::string(kPath) + "?" + query;
    HttpRequest request;
    request.method = "GET";
    request.host = host;
    request.path_and_query = path_and_query;
    for (const ConnectTo& c : options_.connect_to) {
      if (c.region == region) {
        request.connect_host = c.host;
        request.connect_port = c.port;
      }
    }
    request.headers = headers.data();
    request.header_count = headers.size();
    HttpTimeouts timeouts = options_.timeouts;
    timeouts.deadline_monotonic_ns = deadline_ns_;
    Status s = transport_.send(request, timeouts, sink, nullptr);
    if (!sign_buf_.empty()) secure_wipe(&sign_buf_[0], sign_buf_.size());
    if (!bearer_.empty()) secure_wipe(&bearer_[0], bearer_.size());
    if (!s.ok()) {
      return Status::error(sink->oversized ? Code::kLimitExceeded : s.code(), "%s: ListInferenceProfiles: %s",
                           region.c_str(), s.message());
    }
    if (sink->status == 200) return Status();
    const std::string message = server_message(sink->body);
    const Code code = sink->status == 403 || sink->status == 401 ? Code::kPermissionDenied
                      : sink->status == 429 || sink->status >= 500 ? Code::kUnavailable
                                                                   : Code::kInvalidArgument;
    return Status::error(code, "%s: ListInferenceProfiles: HTTP %d %s%s%s", region.c_str(), sink->status,
                         sink->error_type.empty() ? "(no error type)" : safe_line(sink->error_type).c_str(),
                         message.empty() ? "" : ": ", message.c_str());
  }

  Transport& transport_;
  const Clock& clock_;
  const ControlPlaneCredentials& credentials_;
  const CatalogRefreshOptions& options_;
  const std::int64_t deadline_ns_;
  sigv4::Signer signer_;
  std::string sign_buf_;
  std::string bearer_;
};

}  // namespace

Status fetch_live_catalog(Transport& transport, const Crypto& crypto, const Clock& clock,
                          const ControlPlaneCredentials& credentials, const CatalogRefreshOptions& options,
                          CatalogRefreshResult* out) {
  *out = CatalogRefreshResult();
  if (options.source_regions.empty()) {
    return Status::error(Code::kInvalidArgument, "catalog refresh: no source region to list in (the policy allows none)");
  }
  if (options.page_size < 1 || options.page_size > 1000) {
    return Status::error(Code::kInvalidArgument, "catalog refresh: page size %u: expected 1 to 1000",
                         static_cast<unsigned>(options.page_size));
  }
  for (const std::string& region : options.source_regions) {
    if (!is_region_name(region)) {
      return Status::error(Code::kInvalidArgument, "catalog refresh: '%.32s': expected a region name", region.c_str());
    }
  }
  const std::int64_t deadline_ns = clock.monotonic_ns() + options.deadline_ms * kNsPerMs;
  const std::int64_t started_utc_s = clock.utc_unix_ms() / 1000;
  std::vector<ImportFile> pages;
  RegionLister lister(transport, crypto, clock, credentials, options, deadline_ns);
  std::string regions;
  for (const std::string& region : options.source_regions) {
    Status s = lister.list(region, &pages);
    if (!s.ok()) return Status::error(s.code(), "catalog refresh: %s", s.message());
    regions += (regions.empty() ? "" : ", ") + region;
  }
  out->refreshed_utc_s = started_utc_s;
  out->source = "ListInferenceProfiles in " + regions + " at " + utc_text(started_utc_s, "%Y-%m-%dT%H:%M:%SZ");
  out->pages = pages.size();
  ImportResult imported;
  std::string error;
  if (!import_inference_profiles(pages, utc_text(started_utc_s, "%Y-%m-%d"), &imported, &error, out->source)) {
    *out = CatalogRefreshResult();
    return Status::error(Code::kParseError, "catalog refresh: %s", error.c_str());
  }
  out->catalog_json = std::move(imported.catalog_json);
  out->profile_sources = imported.imported_profile_sources;
  return Status();
}

Status apply_live_catalog(const CatalogRefreshResult& refresh, Catalog* catalog) {
  Status s = catalog->load_json(refresh.catalog_json, "live catalog", CatalogMerge::kExtend);
  if (!s.ok()) return Status::error(s.code(), "catalog refresh: not applied: %s", s.message());
  return s;
}

CatalogRefreshOutcome refresh_catalog(Transport& transport, const Crypto& crypto, const Clock& clock,
                                      const ControlPlaneCredentials& credentials,
                                      const CatalogRefreshOptions& options, const std::string& cache_file,
                                      Catalog* catalog) {
  CatalogRefreshOutcome outcome;
  CatalogRefreshResult refresh;
  outcome.status = fetch_live_catalog(transport, crypto, clock, credentials, options, &refresh);
  if (outcome.status.ok()) outcome.status = apply_live_catalog(refresh, catalog);
  if (outcome.status.ok()) {
    outcome.report = "catalog refreshed: " + refresh.source;
    if (!cache_file.empty()) {
      const Status saved = write_file_atomically(cache_file.c_str(), refresh.catalog_json, "catalog cache");
      outcome.report += saved.ok() ? "; saved to " + cache_file : std::string("; not saved: ") + saved.message();
    }
    return outcome;
  }
  outcome.report = outcome.status.message();
  std::string cached;
  if (!cache_file.empty() &&
      read_file_bounded(cache_file.c_str(), kMaxCatalogFileBytes, "catalog cache", &cached).ok()) {
    const Status loaded = catalog->load_json(cached, "catalog cache", CatalogMerge::kExtend);
    if (loaded.ok()) {
      outcome.used_cache = true;
      outcome.report += "; routing on the last good refresh, " + cache_file;
      return outcome;
    }
    outcome.report += std::string("; the last good refresh is unusable (") + loaded.message() + ")";
  }
  outcome.report += "; routing on the catalog as loaded";
  return outcome;
}

std::vector<std::string> refresh_source_regions(const Catalog& catalog, const RegionMask& allowed) {
  std::vector<std::string> regions;
  for (std::size_t r = 0; r < catalog.region_count(); ++r) {
    if (allowed.test(r)) regions.emplace_back(catalog.region_name(r));
  }
  return regions;
}

}  // namespace edgeroute
