/* routed_converse_c: one Converse call, routed to the nearest region the residency
 * policy allows, with edgeroute's C API (edgeroute/edgeroute.h). C99.
 *
 *   routed_converse_c --model ID --prompt TEXT --allow SETS [--catalog FILE]
 *                     [--connect-to REGION=HOST:PORT]... [--ca-bundle FILE] [--probe]
 *
 * Credentials come from the environment or ~/.aws. Prints the answer on stdout and
 * exits 0; on failure, one line on stderr and exit status 1 (2 for bad usage). */
#include <stdio.h>
#include <string.h>

#include "edgeroute/edgeroute.h"

#define MAX_CONNECT_TO 16

int main(int argc, char** argv) {
  edgeroute_options options;
  const char* connect_to[MAX_CONNECT_TO];
  const char *model = NULL, *prompt = NULL;
  int probe = 0;
  edgeroute_options_init(&options);
  options.connect_to = connect_to;
  for (int i = 1; i < argc; ++i) {
    const char* arg = argv[i];
    const char* value = i + 1 < argc ? argv[i + 1] : NULL;
    if (strcmp(arg, "--probe") == 0) {
      probe = 1;
      continue;
    }
    if (value == NULL) return fprintf(stderr, "routed_converse_c: %s needs a value\n", arg), 2;
    ++i;
    if (strcmp(arg, "--model") == 0) model = value;
    else if (strcmp(arg, "--prompt") == 0) prompt = value;
    else if (strcmp(arg, "--allow") == 0) options.allow = value;
    else if (strcmp(arg, "--catalog") == 0) options.catalog_file = value;
    else if (strcmp(arg, "--ca-bundle") == 0) options.ca_bundle = value;
    else if (strcmp(arg, "--connect-to") == 0 && options.connect_to_count < MAX_CONNECT_TO)
      connect_to[options.connect_to_count++] = value;
    else return fprintf(stderr, "routed_converse_c: bad argument %s %s\n", arg, value), 2;
  }
  if (model == NULL || prompt == NULL || options.allow == NULL) {
    return fprintf(stderr, "routed_converse_c: --model, --prompt and --allow are required\n"), 2;
  }

  edgeroute_runtime* runtime = NULL;
  char message[512];
  if (edgeroute_runtime_create(&options, &runtime, message, sizeof message) != EDGEROUTE_OK) {
    return fprintf(stderr, "routed_converse_c: %s\n", message), 1;
  }
  if (probe) edgeroute_probe_now(runtime, 5000); /* at most 5 s */
  edgeroute_result* result = NULL;
  const edgeroute_status status = edgeroute_converse(runtime, model, prompt, NULL, 0, &result);
  int exit_status = 0;
  if (status == EDGEROUTE_OK) {
    printf("%s\n", edgeroute_result_text(result));
    fprintf(stderr, "served by %s in %s (%u attempt(s), request %s)\n", edgeroute_result_identifier(result),
            edgeroute_result_source_region(result), (unsigned)edgeroute_result_attempts(result),
            edgeroute_result_request_id(result));
  } else {
    fprintf(stderr, "routed_converse_c: %s\n",
            result != NULL ? edgeroute_result_error_message(result) : edgeroute_status_name(status));
    exit_status = 1;
  }
  edgeroute_result_free(result);
  edgeroute_runtime_destroy(runtime);
  return exit_status;
}
