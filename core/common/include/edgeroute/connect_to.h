// edgeroute/connect_to.h -- per-region connection redirection (curl's --connect-to).
//
// Requests for REGION keep the real endpoint host for TLS (SNI, certificate) and
// signing; only the TCP connection goes to HOST:PORT. The Bedrock client, the
// prober, the routed client, its C API and the tool all take it in this one type,
// parsed by this one function.
#ifndef EDGEROUTE_CONNECT_TO_H
#define EDGEROUTE_CONNECT_TO_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstdint>
#include <string>
#include <string_view>

#include "edgeroute/status.h"

namespace edgeroute {

struct ConnectTo {
  std::string region;  // a-z, 0-9 and '-'
  std::string host;    // a name or an IPv4 address
  std::uint16_t port = 0;
};

// Parses "REGION=HOST:PORT". kInvalidArgument with one line that quotes the text and
// names the problem: "connect-to 'eu-west-1': expected REGION=HOST:PORT", "... 'EU'
// is not a region name", "... port must be 1..65535". *out is unchanged on error.
Status parse_connect_to(std::string_view text, ConnectTo* out);

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CONNECT_TO_H
