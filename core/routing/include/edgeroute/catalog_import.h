// edgeroute/catalog_import.h -- inference-profile listings (ListInferenceProfiles /
// GetInferenceProfile answers, as the AWS CLI prints them or as the control plane
// sends them) into edgeroute's catalog schema (docs/routing.md). `edgeroute
// catalog import` and the live refresh (catalog_refresh.h) share it.
//
// Start-up / refresh code: uses the heap (cJSON, std::string); never on a hot path.
#ifndef EDGEROUTE_CATALOG_IMPORT_H
#define EDGEROUTE_CATALOG_IMPORT_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <string>
#include <vector>

namespace edgeroute {

// One listing file larger than this is a mistake (a real listing of every
// profile in a region is a few hundred KiB).
constexpr std::size_t kMaxImportFileBytes = 8u * 1024u * 1024u;

struct ImportFile {
  std::string name;  // names the file in error messages
  std::string text;  // the AWS CLI's JSON output
};

struct ImportResult {
  std::string catalog_json;  // the catalog document, ending in a newline
  // APPLICATION profiles are account-specific copies, not routing data: skipped.
  std::size_t skipped_application_profiles = 0;
  // Profiles whose status is not ACTIVE (the only status botocore models today):
  // skipped, since nothing says they serve.
  std::size_t skipped_inactive_profiles = 0;
  // The SYSTEM_DEFINED profiles imported, counted once per source region.
  std::size_t imported_profile_sources = 0;
};

// Merges every file's SYSTEM_DEFINED profiles into one catalog document: a profile
// seen from several source regions (the region in its ARN) becomes one profile with
// one `sources` entry per region; the destinations are the regions of
// `models[].modelArn`; `model` is the foundation model ID; `geography` the ID's
// prefix ("eu" of "eu.anthropic..."); an empty-region model ARN
// (arn:aws:bedrock:::foundation-model/M, which AWS lists for global profiles)
// becomes the destination `global`, the catalog's set of commercial regions.
// `date` (YYYY-MM-DD) and `source` go into `snapshot`.
//
// Pages: the AWS CLI follows nextToken itself and prints one merged listing. A
// page that still carries a token (`--no-paginate`; `NextToken` after
// `--max-items`) must be followed by the next page of the same region's listing
// (its profiles' ARNs name the same region), in order; a listing whose last page
// has a token is incomplete and refused.
// Region sets are not written: they are policy, and the loaded catalog's (or the
// user's own) apply. On bad input returns false with a one-line `error` naming the
// file and the field, e.g.
//   eu.json: inferenceProfileSummaries[2].models[0].modelArn: expected arn:aws:bedrock:REGION::foundation-model/MODEL
bool import_inference_profiles(const std::vector<ImportFile>& files, const std::string& date,
                               ImportResult* result, std::string* error,
                               const std::string& source = "aws bedrock list-inference-profiles");

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CATALOG_IMPORT_H
