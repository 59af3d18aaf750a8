// Reading `--config FILE`: see tool_config.h for the format.
#include "tool_config.h"
#include "tool_values.h"

#include <cjson/cJSON.h>

#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <initializer_list>
#include <memory>
#include <string_view>

#include "edgeroute/bedrock.h"

namespace edgeroute {
namespace tool {

namespace {

constexpr std::int64_t kMaxTimeoutMs = 3600LL * 1000;  // --deadline-ms's ceiling
constexpr std::uint32_t kMaxAttempts = 10;
constexpr std::int64_t kMaxWeight = 65535;  // what the router accepts per source
// Keys are echoed in errors; a runaway one is cut so the message stays one line.
constexpr std::size_t kMaxKeyShown = 64;

// Parts of a key name that mean a credential, matched in its lower-cased,
// '-'-as-'_' form: aws_secret_access_key, session_token, bearer, api_key, ...
constexpr const char* kCredentialKeyParts[] = {
    "secret", "token",      "bearer",    "password",   "passwd",     "api_key",
    "apikey", "access_key", "accesskey", "credential", "private_key"};

bool looks_like_credential(const char* key) {
  std::string k(key);
  for (char& c : k) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c == '-' || c == ' ' || c == '.') c = '_';
  }
  for (const char* part : kCredentialKeyParts) {
    if (k.find(part) != std::string::npos) return true;
  }
  return false;
}

// A key as it may appear in a one-line message: printable ASCII, cut when long.
std::string shown_key(const char* key) {
  if (*key == '\0') return "\"\"";
  std::string out;
  for (const char* p = key; *p != '\0'; ++p) {
    if (out.size() == kMaxKeyShown) return out + "...";
    const unsigned char c = static_cast<unsigned char>(*p);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  return out;
}

std::string member_path(const std::string& parent, const cJSON* item) {
  const std::string key = shown_key(item->string);
  return parent.empty() ? key : parent + "." + key;
}

std::string index_path(const std::string& parent, int index) {
  return parent + "[" + std::to_string(index) + "]";
}

bool is_non_empty_string(const cJSON* item) {
  return cJSON_IsString(item) && item->valuestring != nullptr && item->valuestring[0] != '\0';
}

// Relative paths in the file are relative to the file: a config shipped next to
// its catalog must not depend on the working directory it is run from.
std::string resolve(const std::string& config_path, const std::string& path) {
  if (path.empty() || path[0] == '/') return path;
  const std::size_t slash = config_path.rfind('/');
  if (slash == std::string::npos) return path;
  return config_path.substr(0, slash + 1) + path;
}

class Reader {
 public:
  Reader(const std::string& path, ToolConfig* out, std::string* error)
      : path_(path), out_(out), error_(error) {}

  bool read(const cJSON* root) {
    if (!cJSON_IsObject(root)) return fail("", "expected a JSON object");
    // First, however early another problem sits: a credential in the file is
    // the one to fix before anything else.
    if (!refuse_credentials(root, "")) return false;
    if (!check_keys(root, "",
                    {"region", "connect_to", "ca_bundle", "endpoint_url", "timeouts_ms", "routing",
                     "failover", "alert", "credentials"})) {
      return false;
    }
    if (!string_member(root, "", "region", &out_->region) ||
        !list_member(root, "", "connect_to", nullptr, &out_->connect_to) ||
        !check_connect_to(root) || !string_member(root, "", "ca_bundle", &out_->ca_bundle) ||
        !endpoint_url(root)) {
      return false;
    }
    out_->ca_bundle = resolve(path_, out_->ca_bundle);
    return timeouts(root) && routing(root) && failover(root) && alert(root) && credentials(root);
  }

  bool fail(const std::string& member, const std::string& what) {
    *error_ = path_ + ": " + (member.empty() ? "" : member + ": ") + what;
    return false;
  }

 private:
  bool refuse_credentials(const cJSON* node, const std::string& path) {
    int index = 0;
    for (const cJSON* item = node->child; item != nullptr; item = item->next, ++index) {
      const bool member = cJSON_IsObject(node);
      const std::string here = member ? member_path(path, item) : index_path(path, index);
      // The "credentials" section names a source (paths, names), never a secret;
      // its members are still checked like any other key.
      const bool source_section = member && path.empty() && std::strcmp(item->string, "credentials") == 0;
      if (member && !source_section && looks_like_credential(item->string)) {
        return fail(here,
                    "credentials do not belong in the config file (value not shown); give them "
                    "in the environment or the AWS shared files");
      }
      if ((cJSON_IsObject(item) || cJSON_IsArray(item)) && !refuse_credentials(item, here))
        return false;
    }
    return true;
  }

  // Unknown keys and keys given twice (cJSON keeps both; only the first would count).
  bool check_keys(const cJSON* object, const std::string& path,
                  std::initializer_list<const char*> known) {
    for (const cJSON* item = object->child; item != nullptr; item = item->next) {
      bool is_known = false;
      for (const char* k : known) is_known = is_known || std::strcmp(k, item->string) == 0;
      if (!is_known) {
        std::string expected;
        for (const char* k : known) expected += (expected.empty() ? "" : ", ") + std::string(k);
        return fail(member_path(path, item), "unknown key (expected " + expected + ")");
      }
      for (const cJSON* before = object->child; before != item; before = before->next) {
        if (std::strcmp(before->string, item->string) == 0) {
          return fail(member_path(path, item), "given twice");
        }
      }
    }
    return true;
  }

  // An object member, or null when absent; false (reported) when present but
  // not an object.
  bool section(const cJSON* root, const char* key, const cJSON** out) {
    *out = cJSON_GetObjectItemCaseSensitive(root, key);
    if (*out != nullptr && !cJSON_IsObject(*out)) return fail(key, "expected an object");
    return true;
  }

  bool string_member(const cJSON* object, const std::string& path, const char* key,
                     std::string* out) {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, key);
    if (item == nullptr) return true;
    if (!is_non_empty_string(item))
      return fail(member_path(path, item), "expected a non-empty string");
    *out = item->valuestring;
    return true;
  }

  // A list: an array of non-empty strings without commas, or one comma-separated
  // string. *joined gets the comma-separated text, *items the elements.
  bool list_member(const cJSON* object, const std::string& path, const char* key,
                   std::string* joined, std::vector<std::string>* items) {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, key);
    if (item == nullptr) return true;
    const std::string here = member_path(path, item);
    std::vector<std::string> elements;
    if (cJSON_IsString(item)) {
      // The flags' own list syntax (tool_values.h).
      if (!parse_list(item->valuestring != nullptr ? item->valuestring : "", &elements))
        return fail(here, "expected a comma-separated list without empty items");
    } else if (cJSON_IsArray(item)) {
      int index = 0;
      for (const cJSON* e = item->child; e != nullptr; e = e->next, ++index) {
        if (!is_non_empty_string(e) || std::strchr(e->valuestring, ',') != nullptr) {
          return fail(index_path(here, index), "expected a non-empty string without commas");
        }
        elements.emplace_back(e->valuestring);
      }
      if (elements.empty()) return fail(here, "expected a non-empty list");
    } else {
      return fail(here, "expected a list of strings or a comma-separated string");
    }
    if (joined != nullptr) {
      joined->clear();
      for (const std::string& e : elements) *joined += (joined->empty() ? "" : ",") + e;
    }
    if (items != nullptr) *items = std::move(elements);
    return true;
  }

