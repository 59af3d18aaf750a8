// Identifiers on the wire: percent-encoding (every byte but the RFC 3986 unreserved
// ones) and the /model/{id}/{action} request path built from it.
#include <string>
#include <string_view>

#include "bedrock_internal.h"
#include "edgeroute/bedrock.h"

namespace edgeroute {
namespace bedrock {

void append_percent_encoded(std::string* out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (const char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out->push_back(ch);
    } else {
      out->push_back('%');
      out->push_back(kHex[c >> 4]);
      out->push_back(kHex[c & 0xF]);
    }
  }
}

std::string percent_encode(std::string_view text) {
  std::string out;
  out.reserve(text.size() + 8);
  append_percent_encoded(&out, text);
  return out;
}

void append_model_path(std::string* out, std::string_view model_id, std::string_view action) {
  out->append("/model/");
  append_percent_encoded(out, model_id);
  out->push_back('/');
  out->append(action);
}

std::string model_path(std::string_view model_id, std::string_view action) {
  std::string path;
  append_model_path(&path, model_id, action);
  return path;
}

}  // namespace bedrock
}  // namespace edgeroute
