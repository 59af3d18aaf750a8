// The C API over edgeroute::Runtime: see edgeroute/edgeroute.h.
#include "edgeroute/edgeroute.h"

#include <cstdio>
#include <cstring>
#include <memory>
#include <new>
#include <string>

#include "edgeroute/runtime.h"

struct edgeroute_runtime {
  std::unique_ptr<edgeroute::Runtime> runtime;
};

struct edgeroute_result {
  edgeroute::CallReport report;
  std::string text;  // Converse text or InvokeModel body
  std::string request_id;
  std::string error_message;
  // The route, NUL-terminated for C (the report's own are views).
  std::string identifier;
  std::string source_region;
  std::string endpoint;
  std::string path;
  std::int64_t input_tokens = 0;
  std::int64_t output_tokens = 0;
};

namespace {

using edgeroute::Code;
using edgeroute::Status;

edgeroute_status from_code(Code code) {
  switch (code) {
    case Code::kOk: return EDGEROUTE_OK;
    case Code::kNotFound: return EDGEROUTE_ERR_NOT_FOUND;
    case Code::kPermissionDenied: return EDGEROUTE_ERR_PERMISSION_DENIED;
    case Code::kIo: return EDGEROUTE_ERR_IO;
    case Code::kInternal: return EDGEROUTE_ERR_INTERNAL;
    default: return EDGEROUTE_ERR_INVALID_ARGUMENT;
  }
}

void put_message(char* message, std::size_t bytes, const char* text) {
  if (message == nullptr || bytes == 0) return;
  std::snprintf(message, bytes, "%s", text);
}

// Nothing thrown crosses into C: with exceptions on, any escapes as INTERNAL.
template <typename F>
edgeroute_status guarded(F&& f) {
#if defined(__cpp_exceptions)
  try {
    return f();
  } catch (...) {
    return EDGEROUTE_ERR_INTERNAL;
  }
#else
  return f();
#endif
}

edgeroute_status finish_call(edgeroute_result* r, edgeroute_result** out) {
  r->error_message = r->report.error.ok() ? std::string() : r->report.error.to_string();
  r->identifier.assign(r->report.identifier.data(), r->report.identifier.size());
  r->source_region.assign(r->report.source_region.data(), r->report.source_region.size());
  r->endpoint.assign(r->report.endpoint.data(), r->report.endpoint.size());
  r->path = r->report.path();
  *out = r;
  return r->report.error.ok() ? EDGEROUTE_OK : EDGEROUTE_ERR_CALL;
}

edgeroute_status converse(edgeroute_runtime* runtime, const char* model_id, const char* prompt, const char* system,
                          int64_t max_tokens, edgeroute_text_callback on_text, void* context,
                          edgeroute_result** out) {
  if (out == nullptr) return EDGEROUTE_ERR_INVALID_ARGUMENT;
  *out = nullptr;
  if (runtime == nullptr || model_id == nullptr || prompt == nullptr || max_tokens < 0) {
    return EDGEROUTE_ERR_INVALID_ARGUMENT;
  }
  return guarded([&] {
    edgeroute::bedrock::ConverseRequest request;
    request.model_id = model_id;
    request.messages.push_back(
        edgeroute::bedrock::Message{"user", {edgeroute::bedrock::ContentBlock::of_text(prompt)}});
    if (system != nullptr) request.system.emplace_back(system);
    request.inference_config.max_tokens = max_tokens;
    edgeroute::ConverseResult result;
    if (on_text != nullptr) {
      const edgeroute::bedrock::StreamCallback forward = [on_text, context](const edgeroute::bedrock::StreamEvent& ev) {
        if (ev.kind != edgeroute::bedrock::StreamEvent::Kind::kTextDelta) return Status();
        return on_text(ev.text.data(), ev.text.size(), context) == 0
                   ? Status()
                   : Status::error(Code::kInvalidArgument, "stopped by the text callback");
      };
      result = runtime->runtime->converse_stream(request, forward);
    } else {
      result = runtime->runtime->converse(request);
    }
    auto* r = new (std::nothrow) edgeroute_result;
    if (r == nullptr) return EDGEROUTE_ERR_INTERNAL;
    r->report = result;
    r->text = std::move(result.response.text);
    r->request_id = result.ok() ? result.response.request_id : result.error.request_id;
    r->input_tokens = result.response.usage.input_tokens;
    r->output_tokens = result.response.usage.output_tokens;
    return finish_call(r, out);
  });
}

const char* or_empty(const edgeroute_result* r, const std::string edgeroute_result::*field) {
  return r == nullptr ? "" : (r->*field).c_str();
}

}  // namespace

