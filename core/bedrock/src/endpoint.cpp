// Where a request goes: the endpoint URL override (parsed and checked) and its source
// in the environment.
#include <string>
#include <string_view>

#include "bedrock_internal.h"
#include "edgeroute/ascii.h"
#include "edgeroute/bedrock.h"

namespace edgeroute {
namespace bedrock {

namespace {

bool is_alnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool is_hex(char c) {
  return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

// A dotted quad whose first number is 127.
bool is_ipv4_loopback(std::string_view host) {
  if (host.substr(0, 4) != "127.") return false;
  int dots = 0, run = 0;
  unsigned value = 0;
  for (const char c : host) {
    if (c == '.') {
      if (run == 0) return false;
      ++dots;
      run = 0;
      value = 0;
    } else if (c >= '0' && c <= '9' && run < 3) {
      value = value * 10 + static_cast<unsigned>(c - '0');
      if (value > 255) return false;
      ++run;
    } else {
      return false;
    }
  }
  return dots == 3 && run > 0;
}

bool is_loopback(std::string_view host, bool ipv6) {
  if (ipv6) return host == "::1";
  return is_ipv4_loopback(host) || iequals(host, "localhost");
}

}  // namespace

Status parse_endpoint_url(std::string_view url, EndpointUrl* out) {
  // No message below quotes the URL: its userinfo would be a credential.
  EndpointUrl ep;
  if (istarts_with(url, "https://")) {
    url.remove_prefix(8);
  } else if (istarts_with(url, "http://")) {
    url.remove_prefix(7);
    ep.tls = false;
  } else {
    return Status::error(Code::kInvalidArgument, "endpoint URL: must start with https://");
  }
  const std::size_t authority_end = url.find_first_of("/?#");
  std::string_view authority = url.substr(0, authority_end);
  std::string_view path =
      authority_end == std::string_view::npos ? std::string_view() : url.substr(authority_end);
  // Any '@' before a query counts: an unencoded '/' in a password would otherwise
  // end the authority early and hide the userinfo.
  if (url.substr(0, url.find_first_of("?#")).find('@') != std::string_view::npos) {
    return Status::error(Code::kInvalidArgument,
                         "endpoint URL: user name or password (user:pass@) is not allowed");
  }
  if (path.find_first_of("?#") != std::string_view::npos) {
    return Status::error(Code::kInvalidArgument,
                         "endpoint URL: a query (?) or fragment (#) is not allowed");
  }

  std::string_view host, port;
  bool ipv6 = false;
  if (!authority.empty() && authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::error(Code::kInvalidArgument, "endpoint URL: IPv6 address without ']'");
    }
    host = authority.substr(1, close - 1);
    const std::string_view rest = authority.substr(close + 1);
    if (!rest.empty() && rest.front() != ':') {
      return Status::error(Code::kInvalidArgument, "endpoint URL: unexpected text after ']'");
    }
    if (!rest.empty()) port = rest.substr(1);
    ipv6 = true;
    // Hex groups, colons, and dots for an embedded IPv4 tail; no zone ID.
    bool ok = host.find(':') != std::string_view::npos;
    for (const char c : host) ok = ok && (is_hex(c) || c == ':' || c == '.');
    if (!ok) return Status::error(Code::kInvalidArgument, "endpoint URL: bad IPv6 address");
  } else {
    const std::size_t colon = authority.find(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    for (const char c : host) {
      if (!(is_alnum(c) || c == '-' || c == '.' || c == '_')) {
        return Status::error(Code::kInvalidArgument,
                             "endpoint URL: the host has a character not allowed in a host name");
      }
    }
  }
  if (host.empty()) return Status::error(Code::kInvalidArgument, "endpoint URL: no host");
  if (!ep.tls && !is_loopback(host, ipv6)) {
    return Status::error(Code::kInvalidArgument,
                         "endpoint URL: http:// only for a loopback host (127.0.0.0/8, [::1], "
                         "localhost); use https://");
  }

  ep.port = ep.tls ? 443 : 80;
  if (authority.size() > host.size() + (ipv6 ? 2 : 0)) {  // a ':' follows the host
    unsigned value = 0;
    if (port.empty() || port.size() > 5 || !parse_decimal_digits(port, 0, port.size(), &value) || value == 0 ||
        value > 65535) {
      return Status::error(Code::kInvalidArgument, "endpoint URL: port must be 1..65535");
    }
    ep.port = static_cast<std::uint16_t>(value);
  }

  // The prefix is sent as written and signed after the signer's normalization; only
  // plain segments keep those two the same.
  while (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::size_t segment_start = 0;
  for (std::size_t i = 0; i <= path.size(); ++i) {
    if (i < path.size() && path[i] != '/') {
      const char c = path[i];
      const bool escape =
          c == '%' && i + 2 < path.size() && is_hex(path[i + 1]) && is_hex(path[i + 2]);
      if (!(is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~' || escape)) {
        return Status::error(Code::kInvalidArgument,
                             "endpoint URL: the path has a character that must be "
                             "percent-encoded");
      }
      continue;
    }
    if (i > 0) {
      const std::string_view segment = path.substr(segment_start, i - segment_start);
      if (segment.empty() || segment == "." || segment == "..") {
        return Status::error(Code::kInvalidArgument,
                             "endpoint URL: the path has an empty, '.' or '..' segment");
      }
    }
    segment_start = i + 1;
  }

  ep.host = std::string(host);
  ep.host_header = ipv6 ? "[" + ep.host + "]" : ep.host;
  // curl leaves the port out of Host when it is the scheme's default, and the
  // signature must cover exactly what is sent.
  if (ep.port != (ep.tls ? 443 : 80)) ep.host_header.append(":").append(std::to_string(ep.port));
  ep.path_prefix = std::string(path);
  *out = std::move(ep);
  return Status();
}

std::string endpoint_url_from_environment(const Environment& env) {
  for (const char* name : {"AWS_ENDPOINT_URL_BEDROCK_RUNTIME", "AWS_ENDPOINT_URL"}) {
    const char* value = env.get(name);
    if (value != nullptr && value[0] != '\0') return value;
  }
  return std::string();
}

}  // namespace bedrock
}  // namespace edgeroute