  bool whole_number(const cJSON* item, const std::string& path, std::int64_t min, std::int64_t max,
                    std::int64_t* out) {
    const double v = cJSON_IsNumber(item) ? item->valuedouble : -1.0;
    if (!cJSON_IsNumber(item) || v != std::floor(v) || v < static_cast<double>(min) ||
        v > static_cast<double>(max)) {
      return fail(path,
                  "expected a whole number " + std::to_string(min) + ".." + std::to_string(max));
    }
    *out = static_cast<std::int64_t>(v);
    return true;
  }

  bool check_connect_to(const cJSON* root) {
    for (std::size_t i = 0; i < out_->connect_to.size(); ++i) {
      ConnectTo parsed;
      const Status status = parse_connect_to(out_->connect_to[i], &parsed);
      if (!status.ok()) {
        // The parser quotes the text ("connect-to '<text>': ..."); the member is
        // named here instead, and no message quotes the file.
        std::string what = status.message();
        const std::string quoted = "connect-to '" + out_->connect_to[i].substr(0, 200) + "': ";
        if (what.rfind(quoted, 0) == 0) what.erase(0, quoted.size());
        // It quotes a bad region name; no message quotes the file.
        if (what.find('\'') != std::string::npos)
          what = "REGION is not a region name (a-z, 0-9, -)";
        const bool is_array = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "connect_to"));
        return fail(is_array ? index_path("connect_to", static_cast<int>(i)) : "connect_to", what);
      }
    }
    return true;
  }

  // Checked by the client's own parser, so the file takes exactly the URLs a call
  // does; its message never repeats the URL (userinfo would carry a credential).
  bool endpoint_url(const cJSON* root) {
    if (!string_member(root, "", "endpoint_url", &out_->endpoint_url)) return false;
    if (out_->endpoint_url.empty()) return true;
    bedrock::EndpointUrl parsed;
    const Status st = bedrock::parse_endpoint_url(out_->endpoint_url, &parsed);
    if (!st.ok()) return fail("endpoint_url", st.message());
    return true;
  }

  bool timeouts(const cJSON* root) {
    const cJSON* t = nullptr;
    if (!section(root, "timeouts_ms", &t)) return false;
    if (t == nullptr) return true;
    if (!check_keys(t, "timeouts_ms", {"connect", "first_byte", "idle", "deadline"})) return false;
    struct {
      const char* key;
      std::int64_t* out;
    } const fields[] = {{"connect", &out_->connect_timeout_ms},
                        {"first_byte", &out_->first_byte_timeout_ms},
                        {"idle", &out_->idle_timeout_ms},
                        {"deadline", &out_->deadline_ms}};
    for (const auto& f : fields) {
      const cJSON* item = cJSON_GetObjectItemCaseSensitive(t, f.key);
      if (item != nullptr &&
          !whole_number(item, member_path("timeouts_ms", item), 1, kMaxTimeoutMs, f.out)) {
        return false;
      }
    }
    return true;
  }

  bool routing(const cJSON* root) {
    const cJSON* r = nullptr;
    if (!section(root, "routing", &r)) return false;
    if (r == nullptr) return true;
    const std::string path = "routing";
    if (!check_keys(r, path,
                    {"allow", "mode", "order", "weights", "session", "catalog", "catalog_extend",
                     "probe", "state_dir"}) ||
        !list_member(r, path, "allow", &out_->allow, nullptr) ||
        !string_member(r, path, "mode", &out_->mode) ||
        !list_member(r, path, "order", &out_->order, nullptr) || !weights(r) ||
        !string_member(r, path, "session", &out_->session) || !catalog(r) ||
        !string_member(r, path, "state_dir", &out_->state_dir) ||
        !list_member(r, path, "catalog_extend", nullptr, &out_->catalog_extend)) {
      return false;
    }
    if (!out_->mode.empty() && out_->mode != "latency" && out_->mode != "failover" &&
        out_->mode != "weighted") {
      return fail("routing.mode", "expected one of latency, failover, weighted");
    }
    for (std::string& file : out_->catalog_extend) file = resolve(path_, file);
    if (!out_->state_dir.empty()) out_->state_dir = resolve(path_, out_->state_dir);
    const cJSON* probe = cJSON_GetObjectItemCaseSensitive(r, "probe");
    if (probe != nullptr) {
      if (!cJSON_IsBool(probe)) return fail("routing.probe", "expected true or false");
      out_->probe = cJSON_IsTrue(probe);
      out_->has_probe = true;
    }
    return true;
  }

  // {"REGION": WEIGHT, ...} or the flag's "R=W,..." text, which the router checks.
  bool weights(const cJSON* routing) {
    const cJSON* w = cJSON_GetObjectItemCaseSensitive(routing, "weights");
    if (w == nullptr) return true;
    if (is_non_empty_string(w)) {
      out_->weights = w->valuestring;
      return true;
    }
    if (!cJSON_IsObject(w) || w->child == nullptr) {
      return fail("routing.weights", "expected an object of REGION: WEIGHT or \"R=W,...\"");
    }
    std::string text;
    for (const cJSON* item = w->child; item != nullptr; item = item->next) {
      const std::string here = member_path("routing.weights", item);
      if (item->string[0] == '\0' || std::strpbrk(item->string, ",= ") != nullptr) {
        return fail(here, "expected a region name");
      }
      for (const cJSON* before = w->child; before != item; before = before->next) {
        if (std::strcmp(before->string, item->string) == 0) return fail(here, "given twice");
      }
      std::int64_t weight = 0;
      if (!whole_number(item, here, 0, kMaxWeight, &weight)) return false;
      text += (text.empty() ? "" : ",") + std::string(item->string) + "=" + std::to_string(weight);
    }
    out_->weights = text;
    return true;
  }

  // One file replaces the built-in catalog; a one-element list is taken too.
  bool catalog(const cJSON* routing) {
    const cJSON* c = cJSON_GetObjectItemCaseSensitive(routing, "catalog");
    if (c == nullptr) return true;
    if (cJSON_IsArray(c) && cJSON_GetArraySize(c) == 1) c = c->child;
    if (!is_non_empty_string(c)) {
      return fail("routing.catalog", "expected one file name (more files go in catalog_extend)");
    }
    out_->catalog = resolve(path_, c->valuestring);
    return true;
  }

  bool failover(const cJSON* root) {
    const cJSON* f = nullptr;
    if (!section(root, "failover", &f)) return false;
    if (f == nullptr) return true;
    if (!check_keys(f, "failover", {"max_attempts"})) return false;
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(f, "max_attempts");
    std::int64_t attempts = 0;
    if (item != nullptr && !whole_number(item, "failover.max_attempts", 1, kMaxAttempts, &attempts))
      return false;
    out_->max_attempts = static_cast<std::uint32_t>(attempts);
    return true;
  }

  bool rate(const cJSON* object, const char* key, double* out) {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(object, key);
    if (item == nullptr) return true;
    if (!cJSON_IsNumber(item) || !(item->valuedouble > 0.0) || item->valuedouble > 1.0) {
      return fail(member_path("alert", item), "expected a number in (0, 1]");
    }
    *out = item->valuedouble;
    return true;
  }

  bool alert(const cJSON* root) {
    const cJSON* a = nullptr;
    if (!section(root, "alert", &a)) return false;
    if (a == nullptr) return true;
    return check_keys(a, "alert", {"command", "failover_rate", "non_primary_share"}) &&
           string_member(a, "alert", "command", &out_->alert_command) &&
           rate(a, "failover_rate", &out_->alert_failover_rate) &&
           rate(a, "non_primary_share", &out_->alert_non_primary_share);
  }

  bool credentials(const cJSON* root) {
    const cJSON* c = nullptr;
    if (!section(root, "credentials", &c)) return false;
    if (c == nullptr) return true;
    CredentialsOptions& o = out_->credentials;
    if (!check_keys(c, "credentials",
                    {"source", "profile", "endpoint", "role_alias", "thing_name", "certificate", "key", "key_type",
                     "engine", "chain", "trust_anchor_arn", "profile_arn", "role_arn", "region",
                     "session_duration_s", "refresh_ms"}) ||
        !string_member(c, "credentials", "source", &o.source) ||
        !string_member(c, "credentials", "profile", &o.profile) ||
        !string_member(c, "credentials", "endpoint", &o.endpoint) ||
        !string_member(c, "credentials", "role_alias", &o.role_alias) ||
        !string_member(c, "credentials", "thing_name", &o.thing_name) ||
        !string_member(c, "credentials", "certificate", &o.identity.certificate_file) ||
        !string_member(c, "credentials", "key", &o.identity.key) ||
        !string_member(c, "credentials", "key_type", &o.identity.key_type) ||
        !string_member(c, "credentials", "engine", &o.identity.engine) ||
        !string_member(c, "credentials", "chain", &o.chain_file) ||
        !string_member(c, "credentials", "trust_anchor_arn", &o.trust_anchor_arn) ||
        !string_member(c, "credentials", "profile_arn", &o.profile_arn) ||
        !string_member(c, "credentials", "role_arn", &o.role_arn) ||
        !string_member(c, "credentials", "region", &o.region)) {
      return false;
    }
    const cJSON* duration = cJSON_GetObjectItemCaseSensitive(c, "session_duration_s");
    if (duration != nullptr &&
        !whole_number(duration, "credentials.session_duration_s", 900, 43200, &o.session_duration_s)) {
      return false;
    }
    const char* sources[] = {"default", "environment", "profile", "process", "container", "iot", "rolesanywhere"};
    bool known = o.source.empty();
    for (const char* name : sources) known = known || o.source == name;
    if (!known) {
      return fail("credentials.source",
                  "expected one of default, environment, profile, process, container, iot, rolesanywhere");
    }
    if (!o.chain_file.empty()) o.chain_file = resolve(path_, o.chain_file);
    if (o.identity.key_type.empty()) o.identity.key_type = "PEM";
    if (o.identity.key_type != "PEM" && o.identity.key_type != "ENG") {
      return fail("credentials.key_type", "expected PEM or ENG");
    }
    o.identity.certificate_file = resolve(path_, o.identity.certificate_file);
    if (o.identity.key_type == "PEM") o.identity.key = resolve(path_, o.identity.key);
    // Refresh windows, for short-lived credentials or a test: ms.
    const cJSON* r = nullptr;
    if (!section(c, "refresh_ms", &r)) return false;
    if (r == nullptr) return true;
    if (!check_keys(r, "credentials.refresh_ms", {"advisory", "mandatory", "jitter"})) return false;
    const std::pair<const char*, std::int64_t*> windows[] = {{"advisory", &o.cache.advisory_refresh_ms},
                                                             {"mandatory", &o.cache.mandatory_refresh_ms},
                                                             {"jitter", &o.cache.refresh_jitter_ms}};
    for (const auto& w : windows) {
      const cJSON* item = cJSON_GetObjectItemCaseSensitive(r, w.first);
      if (item != nullptr &&
          !whole_number(item, std::string("credentials.refresh_ms.") + w.first, 0, 24LL * 3600 * 1000, w.second)) {
        return false;
      }
    }
    return true;
  }

  const std::string& path_;
  ToolConfig* out_;
  std::string* error_;
};

}  // namespace