extern "C" {

const char* edgeroute_status_name(edgeroute_status status) {
  switch (status) {
    case EDGEROUTE_OK: return "ok";
    case EDGEROUTE_ERR_INVALID_ARGUMENT: return "invalid_argument";
    case EDGEROUTE_ERR_NOT_FOUND: return "not_found";
    case EDGEROUTE_ERR_PERMISSION_DENIED: return "permission_denied";
    case EDGEROUTE_ERR_IO: return "io";
    case EDGEROUTE_ERR_CALL: return "call_failed";
    case EDGEROUTE_ERR_INTERNAL: return "internal";
  }
  return "unknown";
}

void edgeroute_options_init(edgeroute_options* options) {
  if (options != nullptr) std::memset(options, 0, sizeof *options);
}

edgeroute_status edgeroute_runtime_create(const edgeroute_options* options, edgeroute_runtime** out, char* message,
                                          size_t message_bytes) {
  put_message(message, message_bytes, "");
  if (out == nullptr || options == nullptr) {
    put_message(message, message_bytes, "options and out are required");
    return EDGEROUTE_ERR_INVALID_ARGUMENT;
  }
  *out = nullptr;
  return guarded([&] {
    edgeroute::RuntimeOptions o;
    o.allow = options->allow != nullptr ? options->allow : "";
    if (options->catalog_file != nullptr) o.catalog_file = options->catalog_file;
    if (options->model != nullptr) o.models.emplace_back(options->model);
    if (options->pin_region != nullptr) o.pin_region = options->pin_region;
    for (std::size_t i = 0; i < options->connect_to_count; ++i) {
      edgeroute::ConnectTo to;
      const Status st = options->connect_to != nullptr && options->connect_to[i] != nullptr
                            ? edgeroute::parse_connect_to(options->connect_to[i], &to)
                            : Status::error(Code::kInvalidArgument, "connect_to[%zu] is NULL", i);
      if (!st.ok()) {
        put_message(message, message_bytes, st.message());
        return EDGEROUTE_ERR_INVALID_ARGUMENT;
      }
      o.connect_to.push_back(to);
    }
    if (options->ca_bundle != nullptr) o.ca_bundle = options->ca_bundle;
    if (options->deadline_ms > 0) o.deadline_ms = options->deadline_ms;
    if (options->max_attempts > 0) o.failover.max_attempts = options->max_attempts;
    o.refresh_catalog_at_start = options->refresh_catalog_at_start != 0;
    o.catalog_refresh_interval_s = options->catalog_refresh_interval_s;
    if (options->catalog_cache_file != nullptr) o.catalog_cache_file = options->catalog_cache_file;
    o.probe_before_first_call = options->no_probe == 0;
    if (options->probe_state_file != nullptr) o.probe_state_file = options->probe_state_file;
    std::unique_ptr<edgeroute::Runtime> runtime;
    const Status st = edgeroute::Runtime::create(o, &runtime);
    if (!st.ok()) {
      put_message(message, message_bytes, st.message());
      return from_code(st.code());
    }
    auto* handle = new (std::nothrow) edgeroute_runtime;
    if (handle == nullptr) return EDGEROUTE_ERR_INTERNAL;
    handle->runtime = std::move(runtime);
    *out = handle;
    return EDGEROUTE_OK;
  });
}

void edgeroute_runtime_destroy(edgeroute_runtime* runtime) { delete runtime; }

size_t edgeroute_probe_now(edgeroute_runtime* runtime, int64_t within_ms) {
  if (runtime == nullptr) return 0;
  const std::int64_t deadline =
      within_ms > 0 ? runtime->runtime->clock().monotonic_ns() + within_ms * 1000000 : 0;
  return runtime->runtime->probe_now(3, deadline);
}

size_t edgeroute_poll(edgeroute_runtime* runtime) {
  return runtime == nullptr ? 0 : runtime->runtime->poll(runtime->runtime->clock().monotonic_ns());
}

int64_t edgeroute_next_poll_ms(const edgeroute_runtime* runtime) {
  if (runtime == nullptr) return 0;
  // next_poll_ns() is INT64_MIN while a round is due at once: compare before
  // subtracting, which would overflow.
  const std::int64_t next = runtime->runtime->next_poll_ns();
  const std::int64_t now = runtime->runtime->clock().monotonic_ns();
  return next > now ? (next - now + 999999) / 1000000 : 0;
}

int edgeroute_catalog_refresh_report(const edgeroute_runtime* runtime, char* message, size_t message_bytes) {
  put_message(message, message_bytes, "");
  if (runtime == nullptr) return -1;
  const edgeroute::CatalogRefreshState state = runtime->runtime->catalog_refresh_state();
  put_message(message, message_bytes, state.report.c_str());
  if (state.refreshes + state.failures == 0) return -1;
  return state.last_ok ? 1 : 0;
}

edgeroute_status edgeroute_converse(edgeroute_runtime* runtime, const char* model_id, const char* prompt,
                                    const char* system, int64_t max_tokens, edgeroute_result** out) {
  return converse(runtime, model_id, prompt, system, max_tokens, nullptr, nullptr, out);
}

edgeroute_status edgeroute_converse_stream(edgeroute_runtime* runtime, const char* model_id, const char* prompt,
                                           const char* system, int64_t max_tokens, edgeroute_text_callback on_text,
                                           void* context, edgeroute_result** out) {
  if (on_text == nullptr) {
    if (out != nullptr) *out = nullptr;
    return EDGEROUTE_ERR_INVALID_ARGUMENT;
  }
  return converse(runtime, model_id, prompt, system, max_tokens, on_text, context, out);
}

edgeroute_status edgeroute_invoke_model(edgeroute_runtime* runtime, const char* model_id, const void* body,
                                        size_t body_bytes, edgeroute_result** out) {
  if (out == nullptr) return EDGEROUTE_ERR_INVALID_ARGUMENT;
  *out = nullptr;
  if (runtime == nullptr || model_id == nullptr || (body == nullptr && body_bytes > 0)) {
    return EDGEROUTE_ERR_INVALID_ARGUMENT;
  }
  return guarded([&] {
    edgeroute::bedrock::InvokeRequest request;
    request.model_id = model_id;
    if (body_bytes > 0) request.body.assign(static_cast<const char*>(body), body_bytes);
    edgeroute::InvokeResult result = runtime->runtime->invoke_model(request);
    auto* r = new (std::nothrow) edgeroute_result;
    if (r == nullptr) return EDGEROUTE_ERR_INTERNAL;
    r->report = result;
    r->text = std::move(result.response.body);
    r->request_id = result.ok() ? result.response.request_id : result.error.request_id;
    r->input_tokens = result.response.usage.input_tokens;
    r->output_tokens = result.response.usage.output_tokens;
    return finish_call(r, out);
  });
}

int edgeroute_result_ok(const edgeroute_result* result) { return result != nullptr && result->report.ok(); }
const char* edgeroute_result_text(const edgeroute_result* result) { return or_empty(result, &edgeroute_result::text); }
size_t edgeroute_result_text_bytes(const edgeroute_result* result) {
  return result == nullptr ? 0 : result->text.size();
}
const char* edgeroute_result_identifier(const edgeroute_result* result) {
  return or_empty(result, &edgeroute_result::identifier);
}
const char* edgeroute_result_source_region(const edgeroute_result* result) {
  return or_empty(result, &edgeroute_result::source_region);
}
const char* edgeroute_result_endpoint(const edgeroute_result* result) {
  return or_empty(result, &edgeroute_result::endpoint);
}
const char* edgeroute_result_request_id(const edgeroute_result* result) {
  return or_empty(result, &edgeroute_result::request_id);
}
uint32_t edgeroute_result_attempts(const edgeroute_result* result) {
  return result == nullptr ? 0 : result->report.attempt_count;
}
const char* edgeroute_result_path(const edgeroute_result* result) { return or_empty(result, &edgeroute_result::path); }
int edgeroute_result_failed_over(const edgeroute_result* result) {
  return result != nullptr && result->report.failed_over;
}
int64_t edgeroute_result_input_tokens(const edgeroute_result* result) {
  return result == nullptr ? 0 : result->input_tokens;
}
int64_t edgeroute_result_output_tokens(const edgeroute_result* result) {
  return result == nullptr ? 0 : result->output_tokens;
}
const char* edgeroute_result_error_class(const edgeroute_result* result) {
  // "none" on success, as documented (the vocabulary's own name is "success").
  return result == nullptr || result->report.error.ok() ? "none" : edgeroute::to_string(result->report.error.cls);
}
const char* edgeroute_result_error_message(const edgeroute_result* result) {
  return or_empty(result, &edgeroute_result::error_message);
}
void edgeroute_result_free(edgeroute_result* result) { delete result; }

}  // extern "C"
