// HTTP dates (RFC 7231 IMF-fixdate), read from a response's Date header to learn the
// device's clock offset after a clock-skew answer.
#include <cstdint>
#include <string_view>

#include "bedrock_internal.h"
#include "edgeroute/bedrock.h"
#include "edgeroute/civil_date.h"

namespace edgeroute {
namespace bedrock {
namespace {

int month_index(std::string_view m) {
  static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                            "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (m == kMonths[i]) return i;
  }
  return -1;
}

}  // namespace

bool parse_http_date(std::string_view s, std::int64_t* unix_s) {
  // "Sun, 06 Nov 1994 08:49:37 GMT": fixed layout, 29 characters.
  if (s.size() != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' || s[11] != ' ' || s[16] != ' ' ||
      s[19] != ':' || s[22] != ':' || s.substr(25) != " GMT") {
    return false;
  }
  unsigned day = 0, year = 0, hour = 0, minute = 0, second = 0;
  const int month = month_index(s.substr(8, 3));
  if (month < 0 || !parse_decimal_digits(s, 5, 2, &day) || !parse_decimal_digits(s, 12, 4, &year) || !parse_decimal_digits(s, 17, 2, &hour) ||
      !parse_decimal_digits(s, 20, 2, &minute) || !parse_decimal_digits(s, 23, 2, &second)) {
    return false;
  }
  if (day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) return false;
  const std::int64_t days = days_from_civil(year, static_cast<unsigned>(month + 1), day);
  *unix_s = days * 86400 + hour * 3600 + minute * 60 + second;
  return true;
}

}  // namespace bedrock
}  // namespace edgeroute
