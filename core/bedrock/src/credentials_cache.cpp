#include "edgeroute/credentials_cache.h"

#include <chrono>
#include <cstring>

namespace edgeroute {

CachingCredentialsProvider::CachingCredentialsProvider(const CredentialsProvider& source,
                                                       const CredentialsCacheOptions& options)
    : source_(source),
      options_(options),
      random_(options.seed != 0 ? Random(options.seed) : Random::from_os()) {
  if (options_.advisory_refresh_ms < 0) options_.advisory_refresh_ms = 0;
  if (options_.mandatory_refresh_ms < 0) options_.mandatory_refresh_ms = 0;
  // The mandatory window lies inside the advisory one.
  if (options_.mandatory_refresh_ms > options_.advisory_refresh_ms) {
    options_.mandatory_refresh_ms = options_.advisory_refresh_ms;
  }
  if (options_.refresh_jitter_ms < 0) options_.refresh_jitter_ms = 0;
  if (options_.retry_initial_ms < 1) options_.retry_initial_ms = 1;
  if (options_.retry_max_ms < options_.retry_initial_ms) options_.retry_max_ms = options_.retry_initial_ms;
  if (options_.max_wait_ms < 0) options_.max_wait_ms = 0;
}

void CachingCredentialsProvider::schedule(std::int64_t utc_now_ms) const {
  const std::int64_t expiration = cached_.expiration_utc_ms();
  if (expiration == 0) {
    advisory_at_ms_ = options_.static_recheck_ms > 0 ? utc_now_ms + options_.static_recheck_ms : 0;
    mandatory_at_ms_ = 0;  // nothing to wait for: they never expire
    return;
  }
  const std::int64_t lifetime = expiration - utc_now_ms;  // > 0, checked by refresh()
  std::int64_t advisory = options_.advisory_refresh_ms;
  std::int64_t mandatory = options_.mandatory_refresh_ms;
  if (advisory > lifetime / 2) advisory = lifetime / 2;
  if (mandatory > lifetime / 4) mandatory = lifetime / 4;
  // Jitter at most the advisory window itself, so the refresh point stays after now.
  std::int64_t jitter_bound = options_.refresh_jitter_ms < advisory ? options_.refresh_jitter_ms : advisory;
  const std::int64_t jitter =
      jitter_bound > 0 ? static_cast<std::int64_t>(random_.next_below(static_cast<std::uint64_t>(jitter_bound) + 1))
                       : 0;
  advisory_at_ms_ = expiration - advisory - jitter;
  mandatory_at_ms_ = expiration - mandatory;
}

void CachingCredentialsProvider::refresh(std::int64_t utc_now_ms) const {
  Status s = source_.get(utc_now_ms, &staging_);
  if (s.ok() && staging_.empty()) s = Status::error(Code::kInternal, "the source returned no credentials");
  if (s.ok() && staging_.expired_at(utc_now_ms)) {
    s = Status::error(Code::kPermissionDenied, "%s: the credentials it returned have already expired",
                      staging_.source()[0] != '\0' ? staging_.source() : "credentials source");
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (s.ok()) {
    cached_ = staging_;
    have_ = true;
    backoff_ms_ = 0;
    retry_at_ms_ = 0;
    last_error_ = Status();
    ++stats_.refreshes;
    schedule(utc_now_ms);
  } else {
    ++stats_.failures;
    last_error_ = s;
    backoff_ms_ = backoff_ms_ == 0 ? options_.retry_initial_ms
                                   : (backoff_ms_ > options_.retry_max_ms / 2 ? options_.retry_max_ms : backoff_ms_ * 2);
    retry_at_ms_ = utc_now_ms + backoff_ms_;
  }
  staging_.clear();
  refreshing_ = false;
  refreshed_.notify_all();
}

Status CachingCredentialsProvider::prime(std::int64_t utc_now_ms) {
  {
    std::unique_lock<std::mutex> lock(mutex_);
    refreshed_.wait(lock, [this] { return !refreshing_; });
    refreshing_ = true;
  }
  refresh(utc_now_ms);
  std::lock_guard<std::mutex> lock(mutex_);
  return last_error_;
}

Status CachingCredentialsProvider::get(std::int64_t utc_now_ms, AwsCredentials* out) const {
  std::unique_lock<std::mutex> lock(mutex_);
  bool tried = false;
  for (;;) {
    const bool valid = have_ && !cached_.expired_at(utc_now_ms);
    const bool due = !have_ || !valid || (advisory_at_ms_ != 0 && utc_now_ms >= advisory_at_ms_);
    if (!tried && due && !refreshing_ && utc_now_ms >= retry_at_ms_) {
      refreshing_ = true;
      tried = true;
      lock.unlock();
      refresh(utc_now_ms);
      lock.lock();
      continue;
    }
    const bool must_wait = !valid || (mandatory_at_ms_ != 0 && utc_now_ms >= mandatory_at_ms_);
    if (!tried && refreshing_ && must_wait) {
      tried = true;
      refreshed_.wait_for(lock, std::chrono::milliseconds(options_.max_wait_ms), [this] { return !refreshing_; });
      continue;
    }
    break;
  }
  if (have_ && !cached_.expired_at(utc_now_ms)) {
    *out = cached_;  // into the capacity the caller's last call left: no heap when warm
    return Status();
  }
  if (have_) {
    return Status::error(Code::kPermissionDenied, "credentials from %s expired %lld s ago; refresh failed: %s",
                         cached_.source()[0] != '\0' ? cached_.source() : "the credentials source",
                         static_cast<long long>((utc_now_ms - cached_.expiration_utc_ms()) / 1000),
                         last_error_.ok() ? "a refresh is still in flight" : last_error_.message());
  }
  if (!last_error_.ok()) return last_error_;
  return Status::error(Code::kUnavailable, "credentials: the first fetch is still in flight");
}

CredentialsCacheState CachingCredentialsProvider::state() const {
  std::lock_guard<std::mutex> lock(mutex_);
  CredentialsCacheState st = stats_;
  st.source = have_ ? cached_.source() : "";
  st.bearer = have_ && cached_.is_bearer();
  st.expiration_utc_ms = have_ ? cached_.expiration_utc_ms() : 0;
  st.next_refresh_utc_ms = have_ ? advisory_at_ms_ : 0;
  const std::string_view key = have_ ? cached_.access_key_id() : std::string_view();
  // A key ID too short to hide most of it shows nothing.
  const std::string_view tail = key.size() >= 12 ? key.substr(key.size() - 4) : std::string_view();
  std::memcpy(st.access_key_id_tail, tail.data(), tail.size());
  st.access_key_id_tail[tail.size()] = '\0';
  return st;
}

}  // namespace edgeroute
