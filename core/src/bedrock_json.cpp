// Bedrock Runtime: the Converse request and response bodies (JSON, via cJSON).
#include <cjson/cJSON.h>

#include <cmath>
#include <memory>

#include "bedrock_internal.h"
#include "edgeroute/bedrock.h"

namespace edgeroute {
namespace bedrock {
namespace {

using JsonPtr = std::unique_ptr<cJSON, void (*)(cJSON*)>;

// Parses a caller's raw JSON and attaches it to parent under name.
Status add_raw(cJSON* parent, const char* name, const std::string& raw) {
  cJSON* value = cJSON_ParseWithLength(raw.data(), raw.size());
  if (value == nullptr) return Status::error(Code::kInvalidArgument, "%s: not valid JSON", name);
  cJSON_AddItemToObject(parent, name, value);
  return Status();
}

cJSON* text_block(const std::string& text) {
  cJSON* block = cJSON_CreateObject();
  cJSON_AddStringToObject(block, "text", text.c_str());
  return block;
}

}  // namespace

std::int64_t json_int(const cJSON* object, const char* name) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, name);
  if (!cJSON_IsNumber(item) || !std::isfinite(item->valuedouble)) return 0;
  return static_cast<std::int64_t>(item->valuedouble);
}

std::string_view json_string(const cJSON* object, const char* name) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, name);
  return cJSON_IsString(item) ? std::string_view(item->valuestring) : std::string_view();
}

void read_usage(const cJSON* usage, Usage* out) {
  if (!cJSON_IsObject(usage)) return;
  out->input_tokens = json_int(usage, "inputTokens");
  out->output_tokens = json_int(usage, "outputTokens");
  out->total_tokens = json_int(usage, "totalTokens");
  out->cache_read_input_tokens = json_int(usage, "cacheReadInputTokens");
  out->cache_write_input_tokens = json_int(usage, "cacheWriteInputTokens");
}

Status build_converse_body(const ConverseRequest& request, std::string* body) {
  if (request.model_id.empty())
    return Status::error(Code::kInvalidArgument, "converse: no model ID");
  if (request.messages.empty())
    return Status::error(Code::kInvalidArgument, "converse: no messages");
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON* messages = cJSON_AddArrayToObject(root.get(), "messages");
  for (const Message& m : request.messages) {
    if (m.role.empty())
      return Status::error(Code::kInvalidArgument, "converse: a message has no role");
    cJSON* message = cJSON_CreateObject();
    cJSON_AddItemToArray(messages, message);
    cJSON_AddStringToObject(message, "role", m.role.c_str());
    cJSON* content = cJSON_AddArrayToObject(message, "content");
    for (const ContentBlock& b : m.content) {
      if (b.raw_json.empty()) {
        cJSON_AddItemToArray(content, text_block(b.text));
        continue;
      }
      cJSON* raw = cJSON_ParseWithLength(b.raw_json.data(), b.raw_json.size());
      if (!cJSON_IsObject(raw)) {
        cJSON_Delete(raw);
        return Status::error(Code::kInvalidArgument,
                             "converse: a content block is not a JSON object");
      }
      cJSON_AddItemToArray(content, raw);
    }
  }
  if (!request.system.empty()) {
    cJSON* system = cJSON_AddArrayToObject(root.get(), "system");
    for (const std::string& s : request.system) cJSON_AddItemToArray(system, text_block(s));
  }
  const InferenceConfig& ic = request.inference_config;
  if (ic.max_tokens > 0 || ic.temperature >= 0 || ic.top_p >= 0 || !ic.stop_sequences.empty()) {
    cJSON* config = cJSON_AddObjectToObject(root.get(), "inferenceConfig");
    if (ic.max_tokens > 0)
      cJSON_AddNumberToObject(config, "maxTokens", static_cast<double>(ic.max_tokens));
    if (ic.temperature >= 0) cJSON_AddNumberToObject(config, "temperature", ic.temperature);
    if (ic.top_p >= 0) cJSON_AddNumberToObject(config, "topP", ic.top_p);
    if (!ic.stop_sequences.empty()) {
      cJSON* stops = cJSON_AddArrayToObject(config, "stopSequences");
      for (const std::string& s : ic.stop_sequences)
        cJSON_AddItemToArray(stops, cJSON_CreateString(s.c_str()));
    }
  }
  Status st;
  if (!request.tool_config_json.empty())
    st = add_raw(root.get(), "toolConfig", request.tool_config_json);
  if (st.ok() && !request.additional_model_request_fields_json.empty()) {
    st = add_raw(root.get(), "additionalModelRequestFields",
                 request.additional_model_request_fields_json);
  }
  if (st.ok() && !request.request_metadata_json.empty()) {
    st = add_raw(root.get(), "requestMetadata", request.request_metadata_json);
  }
  if (!st.ok()) return st;
  char* printed = cJSON_PrintUnformatted(root.get());
  if (printed == nullptr)
    return Status::error(Code::kInternal, "converse: cannot print the request body");
  body->assign(printed);
  cJSON_free(printed);
  return Status();
}

Status parse_converse_response(std::string_view body, ConverseResponse* out) {
  JsonPtr root(cJSON_ParseWithLength(body.data(), body.size()), cJSON_Delete);
  if (!cJSON_IsObject(root.get())) {
    return Status::error(Code::kParseError, "converse response: not a JSON object (%zu bytes)",
                         body.size());
  }
  const cJSON* output = cJSON_GetObjectItemCaseSensitive(root.get(), "output");
  const cJSON* message = cJSON_GetObjectItemCaseSensitive(output, "message");
  const cJSON* content = cJSON_GetObjectItemCaseSensitive(message, "content");
  if (!cJSON_IsArray(content)) {
    return Status::error(Code::kParseError, "converse response: no output.message.content array");
  }
  out->text.clear();
  JsonPtr tool_uses(cJSON_CreateArray(), cJSON_Delete);
  const cJSON* block = nullptr;
  cJSON_ArrayForEach(block, content) {
    const cJSON* text = cJSON_GetObjectItemCaseSensitive(block, "text");
    if (cJSON_IsString(text)) out->text.append(text->valuestring);
    const cJSON* tool_use = cJSON_GetObjectItemCaseSensitive(block, "toolUse");
    if (cJSON_IsObject(tool_use))
      cJSON_AddItemToArray(tool_uses.get(), cJSON_Duplicate(tool_use, true));
  }
  char* printed = cJSON_PrintUnformatted(tool_uses.get());
  if (printed == nullptr)
    return Status::error(Code::kInternal, "converse response: cannot print tool uses");
  out->tool_uses_json.assign(printed);
  cJSON_free(printed);
  out->stop_reason = std::string(json_string(root.get(), "stopReason"));
  read_usage(cJSON_GetObjectItemCaseSensitive(root.get(), "usage"), &out->usage);
  out->latency_ms = json_int(cJSON_GetObjectItemCaseSensitive(root.get(), "metrics"), "latencyMs");
  return Status();
}

}  // namespace bedrock
}  // namespace edgeroute
