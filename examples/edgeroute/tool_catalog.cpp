// Loading the catalog for `catalog show` and `route`: see tool_catalog.h.
#include "tool_catalog.h"

#include <string_view>

#include "edgeroute/file.h"

namespace edgeroute {
namespace tool {

const char kCatalogFlagsUsage[] =
    "  --catalog FILE         use FILE (catalog schema, docs/routing.md) instead of the\n"
    "                         built-in snapshot\n"
    "  --catalog-extend FILE  merge FILE into the catalog: its region sets, profiles and\n"
    "                         in-region entries replace those with the same key (repeatable)\n";

namespace {

// Read here rather than by Catalog::load_file, so that a file that cannot be read
// is named by the flag or config key that gave it, with the reason.
Status load(Catalog* catalog, const std::string& path, const std::string& key, CatalogMerge merge) {
  std::string text;
  Status status = read_file_bounded(path.c_str(), kMaxCatalogFileBytes, key.c_str(), &text);
  if (!status.ok()) return status;
  // Errors in the catalog itself name the file as given, without its directories.
  std::string_view origin(path);
  const std::size_t slash = origin.rfind('/');
  if (slash != std::string_view::npos) origin.remove_prefix(slash + 1);
  return catalog->load_json(text, origin, merge);
}

}  // namespace

std::unique_ptr<Catalog> load_tool_catalog(const CatalogFiles& files, std::string* error) {
  // Tens of KiB of fixed tables: on the heap, not the stack.
  auto catalog = std::make_unique<Catalog>();
  Status status = files.replace.empty() ? catalog->load_default()
                                        : load(catalog.get(), files.replace, files.replace_key, CatalogMerge::kReplace);
  for (std::size_t i = 0; status.ok() && i < files.extend.size(); ++i) {
    const std::string key = i < files.extend_keys.size() ? files.extend_keys[i] : "--catalog-extend";
    status = load(catalog.get(), files.extend[i], key, CatalogMerge::kExtend);
  }
  if (!status.ok()) {
    *error = status.message();
    return nullptr;
  }
  return catalog;
}

}  // namespace tool
}  // namespace edgeroute
