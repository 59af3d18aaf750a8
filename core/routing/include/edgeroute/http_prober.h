// edgeroute/http_prober.h -- the router's latency probe over HTTP.
//
// A probe is one cheap unauthenticated `GET /` to an endpoint's Bedrock Runtime
// host. Any complete HTTP answer counts (the service answers 403/404 without
// credentials): what is measured is the network, not the service. An answer that
// does not complete -- cut off, over kMaxBodyBytes, or still arriving when the
// probe's total time is up -- gives no sample: an endpoint that sends its first
// byte at once and then drips must not rank as the nearest.
//
// Time: every probe ends within total_ms of its start (connect, answer and body
// together), and never after the deadline set with set_deadline_ns(), so a probe
// stage cannot outlast the call it prepares. `clock` must be the transport's
// (deadlines are absolute on it). The RTT is the time to the first response
// byte on a warm (kept-alive) connection. A probe that had to open a connection
// sends a second GET / on it and takes that one's first-byte time: the first
// request's time adds the handshake, and the handshake time itself holds this
// device's TLS work (key exchange, certificate checks, loading the CA store on the
// first connection), which on a slow core ranks the first-probed region last.
// When the second answer does not come in time, the connect time (TCP + TLS) is
// the sample.
//
// Bytes: the transport does not count wire bytes, so probe() reports what it can
// tell -- the request and response as sent and received plus per-record TLS
// overhead -- and adds kColdHandshakeBytes for a new connection (a TLS handshake
// with its certificate chain). The router charges these against its byte budget.
//
// No heap: the connect-to table is fixed size (one slot per catalog region).
// Thread-safety: like the transport it wraps (CurlTransport: one thread).
#ifndef EDGEROUTE_HTTP_PROBER_H
#define EDGEROUTE_HTTP_PROBER_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstdint>
#include <string>
#include <string_view>

#include "edgeroute/catalog.h"
#include "edgeroute/clock.h"
#include "edgeroute/router.h"
#include "edgeroute/status.h"
#include "edgeroute/transport.h"

namespace edgeroute {

class HttpProber final : public Prober {
 public:
  // Assumed cost of a TLS handshake with certificate chain, bytes (both ways).
  static constexpr std::uint32_t kColdHandshakeBytes = 6u * 1024u;
  // TLS record header and AEAD tag per record, bytes.
  static constexpr std::uint32_t kTlsRecordOverheadBytes = 29;
  // Response body bytes read at most; a longer answer is cut off (and the
  // connection dropped) rather than paid for on a metered link.
  static constexpr std::uint32_t kMaxBodyBytes = 16u * 1024u;

  // Longest a probe may take from start to its last byte, ms, by default.
  static constexpr std::uint32_t kDefaultTotalMs = 5000;

  // `catalog` maps the router's region indices to names; it must outlive the prober.
  // timeouts.deadline_monotonic_ns is ignored: see set_deadline_ns().
  HttpProber(Transport& transport, const Catalog& catalog, const HttpTimeouts& timeouts,
             std::uint32_t total_ms = kDefaultTotalMs, const Clock& clock = system_clock());

  // No probe runs past this absolute monotonic time (the clock's); one that would
  // start after it is not sent and gives no sample. 0: no deadline but total_ms.
  void set_deadline_ns(std::int64_t deadline_ns) { deadline_ns_ = deadline_ns; }

  // Probes of `region` connect to host:port instead of resolving the endpoint
  // host (TLS and Host still name the endpoint), like curl's --connect-to.
  // kNotFound: the catalog has no such region; kInvalidArgument: empty or
  // over-long host, or port 0.
  Status connect_to(std::string_view region, std::string_view host, std::uint16_t port);

  ProbeResult probe(std::string_view host, std::uint16_t region) override;

  // Where probes of catalog region `region` go: "host:port" when connect_to()
  // redirects them, else the region's endpoint host. A latency sample belongs to
  // this endpoint, not to the region name (a saved sample of one is not reused
  // for the other). Empty for a region the catalog does not have.
  std::string endpoint(std::size_t region) const;

  // Why the last probe gave no sample: the transport's error, or the deadline
  // (OK when it gave one).
  const Status& last_error() const { return last_error_; }

 private:
  struct ConnectTo {
    FixedName<255> host;
    std::uint16_t port = 0;
  };

  Transport* transport_;
  const Catalog* catalog_;
  HttpTimeouts timeouts_;
  std::int64_t total_ns_;
  const Clock* clock_;
  std::int64_t deadline_ns_ = 0;
  Status last_error_;
  ConnectTo connect_to_[limits::kRouterMaxRegions];
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_HTTP_PROBER_H
