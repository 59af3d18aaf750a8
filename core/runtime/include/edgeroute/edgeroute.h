/* edgeroute/edgeroute.h -- the routed Bedrock Runtime client, from C.
 *
 * The C face of edgeroute::Runtime (edgeroute/runtime.h): opaque handles, error
 * codes with a one-line message, library-owned results with a free function, and a
 * callback for streamed text. No C++ exception or type crosses it. Link
 * edgeroute::runtime (CMake: find_package(edgeroute)).
 *
 *   edgeroute_options options;
 *   edgeroute_options_init(&options);
 *   options.allow = "eu";
 *   edgeroute_runtime* rt = NULL;
 *   char message[256];
 *   if (edgeroute_runtime_create(&options, &rt, message, sizeof message) != EDGEROUTE_OK) ...
 *   edgeroute_result* r = NULL;
 *   if (edgeroute_converse(rt, model, "Hello", NULL, 0, &r) == EDGEROUTE_OK) puts(edgeroute_result_text(r));
 *   else fprintf(stderr, "%s\n", edgeroute_result_error_message(r));
 *   edgeroute_result_free(r);
 *   edgeroute_runtime_destroy(rt);
 *
 * Threads: a runtime may be used from several threads at once; a result belongs to
 * the thread that got it. The library starts no thread: probes (and the periodic
 * catalog refresh) run in edgeroute_probe_now() and edgeroute_poll().
 * Strings are UTF-8 and NUL-terminated; those a result returns live until
 * edgeroute_result_free().
 */
#ifndef EDGEROUTE_EDGEROUTE_H
#define EDGEROUTE_EDGEROUTE_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum edgeroute_status {
  EDGEROUTE_OK = 0,
  EDGEROUTE_ERR_INVALID_ARGUMENT = 1, /* a missing or malformed option or argument */
  EDGEROUTE_ERR_NOT_FOUND = 2,        /* a model, region or file that does not exist */
  EDGEROUTE_ERR_PERMISSION_DENIED = 3, /* the residency policy leaves the model no candidate */
  EDGEROUTE_ERR_IO = 4,               /* a file could not be read */
  EDGEROUTE_ERR_CALL = 5,             /* the call failed: the result says how */
  EDGEROUTE_ERR_INTERNAL = 6          /* out of memory, or a bug */
} edgeroute_status;

/* Stable lowercase name of a status, e.g. "call_failed". */
const char* edgeroute_status_name(edgeroute_status status);

typedef struct edgeroute_options {
  const char* allow;        /* required: region sets and regions, e.g. "eu" or "eu-central-1,eu-west-1" */
  const char* catalog_file; /* NULL: the built-in catalog snapshot (an error in builds without one) */
  const char* model;        /* NULL, or the model pin_region applies to (checked at create) */
  const char* pin_region;   /* NULL: routed; else every call goes to this allowed region */
  const char* const* connect_to; /* "REGION=HOST:PORT" entries (like curl --connect-to) */
  size_t connect_to_count;
  const char* ca_bundle;    /* NULL: AWS_CA_BUNDLE, else the system store */
  int64_t deadline_ms;      /* per call, retries included; 0: 120000 */
  uint32_t max_attempts;    /* per call, the first included; 0: 3 (at most 10) */
  /* Refresh the catalog from the Bedrock control plane at create (nonzero) and/or
   * every catalog_refresh_interval_s seconds (0: never; else 60 to 2592000, each
   * wait jittered by +-10 %), run by edgeroute_poll(). A failed refresh keeps the
   * catalog in use: edgeroute_catalog_refresh_report() says so. */
  int refresh_catalog_at_start;
  int64_t catalog_refresh_interval_s;
  const char* catalog_cache_file; /* NULL: the refreshed catalog is not saved */
  int no_probe;             /* nonzero: the first routed call does not probe first (catalog order
                             * until edgeroute_probe_now/edgeroute_poll); 0: it probes every
                             * allowed endpoint once, within half its deadline */
  const char* probe_state_file; /* NULL: none; else probe results kept between runs (its
                                 * directory must exist; a bad file is probed again) */
} edgeroute_options;

/* Zeroes *options (every field then means its default). */
void edgeroute_options_init(edgeroute_options* options);

