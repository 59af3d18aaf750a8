// edgeroute: the command-line tool.
#include <cstdio>
#include <cstring>

#include "commands.h"
#include "edgeroute/config.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/version.h"

namespace {

constexpr const char kUsage[] =
    "usage: edgeroute <command> [options]\n"
    "\n"
    "commands:\n"
    "  sign      print what edgeroute signs for a request (canonical request,\n"
    "            string to sign, signature, signed request)\n"
    "  catalog   import a catalog from AWS listings, or show the loaded one\n"
    "  route     where a call would go under a residency policy, and why there\n"
    "  audit     verify a residency audit trail against a policy and a catalog\n"
#if defined(EDGEROUTE_TOOL_HAVE_BEDROCK)
    "  converse  send a Converse or ConverseStream request and print the answer\n"
    "  invoke    send a model's native body (InvokeModel[WithResponseStream])\n"
    "  drill     failover drill: take a region out for N seconds while routed calls run\n"
    "  credentials  which credentials source signs, the key ID's last 4 characters, the expiry\n"
    "  serve     a loopback Bedrock Runtime endpoint for local applications' SDKs\n"
#endif
    "  version   print the version and the SHA-256 backend in use\n"
    "\n"
    "edgeroute <command> --help shows a command's options.\n";

// A command that believed it succeeded, but whose output could not all be written
// (a full disk, a closed pipe), fails: its output is lost, and saying so is
// better than an exit status of 0.
int finish(const char* command, int rc) {
  const bool lost = std::fflush(stdout) != 0 || std::ferror(stdout) != 0;
  if (lost && rc == 0) {
    std::fprintf(stderr, "edgeroute %s: cannot write to standard output: the output is lost\n", command);
    return 1;
  }
  return rc;
}

int dispatch(int argc, char** argv) {
  if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0 ||
      std::strcmp(argv[1], "help") == 0) {
    std::fputs(kUsage, argc < 2 ? stderr : stdout);
    return argc < 2 ? 2 : 0;
  }
  const char* command = argv[1];
  if (std::strcmp(command, "sign") == 0) return edgeroute::tool::sign_command(argc - 2, argv + 2);
  if (std::strcmp(command, "catalog") == 0) return edgeroute::tool::catalog_command(argc - 2, argv + 2);
  if (std::strcmp(command, "route") == 0) return edgeroute::tool::route_command(argc - 2, argv + 2);
  if (std::strcmp(command, "audit") == 0) return edgeroute::tool::audit_command(argc - 2, argv + 2);
#if defined(EDGEROUTE_TOOL_HAVE_BEDROCK)
  if (std::strcmp(command, "converse") == 0) return edgeroute::tool::converse_command(argc - 2, argv + 2);
  if (std::strcmp(command, "invoke") == 0) return edgeroute::tool::invoke_command(argc - 2, argv + 2);
  if (std::strcmp(command, "drill") == 0) return edgeroute::tool::drill_command(argc - 2, argv + 2);
  if (std::strcmp(command, "credentials") == 0) return edgeroute::tool::credentials_command(argc - 2, argv + 2);
  if (std::strcmp(command, "serve") == 0) return edgeroute::tool::serve_command(argc - 2, argv + 2);
#endif
  if (std::strcmp(command, "version") == 0 || std::strcmp(command, "--version") == 0) {
    std::printf("edgeroute %s\n", edgeroute::version());
    // The SHA-256 the signer runs on (chosen once per process; EDGEROUTE_SHA256 forces one).
    const edgeroute::Sha256Selection sha = edgeroute::sha256_selection();
    std::printf("sha256: %s (%s)\n", edgeroute::to_string(sha.backend),
                sha.forced ? "EDGEROUTE_SHA256" : "auto");
    if (sha.note[0] != '\0') std::fprintf(stderr, "edgeroute: %s\n", sha.note);
    return 0;
  }
  std::fprintf(stderr, "edgeroute: unknown command '%s' (see edgeroute --help)\n", command);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (!edgeroute::layout_matches_library()) {
    std::fprintf(stderr, "edgeroute: built against other limits than its library (edgeroute/build_config.h); rebuild both\n");
    return 2;
  }
  const int rc = dispatch(argc, argv);
  return finish(argc >= 2 ? argv[1] : "", rc);
}
