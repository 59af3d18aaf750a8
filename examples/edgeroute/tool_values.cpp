// The tool's value syntax: see tool_values.h.
#include "tool_values.h"

#include <cstdlib>
#include <utility>

namespace edgeroute {
namespace tool {

bool parse_whole_number(std::string_view text, std::int64_t min, std::int64_t max, std::int64_t* out) {
  if (text.empty()) return false;
  std::int64_t v = 0;
  for (const char c : text) {
    if (c < '0' || c > '9') return false;
    // Stops before overflow: past max is refused anyway.
    if (v > (max - (c - '0')) / 10) return false;
    v = v * 10 + (c - '0');
  }
  if (v < min) return false;
  *out = v;
  return true;
}

bool parse_decimal(std::string_view text, double* out) {
  const std::size_t dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  const std::string_view fraction = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  const auto digits = [](std::string_view s) {
    if (s.empty() || s.size() > 32) return false;
    for (const char c : s) {
      if (c < '0' || c > '9') return false;
    }
    return true;
  };
  if (!digits(whole) || (dot != std::string_view::npos && !digits(fraction))) return false;
  *out = std::strtod(std::string(text).c_str(), nullptr);  // checked above: plain decimal
  return true;
}

bool parse_list(std::string_view text, std::vector<std::string>* items) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = text.find(',', start);
    const std::string_view item = text.substr(start, comma == std::string_view::npos ? comma : comma - start);
    if (item.empty()) return false;
    parts.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  *items = std::move(parts);
  return true;
}

}  // namespace tool
}  // namespace edgeroute
