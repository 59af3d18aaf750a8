// The subcommands of the edgeroute tool. Each takes the arguments after its name
// and returns the process exit status: 0 done, 1 failed, 2 bad usage.
#ifndef EDGEROUTE_EXAMPLES_COMMANDS_H
#define EDGEROUTE_EXAMPLES_COMMANDS_H

namespace edgeroute {
namespace tool {

int sign_command(int argc, char** argv);
int catalog_command(int argc, char** argv);
int route_command(int argc, char** argv);
int audit_command(int argc, char** argv);
// Only in builds with the libcurl transport (EDGEROUTE_TOOL_HAVE_BEDROCK).
int converse_command(int argc, char** argv);
int invoke_command(int argc, char** argv);
int drill_command(int argc, char** argv);
// `catalog refresh`: only in builds with the libcurl transport (EDGEROUTE_TOOL_HAVE_CURL).
int catalog_refresh_command(int argc, char** argv);
int credentials_command(int argc, char** argv);
int serve_command(int argc, char** argv);

}  // namespace tool
}  // namespace edgeroute

#endif  // EDGEROUTE_EXAMPLES_COMMANDS_H
