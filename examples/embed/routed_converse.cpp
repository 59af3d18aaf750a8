// routed_converse: one Converse call, routed to the nearest region the residency
// policy allows, with edgeroute's C++ API (edgeroute/runtime.h).
//
//   routed_converse --model ID --prompt TEXT --allow SETS [--catalog FILE]
//                   [--connect-to REGION=HOST:PORT]... [--ca-bundle FILE] [--probe]
//
// Credentials come from the environment or ~/.aws. Prints the answer on stdout and
// exits 0; on failure, one line on stderr and exit status 1 (2 for bad usage).
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>

#include "edgeroute/runtime.h"

int main(int argc, char** argv) {
  edgeroute::RuntimeOptions options;
  edgeroute::bedrock::ConverseRequest request;
  std::string prompt;
  bool probe = false;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : nullptr;
    edgeroute::ConnectTo to;
    if (arg == "--probe") {
      probe = true;
      continue;
    }
    if (value == nullptr) return std::fprintf(stderr, "routed_converse: %s needs a value\n", arg.c_str()), 2;
    ++i;
    if (arg == "--model") request.model_id = value;
    else if (arg == "--prompt") prompt = value;
    else if (arg == "--allow") options.allow = value;
    else if (arg == "--catalog") options.catalog_file = value;
    else if (arg == "--ca-bundle") options.ca_bundle = value;
    else if (arg == "--connect-to" && edgeroute::parse_connect_to(value, &to).ok()) options.connect_to.push_back(to);
    else return std::fprintf(stderr, "routed_converse: bad argument %s %s\n", arg.c_str(), value), 2;
  }
  if (request.model_id.empty() || prompt.empty() || options.allow.empty()) {
    return std::fprintf(stderr, "routed_converse: --model, --prompt and --allow are required\n"), 2;
  }
  request.messages.push_back({"user", {edgeroute::bedrock::ContentBlock::of_text(prompt)}});

  std::unique_ptr<edgeroute::Runtime> runtime;
  const edgeroute::Status status = edgeroute::Runtime::create(options, &runtime);
  if (!status.ok()) return std::fprintf(stderr, "routed_converse: %s\n", status.message()), 1;
  if (probe) runtime->probe_now(3, runtime->clock().monotonic_ns() + 5000000000LL);  // at most 5 s
  const edgeroute::ConverseResult result = runtime->converse(request);
  if (!result.ok()) return std::fprintf(stderr, "routed_converse: %s\n", result.error.to_string().c_str()), 1;
  std::printf("%s\n", result.response.text.c_str());
  std::fprintf(stderr, "served by %s in %s (%u attempt(s), request %s)\n", std::string(result.identifier).c_str(),
               std::string(result.source_region).c_str(), result.attempt_count, result.response.request_id.c_str());
  return 0;
}
