#include "signing_case.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include <cjson/cJSON.h>

#include "edgeroute/ascii.h"
#include "edgeroute/crypto.h"

namespace edgeroute {
namespace tool {
namespace {

void wipe(std::string* s) {
  if (!s->empty()) secure_wipe(&(*s)[0], s->size());
  s->clear();
}

std::string percent_encoded(std::string_view s) {
  static const char* digits = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    const unsigned char c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(ch);
    } else {
      out.push_back('%');
      out.push_back(digits[c >> 4]);
      out.push_back(digits[c & 15]);
    }
  }
  return out;
}

void replace_all(std::string* text, const std::string& from, const std::string& to) {
  if (from.empty()) return;
  for (std::size_t at = text->find(from); at != std::string::npos; at = text->find(from, at)) {
    text->replace(at, from.size(), to);
    at += to.size();
  }
}

// One JSON object's members, checked against the fields we know.
struct JsonDeleter {
  void operator()(cJSON* p) const { cJSON_Delete(p); }
};

Status want_string(const cJSON* item, const char* field, std::string* out) {
  if (!cJSON_IsString(item) || item->valuestring == nullptr) {
    return Status::error(Code::kParseError, "%s: expected a string", field);
  }
  *out = item->valuestring;
  return Status();
}

Status want_bool(const cJSON* item, const char* field, bool* out) {
  if (!cJSON_IsBool(item)) {
    return Status::error(Code::kParseError, "%s: expected true or false", field);
  }
  *out = cJSON_IsTrue(item) != 0;
  return Status();
}

// A header the signed request carries anew (the signer ignored the old one).
bool replaced_by_signing(std::string_view name, const sigv4::SignedRequest& signed_request) {
  if (iequals(name, "authorization")) return true;
  for (std::size_t i = 0; i < signed_request.added_header_count; ++i) {
    if (iequals(name, signed_request.added_headers[i].name)) return true;
  }
  return false;
}

}  // namespace

SigningContext::~SigningContext() {
  wipe(&secret_access_key);
  wipe(&session_token);
}

sigv4::Options SigningContext::options(sigv4::Mode mode) const {
  sigv4::Options o;
  o.region = region;
  o.service = service;
  o.time_unix_s = time_unix_s;
  o.mode = mode;
  o.normalize_path = normalize;
  o.double_encode_path = true;
  o.payload = sigv4::PayloadHash::kHashBody;
  o.add_content_sha256_header = sign_body && mode == sigv4::Mode::kHeader;
  o.omit_session_token = omit_session_token;
  o.expires_s = expires_s;
  return o;
}

sigv4::Request RequestText::request() const {
  sigv4::Request r;
  r.method = method;
  r.path = path;
  r.query = query;
  r.headers = headers.data();
  r.header_count = headers.size();
  r.body = body.data();
  r.body_bytes = body.size();
  return r;
}

namespace {

// A key given twice would let the later one silently replace what the reader saw
// first (the region or key a signature is for): refused, as --config does.
Status refuse_duplicate_keys(const cJSON* object, const char* path) {
  for (const cJSON* item = object->child; item != nullptr; item = item->next) {
    for (const cJSON* before = object->child; before != item; before = before->next) {
      if (std::strcmp(before->string, item->string) == 0) {
        return Status::error(Code::kParseError, "%s%s%.*s: given twice", path, *path != '\0' ? "." : "",
                             static_cast<int>(std::strlen(item->string) > 48 ? 48 : std::strlen(item->string)),
                             item->string);
      }
    }
  }
  return Status();
}

}  // namespace

Status parse_context(std::string_view json, SigningContext* out) {
  std::unique_ptr<cJSON, JsonDeleter> root(cJSON_ParseWithLength(json.data(), json.size()));
  if (!root) return Status::error(Code::kParseError, "not valid JSON");
  if (!cJSON_IsObject(root.get())) {
    return Status::error(Code::kParseError, "expected a JSON object");
  }
  bool have_credentials = false, have_region = false, have_service = false, have_time = false;
  if (Status st = refuse_duplicate_keys(root.get(), ""); !st.ok()) return st;
  for (const cJSON* item = root->child; item != nullptr; item = item->next) {
    const std::string_view name = item->string;
    Status st;
    if (name == "credentials") {
      if (!cJSON_IsObject(item)) {
        return Status::error(Code::kParseError, "credentials: expected an object");
      }
      bool have_id = false, have_secret = false;
      if (Status dup = refuse_duplicate_keys(item, "credentials"); !dup.ok()) return dup;
      for (const cJSON* c = item->child; c != nullptr; c = c->next) {
        const std::string_view cname = c->string;
        if (cname == "access_key_id") {
          st = want_string(c, "credentials.access_key_id", &out->access_key_id);
          have_id = true;
        } else if (cname == "secret_access_key") {
          st = want_string(c, "credentials.secret_access_key", &out->secret_access_key);
          have_secret = true;
        } else if (cname == "token") {
          st = want_string(c, "credentials.token", &out->session_token);
        } else {
          return Status::error(Code::kParseError, "credentials.%.*s: unknown field",
                               static_cast<int>(cname.size() > 48 ? 48 : cname.size()),
                               cname.data());
        }
        if (!st.ok()) return st;
      }
      if (!have_id) {
        return Status::error(Code::kParseError, "credentials.access_key_id: missing");
      }
      if (!have_secret) {
        return Status::error(Code::kParseError,
                             "credentials.secret_access_key: missing");
      }
      have_credentials = true;
    } else if (name == "expiration_in_seconds") {
      if (!cJSON_IsNumber(item) || item->valuedouble < 1 || item->valuedouble > 604800 ||
          item->valuedouble != static_cast<double>(static_cast<std::uint32_t>(item->valuedouble))) {
        return Status::error(Code::kParseError,
                             "expiration_in_seconds: expected a whole number 1..604800");
      }
      out->expires_s = static_cast<std::uint32_t>(item->valuedouble);
    } else if (name == "normalize") {
      st = want_bool(item, "normalize", &out->normalize);
    } else if (name == "sign_body") {
      st = want_bool(item, "sign_body", &out->sign_body);
    } else if (name == "omit_session_token") {
      st = want_bool(item, "omit_session_token", &out->omit_session_token);
    } else if (name == "region") {
      st = want_string(item, "region", &out->region);
      have_region = true;
    } else if (name == "service") {
      st = want_string(item, "service", &out->service);
      have_service = true;
    } else if (name == "timestamp") {
      std::string text;
      st = want_string(item, "timestamp", &text);
      if (st.ok()) {
        st = sigv4::parse_timestamp(text, &out->time_unix_s);
        if (!st.ok()) return Status::error(Code::kParseError, "%s", st.message());
      }
      have_time = true;
    } else {
      return Status::error(Code::kParseError, "%.*s: unknown field",
                           static_cast<int>(name.size() > 48 ? 48 : name.size()), name.data());
    }
    if (!st.ok()) return st;
  }
  if (!have_credentials) return Status::error(Code::kParseError, "credentials: missing");
  if (!have_region) return Status::error(Code::kParseError, "region: missing");
  if (!have_service) return Status::error(Code::kParseError, "service: missing");
  if (!have_time) return Status::error(Code::kParseError, "timestamp: missing");
  return Status();
}

