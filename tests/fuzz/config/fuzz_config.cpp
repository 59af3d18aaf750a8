// Fuzz target for the `--config FILE` reader (examples/edgeroute/tool_config.h).
//
// Every input is one config file's text, read by parse_tool_config as "fuzz.json".
// Invariants: nothing crashes or leaks (ASan); a refusal is one line that starts
// with "fuzz.json: " and never repeats a string value of the file (a misplaced
// secret must not reach a log): a value longer than kShownValueBytes may appear in
// the message only where the message's own text or the file's keys (which errors
// do name) already account for it; an accepted file holds only what the header
// documents (timeouts 1..3600000 ms, max_attempts 1..10, alert rates in (0, 1],
// a known mode, connect_to entries and an endpoint URL the client takes, lists
// without empty items).
//
// Two builds of this file:
//   config_fuzzer          libFuzzer (clang): config_fuzzer -max_total_time=30 seeds/
//   fuzz_config_replay     plain main (any compiler; ../replay_main.h), run by ctest:
//                          fuzz_config_replay [--generated N] SEED_DIR...
//                          runs the seeds, then N deterministic mutations of them.
#include <cjson/cJSON.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "edgeroute/bedrock.h"
#include "tool_config.h"

namespace {

using namespace edgeroute;

const std::string kPath = "fuzz.json";
// Shorter values may coincide with words of the message ("eu", "failover").
constexpr std::size_t kShownValueBytes = 8;
constexpr std::int64_t kMaxTimeoutMs = 3600LL * 1000;

[[noreturn]] void fail(const char* what, const std::string& detail = std::string()) {
  std::fprintf(stderr, "config fuzz: invariant broken: %s%s%s\n", what, detail.empty() ? "" : ": ",
               detail.c_str());
  std::abort();
}

// The reader's own words: every fixed text its messages (and the client's URL and
// connect-to parsers it quotes) are made of. A value that is one of these, or part
// of one, is not a leak when it shows up. A new message there belongs here too, or
// the fuzzer reports a value that merely spells it.
const char* const kMessageText[] = {
    "expected a JSON object",
    ("credentials do not belong in the config file (value not shown); give them in the environment or "
     "the AWS shared files"),
    "unknown key (expected ",
    "region, connect_to, ca_bundle, endpoint_url, timeouts_ms, routing, failover, alert, credentials",
    ("source, profile, endpoint, role_alias, thing_name, certificate, key, key_type, engine, chain, "
     "trust_anchor_arn, profile_arn, role_arn, region, session_duration_s, refresh_ms"),
    "connect, first_byte, idle, deadline",
    "allow, mode, order, weights, session, catalog, catalog_extend, probe, state_dir", "max_attempts",
    "command, failover_rate, non_primary_share", "given twice", "expected an object",
    "expected a non-empty string", "expected a comma-separated list without empty items",
    "expected a non-empty string without commas", "expected a non-empty list",
    "expected a list of strings or a comma-separated string", "expected a whole number ",
    "REGION is not a region name (a-z, 0-9, -)", "expected one of latency, failover, weighted",
    "expected true or false", "expected an object of REGION: WEIGHT or \"R=W,...\"",
    "expected a region name", "expected one file name (more files go in catalog_extend)",
    "expected a number in (0, 1]", "empty; expected a JSON object",
    "unexpected text after the JSON object", "not valid JSON", " at line ", ", column ",
    "routing.mode", "routing.probe", "routing.weights", "routing.catalog", "failover.max_attempts",
    "connect_to", "endpoint_url", "timeouts_ms", "expected REGION=HOST:PORT", "port must be 1..65535",
    "endpoint URL: ", "must start with https://", "user name or password (user:pass@) is not allowed",
    "a query (?) or fragment (#) is not allowed", "IPv6 address without ']'",
    "unexpected text after ']'", "bad IPv6 address",
    "the host has a character not allowed in a host name", "the host has a space or control character", "no host",
    "http:// only for a loopback host (127.0.0.0/8, [::1], localhost); use https://",
    "the path has a character that must be percent-encoded", "the path has an empty, '.' or '..' segment",
};

// A key as the reader shows it in a member path (tool_config.cpp's shown_key).
std::string shown_key(const char* key) {
  if (*key == '\0') return "\"\"";
  std::string out;
  for (const char* p = key; *p != '\0'; ++p) {
    if (out.size() == 64) return out + "...";
    const unsigned char c = static_cast<unsigned char>(*p);
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  return out;
}

void collect(const cJSON* node, std::vector<std::string>* keys, std::vector<std::string>* values) {
  for (const cJSON* item = node->child; item != nullptr; item = item->next) {
    if (item->string != nullptr) keys->push_back(shown_key(item->string));
    if (cJSON_IsString(item) && item->valuestring != nullptr) values->emplace_back(item->valuestring);
    collect(item, keys, values);
  }
}

void mark(const std::string& error, std::string_view text, std::vector<bool>* covered) {
  if (text.empty()) return;
  for (std::size_t at = error.find(text); at != std::string::npos; at = error.find(text, at + 1)) {
    std::fill(covered->begin() + static_cast<std::ptrdiff_t>(at),
              covered->begin() + static_cast<std::ptrdiff_t>(at + text.size()), true);
  }
}

// Fails when a string value of the file shows up in `error` anywhere the
// message's own text and the file's keys do not account for.
void check_no_value_quoted(const std::string& text, const std::string& error) {
  std::unique_ptr<cJSON, decltype(&cJSON_Delete)> root(
      cJSON_ParseWithLengthOpts(text.data(), text.size(), nullptr, false), cJSON_Delete);
  if (!root) return;  // no values: the message can only say where parsing stopped
  std::vector<std::string> keys, values;
  if (cJSON_IsString(root.get()) && root->valuestring != nullptr) values.emplace_back(root->valuestring);
  collect(root.get(), &keys, &values);
  std::vector<bool> covered(error.size(), false);
  mark(error, kPath + ": ", &covered);
  for (const char* words : kMessageText) mark(error, words, &covered);
  for (const std::string& key : keys) mark(error, key, &covered);
  // Separators of member paths, numbers (indexes, limits, line and column).
  for (std::size_t i = 0; i < error.size(); ++i) {
    const char c = error[i];
    if ((c >= '0' && c <= '9') || std::strchr(" .:[],()\"?", c) != nullptr) covered[i] = true;
  }
  for (const std::string& value : values) {
    if (value.size() <= kShownValueBytes) continue;
    for (std::size_t at = error.find(value); at != std::string::npos; at = error.find(value, at + 1)) {
      for (std::size_t i = at; i < at + value.size(); ++i) {
        if (!covered[i]) {
          // Where, not what: the message itself shows the value.
          fail("the error quotes a value of the file",
               error + " (bytes " + std::to_string(at) + ".." + std::to_string(at + value.size()) + ")");
        }
      }
    }
  }
}

void check_list_text(const std::string& list, const char* what) {
  if (list.empty()) return;
  if (list.front() == ',' || list.back() == ',' || list.find(",,") != std::string::npos) {
    fail("list with an empty item", what);
  }
}

void check_accepted(const tool::ToolConfig& c) {
  for (const std::int64_t ms : {c.deadline_ms, c.connect_timeout_ms, c.first_byte_timeout_ms, c.idle_timeout_ms}) {
    if (ms != 0 && (ms < 1 || ms > kMaxTimeoutMs)) fail("timeout outside 1..3600000 ms");
  }
  if (c.max_attempts > 10) fail("max_attempts outside 1..10");
  for (const double rate : {c.alert_failover_rate, c.alert_non_primary_share}) {
    if (rate != -1 && !(rate > 0.0 && rate <= 1.0)) fail("alert rate outside (0, 1]");
  }
  if (!c.mode.empty() && c.mode != "latency" && c.mode != "failover" && c.mode != "weighted") {
    fail("unknown routing mode accepted");
  }
  if (!c.has_probe && c.probe) fail("probe set without has_probe");
  for (const std::string& entry : c.connect_to) {
    ConnectTo parsed;
    if (!parse_connect_to(entry, &parsed).ok()) fail("connect_to entry the client refuses");
  }
  bedrock::EndpointUrl url;
  if (!c.endpoint_url.empty() && !bedrock::parse_endpoint_url(c.endpoint_url, &url).ok()) {
    fail("endpoint URL the client refuses");
  }
  check_list_text(c.allow, "routing.allow");
  check_list_text(c.order, "routing.order");
  for (const std::string& file : c.catalog_extend) {
    if (file.empty()) fail("empty catalog_extend file");
  }
  for (const std::string* s : {&c.region, &c.ca_bundle, &c.session, &c.alert_command}) {
    if (s->find('\0') != std::string::npos) fail("a string with a NUL accepted");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  tool::ToolConfig config;
  std::string error;
  if (tool::parse_tool_config(text, kPath, &config, &error)) {
    check_accepted(config);
    return 0;
  }
  if (error.rfind(kPath + ": ", 0) != 0) fail("error does not start with the file name", error);
  if (error.size() == kPath.size() + 2) fail("error says nothing after the file name");
  if (error.find_first_of(std::string("\n\r\0", 3)) != std::string::npos) fail("error is not one line", error);
  check_no_value_quoted(text, error);
  return 0;
}

#if defined(EDGEROUTE_FUZZ_REPLAY)

#include "replay_main.h"

// No built-in seeds: they come from the directories named on the command line.
int main(int argc, char** argv) {
  return edgeroute::fuzz::replay_main(argc, argv, {"fuzz_config_replay"});
}

#endif  // EDGEROUTE_FUZZ_REPLAY
