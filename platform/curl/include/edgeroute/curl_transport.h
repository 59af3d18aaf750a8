// edgeroute/curl_transport.h -- the Transport over libcurl.
//
// Built as the library edgeroute_platform_curl (CMake option EDGEROUTE_WITH_CURL).
// This header does not include curl: core/ code and applications see only
// edgeroute::Transport.
//
// Connections. One curl multi handle per transport owns a connection cache of at
// most Config::max_connections idle connections (keep-alive, one per endpoint in
// practice); when it is full, curl closes the least recently used one. TLS
// sessions are resumed on new connections to an endpoint seen before.
//
// Timeouts (HttpTimeouts), each reported as Code::kTimeout with a message naming
// which one fired:
//   connect_ms             TCP connect plus TLS handshake of a new connection;
//   first_byte_ms          last request byte handed to the socket -> first
//                          response byte;
//   idle_ms                longest gap between response bytes once the first
//                          one arrived;
//   deadline_monotonic_ns  the whole exchange, on Config::clock (the caller's
//                          clock: the one its deadlines were computed on).
// The transport owns its wait loop, so each fires within a few milliseconds of
// its limit. A zero first_byte_ms or idle_ms disables that limit; a zero
// connect_ms leaves libcurl's own (300 s).
//
// TLS. Peer and host verification are always on and cannot be switched off. The
// trust store is Config::ca_bundle, else the file named by AWS_CA_BUNDLE, else
// libcurl's built-in default (the system store).
//
// Proxies. libcurl reads the usual environment variables itself: HTTPS_PROXY (or
// https_proxy) for https:// requests, http_proxy (lower case only) for http://,
// ALL_PROXY, and NO_PROXY for hosts to reach directly. Nothing here overrides
// them. Through a proxy the proxy resolves the host, so keep connect_to targets
// (for example a local simulator) in NO_PROXY.
//
// Thread safety: a CurlTransport is not thread-safe. Use one per thread; a
// thread may keep it for its lifetime. Distinct instances are independent.
//
// Secrets: request headers (Authorization, X-Amz-Security-Token) and query strings
// (presigned signatures) never appear in a Status message; curl's verbose output
// is never enabled.
#ifndef EDGEROUTE_CURL_TRANSPORT_H
#define EDGEROUTE_CURL_TRANSPORT_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <memory>
#include <string>

#include "edgeroute/clock.h"
#include "edgeroute/status.h"
#include "edgeroute/transport.h"

namespace edgeroute {

class CurlTransport final : public Transport {
 public:
  // Idle connections kept for reuse by default, count.
  static constexpr std::size_t kDefaultMaxConnections = 8;

  struct Config {
    // PEM file of trusted CA certificates. Empty: AWS_CA_BUNDLE, else the
    // system default.
    std::string ca_bundle;
    // Idle keep-alive connections kept, count (>= 1). One per endpoint in use is
    // enough; more only costs file descriptors and memory (~50 KiB per TLS
    // connection).
    std::size_t max_connections = kDefaultMaxConnections;
    // Offer HTTP/2 through ALPN on TLS connections; HTTP/1.1 otherwise.
    bool http2 = false;
    // The monotonic clock of HttpTimeouts::deadline_monotonic_ns and of HttpTiming;
    // null: system_clock(). Not owned; must outlive the transport.
    const Clock* clock = nullptr;
    // A client certificate presented on every TLS connection (CURLOPT_SSLCERT,
    // CURLOPT_SSLKEY, CURLOPT_SSLKEYTYPE, CURLOPT_SSLENGINE); empty: none.
    TlsClientIdentity client;
  };

  // Initializes libcurl once per process (never cleaned up) and builds a
  // transport. Errors: kInvalidArgument (max_connections is 0), kNotFound (the CA
  // bundle is not readable), kInternal (libcurl could not initialize).
  static Status create(const Config& config, std::unique_ptr<CurlTransport>* out);

  ~CurlTransport() override;
  CurlTransport(const CurlTransport&) = delete;
  CurlTransport& operator=(const CurlTransport&) = delete;

  // See Transport::send. timing, when not null, is filled as far as the exchange
  // got, also on error. kInvalidArgument: an empty method or host, a path not
  // starting with '/', or a CR, LF or NUL in the method, host, path or a header.
  Status send(const HttpRequest& request, const HttpTimeouts& timeouts, HttpResponseSink* sink,
              HttpTiming* timing) override;

 private:
  struct Impl;
  explicit CurlTransport(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CURL_TRANSPORT_H
