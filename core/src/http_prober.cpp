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

HttpProber::HttpProber(Transport& transport, const Catalog& catalog, const HttpTimeouts& timeouts)
    : transport_(&transport), catalog_(&catalog), timeouts_(timeouts) {}

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

ProbeResult HttpProber::probe(std::string_view host, std::uint16_t region) {
  HttpRequest request;
  request.method = "GET";
  request.host = host;
  request.path_and_query = "/";
  if (region < limits::kRouterMaxRegions && connect_to_[region].port != 0) {
    request.connect_host = connect_to_[region].host.view();
    request.connect_port = connect_to_[region].port;
  }
  CountingSink sink;
  HttpTiming timing;
  Status sent = transport_->send(request, timeouts_, &sink, &timing);

  ProbeResult result;
  // The sink's own abort (an over-long body) still followed an HTTP answer.
  result.answered = sink.answered();
  last_error_ = result.answered ? Status() : sent;
  const bool cold = !timing.reused_connection;
  if (result.answered) {
    result.rtt_ns = cold && timing.connect_ns > 0 ? timing.connect_ns : timing.first_byte_ns;
    // A zero would read as "no sample"; a loopback answer can be that fast.
    if (result.rtt_ns <= 0) result.rtt_ns = 1;
  }
  // Nothing but a SYN is spent unless a connection was made or reused.
  const bool connected = timing.reused_connection || timing.connect_ns > 0;
  std::size_t bytes = 0;
  if (connected) {
    // "GET / HTTP/1.1\r\nHost: <host>\r\n\r\n" plus one TLS record each way.
    bytes += 16 + 6 + host.size() + 4 + sink.bytes() + 2 * kTlsRecordOverheadBytes;
  }
  if (cold && timing.connect_ns > 0) bytes += kColdHandshakeBytes;
  result.bytes = static_cast<std::uint32_t>(bytes);
  return result;
}

}  // namespace edgeroute
