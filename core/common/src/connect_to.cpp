#include "edgeroute/connect_to.h"

namespace edgeroute {

Status parse_connect_to(std::string_view text, ConnectTo* out) {
  // Quoted at most this long: the text is the caller's, and the line stays one line.
  const int shown = static_cast<int>(text.size() < 200 ? text.size() : 200);
  const std::size_t eq = text.find('=');
  const std::size_t colon = text.rfind(':');
  if (eq == std::string_view::npos || colon == std::string_view::npos || colon < eq || eq == 0 ||
      colon == eq + 1) {
    return Status::error(Code::kInvalidArgument, "connect-to '%.*s': expected REGION=HOST:PORT", shown, text.data());
  }
  const std::string_view region = text.substr(0, eq), host = text.substr(eq + 1, colon - eq - 1),
                         port = text.substr(colon + 1);
  for (const char c : region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) {
      return Status::error(Code::kInvalidArgument, "connect-to '%.*s': '%.*s' is not a region name", shown,
                           text.data(), static_cast<int>(region.size() < 64 ? region.size() : 64), region.data());
    }
  }
  for (const char c : host) {
    if (static_cast<unsigned char>(c) <= ' ' || c == 0x7f) {
      return Status::error(Code::kInvalidArgument, "connect-to '%.*s': the host has a space or control character",
                           shown, text.data());
    }
  }
  unsigned value = 0;
  bool digits = !port.empty() && port.size() <= 5;
  for (const char c : port) {
    digits = digits && c >= '0' && c <= '9';
    if (digits) value = value * 10 + static_cast<unsigned>(c - '0');
  }
  if (!digits || value == 0 || value > 65535) {
    return Status::error(Code::kInvalidArgument, "connect-to '%.*s': port must be 1..65535", shown, text.data());
  }
  out->region = std::string(region);
  out->host = std::string(host);
  out->port = static_cast<std::uint16_t>(value);
  return Status();
}

}  // namespace edgeroute
