// Bedrock Runtime: the Converse request and response bodies (JSON, via cJSON).
#include <cjson/cJSON.h>

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "bedrock_internal.h"
#include "edgeroute/bedrock.h"

namespace edgeroute {
namespace bedrock {
namespace {

using JsonPtr = std::unique_ptr<cJSON, void (*)(cJSON*)>;

// Appends text as a JSON string, escaped as cJSON escapes it: quote and backslash,
// the short escapes for b f n r t, a six-character u00XX escape for the other
// control characters, and UTF-8 as it is.
void append_json_string(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  std::size_t plain_from = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out->append(text.data() + plain_from, i - plain_from);
    plain_from = i + 1;
    out->push_back('\\');
    switch (c) {
      case '"':
        out->push_back('"');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '\b':
        out->push_back('b');
        break;
      case '\f':
        out->push_back('f');
        break;
      case '\n':
        out->push_back('n');
        break;
      case '\r':
        out->push_back('r');
        break;
      case '\t':
        out->push_back('t');
        break;
      default:
        out->append("u00");
        out->push_back(kHex[c >> 4]);
        out->push_back(kHex[c & 0xF]);
    }
  }
  out->append(text.data() + plain_from, text.size() - plain_from);
  out->push_back('"');
}

// Appends a number as cJSON 1.7 prints it: 15 significant digits when they read
// back within a rounding error, else 17; null for NaN and infinities.
void append_json_number(std::string* out, double value) {
  if (!std::isfinite(value)) {
    out->append("null");
    return;
  }
  char text[32];
  int n = std::snprintf(text, sizeof text, "%1.15g", value);
  const double back = std::strtod(text, nullptr);
  const double larger = std::fabs(back) > std::fabs(value) ? std::fabs(back) : std::fabs(value);
  if (!(std::fabs(back - value) <= larger * DBL_EPSILON))
    n = std::snprintf(text, sizeof text, "%1.17g", value);
  out->append(text, static_cast<std::size_t>(n));
}

// Appends `"name":` and a caller's raw JSON, parsed (so it is checked) and printed
// compactly. object_only: anything but a JSON object is refused too.
bool append_raw_json(std::string* out, const char* name, const std::string& raw, bool object_only) {
  JsonPtr value(cJSON_ParseWithLength(raw.data(), raw.size()), cJSON_Delete);
  if (value == nullptr || (object_only && !cJSON_IsObject(value.get()))) return false;
  char* printed = cJSON_PrintUnformatted(value.get());
  if (printed == nullptr) return false;
  if (name != nullptr) {
    append_json_string(out, name);
    out->push_back(':');
  }
  out->append(printed);
  cJSON_free(printed);
  return true;
}

void append_text_block(std::string* out, const std::string& text) {
  out->append("{\"text\":");
  append_json_string(out, text);
  out->push_back('}');
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
  // Written directly rather than through a cJSON tree: the body is built on every
  // call, a tree costs an allocation per node, and the caller's buffer keeps its
  // capacity. Only raw JSON from the caller goes through cJSON, to check it. The
  // bytes are those cJSON_PrintUnformatted gives for the same tree, except that a
  // NUL inside a string is sent as \u0000 instead of ending the string.
  std::string& out = *body;
  out.clear();
  out.append("{\"messages\":[");
  for (std::size_t i = 0; i < request.messages.size(); ++i) {
    const Message& m = request.messages[i];
    if (m.role.empty())
      return Status::error(Code::kInvalidArgument, "converse: a message has no role");
    if (i > 0) out.push_back(',');
    out.append("{\"role\":");
    append_json_string(&out, m.role);
    out.append(",\"content\":[");
    for (std::size_t j = 0; j < m.content.size(); ++j) {
      const ContentBlock& b = m.content[j];
      if (j > 0) out.push_back(',');
      if (b.raw_json.empty()) {
        append_text_block(&out, b.text);
      } else if (!append_raw_json(&out, nullptr, b.raw_json, true)) {
        return Status::error(Code::kInvalidArgument,
                             "converse: a content block is not a JSON object");
      }
    }
    out.append("]}");
  }
  out.push_back(']');
  if (!request.system.empty()) {
    out.append(",\"system\":[");
    for (std::size_t i = 0; i < request.system.size(); ++i) {
      if (i > 0) out.push_back(',');
      append_text_block(&out, request.system[i]);
    }
    out.push_back(']');
  }
  const InferenceConfig& ic = request.inference_config;
  if (ic.max_tokens > 0 || ic.temperature >= 0 || ic.top_p >= 0 || !ic.stop_sequences.empty()) {
    out.append(",\"inferenceConfig\":{");
    const std::size_t members_from = out.size();
    auto member = [&](const char* name) {
      if (out.size() > members_from) out.push_back(',');
      append_json_string(&out, name);
      out.push_back(':');
    };
    if (ic.max_tokens > 0) {
      member("maxTokens");
      append_json_number(&out, static_cast<double>(ic.max_tokens));
    }
    if (ic.temperature >= 0) {
      member("temperature");
      append_json_number(&out, ic.temperature);
    }
    if (ic.top_p >= 0) {
      member("topP");
      append_json_number(&out, ic.top_p);
    }
    if (!ic.stop_sequences.empty()) {
      member("stopSequences");
      out.push_back('[');
      for (std::size_t i = 0; i < ic.stop_sequences.size(); ++i) {
        if (i > 0) out.push_back(',');
        append_json_string(&out, ic.stop_sequences[i]);
      }
      out.push_back(']');
    }
    out.push_back('}');
  }
  const struct {
    const char* name;
    const std::string& raw;
  } passthrough[] = {{"toolConfig", request.tool_config_json},
                     {"additionalModelRequestFields", request.additional_model_request_fields_json},
                     {"requestMetadata", request.request_metadata_json}};
  for (const auto& field : passthrough) {
    if (field.raw.empty()) continue;
    out.push_back(',');
    if (!append_raw_json(&out, field.name, field.raw, false))
      return Status::error(Code::kInvalidArgument, "%s: not valid JSON", field.name);
  }
  out.push_back('}');
  return Status();
}

Status parse_converse_response(std::string_view body, ConverseResponse* out) {
  std::string patched;
  body = without_nul_escapes(body, &patched);
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
  // The toolUse blocks are re-printed into one array; most answers have none, and
  // then no array is built.
  JsonPtr tool_uses(nullptr, cJSON_Delete);
  const cJSON* block = nullptr;
  cJSON_ArrayForEach(block, content) {
    const cJSON* text = cJSON_GetObjectItemCaseSensitive(block, "text");
    if (cJSON_IsString(text)) append_safe_text(&out->text, text->valuestring);
    const cJSON* tool_use = cJSON_GetObjectItemCaseSensitive(block, "toolUse");
    if (!cJSON_IsObject(tool_use)) continue;
    if (tool_uses == nullptr) tool_uses.reset(cJSON_CreateArray());
    cJSON_AddItemToArray(tool_uses.get(), cJSON_Duplicate(tool_use, true));
  }
  if (tool_uses == nullptr) {
    out->tool_uses_json.assign("[]");
  } else {
    char* printed = cJSON_PrintUnformatted(tool_uses.get());
    if (printed == nullptr)
      return Status::error(Code::kInternal, "converse response: cannot print tool uses");
    // cJSON escapes controls but copies ill-formed UTF-8 as it is.
    out->tool_uses_json.clear();
    append_valid_utf8(&out->tool_uses_json, printed);
    cJSON_free(printed);
  }
  assign_safe_line(&out->stop_reason, json_string(root.get(), "stopReason"), kMaxStopReasonBytes);
  read_usage(cJSON_GetObjectItemCaseSensitive(root.get(), "usage"), &out->usage);
  out->latency_ms = json_int(cJSON_GetObjectItemCaseSensitive(root.get(), "metrics"), "latencyMs");
  return Status();
}

}  // namespace bedrock
}  // namespace edgeroute
