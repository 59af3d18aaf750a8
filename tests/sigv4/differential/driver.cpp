// sigv4_diff_driver -- signs requests read from stdin with edgeroute's signer, for
// the differential test against botocore (diff_botocore.py).
//
// Input: one JSON object per line:
//   {"method": "POST", "path": "/model/...%3A0/converse", "query": "a=b&c=",
//    "headers": [["Host", "..."], ["X-Foo", " a  b "], ...], "body_b64": "...",
//    "region": "eu-central-1", "service": "bedrock", "time": 1700000000,
//    "access_key": "AKIA...", "secret": "...", "token": "..." (optional)}
// Output: one line per input line, in order:
//   <signature hex> TAB <Authorization header value>
// or "ERROR <message>". With --canonical a third field follows: the canonical
// request with '\\', newline and tab escaped as \\, \n and \t, and the session
// token replaced by "<token:N bytes>".
//
// The options are those of botocore's SigV4Auth for Bedrock: header mode, double
// URI encoding, path normalization, body hashed, no x-amz-content-sha256 header.
// One Signer serves every case, so its signing-key cache is exercised too.
//
// The secret and the token are never printed.
#include <cjson/cJSON.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgeroute/crypto.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/sigv4.h"

namespace {

namespace sigv4 = edgeroute::sigv4;

struct JsonDeleter {
  void operator()(cJSON* p) const { cJSON_Delete(p); }
};

int base64_value(char c) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (c == '+') return 62;
  if (c == '/') return 63;
  return -1;
}

// Standard base64 with padding. Returns false on malformed input.
bool base64_decode(std::string_view in, std::string* out) {
  out->clear();
  if (in.size() % 4 != 0) return false;
  out->reserve(in.size() / 4 * 3);
  for (std::size_t i = 0; i < in.size(); i += 4) {
    int v[4];
    int pad = 0;
    for (int j = 0; j < 4; ++j) {
      const char c = in[i + static_cast<std::size_t>(j)];
      if (c == '=' && i + 4 == in.size() && j >= 2) {
        v[j] = 0;
        ++pad;
      } else {
        if (pad != 0) return false;  // data after '='
        v[j] = base64_value(c);
        if (v[j] < 0) return false;
      }
    }
    const unsigned bits = static_cast<unsigned>(v[0]) << 18 | static_cast<unsigned>(v[1]) << 12 |
                          static_cast<unsigned>(v[2]) << 6 | static_cast<unsigned>(v[3]);
    out->push_back(static_cast<char>((bits >> 16) & 0xFF));
    if (pad < 2) out->push_back(static_cast<char>((bits >> 8) & 0xFF));
    if (pad < 1) out->push_back(static_cast<char>(bits & 0xFF));
  }
  return true;
}

// A required string field; its bytes (NULs included are not possible in cJSON).
bool get_string(const cJSON* root, const char* field, std::string* out, std::string* error) {
  const cJSON* item = cJSON_GetObjectItemCaseSensitive(root, field);
  if (!cJSON_IsString(item) || item->valuestring == nullptr) {
    *error = std::string("field '") + field + "' is missing or not a string";
    return false;
  }
  *out = item->valuestring;
  return true;
}

std::string escape(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 16);
  for (char c : s) {
    switch (c) {
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      default: out += c;
    }
  }
  return out;
}

std::string mask(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  const std::string placeholder = "<token:" + std::to_string(secret.size()) + " bytes>";
  for (std::size_t at = text.find(secret); at != std::string::npos;
       at = text.find(secret, at + placeholder.size())) {
    text.replace(at, secret.size(), placeholder);
  }
  return text;
}

// Wipes a string that held key material before it goes away.
struct Wiped {
  std::string s;
  ~Wiped() {
    if (!s.empty()) edgeroute::secure_wipe(&s[0], s.size());
  }
};

