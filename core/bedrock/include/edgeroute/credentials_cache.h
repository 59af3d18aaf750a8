// edgeroute/credentials_cache.h -- one caching provider in front of every source.
//
// CachingCredentialsProvider asks its source once at start-up (prime()) and then
// only when the credentials near their expiry, so a warm get() reads no file,
// opens no connection and allocates nothing: it copies the cached strings into
// the caller's AwsCredentials, whose capacity the previous call left in place.
//
// Refresh windows, as botocore's RefreshableCredentials uses them
// (botocore/credentials.py: _DEFAULT_ADVISORY_REFRESH_TIMEOUT = 15 min,
// _DEFAULT_MANDATORY_REFRESH_TIMEOUT = 10 min):
//   advisory   less than advisory_refresh_ms left: the first caller refreshes,
//              every other caller meanwhile gets the cached credentials at once;
//   mandatory  less than mandatory_refresh_ms left: callers wait (bounded by
//              max_wait_ms) for the refresh in flight, so they get the new ones.
// The windows shrink for credentials whose whole lifetime is shorter than them
// (AWS IoT's role aliases issue 15-minute credentials): advisory at most half and
// mandatory at most a quarter of the lifetime seen at fetch time, so a short
// credential is not refreshed on every call.
// Jitter: each fetch draws a point up to refresh_jitter_ms *earlier* than the
// advisory point, so a fleet started together does not refresh in the same second.
//
// Failures: one refresh at a time however many threads call. A failed refresh
// keeps the still-valid credentials in service and is retried after a backoff
// that doubles from retry_initial_ms up to retry_max_ms.
// Once the credentials have expired and no refresh succeeded, get() fails with one
// line naming the source and its last error (never a secret).
//
// Credentials without an expiry (static keys from the environment or a file) are
// asked for again every static_recheck_ms, so an edited file takes effect; the
// profile provider itself re-reads its files only when they changed.
//
// Time is the utc_now_ms every caller passes in; nothing here reads a clock.
// Thread safety: get() and prime() may be called from any number of threads.
#ifndef EDGEROUTE_CREDENTIALS_CACHE_H
#define EDGEROUTE_CREDENTIALS_CACHE_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <condition_variable>
#include <cstdint>
#include <mutex>

#include "edgeroute/credentials.h"
#include "edgeroute/random.h"
#include "edgeroute/status.h"

namespace edgeroute {

struct CredentialsCacheOptions {
  // botocore's defaults (see above), ms.
  std::int64_t advisory_refresh_ms = 15 * 60 * 1000;
  std::int64_t mandatory_refresh_ms = 10 * 60 * 1000;
  // The advisory point moves earlier by a uniform draw in [0, refresh_jitter_ms], ms.
  std::int64_t refresh_jitter_ms = 60 * 1000;
  // Backoff after a failed refresh, ms: doubles from initial to max.
  std::int64_t retry_initial_ms = 1000;
  std::int64_t retry_max_ms = 60 * 1000;
  // Credentials without expiry are asked for again after this long, ms (0: never).
  std::int64_t static_recheck_ms = 5 * 60 * 1000;
  // Longest a caller in the mandatory window waits for a refresh in flight, ms.
  std::int64_t max_wait_ms = 10 * 1000;
  // Seeds the jitter; 0: from the OS.
  std::uint64_t seed = 0;
};

// What the cache holds, for `edgeroute credentials` and metrics: never a secret.
struct CredentialsCacheState {
  const char* source = "";          // AwsCredentials::source() of the cached set
  char access_key_id_tail[5] = {};  // the last four characters of the key ID; "" for a bearer key
  bool bearer = false;
  std::int64_t expiration_utc_ms = 0;     // 0: none
  std::int64_t next_refresh_utc_ms = 0;   // when the next refresh is due (0: never)
  std::uint64_t refreshes = 0;            // successful fetches, the first included
  std::uint64_t failures = 0;             // failed fetches
};

class CachingCredentialsProvider final : public CredentialsProvider {
 public:
  // `source` must outlive this provider.
  explicit CachingCredentialsProvider(const CredentialsProvider& source,
                                      const CredentialsCacheOptions& options = CredentialsCacheOptions());
  ~CachingCredentialsProvider() override = default;
  CachingCredentialsProvider(const CachingCredentialsProvider&) = delete;
  CachingCredentialsProvider& operator=(const CachingCredentialsProvider&) = delete;

  // Fetches now (at start-up), whatever the cache holds. The source's error as is.
  Status prime(std::int64_t utc_now_ms);

  // The cached credentials, refreshed first when a window says so. Errors: the
  // source's, when nothing valid is cached; kPermissionDenied "credentials from
  // <source> expired ..." once they expired and no refresh succeeded.
  Status get(std::int64_t utc_now_ms, AwsCredentials* out) const override;

  CredentialsCacheState state() const;

 private:
  // Runs one fetch (the caller owns refreshing_) and installs its outcome.
  void refresh(std::int64_t utc_now_ms) const;
  // Under mutex_: where the windows and next fetch fall for the cached set.
  void schedule(std::int64_t utc_now_ms) const;

  const CredentialsProvider& source_;
  CredentialsCacheOptions options_;
  mutable std::mutex mutex_;
  mutable std::condition_variable refreshed_;
  mutable AwsCredentials cached_;
  mutable AwsCredentials staging_;  // written only by the thread that owns refreshing_
  mutable bool have_ = false;
  mutable bool refreshing_ = false;
  mutable std::int64_t advisory_at_ms_ = 0;   // refresh when now >= this (0: never)
  mutable std::int64_t mandatory_at_ms_ = 0;  // wait for the refresh when now >= this
  mutable std::int64_t retry_at_ms_ = 0;      // no new attempt before this
  mutable std::int64_t backoff_ms_ = 0;
  mutable Status last_error_;
  mutable CredentialsCacheState stats_;
  mutable Random random_;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CREDENTIALS_CACHE_H