Status parse_request(std::string text, RequestText* out) {
  out->text = std::move(text);
  out->headers.clear();
  std::string& t = out->text;
  // Header lines are views into `t`. A continuation line is folded into the
  // previous value by turning the line break before it into spaces, which the
  // signer's whitespace folding then collapses.
  std::size_t pos = 0;
  auto next_line = [&](std::string_view* line) -> bool {
    if (pos > t.size()) return false;
    std::size_t end = t.find('\n', pos);
    const bool last = end == std::string::npos;
    if (last) end = t.size();
    std::size_t stop = end;
    if (stop > pos && t[stop - 1] == '\r') --stop;
    *line = std::string_view(t.data() + pos, stop - pos);
    pos = last ? t.size() + 1 : end + 1;
    return true;
  };
  std::string_view line;
  if (!next_line(&line) || line.empty()) {
    return Status::error(Code::kParseError, "line 1: missing request line");
  }
  const std::size_t sp = line.find(' ');
  constexpr std::string_view kVersion = " HTTP/1.1";
  if (sp == std::string_view::npos || sp == 0 || line.size() < sp + kVersion.size() + 1 ||
      line.substr(line.size() - kVersion.size()) != kVersion) {
    return Status::error(Code::kParseError,
                         "line 1: expected 'METHOD target HTTP/1.1'");
  }
  out->method = line.substr(0, sp);
  out->target = line.substr(sp + 1, line.size() - kVersion.size() - sp - 1);
  if (out->target.empty() || out->target.front() != '/') {
    return Status::error(Code::kParseError, "line 1: the target must start with '/'");
  }
  const std::size_t q = out->target.find('?');
  out->path = out->target.substr(0, q);
  out->query = q == std::string_view::npos ? std::string_view() : out->target.substr(q + 1);

  int line_no = 1;
  bool ended = false;
  while (next_line(&line)) {
    ++line_no;
    if (line.empty()) {
      ended = true;
      break;
    }
    if (line.front() == ' ' || line.front() == '\t') {
      if (out->headers.empty()) {
        return Status::error(Code::kParseError,
                             "line %d: continuation line before any header", line_no);
      }
      sigv4::Header& h = out->headers.back();
      char* from = const_cast<char*>(h.value.data() + h.value.size());
      char* to = const_cast<char*>(line.data());
      for (char* p = from; p < to; ++p) *p = ' ';  // the line break and any CR
      h.value = std::string_view(h.value.data(), static_cast<std::size_t>(line.data() + line.size() - h.value.data()));
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Status::error(Code::kParseError, "line %d: expected 'Name:value'",
                           line_no);
    }
    out->headers.push_back({line.substr(0, colon), line.substr(colon + 1)});
  }
  if (ended) {
    out->body = pos <= t.size() ? std::string_view(t.data() + pos, t.size() - pos) : std::string_view();
  } else {
    out->body = std::string_view();
  }
  return Status();
}

std::string format_signed_request(const RequestText& request,
                                  const sigv4::SignedRequest& signed_request, sigv4::Mode mode) {
  std::string s;
  s.reserve(request.text.size() + 1024);
  s.append(request.method).append(" ").append(request.path);
  if (mode == sigv4::Mode::kQuery) {
    s.append("?").append(signed_request.query);
  } else if (!request.query.empty()) {
    s.append("?").append(request.query);
  }
  s.append(" HTTP/1.1\n");
  for (const sigv4::Header& h : request.headers) {
    if (replaced_by_signing(h.name, signed_request)) continue;
    s.append(h.name).append(":").append(h.value).append("\n");
  }
  for (std::size_t i = 0; i < signed_request.added_header_count; ++i) {
    const sigv4::Header& h = signed_request.added_headers[i];
    s.append(h.name).append(":").append(h.value).append("\n");
  }
  s.append("\n").append(request.body);
  return s;
}

std::string mask_secret(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  const std::string placeholder =
      "<session token, " + std::to_string(secret.size()) + " bytes, masked>";
  replace_all(&text, std::string(secret), placeholder);
  replace_all(&text, percent_encoded(secret), placeholder);
  return text;
}

}  // namespace tool
}  // namespace edgeroute