// Signs one case; returns the output line (without the newline).
std::string sign_case(sigv4::Signer& signer, const std::string& line, bool canonical) {
  std::unique_ptr<cJSON, JsonDeleter> root(cJSON_ParseWithLength(line.data(), line.size()));
  if (!cJSON_IsObject(root.get())) return "ERROR input line is not a JSON object";

  std::string error;
  std::string method, path, query, body_b64, region, service, access_key;
  Wiped secret, token;
  if (!get_string(root.get(), "method", &method, &error) ||
      !get_string(root.get(), "path", &path, &error) ||
      !get_string(root.get(), "query", &query, &error) ||
      !get_string(root.get(), "body_b64", &body_b64, &error) ||
      !get_string(root.get(), "region", &region, &error) ||
      !get_string(root.get(), "service", &service, &error) ||
      !get_string(root.get(), "access_key", &access_key, &error) ||
      !get_string(root.get(), "secret", &secret.s, &error)) {
    return "ERROR " + error;
  }
  const cJSON* token_item = cJSON_GetObjectItemCaseSensitive(root.get(), "token");
  if (token_item != nullptr && !cJSON_IsNull(token_item)) {
    if (!cJSON_IsString(token_item) || token_item->valuestring == nullptr) {
      return "ERROR field 'token' is not a string";
    }
    token.s = token_item->valuestring;
  }
  const cJSON* time_item = cJSON_GetObjectItemCaseSensitive(root.get(), "time");
  if (!cJSON_IsNumber(time_item)) return "ERROR field 'time' is missing or not a number";
  const double time_value = cJSON_GetNumberValue(time_item);

  std::vector<std::string> header_text;  // name, value, name, value, ...
  const cJSON* headers_item = cJSON_GetObjectItemCaseSensitive(root.get(), "headers");
  if (!cJSON_IsArray(headers_item)) return "ERROR field 'headers' is missing or not an array";
  for (const cJSON* h = headers_item->child; h != nullptr; h = h->next) {
    const cJSON* name = cJSON_GetArrayItem(h, 0);
    const cJSON* value = cJSON_GetArrayItem(h, 1);
    if (!cJSON_IsArray(h) || cJSON_GetArraySize(h) != 2 || !cJSON_IsString(name) ||
        !cJSON_IsString(value)) {
      return "ERROR a header is not a [name, value] pair of strings";
    }
    header_text.emplace_back(name->valuestring);
    header_text.emplace_back(value->valuestring);
  }
  std::vector<sigv4::Header> headers;
  for (std::size_t i = 0; i + 1 < header_text.size(); i += 2) {
    headers.push_back({header_text[i], header_text[i + 1]});
  }
  std::string body;
  if (!base64_decode(body_b64, &body)) return "ERROR field 'body_b64' is not valid base64";

  sigv4::Request request;
  request.method = method;
  request.path = path;
  request.query = query;
  request.headers = headers.data();
  request.header_count = headers.size();
  request.body = body.data();
  request.body_bytes = body.size();

  sigv4::Options options;
  options.region = region;
  options.service = service;
  options.time_unix_s = static_cast<std::int64_t>(time_value);
  options.mode = sigv4::Mode::kHeader;
  options.normalize_path = true;
  options.double_encode_path = true;
  options.payload = sigv4::PayloadHash::kHashBody;
  options.add_content_sha256_header = false;
  options.omit_session_token = false;

  const sigv4::Credentials credentials{access_key, secret.s, token.s};
  std::vector<char> buf(sigv4::required_buffer_bytes(request, options, credentials));
  sigv4::SignedRequest out;
  const edgeroute::Status st =
      signer.sign(request, options, credentials, buf.data(), buf.size(), &out);
  if (!st.ok()) {
    return std::string("ERROR ") + edgeroute::to_string(st.code()) + ": " + st.message();
  }
  std::string result;
  result.append(out.signature.data(), out.signature.size());
  result += '\t';
  result.append(out.authorization.data(), out.authorization.size());
  if (canonical) {
    result += '\t';
    result += escape(mask(std::string(out.canonical_request), token.s));
  }
  edgeroute::secure_wipe(buf.data(), buf.size());
  return result;
}

}  // namespace

int main(int argc, char** argv) {
  bool canonical = false;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--canonical") == 0) {
      canonical = true;
    } else {
      std::fprintf(stderr, "usage: %s [--canonical] < cases.jsonl\n", argv[0]);
      return 2;
    }
  }
  std::ios::sync_with_stdio(false);
  sigv4::Signer signer(edgeroute::mbedtls_crypto());
  std::string line;
  std::string output;
  while (std::getline(std::cin, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    output = sign_case(signer, line, canonical);
    output += '\n';
    std::fwrite(output.data(), 1, output.size(), stdout);
    edgeroute::secure_wipe(&line[0], line.size());
  }
  return std::fflush(stdout) == 0 ? 0 : 1;
}
