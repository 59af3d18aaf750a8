#include "serve_wire.h"

#include <cjson/cJSON.h>

#include <memory>

#include "edgeroute/eventstream.h"

namespace edgeroute {
namespace tool {
namespace {

using JsonPtr = std::unique_ptr<cJSON, void (*)(cJSON*)>;

std::string print(const cJSON* item) {
  char* text = cJSON_PrintUnformatted(item);
  std::string out = text != nullptr ? text : "";
  cJSON_free(text);
  return out;
}

Status frame(std::string_view event_type, std::string_view message_type, std::string_view payload,
             std::string* out) {
  const bool exception = message_type == "exception";
  eventstream::Header headers[3];
  headers[0].name = exception ? ":exception-type" : ":event-type";
  headers[0].type = eventstream::HeaderType::kString;
  headers[0].bytes = event_type;
  headers[1].name = ":content-type";
  headers[1].type = eventstream::HeaderType::kString;
  headers[1].bytes = "application/json";
  headers[2].name = ":message-type";
  headers[2].type = eventstream::HeaderType::kString;
  headers[2].bytes = message_type;
  std::size_t needed = 0;
  Status st = eventstream::encode(headers, 3, payload.data(), payload.size(), nullptr, 0, &needed);
  if (st.code() != Code::kBufferTooSmall) return st;
  const std::size_t at = out->size();
  out->resize(at + needed);
  st = eventstream::encode(headers, 3, payload.data(), payload.size(), &(*out)[at], needed, &needed);
  if (!st.ok()) out->resize(at);
  return st;
}

void add_usage(cJSON* o, const bedrock::Usage& u) {
  cJSON* usage = cJSON_AddObjectToObject(o, "usage");
  cJSON_AddNumberToObject(usage, "inputTokens", static_cast<double>(u.input_tokens));
  cJSON_AddNumberToObject(usage, "outputTokens", static_cast<double>(u.output_tokens));
  cJSON_AddNumberToObject(usage, "totalTokens", static_cast<double>(u.total_tokens));
  if (u.cache_read_input_tokens > 0) {
    cJSON_AddNumberToObject(usage, "cacheReadInputTokens", static_cast<double>(u.cache_read_input_tokens));
  }
  if (u.cache_write_input_tokens > 0) {
    cJSON_AddNumberToObject(usage, "cacheWriteInputTokens", static_cast<double>(u.cache_write_input_tokens));
  }
}

}  // namespace

Status parse_converse_body(std::string_view body, bedrock::ConverseRequest* out) {
  JsonPtr root(cJSON_ParseWithLength(body.data(), body.size()), cJSON_Delete);
  if (root == nullptr || !cJSON_IsObject(root.get())) {
    return Status::error(Code::kInvalidArgument, "the request body is not a JSON object");
  }
  const cJSON* member = nullptr;
  cJSON_ArrayForEach(member, root.get()) {
    const std::string name = member->string;
    if (name == "messages") {
      if (!cJSON_IsArray(member)) return Status::error(Code::kInvalidArgument, "messages must be a list");
      const cJSON* m = nullptr;
      cJSON_ArrayForEach(m, member) {
        const cJSON* role = cJSON_GetObjectItemCaseSensitive(m, "role");
        const cJSON* content = cJSON_GetObjectItemCaseSensitive(m, "content");
        if (!cJSON_IsString(role) || !cJSON_IsArray(content)) {
          return Status::error(Code::kInvalidArgument, "each message needs a role and a content list");
        }
        bedrock::Message message;
        message.role = role->valuestring;
        const cJSON* block = nullptr;
        cJSON_ArrayForEach(block, content) {
          const cJSON* text = cJSON_GetObjectItemCaseSensitive(block, "text");
          if (cJSON_IsString(text) && cJSON_GetArraySize(block) == 1) {
            message.content.push_back(bedrock::ContentBlock::of_text(text->valuestring));
          } else {
            message.content.push_back(bedrock::ContentBlock::of_json(print(block)));
          }
        }
        out->messages.push_back(std::move(message));
      }
    } else if (name == "system") {
      const cJSON* s = nullptr;
      cJSON_ArrayForEach(s, member) {
        const cJSON* text = cJSON_GetObjectItemCaseSensitive(s, "text");
        if (!cJSON_IsString(text)) {
          return Status::error(Code::kInvalidArgument, "edgeroute serve passes on text system blocks only");
        }
        out->system.push_back(text->valuestring);
      }
    } else if (name == "inferenceConfig") {
      const cJSON* v = nullptr;
      cJSON_ArrayForEach(v, member) {
        const std::string key = v->string;
        if (key == "maxTokens" && cJSON_IsNumber(v)) {
          out->inference_config.max_tokens = static_cast<std::int64_t>(v->valuedouble);
        } else if (key == "temperature" && cJSON_IsNumber(v)) {
          out->inference_config.temperature = v->valuedouble;
        } else if (key == "topP" && cJSON_IsNumber(v)) {
          out->inference_config.top_p = v->valuedouble;
        } else if (key == "stopSequences" && cJSON_IsArray(v)) {
          const cJSON* s = nullptr;
          cJSON_ArrayForEach(s, v) if (cJSON_IsString(s)) out->inference_config.stop_sequences.push_back(s->valuestring);
        } else {
          return Status::error(Code::kInvalidArgument, "inferenceConfig.%s: not a known setting of the right type",
                               key.c_str());
        }
      }
    } else if (name == "toolConfig") {
      out->tool_config_json = print(member);
    } else if (name == "additionalModelRequestFields") {
      out->additional_model_request_fields_json = print(member);
    } else if (name == "requestMetadata") {
      out->request_metadata_json = print(member);
    } else {
      return Status::error(Code::kInvalidArgument, "%s: edgeroute serve does not pass this member on", name.c_str());
    }
  }
  if (out->messages.empty()) return Status::error(Code::kInvalidArgument, "messages: at least one message is needed");
  return Status();
}

std::string converse_response_body(const bedrock::ConverseResponse& r) {
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON* message = cJSON_AddObjectToObject(cJSON_AddObjectToObject(root.get(), "output"), "message");
  cJSON_AddStringToObject(message, "role", "assistant");
  cJSON* content = cJSON_AddArrayToObject(message, "content");
  if (!r.text.empty()) {
    cJSON* block = cJSON_CreateObject();
    cJSON_AddStringToObject(block, "text", r.text.c_str());
    cJSON_AddItemToArray(content, block);
  }
  JsonPtr tools(cJSON_Parse(r.tool_uses_json.c_str()), cJSON_Delete);
  const cJSON* tool = nullptr;
  cJSON_ArrayForEach(tool, tools.get()) {
    cJSON* block = cJSON_CreateObject();
    cJSON_AddItemToObject(block, "toolUse", cJSON_Duplicate(tool, true));
    cJSON_AddItemToArray(content, block);
  }
  cJSON_AddStringToObject(root.get(), "stopReason", r.stop_reason.c_str());
  add_usage(root.get(), r.usage);
  cJSON_AddNumberToObject(cJSON_AddObjectToObject(root.get(), "metrics"), "latencyMs",
                          static_cast<double>(r.latency_ms));
  return print(root.get());
}

Status converse_event_frame(const bedrock::StreamEvent& e, std::string* out) {
  using Kind = bedrock::StreamEvent::Kind;
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON* o = root.get();
  const char* type = "";
  switch (e.kind) {
    case Kind::kMessageStart:
      type = "messageStart";
      cJSON_AddStringToObject(o, "role", "assistant");
      break;
    case Kind::kContentBlockStart: {
      type = "contentBlockStart";
      cJSON_AddNumberToObject(o, "contentBlockIndex", static_cast<double>(e.content_block_index));
      cJSON* tool = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "start"), "toolUse");
      cJSON_AddStringToObject(tool, "toolUseId", std::string(e.tool_use_id).c_str());
      cJSON_AddStringToObject(tool, "name", std::string(e.tool_name).c_str());
      break;
    }
    case Kind::kTextDelta:
    case Kind::kToolUseDelta: {
      type = "contentBlockDelta";
      cJSON_AddNumberToObject(o, "contentBlockIndex", static_cast<double>(e.content_block_index));
      cJSON* delta = cJSON_AddObjectToObject(o, "delta");
      if (e.kind == Kind::kTextDelta) {
        cJSON_AddStringToObject(delta, "text", std::string(e.text).c_str());
      } else {
        cJSON_AddStringToObject(cJSON_AddObjectToObject(delta, "toolUse"), "input", std::string(e.text).c_str());
      }
      break;
    }
    case Kind::kContentBlockStop:
      type = "contentBlockStop";
      cJSON_AddNumberToObject(o, "contentBlockIndex", static_cast<double>(e.content_block_index));
      break;
    case Kind::kMessageStop:
      type = "messageStop";
      cJSON_AddStringToObject(o, "stopReason", std::string(e.stop_reason).c_str());
      break;
    case Kind::kMetadata:
      type = "metadata";
      add_usage(o, e.usage);
      cJSON_AddNumberToObject(cJSON_AddObjectToObject(o, "metrics"), "latencyMs", static_cast<double>(e.latency_ms));
      break;
  }
  return frame(type, "event", print(o), out);
}

