// edgeroute/catalog_refresh.h -- the catalog's live truth, from Bedrock itself.
//
// A refresh lists the SYSTEM_DEFINED inference profiles (ListInferenceProfiles,
// GET /inference-profiles?type=SYSTEM_DEFINED, following nextToken) on the
// control plane, bedrock.REGION.amazonaws.com, signed for service `bedrock`, in
// each source region the device may use. Each profile's `models[].modelArn`
// become its destinations from that source (an empty-region ARN: the `global`
// set). The answers turn into a catalog document (edgeroute/catalog_import.h)
// that is merged over the loaded catalog, live data winning per profile: a
// profile whose live destinations leave the allowed set is from then on refused
// by the policy like any other, with its one-line reason.
//
// All or nothing: a refresh that fails in any region changes nothing, and the
// catalog loaded before (the snapshot, or the last good refresh) stays in use.
//
// Start-up / background code, not a hot path: it allocates (std::string, cJSON).
// It sends through the Transport and signs with the Crypto seam the Bedrock client
// uses; it never reads the clock behind the caller's back (Clock), never sleeps,
// and ends by the options' deadline. Not thread-safe: one refresh at a time.
#ifndef EDGEROUTE_CATALOG_REFRESH_H
#define EDGEROUTE_CATALOG_REFRESH_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgeroute/catalog.h"
#include "edgeroute/clock.h"
#include "edgeroute/connect_to.h"
#include "edgeroute/crypto.h"
#include "edgeroute/sigv4.h"
#include "edgeroute/status.h"
#include "edgeroute/transport.h"

namespace edgeroute {

// Pages read per source region at most: a listing that goes on longer is an
// error, not an endless loop (a region has tens of profiles; a page up to 1000).
constexpr std::size_t kCatalogRefreshMaxPages = 32;
// Largest answer to one ListInferenceProfiles call, bytes.
constexpr std::size_t kCatalogRefreshMaxPageBytes = 1024u * 1024u;

struct CatalogRefreshOptions {
  // The regions to list in: the source regions the policy allows. Required.
  std::vector<std::string> source_regions;
  // Where to open the TCP connection for a region's control plane instead of
  // resolving bedrock.REGION.amazonaws.com (TLS and signing still use that name).
  std::vector<ConnectTo> connect_to;
  HttpTimeouts timeouts{5000, 10000, 10000, 0};
  // The whole refresh, every region and page, ms (on the Clock given).
  std::int64_t deadline_ms = 30000;
  // maxResults per page (1-1000, botocore's bedrock model).
  std::uint32_t page_size = 1000;
};

// What the refresh signs with: SigV4 keys, or a Bedrock API key (bearer_token
// non-empty). Views; the caller keeps them alive and wipes them afterwards.
struct ControlPlaneCredentials {
  sigv4::Credentials keys;
  std::string_view bearer_token;
};

struct CatalogRefreshResult {
  // The live profiles as a catalog document (docs/routing.md), whose snapshot
  // names the source: "ListInferenceProfiles in eu-central-1, eu-west-1 at
  // 2026-01-31T12:00:00Z". Load it with CatalogMerge::kExtend.
  std::string catalog_json;
  std::string source;
  std::int64_t refreshed_utc_s = 0;
  std::size_t pages = 0;
  std::size_t profile_sources = 0;  // (profile, source region) pairs listed
};

// Lists the profiles in every options.source_regions region. Errors (one line,
// naming the region and the call, never a secret):
//   kInvalidArgument  no source region, a bad page size
//   kTimeout / kUnavailable  the transport's, or the deadline passed
//   kPermissionDenied  403 (credentials, signature, access)
//   kUnavailable      429 / 5xx answers
//   kParseError       an answer that is not a listing
//   kLimitExceeded    a page over kCatalogRefreshMaxPageBytes, or more pages than
//                     kCatalogRefreshMaxPages
Status fetch_live_catalog(Transport& transport, const Crypto& crypto, const Clock& clock,
                          const ControlPlaneCredentials& credentials, const CatalogRefreshOptions& options,
                          CatalogRefreshResult* out);

// Merges a fetched refresh over *catalog (live wins per profile). On error the
// catalog is unchanged and the message names the problem.
Status apply_live_catalog(const CatalogRefreshResult& refresh, Catalog* catalog);

// What a routed client does at start-up (and what `catalog refresh` does): fetch,
// apply, and save to `cache_file` (atomically; empty: not saved). When the
// refresh fails, the last good refresh is loaded from `cache_file` if there is
// one, else the catalog stays as it was; either way routing goes on. `report` is
// one line saying which: "catalog refreshed: ListInferenceProfiles in ... at ...",
// or "catalog refresh: eu-west-3: ...; routing on the last good refresh, FILE".
struct CatalogRefreshOutcome {
  Status status;       // the refresh's own result
  std::string report;  // one line, never a secret
  bool used_cache = false;  // the last good refresh was loaded from cache_file
};
CatalogRefreshOutcome refresh_catalog(Transport& transport, const Crypto& crypto, const Clock& clock,
                                      const ControlPlaneCredentials& credentials,
                                      const CatalogRefreshOptions& options, const std::string& cache_file,
                                      Catalog* catalog);

// The source regions `allowed` permits that the catalog knows, in catalog order:
// what to pass as CatalogRefreshOptions::source_regions.
std::vector<std::string> refresh_source_regions(const Catalog& catalog, const RegionMask& allowed);

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CATALOG_REFRESH_H
