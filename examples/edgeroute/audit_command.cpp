// `edgeroute audit verify`: re-checks a residency audit trail against a policy and
// a catalog (the check itself is the library's verify_audit_line).
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "commands.h"
#include "edgeroute/audit.h"
#include "edgeroute/policy.h"
#include "tool_catalog.h"

namespace edgeroute {
namespace tool {
namespace {

constexpr const char kAuditUsage[] =
    "usage: edgeroute audit verify FILE --allow LIST [--catalog FILE] [--catalog-extend FILE]...\n"
    "\n"
    "Re-checks a residency audit trail (converse/invoke --audit-file) against the allow\n"
    "LIST and the catalog: every exchange and every final route must be a catalog pair the\n"
    "policy allows, with the destination regions the catalog permits for it. Prints each\n"
    "line that breaks it as FILE:LINE: reason, then a summary. Exit status 0 when every\n"
    "line passes, 1 when one does not (or the file cannot be read), 2 for bad usage.\n"
    "\n";

// Longest audit line read, bytes: a call has at most 10 attempts, each a few
// hundred bytes.
constexpr std::size_t kMaxLineBytes = 64 * 1024;

int usage_error(const std::string& what) {
  std::fprintf(stderr, "edgeroute audit: %s (see edgeroute audit --help)\n", what.c_str());
  return 2;
}

}  // namespace

int audit_command(int argc, char** argv) {
  if (argc >= 1 && (std::strcmp(argv[0], "--help") == 0 || std::strcmp(argv[0], "-h") == 0)) {
    std::fputs(kAuditUsage, stdout);
    std::fputs(kCatalogFlagsUsage, stdout);
    return 0;
  }
  if (argc < 1 || std::strcmp(argv[0], "verify") != 0) return usage_error("the only subcommand is verify");
  std::string file, allow;
  CatalogFiles catalog_files;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool has_value = i + 1 < argc;
    if (arg == "--help" || arg == "-h") {
      std::fputs(kAuditUsage, stdout);
      std::fputs(kCatalogFlagsUsage, stdout);
      return 0;
    } else if (arg == "--allow") {
      if (!has_value) return usage_error("--allow needs a list of region sets or regions");
      allow = argv[++i];
    } else if (arg == "--catalog") {
      if (!has_value) return usage_error("--catalog needs a file");
      catalog_files.replace = argv[++i];
    } else if (arg == "--catalog-extend") {
      if (!has_value) return usage_error("--catalog-extend needs a file");
      catalog_files.extend.push_back(argv[++i]);
    } else if (!arg.empty() && arg[0] == '-' && arg != "-") {
      return usage_error("unknown argument '" + arg + "'");
    } else if (file.empty()) {
      file = arg;
    } else {
      return usage_error("one trail at a time: '" + arg + "' is a second file");
    }
  }
  if (file.empty()) return usage_error("verify needs the trail's FILE");
  if (allow.empty()) return usage_error("--allow LIST is required: the policy to check the trail against");
  std::string error;
  const std::unique_ptr<Catalog> catalog = load_tool_catalog(catalog_files, &error);
  if (catalog == nullptr) {
    std::fprintf(stderr, "edgeroute audit: %s\n", error.c_str());
    return 1;
  }
  Policy policy(*catalog);
  const Status allowed = policy.set_allow(allow);
  if (!allowed.ok()) return usage_error(std::string("--allow ") + allow + ": " + allowed.message());

  std::FILE* f = file == "-" ? stdin : std::fopen(file.c_str(), "rb");
  if (f == nullptr) {
    std::fprintf(stderr, "edgeroute audit: %s: cannot open: %s\n", file.c_str(), std::strerror(errno));
    return 1;
  }
  std::unique_ptr<char[]> buf(new char[kMaxLineBytes + 2]);
  long line_number = 0, lines = 0, broken = 0;
  bool read_error = false;
  std::string line;
  while (std::fgets(buf.get(), static_cast<int>(kMaxLineBytes + 2), f) != nullptr) {
    ++line_number;
    line = buf.get();
    bool too_long = false;
    if (line.empty() || line.back() != '\n') {
      // A line without its newline: the last one, or one longer than the limit.
      if (line.size() > kMaxLineBytes) {
        too_long = true;
        int c;
        while ((c = std::fgetc(f)) != EOF && c != '\n') {
        }
      }
    } else {
      line.pop_back();
    }
    if (line.empty() && !too_long) continue;
    ++lines;
    const Status st = too_long ? Status::error(Code::kLimitExceeded, "longer than %zu bytes, not an audit line",
                                               kMaxLineBytes)
                               : verify_audit_line(line, policy);
    if (!st.ok()) {
      ++broken;
      std::printf("%s:%ld: %s\n", file.c_str(), line_number, st.message());
    }
  }
  read_error = std::ferror(f) != 0;
  if (f != stdin) std::fclose(f);
  if (read_error) {
    std::fprintf(stderr, "edgeroute audit: %s: read error after line %ld\n", file.c_str(), line_number);
    return 1;
  }
  std::printf("%s: %ld calls checked against allow %s, %ld break it\n", file.c_str(), lines, allow.c_str(), broken);
  return broken == 0 && lines > 0 ? 0 : 1;
}

}  // namespace tool
}  // namespace edgeroute