Status chunk_frame(std::string_view chunk, std::string* out) {
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  std::string bytes;
  bedrock::append_base64(chunk, &bytes);
  cJSON_AddStringToObject(root.get(), "bytes", bytes.c_str());
  return frame("chunk", "event", print(root.get()), out);
}

Status exception_frame(std::string_view type, std::string_view message, std::string* out) {
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON_AddStringToObject(root.get(), "message", std::string(message).c_str());
  return frame(type, "exception", print(root.get()), out);
}

WireError wire_error(const bedrock::Error& error) {
  WireError w;
  w.message = error.message.empty() ? error.to_string() : error.message;
  if (error.http_status >= 400 && !error.error_type.empty()) {
    w.status = error.http_status;
    w.type = error.error_type;
    return w;
  }
  switch (error.cls) {
    case OutcomeClass::kThrottle: w.status = 429; w.type = "ThrottlingException"; break;
    case OutcomeClass::kQuota: w.status = 400; w.type = "ServiceQuotaExceededException"; break;
    case OutcomeClass::kModelNotReady: w.status = 429; w.type = "ModelNotReadyException"; break;
    case OutcomeClass::kTransient: w.status = 503; w.type = "ServiceUnavailableException"; break;
    case OutcomeClass::kAuth: w.status = 403; w.type = "AccessDeniedException"; break;
    default: w.status = 400; w.type = "ValidationException"; break;
  }
  return w;
}

std::string error_body(const std::string& message) {
  JsonPtr root(cJSON_CreateObject(), cJSON_Delete);
  cJSON_AddStringToObject(root.get(), "message", message.c_str());
  return print(root.get());
}

const char* stream_exception_type(const bedrock::Error& error) {
  switch (error.cls) {
    case OutcomeClass::kThrottle:
    case OutcomeClass::kQuota:
    case OutcomeClass::kModelNotReady: return "throttlingException";
    case OutcomeClass::kTransient: return "serviceUnavailableException";
    case OutcomeClass::kClient: return "validationException";
    default: return "internalServerException";
  }
}

}  // namespace tool
}  // namespace edgeroute
