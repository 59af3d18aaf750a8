// Bedrock Runtime: server text made safe to print (see bedrock.h), and the JSON
// "\u0000" escape that cJSON would turn into the end of a string.
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "bedrock_internal.h"
#include "edgeroute/bedrock.h"

namespace edgeroute {
namespace bedrock {
namespace {

constexpr char kReplacement[] = "\xEF\xBF\xBD";  // U+FFFD in UTF-8

// The length of the well-formed UTF-8 sequence at s (RFC 3629, table 3-7 of the
// Unicode standard), or 0 with *bad the length of its maximal ill-formed part (>= 1).
std::size_t utf8_sequence(const unsigned char* s, std::size_t n, std::size_t* bad) {
  const unsigned c = s[0];
  if (c < 0x80) return 1;
  std::size_t len = 0;
  unsigned lo = 0x80, hi = 0xBF;  // the second byte's range
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
  } else if (c == 0xE0) {
    len = 3, lo = 0xA0;
  } else if ((c >= 0xE1 && c <= 0xEC) || c == 0xEE || c == 0xEF) {
    len = 3;
  } else if (c == 0xED) {
    len = 3, hi = 0x9F;  // no surrogates
  } else if (c == 0xF0) {
    len = 4, lo = 0x90;
  } else if (c >= 0xF1 && c <= 0xF3) {
    len = 4;
  } else if (c == 0xF4) {
    len = 4, hi = 0x8F;  // nothing past U+10FFFF
  } else {
    *bad = 1;
    return 0;
  }
  for (std::size_t i = 1; i < len; ++i) {
    const unsigned b = i < n ? s[i] : 0;
    const bool ok = i == 1 ? b >= lo && b <= hi : b >= 0x80 && b <= 0xBF;
    if (i >= n || !ok) {
      *bad = i;
      return 0;
    }
  }
  return len;
}

enum class Keep : std::uint8_t { kText, kLine, kUtf8 };

// What the character at text[i] (a well-formed sequence of len bytes) becomes.
// Returns nullptr to keep it as it is.
const char* replacement(std::string_view text, std::size_t i, std::size_t len, Keep keep) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (keep == Keep::kUtf8) return nullptr;
  if (len == 1) {
    if (c >= 0x20 && c != 0x7F) return nullptr;
    if (c == '\t' || c == '\n') return keep == Keep::kLine ? " " : nullptr;
    if (c == '\r') {
      if (keep == Keep::kLine) return " ";
      return i + 1 < text.size() && text[i + 1] == '\n' ? nullptr : kReplacement;
    }
    return kReplacement;
  }
  // C1 controls, U+0080..U+009F: C2 80..C2 9F.
  if (len == 2 && c == 0xC2 && static_cast<unsigned char>(text[i + 1]) <= 0x9F) return kReplacement;
  return nullptr;
}

// Appends text under `keep`, stopping before the character that would take *out past
// limit bytes; returns the bytes of text consumed.
std::size_t append_filtered(std::string* out, std::string_view text, Keep keep, std::size_t limit) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  std::size_t plain_from = 0, i = 0;
  while (i < text.size()) {
    std::size_t bad = 0;
    const std::size_t len = utf8_sequence(s + i, text.size() - i, &bad);
    const char* with = len == 0 ? kReplacement : replacement(text, i, len, keep);
    const std::size_t step = len == 0 ? bad : len;
    const std::size_t adds = with == nullptr ? step : std::strlen(with);
    if (out->size() + (i - plain_from) + adds > limit) break;
    if (with != nullptr) {
      out->append(text.data() + plain_from, i - plain_from);
      out->append(with);
      plain_from = i + step;
    }
    i += step;
  }
  out->append(text.data() + plain_from, i - plain_from);
  return i;
}

bool is_clean(std::string_view text, Keep keep) {
  const auto* s = reinterpret_cast<const unsigned char*>(text.data());
  for (std::size_t i = 0; i < text.size();) {
    const unsigned c = s[i];
    if (c >= 0x20 && c < 0x7F) {  // the common case, one byte at a time
      ++i;
      continue;
    }
    std::size_t bad = 0;
    const std::size_t len = utf8_sequence(s + i, text.size() - i, &bad);
    if (len == 0 || replacement(text, i, len, keep) != nullptr) return false;
    i += len;
  }
  return true;
}

// Where the next "\u0000" escape starts, or npos. Escapes are read in pairs so that
// an escaped backslash followed by "u0000" is not taken for one.
std::size_t find_nul_escape(std::string_view json, std::size_t from) {
  for (std::size_t i = from; i + 1 < json.size(); ++i) {
    if (json[i] != '\\') continue;
    if (json.compare(i, 6, "\\u0000") == 0) return i;
    ++i;  // skip the escaped character
  }
  return std::string_view::npos;
}

}  // namespace

void append_safe_text(std::string* out, std::string_view text) {
  append_filtered(out, text, Keep::kText, static_cast<std::size_t>(-1));
}

bool is_safe_text(std::string_view text) { return is_clean(text, Keep::kText); }

void append_valid_utf8(std::string* out, std::string_view text) {
  append_filtered(out, text, Keep::kUtf8, static_cast<std::size_t>(-1));
}

void assign_safe_line(std::string* out, std::string_view text, std::size_t max_bytes) {
  out->clear();
  if (text.size() <= max_bytes && is_clean(text, Keep::kLine)) {
    out->assign(text);
    return;
  }
  // Room for the note on what was cut: " ... [4294967295 bytes cut]".
  constexpr std::size_t kNoteBytes = 40;
  const std::size_t limit = max_bytes > kNoteBytes ? max_bytes : kNoteBytes + 1;
  const std::size_t whole = append_filtered(out, text, Keep::kLine, limit);
  if (whole == text.size()) return;
  out->clear();
  const std::size_t kept = append_filtered(out, text, Keep::kLine, limit - kNoteBytes);
  char note[kNoteBytes + 8];
  std::snprintf(note, sizeof note, " ... [%llu bytes cut]",
                static_cast<unsigned long long>(text.size() - kept));
  out->append(note);
}

std::string_view without_nul_escapes(std::string_view json, std::string* scratch) {
  std::size_t at = find_nul_escape(json, 0);
  if (at == std::string_view::npos) return json;
  scratch->assign(json);
  // Same length: positions in the text do not move.
  for (; at != std::string_view::npos; at = find_nul_escape(*scratch, at + 6)) {
    scratch->replace(at, 6, "\\ufffd");
  }
  return *scratch;
}

}  // namespace bedrock
}  // namespace edgeroute
