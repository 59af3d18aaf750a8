// edgeroute/ascii.h -- case-insensitive comparison of ASCII names.
//
// HTTP header names, AWS shared-file keys and URL schemes compare without regard to
// ASCII case. Only A-Z fold; every other byte, UTF-8 included, compares as itself,
// whatever the C locale says. No heap, no locale, usable in constant expressions.
#ifndef EDGEROUTE_ASCII_H
#define EDGEROUTE_ASCII_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <string_view>

namespace edgeroute {

constexpr char ascii_lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

// a and b are equal once A-Z are folded to a-z.
constexpr bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (ascii_lower(a[i]) != ascii_lower(b[i])) return false;
  }
  return true;
}

// s begins with prefix, A-Z folded in both.
constexpr bool istarts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && iequals(s.substr(0, prefix.size()), prefix);
}

// <0, 0 or >0 as the lowercase forms of a and b compare bytewise (unsigned).
constexpr int icompare(std::string_view a, std::string_view b) {
  const std::size_t n = a.size() < b.size() ? a.size() : b.size();
  for (std::size_t i = 0; i < n; ++i) {
    const auto ca = static_cast<unsigned char>(ascii_lower(a[i]));
    const auto cb = static_cast<unsigned char>(ascii_lower(b[i]));
    if (ca != cb) return ca < cb ? -1 : 1;
  }
  if (a.size() == b.size()) return 0;
  return a.size() < b.size() ? -1 : 1;
}

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_ASCII_H