bool parse_tool_config(const std::string& text, const std::string& path, ToolConfig* out,
                       std::string* error) {
  *out = ToolConfig();
  if (text.find_first_not_of(" \t\r\n") == std::string::npos) {
    *error = path + ": empty; expected a JSON object";
    return false;
  }
  const char* end = nullptr;
  std::unique_ptr<cJSON, decltype(&cJSON_Delete)> root(
      cJSON_ParseWithLengthOpts(text.data(), text.size(), &end, false), cJSON_Delete);
  std::size_t offset = end != nullptr ? static_cast<std::size_t>(end - text.data()) : 0;
  // cJSON stops after the first value; anything but white space after it is an error too.
  if (root) offset = text.find_first_not_of(" \t\r\n", offset);
  if (!root || offset != std::string::npos) {
    if (offset > text.size()) offset = text.size();
    std::size_t line = 1, line_start = 0;
    for (std::size_t i = 0; i < offset; ++i) {
      if (text[i] == '\n') {
        ++line;
        line_start = i + 1;
      }
    }
    // Where, not what: the text there could be a secret.
    *error = path + ": " + (root ? "unexpected text after the JSON object" : "not valid JSON") +
             " at line " + std::to_string(line) + ", column " +
             std::to_string(offset - line_start + 1);
    return false;
  }
  Reader reader(path, out, error);
  if (!reader.read(root.get())) {
    *out = ToolConfig();
    return false;
  }
  return true;
}

bool load_tool_config(const std::string& path, ToolConfig* out, std::string* error) {
  *out = ToolConfig();
  FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) {
    *error = path + ": " + std::strerror(errno);
    return false;
  }
  std::string text;
  char buf[8192];
  std::size_t n = 0;
  errno = 0;
  while (text.size() <= kMaxToolConfigBytes && (n = std::fread(buf, 1, sizeof buf, f)) > 0) {
    text.append(buf, n);
  }
  // A directory opens but does not read (EISDIR).
  const int read_errno = std::ferror(f) ? (errno != 0 ? errno : EIO) : 0;
  std::fclose(f);
  if (read_errno != 0) {
    *error = path + ": " + std::strerror(read_errno);
    return false;
  }
  if (text.size() > kMaxToolConfigBytes) {
    *error = path + ": larger than 1 MiB; not a config file";
    return false;
  }
  return parse_tool_config(text, path, out, error);
}

}  // namespace tool
}  // namespace edgeroute
