// AWS SigV4 signing: canonical request, string to sign, signing key, signature.
//
// Everything is written into the caller's buffer through a Writer that keeps
// counting when the buffer runs out, so a too-small buffer reports exactly how
// many bytes the request needs. Tables (headers, query parameters, path
// segments) are fixed-size arrays on the stack, sized by config.h.
#include "edgeroute/sigv4.h"

#include <cstring>

#include "edgeroute/ascii.h"
#include "edgeroute/civil_date.h"

namespace edgeroute {
namespace sigv4 {
namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";
constexpr std::string_view kUnsignedPayload = "UNSIGNED-PAYLOAD";
constexpr std::size_t kMaxSecretBytes = 128;
constexpr std::uint32_t kMaxExpiresSeconds = 604800;  // seven days, the SigV4 maximum
constexpr char kHexUpper[] = "0123456789ABCDEF";
constexpr char kHexLower[] = "0123456789abcdef";

// ---------------------------------------------------------------------------
// Small helpers

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool is_space_or_tab(char c) { return c == ' ' || c == '\t'; }

// Index of the first space or tab in s at or after `from`, or s.size(). memchr
// is vectorized: session tokens are long and have no whitespace.
std::size_t find_space_or_tab(std::string_view s, std::size_t from) {
  if (from >= s.size()) return s.size();  // an empty view's data() may be null
  const char* begin = s.data() + from;
  const std::size_t n = s.size() - from;
  const void* sp = std::memchr(begin, ' ', n);
  const void* tab = std::memchr(begin, '\t', n);
  const char* first = s.data() + s.size();
  if (sp != nullptr) first = static_cast<const char*>(sp);
  if (tab != nullptr && static_cast<const char*>(tab) < first) first = static_cast<const char*>(tab);
  return static_cast<std::size_t>(first - s.data());
}

// True when s holds a CR, LF or NUL: bytes that would let a value break out of
// its header line.
bool has_line_break_or_nul(std::string_view s) {
  if (s.empty()) return false;  // an empty view's data() may be null: memchr must not see it
  return std::memchr(s.data(), '\r', s.size()) != nullptr ||
         std::memchr(s.data(), '\n', s.size()) != nullptr ||
         std::memchr(s.data(), '\0', s.size()) != nullptr;
}

// RFC 9110 token characters: what a header name or a method may contain.
bool is_tchar(unsigned char c) {
  if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!': case '#': case '$': case '%': case '&': case '\'': case '*': case '+':
    case '-': case '.': case '^': case '_': case '`': case '|': case '~':
      return true;
    default:
      return false;
  }
}

int compare_bytes(std::string_view a, std::string_view b) {
  const int c = a.compare(b);
  return c < 0 ? -1 : (c > 0 ? 1 : 0);
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space_or_tab(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space_or_tab(s.back())) s.remove_suffix(1);
  return s;
}

// ---------------------------------------------------------------------------
// Writer: appends into the caller's buffer; past the end it only counts.

class Writer {
 public:
  Writer(char* buf, std::size_t cap) : buf_(buf), cap_(cap) {}

  std::size_t pos() const { return len_; }
  bool overflowed() const { return len_ > cap_; }
  std::size_t needed() const { return len_; }

