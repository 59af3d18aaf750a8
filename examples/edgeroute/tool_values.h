// The syntax of the tool's values, one parser each, shared by the flags and the
// --config reader so that both take and refuse exactly the same text.
#ifndef EDGEROUTE_EXAMPLES_TOOL_VALUES_H
#define EDGEROUTE_EXAMPLES_TOOL_VALUES_H

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace edgeroute {
namespace tool {

// A whole decimal number in min..max: ASCII digits only. A sign, spaces, a
// fraction, an exponent or an empty text are refused (the JSON config has no
// such spellings either); so is a number that does not fit.
bool parse_whole_number(std::string_view text, std::int64_t min, std::int64_t max, std::int64_t* out);

// A plain decimal fraction or whole number ("0.2", "1"): digits, at most one '.'
// with digits on both sides. No sign, spaces, exponent, hex, "inf" or "nan".
bool parse_decimal(std::string_view text, double* out);

// A comma-separated list of non-empty items ("eu,us-east-1"). An empty text, or an
// empty item (a leading, trailing or doubled comma: "eu,") is refused. *items
// gets the items as written (spaces are the consumer's to judge).
bool parse_list(std::string_view text, std::vector<std::string>* items);

}  // namespace tool
}  // namespace edgeroute

#endif  // EDGEROUTE_EXAMPLES_TOOL_VALUES_H
