// edgeroute/transport.h -- HTTP, as core/ sees it. core/ never includes curl.
//
// One call sends one request and streams the response to a sink as it arrives.
// Implementations keep connections alive per endpoint and verify TLS always.
#ifndef EDGEROUTE_TRANSPORT_H
#define EDGEROUTE_TRANSPORT_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "edgeroute/status.h"

namespace edgeroute {

struct HttpHeader {
  std::string_view name;
  std::string_view value;
};

struct HttpRequest {
  std::string_view method;          // "POST"
  std::string_view host;            // "bedrock-runtime.eu-central-1.amazonaws.com" (TLS SNI, Host)
  std::uint16_t port = 443;
  std::string_view path_and_query;  // "/model/...%3A0/converse", already percent-encoded
  bool tls = true;                  // false only for explicit http:// endpoint overrides
  // Where to open the TCP connection instead of resolving host (like curl's
  // --connect-to): TLS and signing still use `host`. Empty: resolve host.
  std::string_view connect_host;
  std::uint16_t connect_port = 0;
  const HttpHeader* headers = nullptr;  // Host is added by the transport
  std::size_t header_count = 0;
  const void* body = nullptr;
  std::size_t body_bytes = 0;
};

struct HttpTimeouts {
  std::uint32_t connect_ms = 5000;      // TCP + TLS handshake
  std::uint32_t first_byte_ms = 60000;  // request sent -> status line (LLMs think first)
  std::uint32_t idle_ms = 30000;        // longest gap between body bytes of a stream
  // Absolute monotonic deadline (edgeroute::Clock) for the whole exchange; 0 = none.
  std::int64_t deadline_monotonic_ns = 0;
};

// A client certificate for mutual TLS (AWS IoT's credentials endpoint). Set on a
// transport when it is built (CurlTransport::Config::client), never per request.
struct TlsClientIdentity {
  std::string certificate_file;  // PEM certificate (chain), device certificate first
  // key_type "PEM": a PEM private key file. "ENG": a key ID the TLS library's
  // engine resolves (a PKCS#11 URI such as "pkcs11:object=device-key;type=private"),
  // with `engine` naming it ("pkcs11"); only where libcurl's TLS backend has engines.
  std::string key;
  std::string key_type = "PEM";
  std::string engine;
  bool empty() const { return certificate_file.empty(); }
};

// Receives the response. Returning an error from any callback aborts the
// transfer; send() then returns that error.
class HttpResponseSink {
 public:
  virtual ~HttpResponseSink() = default;
  virtual Status on_status(int http_status) = 0;
  // Called once per header line, name as received.
  virtual Status on_header(std::string_view name, std::string_view value) = 0;
  // Body bytes in arbitrary pieces, as they arrive.
  virtual Status on_body(const void* data, std::size_t bytes) = 0;
};

// Timing of one exchange, for probes and passive latency samples.
struct HttpTiming {
  std::int64_t connect_ns = 0;     // 0 when a kept-alive connection was reused
  std::int64_t first_byte_ns = 0;  // request start -> first response byte
  std::int64_t total_ns = 0;
  bool reused_connection = false;
};

class Transport {
 public:
  virtual ~Transport() = default;
  // Errors: kTimeout (connect, first byte, idle gap or deadline; the message says
  // which), kUnavailable (refused, reset, DNS, TLS handshake failure), kInvalidArgument
  // (bad request), or the sink's own error. An HTTP error status is not an error
  // here: it reaches the sink like any other.
  virtual Status send(const HttpRequest& request, const HttpTimeouts& timeouts,
                      HttpResponseSink* sink, HttpTiming* timing) = 0;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_TRANSPORT_H