  void put(char c) {
    if (len_ < cap_) buf_[len_] = c;
    ++len_;
  }
  void put(std::string_view s) {
    if (len_ < cap_ && !s.empty()) {
      const std::size_t room = cap_ - len_;
      std::memcpy(buf_ + len_, s.data(), s.size() < room ? s.size() : room);
    }
    len_ += s.size();
  }
  void put_hex_lower(const std::uint8_t* bytes, std::size_t n) {
    char* p = claim(2 * n);
    if (p == nullptr) return;
    for (std::size_t i = 0; i < n; ++i) {
      p[2 * i] = kHexLower[bytes[i] >> 4];
      p[2 * i + 1] = kHexLower[bytes[i] & 0xF];
    }
  }
  void put_percent(unsigned char c) {
    char* p = claim(3);
    if (p == nullptr) return;
    p[0] = '%';
    p[1] = kHexUpper[c >> 4];
    p[2] = kHexUpper[c & 0xF];
  }
  void put_lower(std::string_view s) {
    char* p = claim(s.size());
    if (p == nullptr) return;
    for (std::size_t i = 0; i < s.size(); ++i) p[i] = ascii_lower(s[i]);
  }
  // SigV4 URI encoding: unreserved bytes as they are, everything else %XX.
  // Runs of unreserved bytes are copied at once.
  void put_uri_encoded(std::string_view s) {
    std::size_t run = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(s[i]);
      if (is_unreserved(c)) continue;
      put(s.substr(run, i - run));
      put_percent(c);
      run = i + 1;
    }
    put(s.substr(run));
  }
  // Decodes %XX (invalid escapes stay literal), then SigV4-encodes: the same
  // canonical form whether the caller passed raw or already-encoded text.
  void put_query_component(std::string_view s) {
    for (std::size_t i = 0; i < s.size(); ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c == '%' && i + 2 < s.size() && hex_value(s[i + 1]) >= 0 && hex_value(s[i + 2]) >= 0) {
        c = static_cast<unsigned char>(hex_value(s[i + 1]) * 16 + hex_value(s[i + 2]));
        i += 2;
      }
      if (is_unreserved(c)) {
        put(static_cast<char>(c));
      } else {
        put_percent(c);
      }
    }
  }
  // Header value: ends trimmed, inner runs of spaces and tabs folded to one
  // space. Text between runs is copied at once (tokens are long).
  void put_folded(std::string_view value) {
    value = trim(value);
    std::size_t i = 0;
    while (i < value.size()) {
      const std::size_t end = find_space_or_tab(value, i);
      put(value.substr(i, end - i));
      if (end == value.size()) break;
      put(' ');
      i = end;
      while (i < value.size() && is_space_or_tab(value[i])) ++i;
    }
  }

  // Appends len bytes written earlier at `at`. When those never fit, only counts.
  void copy(std::size_t at, std::size_t len) {
    if (at + len <= cap_) {
      put(std::string_view(buf_ + at, len));
    } else {
      len_ += len;
    }
  }
  void put_zeros(std::size_t n) {
    char* p = claim(n);
    if (p != nullptr) std::memset(p, '0', n);
  }
  void put_decimal(std::uint32_t v) {
    char digits[10];
    int n = 0;
    do {
      digits[n++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (n > 0) put(digits[--n]);
  }

 private:
  // Takes the next n bytes: where to write them, or null when they do not fit
  // (then they are only counted).
  char* claim(std::size_t n) {
    char* p = (len_ <= cap_ && cap_ - len_ >= n) ? buf_ + len_ : nullptr;
    len_ += n;
    return p;
  }

  char* buf_;
  std::size_t cap_;
  std::size_t len_ = 0;
};

// ---------------------------------------------------------------------------
// Input validation

Status check_scope_part(const char* what, std::string_view v) {
  if (v.empty()) return Status::error(Code::kInvalidArgument, "sigv4: %s is empty", what);
  if (v.size() > limits::kSigv4MaxScopePartBytes) {
    return Status::error(Code::kLimitExceeded, "sigv4: %s is %zu bytes, the limit is %zu", what,
                         v.size(), limits::kSigv4MaxScopePartBytes);
  }
  for (char c : v) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!(is_unreserved(u))) {
      return Status::error(Code::kInvalidArgument,
                           "sigv4: %s '%.*s' contains a character outside A-Z a-z 0-9 - . _ ~",
                           what, static_cast<int>(v.size()), v.data());
    }
  }
  return Status();
}

Status check_access_key(std::string_view v) {
  if (v.empty()) return Status::error(Code::kInvalidArgument, "sigv4: access key ID is empty");
  if (v.size() > limits::kSigv4MaxAccessKeyBytes) {
    return Status::error(Code::kLimitExceeded, "sigv4: access key ID is %zu bytes, the limit is %zu",
                         v.size(), limits::kSigv4MaxAccessKeyBytes);
  }
  for (char c : v) {
    const unsigned char u = static_cast<unsigned char>(c);
    if (!is_unreserved(u)) {
      // The key ID is not secret, but a malformed one may be a secret pasted into
      // the wrong field: do not echo it.
      return Status::error(Code::kInvalidArgument,
                           "sigv4: access key ID contains a character outside A-Z a-z 0-9 - . _ ~");
    }
  }
  return Status();
}

Status check_header_value(std::string_view name, std::string_view value) {
  if (has_line_break_or_nul(value)) {
    return Status::error(Code::kInvalidArgument,
                         "sigv4: header '%.*s' has a CR, LF or NUL in its value",
                         static_cast<int>(name.size()), name.data());
  }
  return Status();
}

