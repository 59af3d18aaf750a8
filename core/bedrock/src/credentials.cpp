#include "edgeroute/credentials.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "edgeroute/ascii.h"
#include "edgeroute/config.h"
#include "edgeroute/crypto.h"

namespace edgeroute {

void AwsCredentials::clear() {
  for (std::string* s : {&access_key_id_, &secret_access_key_, &session_token_, &bearer_token_}) {
    secure_wipe(s->data(), s->size());
    s->clear();
  }
  expiration_utc_ms_ = 0;
  source_ = "";
}

AwsCredentials& AwsCredentials::operator=(const AwsCredentials& other) {
  if (this != &other) {
    // Wiped first: assigning a shorter string would leave the old tail in place.
    clear();
    access_key_id_ = other.access_key_id_;
    secret_access_key_ = other.secret_access_key_;
    session_token_ = other.session_token_;
    bearer_token_ = other.bearer_token_;
    expiration_utc_ms_ = other.expiration_utc_ms_;
    source_ = other.source_;
  }
  return *this;
}

AwsCredentials AwsCredentials::sigv4_keys(std::string_view access_key_id, std::string_view secret_access_key,
                                          std::string_view session_token, std::int64_t expiration_utc_ms) {
  AwsCredentials c;
  c.access_key_id_.assign(access_key_id);
  c.secret_access_key_.assign(secret_access_key);
  c.session_token_.assign(session_token);
  c.expiration_utc_ms_ = expiration_utc_ms;
  return c;
}

AwsCredentials AwsCredentials::bearer(std::string_view bearer_token, std::int64_t expiration_utc_ms) {
  AwsCredentials c;
  c.bearer_token_.assign(bearer_token);
  c.expiration_utc_ms_ = expiration_utc_ms;
  return c;
}

namespace {

class ProcessEnvironment final : public Environment {
 public:
  const char* get(const char* name) const override { return std::getenv(name); }
};

// Unset and empty are the same: "export AWS_PROFILE=" must not select a profile "".
std::string_view env_value(const Environment& env, const char* name) {
  const char* v = env.get(name);
  return v != nullptr ? std::string_view(v) : std::string_view();
}

// Every credential value is printable ASCII without spaces; that also keeps
// CR/LF out of the headers they end up in. `what` names the value, never shows it.
Status check_value(std::string_view value, std::size_t max_bytes, const char* what, const char* source) {
  if (value.size() > max_bytes) {
    return Status::error(Code::kInvalidArgument, "%s: %s is longer than %zu bytes", source, what, max_bytes);
  }
  for (char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7f) {
      return Status::error(Code::kInvalidArgument, "%s: %s contains a space or a non-printable character",
                           source, what);
    }
  }
  return Status();
}

Status make_sigv4_credentials(std::string_view key_id, std::string_view secret, std::string_view token,
                              const char* source, AwsCredentials* out) {
  Status s = check_value(key_id, limits::kSigv4MaxAccessKeyBytes, "the access key ID", source);
  if (s.ok()) s = check_value(secret, kMaxCredentialValueBytes, "the secret access key", source);
  if (s.ok()) s = check_value(token, kMaxCredentialValueBytes, "the session token", source);
  if (!s.ok()) return s;
  *out = AwsCredentials::sigv4_keys(key_id, secret, token);
  return Status();
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v'; }

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

// A file's text, wiped when it goes out of scope (it may hold secrets).
class FileText {
 public:
  FileText() = default;
  ~FileText() { secure_wipe(text_.data(), text_.size()); }
  FileText(const FileText&) = delete;
  FileText& operator=(const FileText&) = delete;

  // OK with exists() false when the file does not exist.
  Status read(const std::string& path) {
    std::FILE* f = std::fopen(path.c_str(), "rb");
    if (f == nullptr) {
      if (errno == ENOENT || errno == ENOTDIR) return Status();
      return Status::error_with_backend(Code::kIo, errno, "%s: cannot open: %s", path.c_str(),
                                        std::strerror(errno));
    }
    // Unbuffered, so no stdio buffer keeps a copy of the secrets after fclose.
    std::setvbuf(f, nullptr, _IONBF, 0);
    exists_ = true;
    struct stat st;
    // /dev/null stays allowed (an empty file): it is how a profile file is switched off.
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
      std::fclose(f);
      return Status::error(Code::kIo, "%s: is a directory, not a file", path.c_str());
    }
    // Sized once up front: a growing string would free copies of the text unwiped.
    long size = -1;
    if (std::fseek(f, 0, SEEK_END) == 0) size = std::ftell(f);
    if (size < 0 || std::fseek(f, 0, SEEK_SET) != 0) {
      std::fclose(f);
      return Status::error(Code::kIo, "%s: not a regular file", path.c_str());
    }
    if (static_cast<unsigned long>(size) > kMaxProfileFileBytes) {
      std::fclose(f);
      return Status::error(Code::kLimitExceeded, "%s: larger than %zu bytes, the limit for a credentials or config file",
                           path.c_str(), kMaxProfileFileBytes);
    }
    text_.resize(static_cast<std::size_t>(size));
    const std::size_t got = std::fread(text_.data(), 1, text_.size(), f);
    const bool failed = std::ferror(f) != 0;
    std::fclose(f);
    text_.resize(got);  // only ever shrinks (a file truncated meanwhile)
    if (failed) return Status::error(Code::kIo, "%s: read error", path.c_str());
    return Status();
  }

  bool exists() const { return exists_; }
  std::string_view text() const { return text_; }

 private:
  std::string text_;
  bool exists_ = false;
};

enum class FileKind : std::uint8_t {
  kCredentials,  // sections are profile names: [NAME]
  kConfig,       // sections are [profile NAME], and [default] for the default profile
};

// What one file says about one profile. Views point into the file's text.
struct ProfileValues {
  bool section_found = false;
  std::string_view access_key_id;
  std::string_view secret_access_key;
  std::string_view session_token;
  std::string_view region;
  std::string_view credential_process;
  // The profile gets its credentials some way this provider does not implement.
  const char* unsupported_source = nullptr;
};

bool section_matches(std::string_view section, FileKind kind, std::string_view profile) {
  if (kind == FileKind::kCredentials) return section == profile;
  if (profile == "default" && section == "default") return true;
  constexpr std::string_view kPrefix = "profile";
  if (section.substr(0, kPrefix.size()) != kPrefix || section.size() == kPrefix.size() ||
      !is_space(section[kPrefix.size()])) {
    return false;
  }
  return trim(section.substr(kPrefix.size())) == profile;
}

void take_value(std::string_view key, std::string_view value, ProfileValues* out) {
  if (iequals(key, "aws_access_key_id")) {
    out->access_key_id = value;
  } else if (iequals(key, "aws_secret_access_key")) {
    out->secret_access_key = value;
  } else if (iequals(key, "aws_session_token")) {
    out->session_token = value;
  } else if (iequals(key, "region")) {
    out->region = value;
  } else if (iequals(key, "role_arn")) {
    out->unsupported_source = "role_arn";
  } else if (iequals(key, "credential_process")) {
    out->credential_process = value;
  } else if (iequals(key, "sso_session") || iequals(key, "sso_start_url")) {
    out->unsupported_source = "SSO";
  } else if (iequals(key, "web_identity_token_file")) {
    out->unsupported_source = "web_identity_token_file";
  }
}

// Parses a whole file (so a syntax error anywhere is reported, not only in the
// wanted profile) and collects the values of `profile`. Messages name path:line
// and never quote the line.
Status parse_profile_file(const std::string& path, std::string_view text, FileKind kind,
                          std::string_view profile, ProfileValues* out) {
  bool in_section = false, in_wanted = false;
  bool after_empty_valued_key = false;  // indented lines below it are sub-settings
  std::size_t line_number = 0;
  while (!text.empty()) {
    ++line_number;
    const std::size_t eol = text.find('\n');
    const std::string_view raw = text.substr(0, eol);
    text.remove_prefix(eol == std::string_view::npos ? text.size() : eol + 1);

    const std::string_view line = trim(raw);
    if (line.empty() || line.front() == '#' || line.front() == ';') continue;
    if (after_empty_valued_key && is_space(raw.front())) continue;
    after_empty_valued_key = false;

    if (line.front() == '[') {
      const std::size_t close = line.find(']');
      if (close == std::string_view::npos) {
        return Status::error(Code::kParseError, "%s:%zu: '[' without ']'", path.c_str(), line_number);
      }
      const std::string_view rest = trim(line.substr(close + 1));
      if (!rest.empty() && rest.front() != '#' && rest.front() != ';') {
        return Status::error(Code::kParseError, "%s:%zu: text after a section header", path.c_str(),
                             line_number);
      }
      const std::string_view name = trim(line.substr(1, close - 1));
      if (name.empty()) {
        return Status::error(Code::kParseError, "%s:%zu: empty section name", path.c_str(), line_number);
      }
      in_section = true;
      // A repeated section is merged: later keys overwrite earlier ones.
      in_wanted = section_matches(name, kind, profile);
      out->section_found = out->section_found || in_wanted;
      continue;
    }

    const std::size_t eq = line.find('=');
    if (eq == std::string_view::npos) {
      return Status::error(Code::kParseError, "%s:%zu: expected '[section]' or 'key = value'", path.c_str(),
                           line_number);
    }
    const std::string_view key = trim(line.substr(0, eq));
    const std::string_view value = trim(line.substr(eq + 1));
    if (key.empty()) {
      return Status::error(Code::kParseError, "%s:%zu: '=' without a key", path.c_str(), line_number);
    }
    if (!in_section) {
      return Status::error(Code::kParseError, "%s:%zu: key before the first [section]", path.c_str(),
                           line_number);
    }
    after_empty_valued_key = value.empty();
    if (in_wanted) take_value(key, value, out);
  }
  return Status();
}

struct ResolvedProfile {
  std::string profile;
  std::string credentials_file;
  std::string config_file;
};

// "~/x" and empty paths become $HOME/x and $HOME/.aws/<default_name>.
Status resolve_path(const Environment& env, const std::string& configured, const char* env_name,
                    const char* default_name, std::string* out) {
  std::string_view path = configured;
  if (path.empty()) path = env_value(env, env_name);
  const bool from_home = path.empty() || path.substr(0, 2) == "~/";
  if (!from_home) {
    out->assign(path);
    return Status();
  }
  const std::string_view home = env_value(env, "HOME");
  if (home.empty()) {
    return Status::error(Code::kNotFound, "HOME is not set, so %s has no default; set it", env_name);
  }
  out->assign(home);
  if (path.empty()) {
    out->append("/.aws/").append(default_name);
  } else {
    out->append(path.substr(1));
  }
  return Status();
}

Status resolve_profile(const Environment& env, const ProfileOptions& options, ResolvedProfile* out) {
  out->profile = options.profile;
  if (out->profile.empty()) out->profile.assign(env_value(env, "AWS_PROFILE"));
  if (out->profile.empty()) out->profile = "default";
  Status s = resolve_path(env, options.credentials_file, "AWS_SHARED_CREDENTIALS_FILE", "credentials",
                          &out->credentials_file);
  if (s.ok()) s = resolve_path(env, options.config_file, "AWS_CONFIG_FILE", "config", &out->config_file);
  return s;
}

// Reads and parses one file; a missing file leaves *values empty.
Status read_profile(const std::string& path, FileKind kind, const std::string& profile, FileText* text,
                    ProfileValues* values) {
  Status s = text->read(path);
  if (!s.ok() || !text->exists()) return s;
  return parse_profile_file(path, text->text(), kind, profile, values);
}

// Keys from one file: both halves or neither.
Status keys_from(const ProfileValues& v, const std::string& path, const std::string& profile,
                 AwsCredentials* out) {
  if (v.access_key_id.empty() != v.secret_access_key.empty()) {
    return Status::error(Code::kInvalidArgument, "%s: profile '%s' has %s but not %s", path.c_str(),
                         profile.c_str(), v.access_key_id.empty() ? "aws_secret_access_key" : "aws_access_key_id",
                         v.access_key_id.empty() ? "aws_access_key_id" : "aws_secret_access_key");
  }
  return make_sigv4_credentials(v.access_key_id, v.secret_access_key, v.session_token, path.c_str(), out);
}

bool is_region_name(std::string_view s) {
  if (s.empty() || s.size() > limits::kSigv4MaxScopePartBytes) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

}  // namespace

const Environment& process_environment() {
  static const ProcessEnvironment env;
  return env;
}

Status EnvironmentCredentialsProvider::get(std::int64_t /*utc_now_ms*/, AwsCredentials* out) const {
  // Bedrock API keys come first, as in the AWS SDKs: setting one is a deliberate choice.
  const std::string_view bearer = env_value(env_, "AWS_BEARER_TOKEN_BEDROCK");
  if (!bearer.empty()) {
    Status s = check_value(bearer, kMaxCredentialValueBytes, "the token", "AWS_BEARER_TOKEN_BEDROCK");
    if (!s.ok()) return s;
    *out = AwsCredentials::bearer(bearer);
    out->set_source("environment");
    return Status();
  }
  const std::string_view key_id = env_value(env_, "AWS_ACCESS_KEY_ID");
  const std::string_view secret = env_value(env_, "AWS_SECRET_ACCESS_KEY");
  if (key_id.empty() && secret.empty()) {
    return Status::error(Code::kNotFound,
                         "no AWS_BEARER_TOKEN_BEDROCK or AWS_ACCESS_KEY_ID in the environment");
  }
  if (key_id.empty() || secret.empty()) {
    return Status::error(Code::kInvalidArgument, "%s is set but %s is not",
                         key_id.empty() ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID",
                         key_id.empty() ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY");
  }
  Status s = make_sigv4_credentials(key_id, secret, env_value(env_, "AWS_SESSION_TOKEN"), "environment", out);
  if (s.ok()) out->set_source("environment");
  return s;
}

namespace {

ProfileCredentialsProvider::FileStamp stamp_of(const std::string& path) {
  ProfileCredentialsProvider::FileStamp stamp;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return stamp;
  stamp.exists = true;
  stamp.device = static_cast<std::uint64_t>(st.st_dev);
  stamp.inode = static_cast<std::uint64_t>(st.st_ino);
  stamp.size = static_cast<std::uint64_t>(st.st_size);
  stamp.mtime_ns = static_cast<std::int64_t>(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
  return stamp;
}

}  // namespace

Status ProfileCredentialsProvider::get(std::int64_t /*utc_now_ms*/, AwsCredentials* out) const {
  ResolvedProfile where;
  Status s = resolve_profile(env_, options_, &where);
  if (!s.ok()) return s;
  // Stamped before reading: a file changed while it is read is read again next time.
  const FileStamp credentials_stamp = stamp_of(where.credentials_file);
  const FileStamp config_stamp = stamp_of(where.config_file);
  std::lock_guard<std::mutex> lock(mutex_);
  if (!have_result_ || !(credentials_stamp == credentials_stamp_) || !(config_stamp == config_stamp_) ||
      where.credentials_file != stamped_credentials_file_ || where.config_file != stamped_config_file_) {
    result_credentials_.clear();
    result_ = read_files(&result_credentials_);
    have_result_ = true;
    credentials_stamp_ = credentials_stamp;
    config_stamp_ = config_stamp;
    stamped_credentials_file_ = where.credentials_file;
    stamped_config_file_ = where.config_file;
  }
  if (result_.ok()) *out = result_credentials_;
  return result_;
}

Status ProfileCredentialsProvider::read_files(AwsCredentials* out) const {
  ResolvedProfile where;
  Status s = resolve_profile(env_, options_, &where);
  if (!s.ok()) return s;

  FileText credentials_text, config_text;
  ProfileValues from_credentials, from_config;
  s = read_profile(where.credentials_file, FileKind::kCredentials, where.profile, &credentials_text,
                   &from_credentials);
  if (!s.ok()) return s;
  s = read_profile(where.config_file, FileKind::kConfig, where.profile, &config_text, &from_config);
  if (!s.ok()) return s;

  // The credentials file wins, as in the AWS CLI; keys never mix across files.
  if (!from_credentials.access_key_id.empty() || !from_credentials.secret_access_key.empty()) {
    s = keys_from(from_credentials, where.credentials_file, where.profile, out);
    if (s.ok()) out->set_source("shared credentials file");
    return s;
  }
  if (!from_config.access_key_id.empty() || !from_config.secret_access_key.empty()) {
    s = keys_from(from_config, where.config_file, where.profile, out);
    if (s.ok()) out->set_source("shared config file");
    return s;
  }
  if (!from_credentials.credential_process.empty() || !from_config.credential_process.empty()) {
    return Status::error(Code::kNotFound, "profile '%s' has no static keys but a credential_process",
                         where.profile.c_str());
  }
  const char* unsupported = from_credentials.unsupported_source != nullptr ? from_credentials.unsupported_source
                                                                           : from_config.unsupported_source;
  if (unsupported != nullptr) {
    return Status::error(Code::kNotFound, "profile '%s' gets credentials through %s, which is not supported",
                         where.profile.c_str(), unsupported);
  }
  if (from_credentials.section_found || from_config.section_found) {
    return Status::error(Code::kNotFound, "profile '%s' has no aws_access_key_id", where.profile.c_str());
  }
  return Status::error(Code::kNotFound, "profile '%s' not found in %s or %s", where.profile.c_str(),
                       where.credentials_file.c_str(), where.config_file.c_str());
}

Status profile_credential_process(const Environment& env, const ProfileOptions& options, std::string* command,
                                  std::string* file) {
  ResolvedProfile where;
  Status s = resolve_profile(env, options, &where);
  if (!s.ok()) return s;
  FileText credentials_text, config_text;
  ProfileValues from_credentials, from_config;
  s = read_profile(where.credentials_file, FileKind::kCredentials, where.profile, &credentials_text,
                   &from_credentials);
  if (s.ok()) s = read_profile(where.config_file, FileKind::kConfig, where.profile, &config_text, &from_config);
  if (!s.ok()) return s;
  // The credentials file wins, as for keys.
  const bool in_credentials = !from_credentials.credential_process.empty();
  const std::string_view found = in_credentials ? from_credentials.credential_process : from_config.credential_process;
  if (found.empty()) {
    return Status::error(Code::kNotFound, "profile '%s' has no credential_process", where.profile.c_str());
  }
  command->assign(found);
  *file = in_credentials ? where.credentials_file : where.config_file;
  return Status();
}

Status ChainCredentialsProvider::get(std::int64_t utc_now_ms, AwsCredentials* out) const {
  Status last = Status::error(Code::kNotFound, "no credentials providers configured");
  for (std::size_t i = 0; i < count_; ++i) {
    last = providers_[i]->get(utc_now_ms, out);
    if (last.code() != Code::kNotFound) return last;
  }
  return last;
}

Status DefaultCredentialsChain::get(std::int64_t utc_now_ms, AwsCredentials* out) const {
  const CredentialsProvider* const providers[] = {&env_provider_, &profile_provider_};
  return ChainCredentialsProvider(providers, 2).get(utc_now_ms, out);
}

Status resolve_region(const Environment& env, const ProfileOptions& options, std::string* region) {
  region->clear();
  std::string_view found;
  const char* source = nullptr;
  for (const char* name : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    found = env_value(env, name);
    source = name;
    if (!found.empty()) break;
  }
  FileText config_text;
  ProfileValues from_config;
  ResolvedProfile where;
  if (found.empty()) {
    Status s = resolve_profile(env, options, &where);
    if (s.ok()) s = read_profile(where.config_file, FileKind::kConfig, where.profile, &config_text, &from_config);
    if (!s.ok()) return s;
    found = from_config.region;
    source = where.config_file.c_str();
    if (found.empty()) {
      return Status::error(Code::kNotFound, "no region: set AWS_REGION or region in profile '%s' of %s",
                           where.profile.c_str(), where.config_file.c_str());
    }
  }
  if (!is_region_name(found)) {
    return Status::error(Code::kInvalidArgument, "%s: the region is not a region name", source);
  }
  region->assign(found);
  return Status();
}

}  // namespace edgeroute
