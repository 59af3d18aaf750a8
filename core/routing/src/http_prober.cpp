// The router's HTTP latency probe: see edgeroute/http_prober.h.
#include "edgeroute/http_prober.h"

#include <cstddef>

namespace edgeroute {
namespace {

// Counts what the answer costs and discards it.
class CountingSink final : public HttpResponseSink {
 public:
  Status on_status(int http_status) override {
    answered_ = true;
    // "HTTP/1.1 200 OK\r\n": the status line as the peer sent it, near enough.
    bytes_ += 17;
    (void)http_status;
    return Status();
  }
  Status on_header(std::string_view name, std::string_view value) override {
    bytes_ += name.size() + value.size() + 4;  // ": " and CRLF
    return Status();
  }
  Status on_body(const void* data, std::size_t bytes) override {
    (void)data;
    body_bytes_ += bytes;
    bytes_ += bytes;
    if (body_bytes_ > HttpProber::kMaxBodyBytes) {
      return Status::error(Code::kLimitExceeded, "probe answer longer than %u bytes",
                           static_cast<unsigned>(HttpProber::kMaxBodyBytes));
    }
    return Status();
  }
  bool answered() const { return answered_; }
  std::size_t bytes() const { return bytes_; }

 private:
  bool answered_ = false;
  std::size_t bytes_ = 0;
  std::size_t body_bytes_ = 0;
};

}  // namespace

HttpProber::HttpProber(Transport& transport, const Catalog& catalog, const HttpTimeouts& timeouts,
                       std::uint32_t total_ms, const Clock& clock)
    : transport_(&transport), catalog_(&catalog), timeouts_(timeouts),
      total_ns_(static_cast<std::int64_t>(total_ms > 0 ? total_ms : kDefaultTotalMs) * 1000 * 1000),
      clock_(&clock) {}

Status HttpProber::connect_to(std::string_view region, std::string_view host, std::uint16_t port) {
  const int index = catalog_->find_region(region);
  if (index == Catalog::kNone) {
    return Status::error(Code::kNotFound, "connect-to: region %.*s is not in the catalog",
                         static_cast<int>(region.size()), region.data());
  }
  ConnectTo& slot = connect_to_[static_cast<std::size_t>(index)];
  if (host.empty() || port == 0 || !slot.host.assign(host)) {
    return Status::error(Code::kInvalidArgument, "connect-to %.*s: expected HOST:PORT",
                         static_cast<int>(region.size()), region.data());
  }
  slot.port = port;
  return Status();
}

std::string HttpProber::endpoint(std::size_t region) const {
  if (region >= catalog_->region_count() || region >= limits::kRouterMaxRegions) return std::string();
  if (connect_to_[region].port != 0) {
    return std::string(connect_to_[region].host.view()) + ":" + std::to_string(connect_to_[region].port);
  }
  return std::string(catalog_->region_host(region));
}

ProbeResult HttpProber::probe(std::string_view host, std::uint16_t region) {
  HttpRequest request;
  request.method = "GET";
  request.host = host;
  request.path_and_query = "/";
  if (region < limits::kRouterMaxRegions && connect_to_[region].port != 0) {
    request.connect_host = connect_to_[region].host.view();
    request.connect_port = connect_to_[region].port;
  }
  ProbeResult result;
  const std::int64_t start_ns = clock_->monotonic_ns();
  HttpTimeouts timeouts = timeouts_;
  timeouts.deadline_monotonic_ns = start_ns + total_ns_;
  if (deadline_ns_ > 0 && deadline_ns_ < timeouts.deadline_monotonic_ns) timeouts.deadline_monotonic_ns = deadline_ns_;
  if (timeouts.deadline_monotonic_ns <= start_ns) {
    last_error_ = Status::error(Code::kTimeout, "probe of %.*s not sent: the probe stage's deadline has passed",
                                static_cast<int>(host.size()), host.data());
    return result;
  }
  CountingSink sink;
  HttpTiming timing;
  const Status sent = transport_->send(request, timeouts, &sink, &timing);

  // Only a complete answer is a sample: a status line followed by a stall, a
  // drip or a cut-off says nothing good about the endpoint.
  result.answered = sent.ok() && sink.answered();
  if (result.answered) {
    last_error_ = Status();
  } else if (!sent.ok()) {
    last_error_ = sent;
  } else {
    last_error_ = Status::error(Code::kUnavailable, "probe of %.*s: no HTTP answer", static_cast<int>(host.size()),
                                host.data());
  }
  const bool cold = !timing.reused_connection;
  // "GET / HTTP/1.1\r\nHost: <host>\r\n\r\n" plus one TLS record each way.
  const std::size_t exchange_bytes = 16 + 6 + host.size() + 4 + 2 * kTlsRecordOverheadBytes;
  // Nothing but a SYN is spent unless a connection was made or reused.
  const bool connected = timing.reused_connection || timing.connect_ns > 0;
  std::size_t bytes = connected ? exchange_bytes + sink.bytes() : 0;
  if (cold && timing.connect_ns > 0) bytes += kColdHandshakeBytes;
  if (result.answered) {
    result.rtt_ns = cold && timing.connect_ns > 0 ? timing.connect_ns : timing.first_byte_ns;
    if (cold && timing.connect_ns > 0 && clock_->monotonic_ns() < timeouts.deadline_monotonic_ns) {
      // A cold connect time also holds this device's own TLS work: key exchange,
      // certificate checks and, on the first connection, loading the CA store
      // (hundreds of ms on a slow ARM core), so whichever endpoint is probed first
      // would look the farthest. One more GET / on the connection just opened
      // measures the round trip alone; without a warm answer the connect time stands.
      CountingSink warm_sink;
      HttpTiming warm;
      const Status again = transport_->send(request, timeouts, &warm_sink, &warm);
      if (warm.reused_connection || warm.connect_ns > 0) bytes += exchange_bytes + warm_sink.bytes();
      if (warm.connect_ns > 0) bytes += kColdHandshakeBytes;
      if (again.ok() && warm_sink.answered() && warm.reused_connection && warm.first_byte_ns > 0) {
        result.rtt_ns = warm.first_byte_ns;
      }
    }
    // A zero would read as "no sample"; a loopback answer can be that fast.
    if (result.rtt_ns <= 0) result.rtt_ns = 1;
  }
  result.bytes = static_cast<std::uint32_t>(bytes);
  return result;
}

}  // namespace edgeroute