bool is_lower_hex64(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------
// Canonical request pieces

// A header to sign. Values that signing itself produces (the date, the payload
// hash) are already in the output buffer, at buf_at.
struct HeaderRef {
  std::string_view name;
  std::string_view value;
  std::size_t buf_at = 0;
  std::size_t buf_len = 0;  // non-zero: the value is buf[buf_at, buf_at + buf_len)
};

// A query parameter after canonical encoding; the text lives in the buffer.
struct Param {
  std::size_t key_at, key_len, value_at, value_len;
};

// Names of the query parameters that query signing sets itself.
bool is_signing_param(std::string_view raw_key) {
  static constexpr std::string_view kNames[] = {
      "X-Amz-Algorithm", "X-Amz-Credential", "X-Amz-Date",     "X-Amz-Expires",
      "X-Amz-SignedHeaders", "X-Amz-Signature", "X-Amz-Security-Token"};
  for (std::string_view n : kNames) {
    if (raw_key == n) return true;
  }
  return false;
}

// Writes the canonical URI. Normalization removes "." and "..", merges repeated
// '/', and keeps a trailing '/'.
Status write_canonical_uri(std::string_view path, bool normalize, bool double_encode, Writer& w) {
  if (path.empty()) {
    w.put('/');
    return Status();
  }
  auto put_segment = [&](std::string_view seg) {
    if (double_encode) {
      w.put_uri_encoded(seg);
      return;
    }
    // Single encoding (S3): an existing %XX escape is kept as it is.
    for (std::size_t i = 0; i < seg.size(); ++i) {
      const unsigned char c = static_cast<unsigned char>(seg[i]);
      if (c == '%' && i + 2 < seg.size() && hex_value(seg[i + 1]) >= 0 &&
          hex_value(seg[i + 2]) >= 0) {
        w.put(seg.substr(i, 3));
        i += 2;
      } else if (is_unreserved(c)) {
        w.put(static_cast<char>(c));
      } else {
        w.put_percent(c);
      }
    }
  };
  if (!normalize) {
    std::size_t start = 0;
    for (std::size_t i = 0; i <= path.size(); ++i) {
      if (i == path.size() || path[i] == '/') {
        put_segment(path.substr(start, i - start));
        if (i < path.size()) w.put('/');
        start = i + 1;
      }
    }
    return Status();
  }
  std::string_view segs[limits::kSigv4MaxPathSegments];
  std::size_t n = 0;
  std::size_t start = 0;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i < path.size() && path[i] != '/') continue;
    const std::string_view seg = path.substr(start, i - start);
    start = i + 1;
    if (seg.empty() || seg == ".") continue;
    if (seg == "..") {
      if (n > 0) --n;
      continue;
    }
    if (n == limits::kSigv4MaxPathSegments) {
      return Status::error(Code::kLimitExceeded, "sigv4: path has more than %zu segments",
                           limits::kSigv4MaxPathSegments);
    }
    segs[n++] = seg;
  }
  w.put('/');
  for (std::size_t i = 0; i < n; ++i) {
    if (i > 0) w.put('/');
    put_segment(segs[i]);
  }
  if (n > 0 && path.back() == '/') w.put('/');
  return Status();
}

int compare_params(const char* buf, const Param& a, const Param& b) {
  int c = compare_bytes(std::string_view(buf + a.key_at, a.key_len),
                        std::string_view(buf + b.key_at, b.key_len));
  if (c == 0) {
    c = compare_bytes(std::string_view(buf + a.value_at, a.value_len),
                      std::string_view(buf + b.value_at, b.value_len));
  }
  return c;
}

// Sorts by encoded key, then encoded value (byte order). Insertion sort: the
// table is small, and it needs no memory.
void sort_params(Param* params, std::size_t n, const char* buf) {
  for (std::size_t i = 1; i < n; ++i) {
    const Param p = params[i];
    std::size_t j = i;
    while (j > 0 && compare_params(buf, params[j - 1], p) > 0) {
      params[j] = params[j - 1];
      --j;
    }
    params[j] = p;
  }
}

void put_hex_at(char* out, const Digest32& d) {
  for (std::size_t i = 0; i < kSha256Bytes; ++i) {
    out[2 * i] = kHexLower[d.bytes[i] >> 4];
    out[2 * i + 1] = kHexLower[d.bytes[i] & 0xF];
  }
}

void sort_headers(HeaderRef* h, std::size_t n) {
  // Stable, so repeated headers keep their arrival order.
  for (std::size_t i = 1; i < n; ++i) {
    const HeaderRef x = h[i];
    std::size_t j = i;
    while (j > 0 && icompare(h[j - 1].name, x.name) > 0) {
      h[j] = h[j - 1];
      --j;
    }
    h[j] = x;
  }
}

