// edgeroute/route.h -- what the Bedrock client and the routing engine both speak of:
// a route (an identifier sent to a source region's endpoint), the one place its
// endpoint host is built, and the residency gate a request passes before it is
// built.
//
// The two libraries do not know each other; this header is all they share about
// where a request goes. Header-only, no heap.
#ifndef EDGEROUTE_ROUTE_H
#define EDGEROUTE_ROUTE_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdio>
#include <string_view>

#include "edgeroute/status.h"

namespace edgeroute {

// Bytes endpoint_host() adds to a region name.
constexpr std::size_t kEndpointHostExtraBytes = sizeof("bedrock-runtime..amazonaws.com") - 1;

// The Bedrock Runtime endpoint of a source region, "bedrock-runtime.<region>.amazonaws.com"
// (the commercial partition; ".amazonaws.com.cn" is not supported), NUL-terminated
// into out. The catalog's Route::host and the client's request host both come from
// here. Returns the length, or 0 when region is empty or has a character other than
// a-z, 0-9 and '-', or out (capacity bytes) is too small: region.size() +
// kEndpointHostExtraBytes + 1 always fits.
inline std::size_t endpoint_host(std::string_view region, char* out, std::size_t capacity) {
  if (region.empty() || capacity < region.size() + kEndpointHostExtraBytes + 1) return 0;
  for (const char c : region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return 0;
  }
  const int n = std::snprintf(out, capacity, "bedrock-runtime.%.*s.amazonaws.com", static_cast<int>(region.size()),
                              region.data());
  return n > 0 ? static_cast<std::size_t>(n) : 0;
}

// Residency where the request is sent: the layer that builds a request asks the gate
// about the exact (identifier, source region) it is about to sign and send, and
// sends nothing when the answer is not ok(). The routing engine's Policy is one.
// check_route() must not allocate and must be safe to call from several threads.
class ResidencyGate {
 public:
  // ok(), or kPermissionDenied with one line naming why this pair is outside.
  virtual Status check_route(std::string_view identifier, std::string_view source_region) const = 0;

 protected:
  // Not deleted through this interface: no deleting destructor, so a gate such as
  // the Policy (on the router's no-heap path) references no operator delete.
  ~ResidencyGate() = default;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_ROUTE_H
