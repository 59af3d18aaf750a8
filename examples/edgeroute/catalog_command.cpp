// `edgeroute catalog import|show`: build a catalog from AWS's own listings, and
// show what the routing commands would load.
#include <cjson/cJSON.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "commands.h"
#include "edgeroute/catalog_import.h"
#include "tool_catalog.h"

namespace edgeroute {
namespace tool {
namespace {

constexpr const char kCatalogUsage[] =
    "usage: edgeroute catalog import FILE...\n"
    "       edgeroute catalog show [--catalog FILE] [--catalog-extend FILE]... [--json]\n"
    "       edgeroute catalog refresh --allow LIST [--out FILE] ... (see catalog refresh --help)\n"
    "\n"
    "import  reads the JSON printed by `aws bedrock list-inference-profiles` or\n"
    "        `aws bedrock get-inference-profile`, one file per source region (or\n"
    "        the pages of one, in order, when printed with --no-paginate), and\n"
    "        prints a catalog (docs/routing.md) with every system-defined profile\n"
    "        and, per source region, the regions Bedrock may process it in.\n"
    "        Region sets are not imported: use the file with --catalog-extend to\n"
    "        keep the built-in ones, or add your own.\n"
    "show    prints the loaded catalog: region sets, then per model every\n"
    "        (identifier, source region) and its destinations; --json prints it in\n"
    "        the catalog schema.\n"
    "\n";

int usage_error(const std::string& what) {
  std::fprintf(stderr, "edgeroute catalog: %s (see edgeroute catalog --help)\n", what.c_str());
  return 2;
}

int fail(const std::string& what) {
  std::fprintf(stderr, "edgeroute catalog: %s\n", what.c_str());
  return 1;
}

std::string today_utc() {
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char date[16];
  std::strftime(date, sizeof date, "%Y-%m-%d", &utc);
  return date;
}

int import_command(int argc, char** argv) {
  if (argc == 0) return usage_error("import needs at least one FILE");
  std::vector<ImportFile> files;
  for (int i = 0; i < argc; ++i) {
    if (argv[i][0] == '-') return usage_error(std::string("unknown argument '") + argv[i] + "'");
    // Read at most one byte past the limit: /dev/zero or a wrong file is refused,
    // not swallowed.
    std::FILE* f = std::fopen(argv[i], "rb");
    if (f == nullptr) return fail(std::string(argv[i]) + ": cannot open");
    std::string text;
    char chunk[65536];
    std::size_t n = 0;
    while (text.size() <= kMaxImportFileBytes && (n = std::fread(chunk, 1, sizeof chunk, f)) > 0) text.append(chunk, n);
    const bool read_error = std::ferror(f) != 0;
    std::fclose(f);
    if (text.size() > kMaxImportFileBytes) {
      return fail(std::string(argv[i]) + ": larger than " + std::to_string(kMaxImportFileBytes) +
                  " bytes, the limit for one listing");
    }
    if (read_error) return fail(std::string(argv[i]) + ": cannot read");
    files.push_back(ImportFile{argv[i], std::move(text)});
  }
  ImportResult result;
  std::string error;
  if (!import_inference_profiles(files, today_utc(), &result, &error)) return fail(error);
  // Never write what --catalog-extend would refuse (a limit, a name): check it
  // the way it will be loaded, over the built-in snapshot.
  {
    auto check = std::make_unique<Catalog>();
    Status loaded = check->load_default();
    if (loaded.ok()) loaded = check->load_json(result.catalog_json, "the imported catalog", CatalogMerge::kExtend);
    if (!loaded.ok()) return fail(std::string("not written: ") + loaded.message());
  }
  if (result.skipped_application_profiles > 0) {
    std::fprintf(stderr, "edgeroute catalog: skipped %zu APPLICATION profile(s): account-specific, not routing data\n",
                 result.skipped_application_profiles);
  }
  if (result.skipped_inactive_profiles > 0) {
    std::fprintf(stderr, "edgeroute catalog: skipped %zu profile(s) whose status is not ACTIVE\n",
                 result.skipped_inactive_profiles);
  }
  std::fputs(result.catalog_json.c_str(), stdout);
  return 0;
}

std::string region_list(const Catalog& catalog, const RegionMask& mask, const char* separator) {
  std::string out;
  for (std::size_t r = 0; r < catalog.region_count(); ++r) {
    if (!mask.test(r)) continue;
    if (!out.empty()) out += separator;
    out += catalog.region_name(r);
  }
  return out;
}

cJSON* region_array(const Catalog& catalog, const RegionMask& mask) {
  cJSON* array = cJSON_CreateArray();
  for (std::size_t r = 0; r < catalog.region_count(); ++r) {
    if (mask.test(r)) cJSON_AddItemToArray(array, cJSON_CreateString(std::string(catalog.region_name(r)).c_str()));
  }
  return array;
}

std::string str(std::string_view view) { return std::string(view); }

// The catalog in its own schema, so that the output loads again as a --catalog file.
void print_json(const Catalog& catalog) {
  std::unique_ptr<cJSON, decltype(&cJSON_Delete)> root(cJSON_CreateObject(), cJSON_Delete);
  if (!catalog.snapshot_date().empty()) {
    cJSON* snapshot = cJSON_AddObjectToObject(root.get(), "snapshot");
    cJSON_AddStringToObject(snapshot, "date", str(catalog.snapshot_date()).c_str());
  }
  cJSON* regions = cJSON_AddObjectToObject(root.get(), "regions");
  for (std::size_t r = 0; r < catalog.region_count(); ++r) {
    if (catalog.region_country(r).empty()) continue;
    cJSON* region = cJSON_AddObjectToObject(regions, str(catalog.region_name(r)).c_str());
    cJSON_AddStringToObject(region, "country", str(catalog.region_country(r)).c_str());
  }
  cJSON* sets = cJSON_AddObjectToObject(root.get(), "region_sets");
  for (std::size_t s = 0; s < catalog.region_set_count(); ++s) {
    cJSON_AddItemToObject(sets, str(catalog.region_set_name(s)).c_str(), region_array(catalog, catalog.region_set(s)));
  }
  cJSON* profiles = cJSON_AddArrayToObject(root.get(), "profiles");
  cJSON* in_region = cJSON_AddArrayToObject(root.get(), "in_region");
  for (std::size_t m = 0; m < catalog.model_count(); ++m) {
    const std::size_t first = catalog.model_first_candidate(m);
    const std::size_t end = first + catalog.model_candidate_count(m);
    RegionMask in_region_regions;
    // A profile's candidates are consecutive: one per source region.
    cJSON* sources = nullptr;
    int current_profile = Catalog::kNone;
    for (std::size_t i = first; i < end; ++i) {
      const Candidate& c = catalog.candidate(i);
      if (c.profile < 0) {
        in_region_regions.set(c.source_region);
        continue;
      }
      if (c.profile != current_profile) {
        current_profile = c.profile;
        const std::size_t p = static_cast<std::size_t>(c.profile);
        cJSON* profile = cJSON_CreateObject();
        cJSON_AddStringToObject(profile, "id", str(catalog.profile_id(p)).c_str());
        cJSON_AddStringToObject(profile, "model", str(catalog.model_name(m)).c_str());
        cJSON_AddStringToObject(profile, "geography", str(catalog.profile_geography(p)).c_str());
        sources = cJSON_AddObjectToObject(profile, "sources");
        cJSON_AddItemToArray(profiles, profile);
      }
      cJSON_AddItemToObject(sources, str(catalog.region_name(c.source_region)).c_str(),
                            region_array(catalog, c.destinations));
    }
    if (!in_region_regions.empty()) {
      cJSON* entry = cJSON_CreateObject();
      cJSON_AddStringToObject(entry, "model", str(catalog.model_name(m)).c_str());
      cJSON_AddItemToObject(entry, "regions", region_array(catalog, in_region_regions));
      cJSON_AddItemToArray(in_region, entry);
    }
  }
  char* text = cJSON_Print(root.get());
  std::printf("%s\n", text);
  cJSON_free(text);
}

void print_table(const Catalog& catalog) {
  std::printf("snapshot: %s\n\nregions (country):\n",
              catalog.snapshot_date().empty() ? "(undated)" : str(catalog.snapshot_date()).c_str());
  for (std::size_t r = 0; r < catalog.region_count(); ++r) {
    const std::string_view country = catalog.region_country(r);
    std::printf("%s%s (%s)%s", r % 6 == 0 ? "  " : "", str(catalog.region_name(r)).c_str(),
                country.empty() ? "?" : str(country).c_str(),
                r % 6 == 5 || r + 1 == catalog.region_count() ? "\n" : ", ");
  }
  std::printf("\nregion sets:\n");
  for (std::size_t s = 0; s < catalog.region_set_count(); ++s) {
    std::printf("  %-10s %s\n", str(catalog.region_set_name(s)).c_str(),
                region_list(catalog, catalog.region_set(s), " ").c_str());
  }
  for (std::size_t m = 0; m < catalog.model_count(); ++m) {
    std::printf("\n%s\n  %-52s %-15s %s\n", str(catalog.model_name(m)).c_str(), "identifier", "source",
                "destinations");
    const std::size_t first = catalog.model_first_candidate(m);
    for (std::size_t i = first; i < first + catalog.model_candidate_count(m); ++i) {
      const Candidate& c = catalog.candidate(i);
      std::printf("  %-52s %-15s %s%s\n", str(catalog.identifier(c)).c_str(),
                  str(catalog.region_name(c.source_region)).c_str(),
                  region_list(catalog, c.destinations, ",").c_str(), c.global_profile ? " (global)" : "");
    }
  }
}

int show_command(int argc, char** argv) {
  CatalogFiles files;
  bool json = false;
  for (int i = 0; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--json") {
      json = true;
    } else if (arg == "--catalog" || arg == "--catalog-extend") {
      if (i + 1 >= argc) return usage_error(arg + " needs a file");
      if (arg == "--catalog") {
        files.replace = argv[++i];
      } else {
        files.extend.emplace_back(argv[++i]);
      }
    } else {
      return usage_error("unknown argument '" + arg + "'");
    }
  }
  std::string error;
  const std::unique_ptr<Catalog> catalog = load_tool_catalog(files, &error);
  if (!catalog) return fail(error);
  if (json) {
    print_json(*catalog);
  } else {
    print_table(*catalog);
  }
  return 0;
}

}  // namespace

int catalog_command(int argc, char** argv) {
  if (argc < 1) return usage_error("expected import or show");
  const std::string sub = argv[0];
  if (sub == "--help" || sub == "-h") {
    std::fputs(kCatalogUsage, stdout);
    std::fputs("show options:\n", stdout);
    std::fputs(kCatalogFlagsUsage, stdout);
    std::fputs("  --json                 print the catalog schema instead of a table\n", stdout);
    return 0;
  }
  if (sub == "import") return import_command(argc - 1, argv + 1);
  if (sub == "show") return show_command(argc - 1, argv + 1);
#if EDGEROUTE_TOOL_HAVE_CURL
  if (sub == "refresh") return catalog_refresh_command(argc - 1, argv + 1);
  return usage_error("unknown subcommand '" + sub + "' (expected import, show or refresh)");
#else
  return usage_error("unknown subcommand '" + sub + "' (expected import or show)");
#endif
}

}  // namespace tool
}  // namespace edgeroute
