// Loading the catalog for `catalog show` and `route`: see tool_catalog.h.
#include "tool_catalog.h"

namespace edgeroute {
namespace tool {

const char kCatalogFlagsUsage[] =
    "  --catalog FILE         use FILE (catalog schema, docs/routing.md) instead of the\n"
    "                         built-in snapshot\n"
    "  --catalog-extend FILE  merge FILE into the catalog: its region sets, profiles and\n"
    "                         in-region entries replace those with the same key (repeatable)\n";

std::unique_ptr<Catalog> load_tool_catalog(const CatalogFiles& files, std::string* error) {
  // Tens of KiB of fixed tables: on the heap, not the stack.
  auto catalog = std::make_unique<Catalog>();
  Status status = files.replace.empty() ? catalog->load_default()
                                        : catalog->load_file(files.replace.c_str(), CatalogMerge::kReplace);
  for (std::size_t i = 0; status.ok() && i < files.extend.size(); ++i) {
    status = catalog->load_file(files.extend[i].c_str(), CatalogMerge::kExtend);
  }
  if (!status.ok()) {
    *error = status.message();
    return nullptr;
  }
  return catalog;
}

}  // namespace tool
}  // namespace edgeroute
