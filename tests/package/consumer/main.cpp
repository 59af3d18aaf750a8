// Signs and verifies one Bedrock request through the installed headers and libraries.
#include <cstdio>
#include <cstring>

#include "edgeroute/config.h"
#include "edgeroute/mbedtls_crypto.h"
#include "edgeroute/sigv4.h"
#include "edgeroute/version.h"

int main() {
  using namespace edgeroute;
  if (!layout_matches_library()) {
    std::fprintf(stderr, "consumer: compiled with other limits than the installed library (edgeroute/build_config.h)\n");
    return 1;
  }
  const sigv4::Header headers[] = {
      {"host", "bedrock-runtime.eu-central-1.amazonaws.com"},
      {"content-type", "application/json"},
  };
  const char body[] = R"({"messages":[{"role":"user","content":[{"text":"hi"}]}]})";
  sigv4::Request request;
  request.method = "POST";
  request.path = "/model/eu.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse";
  request.headers = headers;
  request.header_count = 2;
  request.body = body;
  request.body_bytes = std::strlen(body);
  sigv4::Options options;
  options.region = "eu-central-1";
  options.service = "bedrock";
  options.time_unix_s = 1700000000;
  sigv4::Credentials credentials{"AKIDEXAMPLE", "consumer-test-secret", ""};

  sigv4::Signer signer(mbedtls_crypto());
  static char buf[8192];
  sigv4::SignedRequest signed_request;
  Status s = signer.sign(request, options, credentials, buf, sizeof buf, &signed_request);
  if (!s.ok()) {
    std::fprintf(stderr, "consumer: sign failed: %s\n", s.message());
    return 1;
  }
  static char verify_buf[8192];
  Status v = signer.verify(request, options, credentials, signed_request.signature, verify_buf,
                           sizeof verify_buf);
  if (!v.ok()) {
    std::fprintf(stderr, "consumer: verify failed: %s\n", v.message());
    return 1;
  }
  std::printf("edgeroute %s signature %.*s\n", version(),
              static_cast<int>(signed_request.signature.size()), signed_request.signature.data());
  return 0;
}