typedef struct edgeroute_runtime edgeroute_runtime;

/* Builds a runtime: loads the catalog, sets the policy and the router. On failure
 * *out stays NULL and message (when not NULL) receives one line, cut to fit. */
edgeroute_status edgeroute_runtime_create(const edgeroute_options* options, edgeroute_runtime** out,
                                          char* message, size_t message_bytes);
void edgeroute_runtime_destroy(edgeroute_runtime* runtime);

/* Probes: a full sweep of every allowed endpoint now (3 rounds), ending within
 * within_ms (0: each probe's own limit). Returns the probes sent. */
size_t edgeroute_probe_now(edgeroute_runtime* runtime, int64_t within_ms);
/* Runs the probe round that is due, if any; returns the probes sent. */
size_t edgeroute_poll(edgeroute_runtime* runtime);
/* Milliseconds until edgeroute_poll() has a round or a catalog refresh to run (0: now). */
int64_t edgeroute_next_poll_ms(const edgeroute_runtime* runtime);
/* The last catalog refresh: 1 it succeeded, 0 it failed (the catalog in use was
 * kept), -1 none has run. message (when not NULL) receives its one line, cut to fit. */
int edgeroute_catalog_refresh_report(const edgeroute_runtime* runtime, char* message, size_t message_bytes);

typedef struct edgeroute_result edgeroute_result;

/* Receives each piece of streamed text (not NUL-terminated). Return 0 to go on,
 * anything else to stop the call (it then fails). */
typedef int (*edgeroute_text_callback)(const char* text, size_t bytes, void* context);

/* One Converse call (system and max_tokens optional: NULL, 0). Returns EDGEROUTE_OK
 * when it succeeded, EDGEROUTE_ERR_CALL when it failed; either way *out receives
 * a result to free. Other codes: bad arguments, and *out stays NULL. */
edgeroute_status edgeroute_converse(edgeroute_runtime* runtime, const char* model_id, const char* prompt,
                                    const char* system, int64_t max_tokens, edgeroute_result** out);
/* The same with ConverseStream: on_text receives the text as it arrives. Once
 * text has reached it, a failure is final (never retried elsewhere). */
edgeroute_status edgeroute_converse_stream(edgeroute_runtime* runtime, const char* model_id, const char* prompt,
                                           const char* system, int64_t max_tokens, edgeroute_text_callback on_text,
                                           void* context, edgeroute_result** out);
/* InvokeModel with the model's native JSON body. */
edgeroute_status edgeroute_invoke_model(edgeroute_runtime* runtime, const char* model_id, const void* body,
                                        size_t body_bytes, edgeroute_result** out);

int edgeroute_result_ok(const edgeroute_result* result);
/* The answer: Converse's text, or InvokeModel's response body. */
const char* edgeroute_result_text(const edgeroute_result* result);
size_t edgeroute_result_text_bytes(const edgeroute_result* result);
/* The route of the last attempt: identifier, source region, endpoint host. */
const char* edgeroute_result_identifier(const edgeroute_result* result);
const char* edgeroute_result_source_region(const edgeroute_result* result);
const char* edgeroute_result_endpoint(const edgeroute_result* result);
const char* edgeroute_result_request_id(const edgeroute_result* result);
/* Attempts made, drills included; whether one failed before the call succeeded. */
uint32_t edgeroute_result_attempts(const edgeroute_result* result);
int edgeroute_result_failed_over(const edgeroute_result* result);
/* Every attempt on one line, drills included: "eu-central-1 throttle, eu-west-1
 * success" ("" when none was made). */
const char* edgeroute_result_path(const edgeroute_result* result);
int64_t edgeroute_result_input_tokens(const edgeroute_result* result);
int64_t edgeroute_result_output_tokens(const edgeroute_result* result);
/* On failure: the class ("throttle", "transient", "client", ...; "none" on
 * success) and one line naming the problem and each allowed candidate's state. */
const char* edgeroute_result_error_class(const edgeroute_result* result);
const char* edgeroute_result_error_message(const edgeroute_result* result);
void edgeroute_result_free(edgeroute_result* result);

#ifdef __cplusplus
}
#endif

EDGEROUTE_API_END
#endif /* EDGEROUTE_EDGEROUTE_H */
