// What the remote credentials sources share: a body that wipes itself, a cJSON
// tree wiped before it is freed, one bounded HTTP exchange, and the parse of a
// credentials object. Private to edgeroute_bedrock.
#ifndef EDGEROUTE_CREDENTIALS_INTERNAL_H
#define EDGEROUTE_CREDENTIALS_INTERNAL_H

#include <cjson/cJSON.h>

#include <string>
#include <string_view>

#include "edgeroute/clock.h"
#include "edgeroute/credentials.h"
#include "edgeroute/credentials_remote.h"
#include "edgeroute/crypto.h"
#include "edgeroute/transport.h"

namespace edgeroute {
namespace detail {

// A response body, wiped when it goes out of scope (it holds secrets).
class SecretText {
 public:
  ~SecretText() { wipe(); }
  void wipe() {
    secure_wipe(&text[0], text.size());
    text.clear();
  }
  std::string text;
};

void wipe_json(cJSON* node);

struct JsonTree {
  cJSON* root = nullptr;
  ~JsonTree() {
    if (root != nullptr) {
      wipe_json(root);
      cJSON_Delete(root);
    }
  }
};

// One exchange, bounded by the sum of the timeouts when they carry no deadline.
// The body (at most kMaxCredentialsResponseBytes) lands in *body.
Status fetch(Transport& transport, const Clock& clock, const HttpTimeouts& timeouts, const HttpUrl& url,
             const HttpHeader* headers, std::size_t header_count, SecretText* body, int* http_status,
             std::string_view method = "GET", std::string_view request_body = std::string_view());

// {"accessKeyId", "secretAccessKey", "sessionToken", "expiration"}: AWS IoT's and
// IAM Roles Anywhere's spelling.
extern const char* const kLowerCamelCredentialNames[4];

// The credentials in `object` under names {key ID, secret, token, expiration}.
Status parse_credentials_object(const cJSON* object, const char* const names[4], bool require_expiration,
                                const char* source, AwsCredentials* out);

}  // namespace detail
}  // namespace edgeroute

#endif  // EDGEROUTE_CREDENTIALS_INTERNAL_H
