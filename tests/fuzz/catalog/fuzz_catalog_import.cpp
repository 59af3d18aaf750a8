// Fuzz target for the inference-profile listing importer (edgeroute/catalog_import.h):
// what `catalog import` reads from files and the live refresh from the control plane.
//
// The input is split at each "\n---\n" into files given in order (so pages that
// continue one another are reached). Invariants: nothing crashes or leaks
// (ASan); a refusal is one line that starts with a file's name; an accepted
// listing yields a catalog document that the loader either takes over the
// built-in snapshot (start_catalog.h) or refuses with one line naming it, never
// half-applied.
//
//   catalog_import_fuzzer        libFuzzer (clang)
//   fuzz_catalog_import_replay   plain main, run by ctest on the seeds and mutations
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "edgeroute/catalog.h"
#include "edgeroute/catalog_import.h"
#include "start_catalog.h"

namespace {

using namespace edgeroute;

[[noreturn]] void fail(const char* what, const std::string& detail) {
  std::fprintf(stderr, "catalog import fuzz: invariant broken: %s: %s\n", what, detail.c_str());
  std::abort();
}

bool one_line(const std::string& text) { return !text.empty() && text.find_first_of("\r\n") == std::string::npos; }

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const Catalog* const snapshot = [] {
    auto* c = new Catalog();
    if (!fuzzing::load_start_catalog(c).ok()) fail("the start catalog does not load", "");
    return c;
  }();
  static Catalog* const work = new Catalog();
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<ImportFile> files;
  for (int n = 0;; ++n) {
    const std::size_t cut = input.find("\n---\n");
    files.push_back(ImportFile{"f" + std::to_string(n) + ".json", std::string(input.substr(0, cut))});
    if (cut == std::string_view::npos || files.size() == 8) break;
    input.remove_prefix(cut + 5);
  }
  ImportResult result;
  std::string error;
  if (!import_inference_profiles(files, "2026-01-02", &result, &error)) {
    if (!one_line(error) || error[0] != 'f' || error.find(".json") == std::string::npos) fail("refusal", error);
    return 0;
  }
  if (result.catalog_json.empty() || result.catalog_json.back() != '\n') fail("document", "not newline-terminated");
  *work = *snapshot;
  const Status s = work->load_json(result.catalog_json, "imported", CatalogMerge::kExtend);
  if (!s.ok() && (!one_line(s.message()) || std::strncmp(s.message(), "imported", 8) != 0)) {
    fail("loader message", s.message());
  }
  return 0;
}

#if defined(EDGEROUTE_FUZZ_REPLAY)

#include "replay_main.h"

int main(int argc, char** argv) {
  return edgeroute::fuzz::replay_main(argc, argv, {"fuzz_catalog_import_replay"});
}

#endif  // EDGEROUTE_FUZZ_REPLAY
