// edgeroute/civil_date.h -- days since 1970-01-01 to and from a calendar date.
//
// Proleptic Gregorian calendar in UTC, after Howard Hinnant's days_from_civil and
// civil_from_days ("chrono-Compatible Low-Level Date Algorithms"): exact for every
// year a 64-bit day count can hold, negative days included, no table, no heap,
// usable in constant expressions. SigV4 dates, HTTP Date headers and the catalog's
// end-of-life dates all go through these two.
#ifndef EDGEROUTE_CIVIL_DATE_H
#define EDGEROUTE_CIVIL_DATE_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstdint>

namespace edgeroute {

struct CivilDate {
  std::int64_t year = 1970;
  unsigned month = 1;  // 1..12
  unsigned day = 1;    // 1..31
};

// Days since 1970-01-01 of year-month-day; month 1..12 and day 1..31 (a day past
// the month's end counts on into the next month).
constexpr std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
  year -= month <= 2 ? 1 : 0;
  const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
  const auto yoe = static_cast<unsigned>(year - era * 400);                     // [0, 399]
  const unsigned doy = (153 * (month > 2 ? month - 3 : month + 9) + 2) / 5 + day - 1;  // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;                   // [0, 146096]
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

// The date of a day count (the inverse of days_from_civil).
constexpr CivilDate civil_from_days(std::int64_t days) {
  days += 719468;
  const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const auto doe = static_cast<unsigned>(days - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  CivilDate out;
  out.day = doy - (153 * mp + 2) / 5 + 1;
  out.month = mp < 10 ? mp + 3 : mp - 9;
  out.year = static_cast<std::int64_t>(yoe) + era * 400 + (out.month <= 2 ? 1 : 0);
  return out;
}

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_CIVIL_DATE_H
