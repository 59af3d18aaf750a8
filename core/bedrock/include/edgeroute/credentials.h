// edgeroute/credentials.h -- where the keys that sign requests come from.
//
// Sources, in the order DefaultCredentialsChain tries them:
//   1. the environment: AWS_BEARER_TOKEN_BEDROCK (a Bedrock API key, sent as
//      "Authorization: Bearer", no SigV4), else AWS_ACCESS_KEY_ID +
//      AWS_SECRET_ACCESS_KEY [+ AWS_SESSION_TOKEN];
//   2. the shared files of the profile AWS_PROFILE (default "default"):
//      AWS_SHARED_CREDENTIALS_FILE (default ~/.aws/credentials, sections [NAME])
//      and then AWS_CONFIG_FILE (default ~/.aws/config, sections [profile NAME]
//      and [default]); a key in the credentials file wins.
// The region comes from AWS_REGION, AWS_DEFAULT_REGION, then the profile's
// `region` in the config file (resolve_region).
//
// The environment is read through an Environment, so tests and embedders can pass
// their own instead of the process's.
//
// Secrets: no Status message, log line or test output ever contains a secret
// access key, session token or bearer token -- a malformed line is reported by
// file and line number only. Every buffer that held one is wiped (secure_wipe)
// when it is released. These providers run at start-up and on refresh, not per
// request, so they may allocate.
//
// Thread safety: providers are immutable after construction; get() may be called
// from several threads if the Environment allows it (the process environment does
// as long as nothing calls setenv concurrently).
#ifndef EDGEROUTE_CREDENTIALS_H
#define EDGEROUTE_CREDENTIALS_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include "edgeroute/sigv4.h"
#include "edgeroute/status.h"

namespace edgeroute {

// Longest accepted secret access key, session token or bearer token, bytes. STS
// session tokens run to a few KiB; the bound keeps a corrupt file or variable from
// turning into a huge header. Access key IDs are bounded by the signer
// (limits::kSigv4MaxAccessKeyBytes).
constexpr std::size_t kMaxCredentialValueBytes = 8192;
// Largest shared credentials or config file read, bytes.
constexpr std::size_t kMaxProfileFileBytes = 1024 * 1024;

// One set of credentials: either SigV4 keys or a Bedrock API key (bearer token).
// Wipes every secret when destroyed, cleared or overwritten.
//
// Copies only, no moves: a moved-from std::string may keep its bytes in its
// small-string buffer, where nothing would wipe them. Each copy wipes itself.
class AwsCredentials {
 public:
  AwsCredentials() = default;
  ~AwsCredentials() { clear(); }
  AwsCredentials(const AwsCredentials& other) = default;
  AwsCredentials& operator=(const AwsCredentials& other);

  static AwsCredentials sigv4_keys(std::string_view access_key_id, std::string_view secret_access_key,
                                   std::string_view session_token, std::int64_t expiration_utc_ms = 0);
  static AwsCredentials bearer(std::string_view bearer_token, std::int64_t expiration_utc_ms = 0);

  bool empty() const { return access_key_id_.empty() && bearer_token_.empty(); }
  // True for a Bedrock API key: send "Authorization: Bearer <bearer_token()>", do not sign.
  bool is_bearer() const { return !bearer_token_.empty(); }

  std::string_view access_key_id() const { return access_key_id_; }
  std::string_view secret_access_key() const { return secret_access_key_; }
  std::string_view session_token() const { return session_token_; }  // empty: none
  std::string_view bearer_token() const { return bearer_token_; }
  // Which source produced them ("environment", "shared credentials file", "iot",
  // "container", "process", ...): a static string, never a secret; "" when unset.
  const char* source() const { return source_; }
  void set_source(const char* source) { source_ = source != nullptr ? source : ""; }
  // UTC milliseconds after which the credentials are no longer valid; 0: no expiry.
  std::int64_t expiration_utc_ms() const { return expiration_utc_ms_; }
  // Whether they are expired (or expire within margin_ms) at utc_now_ms.
  bool expired_at(std::int64_t utc_now_ms, std::int64_t margin_ms = 0) const {
    return expiration_utc_ms_ != 0 && utc_now_ms + margin_ms >= expiration_utc_ms_;
  }
  // The signer's view; valid while this object is unchanged.
  sigv4::Credentials for_signer() const {
    return sigv4::Credentials{access_key_id_, secret_access_key_, session_token_};
  }

  // Wipes and empties every field.
  void clear();

