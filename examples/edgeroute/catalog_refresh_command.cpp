// `edgeroute catalog refresh`: the live profiles from the Bedrock control plane in
// each allowed source region, merged over the catalog and saved atomically
// (edgeroute/catalog_refresh.h does the work; this is flags and printing).
#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "commands.h"
#include "edgeroute/catalog_refresh.h"
#include "edgeroute/credentials.h"
#include "edgeroute/curl_transport.h"
#include "edgeroute/file.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/policy.h"
#include "routing_flags.h"
#include "tool_catalog.h"
#include "tool_values.h"

namespace edgeroute {
namespace tool {
namespace {

constexpr const char kRefreshUsage[] =
    "usage: edgeroute catalog refresh --allow LIST [--out FILE] [--connect-to REGION=HOST:PORT]...\n"
    "                                 [--ca-bundle FILE] [--deadline-ms N] [--catalog FILE]\n"
    "                                 [--catalog-extend FILE]...\n"
    "\n"
    "Lists the system-defined inference profiles (ListInferenceProfiles on\n"
    "bedrock.REGION.amazonaws.com) in every source region LIST allows, turns each\n"
    "profile's model ARNs into its destinations from that source, and saves them,\n"
    "with the regions and time they came from, to FILE (default:\n"
    "$XDG_CACHE_HOME/edgeroute/live-catalog.json, else ~/.cache/edgeroute/...).\n"
    "Load it with --catalog-extend FILE: live data replaces the snapshot's entry of\n"
    "each profile listed. A failed refresh leaves FILE as it was.\n"
    "\n"
    "  --allow LIST           where data may be processed (as for route): the regions\n"
    "                         listed in\n"
    "  --out FILE             where to save (replaced atomically)\n"
    "  --connect-to R=H:P     reach region R's control plane at host H, port P\n"
    "  --ca-bundle FILE       PEM trust store\n"
    "  --deadline-ms N        the whole refresh, every region and page (default 30000)\n";

int usage_error(const std::string& what) {
  std::fprintf(stderr, "edgeroute catalog refresh: %s (see edgeroute catalog refresh --help)\n", what.c_str());
  return 2;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "edgeroute catalog refresh: %s\n", what.c_str());
  return 1;
}

// $XDG_CACHE_HOME/edgeroute/live-catalog.json, else $HOME/.cache/edgeroute/...;
// the directories are made (private) when missing. Empty with *error on failure.
std::string default_cache_file(std::string* error) {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::string base;
  if (xdg != nullptr && xdg[0] == '/') {
    base = xdg;
  } else if (home != nullptr && home[0] == '/') {
    base = std::string(home) + "/.cache";
  } else {
    *error = "no cache directory: set XDG_CACHE_HOME or HOME, or give --out FILE";
    return std::string();
  }
  for (const std::string& dir : {base, base + "/edgeroute"}) {
    if (mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
      *error = dir + ": cannot create: " + std::strerror(errno);
      return std::string();
    }
  }
  return base + "/edgeroute/live-catalog.json";
}

}  // namespace

int catalog_refresh_command(int argc, char** argv) {
  std::string allow, out, ca_bundle;
  std::int64_t deadline_ms = 30000;
  CatalogRefreshOptions options;
  CatalogFiles files;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--help" || arg == "-h") {
      std::fputs(kRefreshUsage, stdout);
      std::fputs(kCatalogFlagsUsage, stdout);
      return 0;
    }
    if (arg != "--allow" && arg != "--out" && arg != "--connect-to" && arg != "--ca-bundle" &&
        arg != "--deadline-ms" && arg != "--catalog" && arg != "--catalog-extend") {
      return usage_error("unknown argument '" + arg + "'");
    }
    if (i + 1 >= argc) return usage_error(arg + " needs a value");
    const std::string value = argv[++i];
    if (arg == "--allow") {
      allow = value;
    } else if (arg == "--out") {
      out = value;
    } else if (arg == "--ca-bundle") {
      ca_bundle = value;
    } else if (arg == "--catalog") {
      files.replace = value;
    } else if (arg == "--catalog-extend") {
      files.extend.push_back(value);
    } else if (arg == "--deadline-ms") {
      if (!parse_whole_number(value, 1, 3600000, &deadline_ms)) {
        return usage_error("--deadline-ms '" + value + "': expected 1 to 3600000");
      }
    } else {
      ConnectTo c;
      const Status st = parse_connect_to(value, &c);
      if (!st.ok()) return usage_error(std::string("--") + st.message());
      options.connect_to.push_back(c);
    }
  }
  if (allow.empty()) return usage_error("--allow is required: the refresh lists in the regions it allows");
  std::string error;
  std::unique_ptr<Catalog> catalog = load_tool_catalog(files, &error);
  if (!catalog) return fail(error);
  Policy policy(*catalog);
  Status status = policy.set_allow(allow);
  if (!status.ok()) return usage_error(std::string("--allow: ") + status.message());
  options.source_regions = refresh_source_regions(*catalog, policy.allowed_regions());
  options.deadline_ms = deadline_ms;
  if (out.empty()) {
    out = default_cache_file(&error);
    if (out.empty()) return fail(error);
  }

  std::unique_ptr<CurlTransport> transport;
  CurlTransport::Config config;
  config.ca_bundle = ca_bundle;
  status = CurlTransport::create(config, &transport);
  if (!status.ok()) return fail(std::string("--ca-bundle: ") + status.message());
  DefaultCredentialsChain chain(process_environment());
  AwsCredentials credentials;
  status = chain.get(system_clock().utc_unix_ms(), &credentials);
  if (!status.ok()) return fail(std::string("no usable credentials: ") + status.message());
  const ControlPlaneCredentials keys{credentials.for_signer(), credentials.bearer_token()};

  CatalogRefreshResult refresh;
  status = fetch_live_catalog(*transport, mbedtls_crypto(), system_clock(), keys, options, &refresh);
  credentials.clear();
  if (status.ok()) {
    // Checked over the catalog it will extend before anything is written.
    status = apply_live_catalog(refresh, catalog.get());
  }
  if (!status.ok()) {
    // The last good catalog stays: the saved file is not touched.
    struct stat st;
    const std::string kept = stat(out.c_str(), &st) == 0 ? "keeping the last good catalog, " + out + " (unchanged)"
                                                          : "keeping the catalog as loaded (" + out + " not written)";
    // The library's message starts "catalog refresh: ", as does ours.
    std::string message = status.message();
    if (message.rfind("catalog refresh: ", 0) == 0) message.erase(0, 17);
    return fail(message + "; " + kept);
  }
  status = write_file_atomically(out.c_str(), refresh.catalog_json, "--out");
  if (!status.ok()) return fail(status.message());
  std::fprintf(stderr, "edgeroute catalog refresh: %zu profile source(s) from %s (%zu page(s)); saved to %s\n",
               refresh.profile_sources, refresh.source.c_str(), refresh.pages, out.c_str());
  // What the live data now refuses: profiles listed live from an allowed source
  // whose destinations leave the allowed set.
  Policy after(*catalog);
  if (after.set_allow(allow).ok()) {
    for (std::size_t i = 0; i < catalog->candidate_count(); ++i) {
      const Candidate& c = catalog->candidate(i);
      if (c.profile < 0 || !policy.allowed_regions().test(c.source_region)) continue;
      const std::string quoted = "\"" + std::string(catalog->identifier(c)) + "\"";
      if (refresh.catalog_json.find(quoted) == std::string::npos) continue;
      const Verdict verdict = after.check(c);
      if (verdict.allowed() || verdict.exclusion == Exclusion::kGlobalNotAllowed) continue;
      char reason[160];
      after.describe(verdict, reason, sizeof reason);
      std::fprintf(stderr, "edgeroute catalog refresh: refused: %.*s from %.*s: %s\n",
                   static_cast<int>(catalog->identifier(c).size()), catalog->identifier(c).data(),
                   static_cast<int>(catalog->region_name(c.source_region).size()),
                   catalog->region_name(c.source_region).data(), reason);
    }
  }
  std::printf("%s\n", out.c_str());
  return 0;
}

}  // namespace tool
}  // namespace edgeroute