void put_digits(char* out, unsigned value, int width) {
  for (int i = width - 1; i >= 0; --i) {
    out[i] = static_cast<char>('0' + value % 10);
    value /= 10;
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Time

bool format_amz_date(std::int64_t t, char out[17]) {
  constexpr std::int64_t kMax = 253402300799;  // 9999-12-31T23:59:59Z
  if (t < 0 || t > kMax) return false;
  const std::int64_t days = t / 86400;
  const unsigned secs = static_cast<unsigned>(t % 86400);
  const CivilDate date = civil_from_days(days);
  put_digits(out, static_cast<unsigned>(date.year), 4);
  put_digits(out + 4, date.month, 2);
  put_digits(out + 6, date.day, 2);
  out[8] = 'T';
  put_digits(out + 9, secs / 3600, 2);
  put_digits(out + 11, secs / 60 % 60, 2);
  put_digits(out + 13, secs % 60, 2);
  out[15] = 'Z';
  out[16] = '\0';
  return true;
}

Status parse_timestamp(std::string_view text, std::int64_t* time_unix_s) {
  // Accepts YYYY-MM-DDTHH:MM:SSZ and YYYYMMDDTHHMMSSZ.
  char digits[14];
  std::size_t nd = 0;
  const bool extended = text.size() == 20;
  if (!(extended || text.size() == 16)) {
    return Status::error(Code::kParseError,
                         "timestamp '%.*s': expected YYYY-MM-DDTHH:MM:SSZ or YYYYMMDDTHHMMSSZ",
                         static_cast<int>(text.size() > 40 ? 40 : text.size()), text.data());
  }
  // Position of each non-digit in the extended and the basic form.
  const char* shape = extended ? "DDDD-DD-DDTDD:DD:DDZ" : "DDDDDDDDTDDDDDDZ";
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (shape[i] == 'D') {
      if (c < '0' || c > '9') nd = 99;
      if (nd < sizeof digits) digits[nd++] = c;
    } else if (c != shape[i] && !(shape[i] == 'T' && c == 't') && !(shape[i] == 'Z' && c == 'z')) {
      nd = 99;
    }
    if (nd == 99) break;
  }
  if (nd != sizeof digits) {
    return Status::error(Code::kParseError,
                         "timestamp '%.*s': expected YYYY-MM-DDTHH:MM:SSZ or YYYYMMDDTHHMMSSZ",
                         static_cast<int>(text.size()), text.data());
  }
  auto num = [&](std::size_t at, std::size_t n) {
    unsigned v = 0;
    for (std::size_t i = 0; i < n; ++i) v = v * 10 + static_cast<unsigned>(digits[at + i] - '0');
    return v;
  };
  const unsigned y = num(0, 4), mo = num(4, 2), d = num(6, 2);
  const unsigned h = num(8, 2), mi = num(10, 2), s = num(12, 2);
  static constexpr unsigned kDaysIn[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > kDaysIn[mo - 1] ||
      (mo == 2 && d == 29 && !leap) || h > 23 || mi > 59 || s > 59) {
    return Status::error(Code::kParseError, "timestamp '%.*s': not a valid UTC date and time",
                         static_cast<int>(text.size()), text.data());
  }
  *time_unix_s = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s;
  return Status();
}

// ---------------------------------------------------------------------------
// Buffer bound

std::size_t required_buffer_bytes(const Request& request, const Options& options,
                                  const Credentials& credentials) {
  // Every piece of the output, with each byte that may be percent-encoded counted
  // three times. Generous by design: the exact figure is in the error message.
  std::size_t headers = 0;
  for (std::size_t i = 0; i < request.header_count; ++i) {
    headers += request.headers[i].name.size() + request.headers[i].value.size() + 2;
  }
  const std::size_t scope = 8 + options.region.size() + options.service.size() + 16;
  const std::size_t token = credentials.session_token.size();
  std::size_t n = 0;
  n += 16 + scope + 64;                          // amz_date, scope, payload hash
  n += request.method.size() + 1;                // canonical request: method
  n += request.path.size() * 3 + 2;              // canonical URI
  n += request.query.size() * 3 * 2 + 1;         // encoded params + canonical query
  n += headers * 3;                              // canonical headers + signed headers (x2)
  n += token * 3 + 128;                          // token header or parameter
  n += 512 + 3 * (credentials.access_key_id.size() + scope);  // X-Amz-* params, added headers
  n += kAlgorithm.size() + 16 + scope + 64 + 4;  // string to sign
  n += 64;                                       // signature
  n += 160 + credentials.access_key_id.size() + scope + headers;  // authorization
  if (options.mode == Mode::kQuery) {
    n += request.query.size() * 3 + token * 3 + 3 * (credentials.access_key_id.size() + scope) +
         headers + 256;  // the query string to send
  }
  return n;
}

// ---------------------------------------------------------------------------
// Signer

Signer::Signer(const Crypto& crypto) : crypto_(crypto) {
  secure_wipe(cache_, sizeof cache_);
}

Signer::~Signer() { secure_wipe(cache_, sizeof cache_); }

void Signer::clear_key_cache() { secure_wipe(cache_, sizeof cache_); }

namespace {

// Everything sign() computes before the signing key is needed.
struct Canonical {
  char amz_date[17];
  std::string_view date;  // YYYYMMDD, points into amz_date
};

}  // namespace

Status Signer::sign(const Request& request, const Options& options,
                    const Credentials& credentials, char* buf, std::size_t buf_bytes,
                    SignedRequest* out) {
  return sign_impl(request, options, credentials, nullptr, buf, buf_bytes, out);
}

Status Signer::sign_with_key(const Request& request, const Options& options, std::string_view key_id,
                             const StringToSignKey& key, char* buf, std::size_t buf_bytes,
                             SignedRequest* out) {
  if (out != nullptr) *out = SignedRequest();
  if (options.mode != Mode::kHeader) {
    return Status::error(Code::kInvalidArgument, "sigv4: signing with a private key is header mode only");
  }
  const std::string_view algorithm = key.algorithm();
  if (algorithm.empty() || algorithm.size() > 64 || key.max_signature_hex_bytes() == 0) {
    return Status::error(Code::kInvalidArgument, "sigv4: the signing key names no algorithm or signature size");
  }
  return sign_impl(request, options, Credentials{key_id, {}, {}}, &key, buf, buf_bytes, out);
}

Status Signer::sign_impl(const Request& request, const Options& options,
                         const Credentials& credentials, const StringToSignKey* asymmetric_key, char* buf,
                         std::size_t buf_bytes, SignedRequest* out) {
  if (out == nullptr) return Status::error(Code::kInvalidArgument, "sigv4: no output given");
  *out = SignedRequest();
  if (buf == nullptr && buf_bytes != 0) {
    return Status::error(Code::kInvalidArgument, "sigv4: null buffer with a non-zero size");
  }

  // ---- inputs
  Status st = check_scope_part("region", options.region);
  if (!st.ok()) return st;
  st = check_scope_part("service", options.service);
  if (!st.ok()) return st;
  st = check_access_key(credentials.access_key_id);
  if (!st.ok()) return st;
  const std::string_view algorithm = asymmetric_key != nullptr ? asymmetric_key->algorithm() : kAlgorithm;
  const std::size_t signature_hex_max = asymmetric_key != nullptr ? asymmetric_key->max_signature_hex_bytes() : 2 * kSha256Bytes;
  if (asymmetric_key == nullptr && credentials.secret_access_key.empty()) {
    return Status::error(Code::kInvalidArgument, "sigv4: secret access key is empty");
  }
  if (credentials.secret_access_key.size() > kMaxSecretBytes) {
    return Status::error(Code::kLimitExceeded, "sigv4: secret access key is longer than %zu bytes",
                         kMaxSecretBytes);
  }
  if (has_line_break_or_nul(credentials.session_token)) {
    return Status::error(Code::kInvalidArgument,
                         "sigv4: session token contains a CR, LF or NUL byte");
  }
  if (request.method.empty()) return Status::error(Code::kInvalidArgument, "sigv4: method is empty");
  for (char c : request.method) {
    if (!is_tchar(static_cast<unsigned char>(c))) {
      return Status::error(Code::kInvalidArgument, "sigv4: method '%.*s' is not an HTTP token",
                           static_cast<int>(request.method.size()), request.method.data());
    }
  }
  if (request.body_bytes != 0 && request.body == nullptr) {
    return Status::error(Code::kInvalidArgument, "sigv4: body is null but body_bytes is %zu",
                         request.body_bytes);
  }
  if (request.header_count != 0 && request.headers == nullptr) {
    return Status::error(Code::kInvalidArgument, "sigv4: headers is null but header_count is %zu",
                         request.header_count);
  }
  if (options.mode == Mode::kQuery &&
      (options.expires_s == 0 || options.expires_s > kMaxExpiresSeconds)) {
    return Status::error(Code::kInvalidArgument,
                         "sigv4: expires_s is %u; it must be between 1 and %u seconds",
                         options.expires_s, kMaxExpiresSeconds);
  }
  if (options.payload == PayloadHash::kPrecomputed &&
      !is_lower_hex64(options.precomputed_payload_hash)) {
    return Status::error(Code::kInvalidArgument,
                         "sigv4: precomputed payload hash must be 64 lowercase hex digits");
  }
  for (char c : request.path) {
    if (c == '\0' || c == '?' || c == '#') {
      return Status::error(Code::kInvalidArgument,
                           "sigv4: path contains a %s; pass the query separately",
                           c == '\0' ? "NUL byte" : (c == '?' ? "'?'" : "'#'"));
    }
  }
  Canonical cn;
  if (!format_amz_date(options.time_unix_s, cn.amz_date)) {
    return Status::error(Code::kInvalidArgument,
                         "sigv4: signing time %lld is outside 1970..9999",
                         static_cast<long long>(options.time_unix_s));
  }
  cn.date = std::string_view(cn.amz_date, 8);

  const bool header_mode = options.mode == Mode::kHeader;
  const bool has_token = !credentials.session_token.empty();
  const bool sign_token = has_token && !options.omit_session_token;
  const bool add_sha_header = header_mode && options.add_content_sha256_header;

  // ---- headers: the request's own, minus the ones this signature replaces
  HeaderRef headers[limits::kSigv4MaxHeaders];
  std::size_t nh = 0;
  bool has_host = false;
  for (std::size_t i = 0; i < request.header_count; ++i) {
    const Header& h = request.headers[i];
    if (h.name.empty()) return Status::error(Code::kInvalidArgument, "sigv4: a header has no name");
    for (char c : h.name) {
      if (!is_tchar(static_cast<unsigned char>(c))) {
        return Status::error(Code::kInvalidArgument, "sigv4: header name '%.*s' is not a token",
                             static_cast<int>(h.name.size() > 64 ? 64 : h.name.size()),
                             h.name.data());
      }
    }
    st = check_header_value(h.name, h.value);
    if (!st.ok()) return st;
    if (iequals(h.name, "authorization")) continue;
    if (header_mode && iequals(h.name, "x-amz-date")) continue;
    if (header_mode && has_token && iequals(h.name, "x-amz-security-token")) continue;
    if (add_sha_header && iequals(h.name, "x-amz-content-sha256")) continue;
    if (iequals(h.name, "host")) has_host = true;
    // Room for the ones signing adds (x-amz-date, token, content hash).
    if (nh + 3 >= limits::kSigv4MaxHeaders) {
      return Status::error(Code::kLimitExceeded, "sigv4: more than %zu headers",
                           limits::kSigv4MaxHeaders - 3);
    }
    headers[nh++] = {h.name, h.value};
  }
  if (!has_host) {
    return Status::error(Code::kInvalidArgument, "sigv4: the request has no Host header");
  }

  Writer w(buf, buf_bytes);

  // ---- payload hash
  const std::size_t payload_at = w.pos();
  switch (options.payload) {
    case PayloadHash::kHashBody: {
      Digest32 d;
      crypto_.sha256(request.body, request.body_bytes, &d);
      w.put_hex_lower(d.bytes, sizeof d.bytes);
      break;
    }
    case PayloadHash::kPrecomputed:
      w.put(options.precomputed_payload_hash);
      break;
    case PayloadHash::kUnsignedPayload:
      w.put(kUnsignedPayload);
      break;
  }
  const std::size_t payload_len = w.pos() - payload_at;

  const std::size_t date_at = w.pos();
  w.put(std::string_view(cn.amz_date, 16));

  const std::size_t scope_at = w.pos();
  w.put(cn.date);
  w.put('/');
  w.put(options.region);
  w.put('/');
  w.put(options.service);
  w.put("/aws4_request");
  const std::size_t scope_len = w.pos() - scope_at;

  // ---- the headers signing adds; their values already sit in the buffer
  if (header_mode) {
    headers[nh++] = {"x-amz-date", {}, date_at, 16};
    if (sign_token) headers[nh++] = {"x-amz-security-token", credentials.session_token};
    if (add_sha_header) headers[nh++] = {"x-amz-content-sha256", {}, payload_at, payload_len};
  }
  sort_headers(headers, nh);

  // ---- signed headers: lowercase names, each once, ';'-joined
  auto write_signed_headers = [&](std::string_view separator) {
    for (std::size_t i = 0; i < nh; ++i) {
      if (i > 0 && iequals(headers[i - 1].name, headers[i].name)) continue;
      if (i > 0) w.put(separator);
      w.put_lower(headers[i].name);
    }
  };
  const std::size_t signed_at = w.pos();
  write_signed_headers(";");
  const std::size_t signed_len = w.pos() - signed_at;

  // ---- query parameters, encoded into the buffer, then sorted
  Param params[limits::kSigv4MaxQueryParams];
  std::size_t np = 0;
  const std::size_t reserved = header_mode ? 0 : 7;
  auto add_param = [&](auto&& write_key, auto&& write_value) {
    Param& p = params[np++];
    p.key_at = w.pos();
    write_key();
    p.key_len = w.pos() - p.key_at;
    p.value_at = w.pos();
    write_value();
    p.value_len = w.pos() - p.value_at;
  };
  for (std::string_view q = request.query; !q.empty();) {
    const std::size_t amp = q.find('&');
    const std::string_view pair = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
    if (pair.empty()) continue;
    const std::size_t eq = pair.find('=');
    const std::string_view key = pair.substr(0, eq);
    const std::string_view value =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    if (!header_mode && is_signing_param(key)) continue;  // replaced by this signature
    if (np + reserved >= limits::kSigv4MaxQueryParams) {
      return Status::error(Code::kLimitExceeded, "sigv4: more than %zu query parameters",
                           limits::kSigv4MaxQueryParams - reserved);
    }
    add_param([&] { w.put_query_component(key); }, [&] { w.put_query_component(value); });
  }
  if (!header_mode) {
    auto name = [&](std::string_view n) { return [&w, n] { w.put(n); }; };
    add_param(name("X-Amz-Algorithm"), [&] { w.put(algorithm); });
    add_param(name("X-Amz-Credential"), [&] {
      w.put(credentials.access_key_id);  // unreserved characters only (checked above)
      w.put("%2F");
      w.put(cn.date);
      w.put("%2F");
      w.put(options.region);
      w.put("%2F");
      w.put(options.service);
      w.put("%2Faws4_request");
    });
    add_param(name("X-Amz-Date"), [&] { w.put(std::string_view(cn.amz_date, 16)); });
    add_param(name("X-Amz-Expires"), [&] { w.put_decimal(options.expires_s); });
    add_param(name("X-Amz-SignedHeaders"), [&] { write_signed_headers("%3B"); });
    if (sign_token) {
      add_param(name("X-Amz-Security-Token"),
                [&] { w.put_query_component(credentials.session_token); });
    }
  }
  if (!w.overflowed()) sort_params(params, np, buf);

  // ---- canonical request
  const std::size_t creq_at = w.pos();
  w.put(request.method);
  w.put('\n');
  st = write_canonical_uri(request.path, options.normalize_path, options.double_encode_path, w);
  if (!st.ok()) return st;
  w.put('\n');
  const std::size_t cquery_at = w.pos();
  for (std::size_t i = 0; i < np; ++i) {
    if (i > 0) w.put('&');
    w.copy(params[i].key_at, params[i].key_len);
    w.put('=');
    w.copy(params[i].value_at, params[i].value_len);
  }
  const std::size_t cquery_len = w.pos() - cquery_at;
  w.put('\n');
  for (std::size_t i = 0; i < nh; ++i) {
    if (i > 0 && iequals(headers[i - 1].name, headers[i].name)) {
      w.put(',');
    } else {
      w.put_lower(headers[i].name);
      w.put(':');
    }
    if (headers[i].buf_len != 0) {
      w.copy(headers[i].buf_at, headers[i].buf_len);
    } else {
      w.put_folded(headers[i].value);
    }
    if (i + 1 == nh || !iequals(headers[i].name, headers[i + 1].name)) w.put('\n');
  }
  w.put('\n');
  w.copy(signed_at, signed_len);
  w.put('\n');
  w.copy(payload_at, payload_len);
  const std::size_t creq_len = w.pos() - creq_at;

  // ---- string to sign (the canonical request's hash is filled in below)
  const std::size_t sts_at = w.pos();
  w.put(algorithm);
  w.put('\n');
  w.copy(date_at, 16);
  w.put('\n');
  w.copy(scope_at, scope_len);
  w.put('\n');
  const std::size_t creq_hash_at = w.pos();
  w.put_zeros(2 * kSha256Bytes);
  const std::size_t sts_len = w.pos() - sts_at;

  const std::size_t sig_at = w.pos();
  w.put_zeros(signature_hex_max);

  // ---- the Authorization value, or the query string to send
  std::size_t out_at = w.pos();
  if (header_mode) {
    w.put(algorithm);
    w.put(" Credential=");
    w.put(credentials.access_key_id);
    w.put('/');
    w.copy(scope_at, scope_len);
    w.put(", SignedHeaders=");
    w.copy(signed_at, signed_len);
    w.put(", Signature=");
  } else {
    w.copy(cquery_at, cquery_len);
    if (has_token && !sign_token) {
      w.put("&X-Amz-Security-Token=");
      w.put_query_component(credentials.session_token);
    }
    w.put("&X-Amz-Signature=");
  }
  w.put_zeros(signature_hex_max);
  std::size_t out_len = w.pos() - out_at;

  if (w.overflowed()) {
    return Status::error(Code::kBufferTooSmall,
                         "sigv4: output buffer is %zu bytes; this request needs %zu", buf_bytes,
                         w.needed());
  }

  // ---- crypto: hash the canonical request, derive (or reuse) the key, sign
  Digest32 digest;
  crypto_.sha256(buf + creq_at, creq_len, &digest);
  put_hex_at(buf + creq_hash_at, digest);
  std::size_t signature_len = 2 * kSha256Bytes;
  if (asymmetric_key != nullptr) {
    // The key signs SHA-256(string to sign); the signature ends the Authorization
    // value, which shrinks to its actual length.
    crypto_.sha256(buf + sts_at, sts_len, &digest);
    st = asymmetric_key->sign_hex(digest, buf + sig_at, signature_hex_max, &signature_len);
    if (st.ok() && (signature_len == 0 || signature_len > signature_hex_max)) {
      st = Status::error(Code::kInternal, "sigv4: the signing key wrote %zu hex digits", signature_len);
    }
    if (!st.ok()) {
      secure_wipe(buf, buf_bytes);
      return st;
    }
    std::memcpy(buf + out_at + out_len - signature_hex_max, buf + sig_at, signature_len);
    out_len = out_len - signature_hex_max + signature_len;
  } else {
    const Crypto::HmacKey& hmac_key = signing_key(cn.date, options.region, options.service, credentials);
    crypto_.hmac_sha256_prepared(hmac_key, buf + sts_at, sts_len, &digest);
    put_hex_at(buf + sig_at, digest);
    put_hex_at(buf + out_at + out_len - 2 * kSha256Bytes, digest);
  }

  // ---- results
  auto view = [buf](std::size_t at, std::size_t len) { return std::string_view(buf + at, len); };
  out->amz_date = view(date_at, 16);
  out->credential_scope = view(scope_at, scope_len);
  out->signed_headers = view(signed_at, signed_len);
  out->payload_hash = view(payload_at, payload_len);
  out->canonical_request = view(creq_at, creq_len);
  out->string_to_sign = view(sts_at, sts_len);
  out->signature = view(sig_at, signature_len);
  if (header_mode) {
    out->authorization = view(out_at, out_len);
    std::size_t n = 0;
    out->added_headers[n++] = {"X-Amz-Date", out->amz_date};
    if (has_token) out->added_headers[n++] = {"X-Amz-Security-Token", credentials.session_token};
    if (add_sha_header) out->added_headers[n++] = {"x-amz-content-sha256", out->payload_hash};
    out->added_headers[n++] = {"Authorization", out->authorization};
    out->added_header_count = n;
  } else {
    out->query = view(out_at, out_len);
  }
  return Status();
}

const Crypto::HmacKey& Signer::signing_key(std::string_view date, std::string_view region,
                                           std::string_view service,
                                           const Credentials& credentials) {
  // Identity of the secret without keeping it (see CachedKey).
  std::uint64_t fingerprint = 0xcbf29ce484222325ull;
  for (char c : credentials.secret_access_key) {
    fingerprint = (fingerprint ^ static_cast<unsigned char>(c)) * 0x100000001b3ull;
  }
  const std::string_view id = credentials.access_key_id;
  CachedKey* victim = &cache_[0];
  for (CachedKey& slot : cache_) {
    if (!slot.used) {
      if (victim->used) victim = &slot;
      continue;
    }
    if (std::memcmp(slot.date, date.data(), 8) == 0 && slot.region_len == region.size() &&
        std::memcmp(slot.region, region.data(), region.size()) == 0 &&
        slot.service_len == service.size() &&
        std::memcmp(slot.service, service.data(), service.size()) == 0 &&
        slot.access_key_len == id.size() && std::memcmp(slot.access_key_id, id.data(), id.size()) == 0 &&
        slot.secret_fingerprint == fingerprint) {
      slot.last_use = ++use_counter_;
      return slot.key;
    }
    if (victim->used && slot.last_use < victim->last_use) victim = &slot;
  }

  // kSecret = "AWS4" + secret; kDate, kRegion, kService, kSigning by HMAC chain.
  unsigned char secret[4 + kMaxSecretBytes];
  std::memcpy(secret, "AWS4", 4);
  std::memcpy(secret + 4, credentials.secret_access_key.data(), credentials.secret_access_key.size());
  Digest32 k;
  crypto_.hmac_sha256(secret, 4 + credentials.secret_access_key.size(), date.data(), date.size(),
                      &k);
  secure_wipe(secret, sizeof secret);
  crypto_.hmac_sha256(k.bytes, sizeof k.bytes, region.data(), region.size(), &k);
  crypto_.hmac_sha256(k.bytes, sizeof k.bytes, service.data(), service.size(), &k);
  crypto_.hmac_sha256(k.bytes, sizeof k.bytes, "aws4_request", 12, &k);
  ++key_derivations_;

  secure_wipe(victim, sizeof *victim);
  victim->used = true;
  victim->last_use = ++use_counter_;
  std::memcpy(victim->date, date.data(), 8);
  victim->region_len = static_cast<std::uint8_t>(region.size());
  std::memcpy(victim->region, region.data(), region.size());
  victim->service_len = static_cast<std::uint8_t>(service.size());
  std::memcpy(victim->service, service.data(), service.size());
  victim->access_key_len = static_cast<std::uint8_t>(id.size());
  std::memcpy(victim->access_key_id, id.data(), id.size());
  victim->secret_fingerprint = fingerprint;
  crypto_.hmac_sha256_prepare(k.bytes, sizeof k.bytes, &victim->key);
  secure_wipe(&k, sizeof k);
  return victim->key;
}

Status Signer::verify(const Request& request, const Options& options,
                      const Credentials& credentials, std::string_view signature_hex, char* buf,
                      std::size_t buf_bytes) {
  SignedRequest signed_request;
  Status st = sign(request, options, credentials, buf, buf_bytes, &signed_request);
  if (!st.ok()) return st;
  if (signature_hex.size() != signed_request.signature.size() ||
      !constant_time_equal(signature_hex.data(), signed_request.signature.data(),
                           signed_request.signature.size())) {
    return Status::error(Code::kChecksumMismatch,
                         "sigv4: the signature does not match the request");
  }
  return Status();
}

}  // namespace sigv4
}  // namespace edgeroute