 private:
  std::string access_key_id_;
  std::string secret_access_key_;
  std::string session_token_;
  std::string bearer_token_;
  std::int64_t expiration_utc_ms_ = 0;
  const char* source_ = "";
};

// Read access to environment variables.
class Environment {
 public:
  virtual ~Environment() = default;
  // The variable's value, or nullptr when it is unset. Valid until the next call.
  virtual const char* get(const char* name) const = 0;
};

// The process environment (getenv).
const Environment& process_environment();

class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // Fills *out (replacing what it held). utc_now_ms is the caller's UTC clock, for
  // sources whose credentials expire. Errors:
  //   kNotFound         this source has no credentials (a chain tries the next one);
  //   kParseError       a file is malformed (the message names file:line, never a value);
  //   kInvalidArgument  credentials are incomplete or malformed (a key ID without a
  //                     secret, a control character, a value over its size limit);
  //   kIo               a file exists but cannot be read.
  // Only kNotFound means "try elsewhere"; the others are configuration errors to fix.
  virtual Status get(std::int64_t utc_now_ms, AwsCredentials* out) const = 0;
};

// AWS_BEARER_TOKEN_BEDROCK, else AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY /
// AWS_SESSION_TOKEN. A variable set to the empty string counts as unset.
class EnvironmentCredentialsProvider final : public CredentialsProvider {
 public:
  explicit EnvironmentCredentialsProvider(const Environment& env) : env_(env) {}
  Status get(std::int64_t utc_now_ms, AwsCredentials* out) const override;

 private:
  const Environment& env_;
};

// Which profile and files to read. Empty fields take their value from the
// environment (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE) and then
// the defaults ("default", ~/.aws/credentials, ~/.aws/config; ~ is $HOME).
struct ProfileOptions {
  std::string profile;
  std::string credentials_file;
  std::string config_file;
};

// Static keys of a profile from the shared credentials and config files. get()
// re-reads a file only when it changed (its inode, size or modification time), so
// an edited file takes effect and an unchanged one costs two stat calls.
//
// File format (the AWS CLI's): "[section]" lines, "key = value" lines, full-line
// comments starting with '#' or ';', blank lines. Keys are case-insensitive;
// section names are not. Surrounding whitespace is ignored; a value is taken as is
// (no inline comments, which could not be told apart from a '#' in a secret).
// Indented lines under a key are its sub-settings (as in "s3 =\n  max_bandwidth = 1")
// and are skipped. A section that appears twice is merged, later keys winning,
// as the AWS SDKs do. Errors name the file and line: a line that is neither a
// section, a key nor a comment; a key before the first section; "[" without "]".
class ProfileCredentialsProvider final : public CredentialsProvider {
 public:
  ProfileCredentialsProvider(const Environment& env, ProfileOptions options = ProfileOptions())
      : env_(env), options_(std::move(options)) {}
  Status get(std::int64_t utc_now_ms, AwsCredentials* out) const override;

  // Identity of one file as last read: a change in any field means read it again.
  struct FileStamp {
    bool exists = false;
    std::uint64_t device = 0, inode = 0, size = 0;
    std::int64_t mtime_ns = 0;
    bool operator==(const FileStamp& o) const {
      return exists == o.exists && device == o.device && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns;
    }
  };

 private:
  Status read_files(AwsCredentials* out) const;

  const Environment& env_;
  ProfileOptions options_;
  mutable std::mutex mutex_;
  mutable bool have_result_ = false;
  mutable std::string stamped_credentials_file_, stamped_config_file_;
  mutable FileStamp credentials_stamp_, config_stamp_;
  mutable Status result_;
  mutable AwsCredentials result_credentials_;
};

// Tries providers in order and returns the first credentials found. Stops at the
// first error other than kNotFound: a malformed file is reported, not skipped.
// Does not own the providers.
class ChainCredentialsProvider final : public CredentialsProvider {
 public:
  ChainCredentialsProvider(const CredentialsProvider* const* providers, std::size_t count)
      : providers_(providers), count_(count) {}
  Status get(std::int64_t utc_now_ms, AwsCredentials* out) const override;

 private:
  const CredentialsProvider* const* providers_;
  std::size_t count_;
};

// The environment, then the shared files: what the AWS CLI does for static keys.
class DefaultCredentialsChain final : public CredentialsProvider {
 public:
  explicit DefaultCredentialsChain(const Environment& env, ProfileOptions options = ProfileOptions())
      : env_provider_(env), profile_provider_(env, std::move(options)) {}
  DefaultCredentialsChain(const DefaultCredentialsChain&) = delete;
  DefaultCredentialsChain& operator=(const DefaultCredentialsChain&) = delete;
  Status get(std::int64_t utc_now_ms, AwsCredentials* out) const override;

 private:
  EnvironmentCredentialsProvider env_provider_;
  ProfileCredentialsProvider profile_provider_;
};

// The credential_process command line of the profile (credentials file first, then
// config file) and the file it came from. kNotFound when the profile has none.
Status profile_credential_process(const Environment& env, const ProfileOptions& options, std::string* command,
                                  std::string* file);

// The region to use: AWS_REGION, AWS_DEFAULT_REGION, then `region` of the profile in
// the config file. kNotFound when none is set; kParseError for a malformed config
// file; kInvalidArgument for a value that is not a region name (lowercase letters,
// digits and '-').
Status resolve_region(const Environment& env, const ProfileOptions& options, std::string* region);

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CREDENTIALS_H
