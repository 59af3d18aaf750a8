// The signing-case files of the AWS SigV4 test suite (context.json and
// request.txt, see docs/sign.md), read into signer inputs. Used by
// `edgeroute sign` and by the conformance tests, so the tool and the tests read
// the files the same way.
#ifndef EDGEROUTE_EXAMPLES_SIGNING_CASE_H
#define EDGEROUTE_EXAMPLES_SIGNING_CASE_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "edgeroute/sigv4.h"
#include "edgeroute/status.h"

namespace edgeroute {
namespace tool {

// context.json. The secret and the token are wiped when this is destroyed.
struct SigningContext {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;
  std::string region;
  std::string service;
  std::int64_t time_unix_s = 0;
  std::uint32_t expires_s = 3600;
  bool normalize = true;
  bool sign_body = false;
  bool omit_session_token = false;

  SigningContext() = default;
  SigningContext(const SigningContext&) = delete;
  SigningContext& operator=(const SigningContext&) = delete;
  ~SigningContext();

  sigv4::Credentials credentials() const {
    return {access_key_id, secret_access_key, session_token};
  }
  // Signer options for a mode: the suite's conventions (non-S3 double encoding,
  // body hashed, x-amz-content-sha256 only with sign_body in header mode).
  sigv4::Options options(sigv4::Mode mode) const;
};

// request.txt: "METHOD target HTTP/1.1", header lines (a line starting with a
// space or tab continues the previous one), a blank line, the body.
struct RequestText {
  std::string text;  // owns the bytes every view below points into
  std::string_view method;
  std::string_view target;  // path and query as in the file
  std::string_view path;
  std::string_view query;
  std::vector<sigv4::Header> headers;
  std::string_view body;

  sigv4::Request request() const;
};

// The largest context.json and request.txt `edgeroute sign` reads, bytes: a
// context is a few hundred bytes; a request's body may be as large as --body's.
constexpr std::size_t kMaxSigningContextBytes = 1024 * 1024;
constexpr std::size_t kMaxSigningRequestBytes = 16 * 1024 * 1024;

// Parses context.json. Unknown fields, missing fields and wrong types are errors
// that name the field.
Status parse_context(std::string_view json, SigningContext* out);

// Parses request.txt. CR before LF is ignored.
Status parse_request(std::string text, RequestText* out);

// The request after signing, as an HTTP/1.1 message: the original request line
// (with the signed query string in query mode), the original headers minus those
// signing replaced, the added headers, a blank line and the body.
std::string format_signed_request(const RequestText& request,
                                  const sigv4::SignedRequest& signed_request, sigv4::Mode mode);

// `text` with every occurrence of `secret`, raw or percent-encoded, replaced by a
// placeholder that gives its length. For printing what was signed.
std::string mask_secret(std::string text, std::string_view secret);

}  // namespace tool
}  // namespace edgeroute

#endif  // EDGEROUTE_EXAMPLES_SIGNING_CASE_H
