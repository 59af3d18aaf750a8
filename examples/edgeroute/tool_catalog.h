// The catalog the tool's routing commands work on: the built-in snapshot, or a
// file that replaces it, then any files that extend it (docs/routing.md,
// "Replace or extend").
#ifndef EDGEROUTE_EXAMPLES_TOOL_CATALOG_H
#define EDGEROUTE_EXAMPLES_TOOL_CATALOG_H

#include <memory>
#include <string>
#include <vector>

#include "edgeroute/catalog.h"

namespace edgeroute {
namespace tool {

struct CatalogFiles {
  std::string replace;              // --catalog FILE: instead of the built-in snapshot
  std::vector<std::string> extend;  // --catalog-extend FILE...: merged in, in order
  // Where each path came from, for messages: the flag, or "--config F: routing.catalog".
  // extend_keys[i] names extend[i]; entries past its end came from the flag.
  std::string replace_key = "--catalog";
  std::vector<std::string> extend_keys;
};

// The usage lines for the two flags, for each command's --help.
extern const char kCatalogFlagsUsage[];

// Loads the catalog; on failure returns null with the loader's one-line message.
std::unique_ptr<Catalog> load_tool_catalog(const CatalogFiles& files, std::string* error);

}  // namespace tool
}  // namespace edgeroute

#endif  // EDGEROUTE_EXAMPLES_TOOL_CATALOG_H
