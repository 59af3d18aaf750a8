// `edgeroute converse|invoke|route --config FILE`: the settings a gateway operator
// ships as one JSON file instead of a dozen flags. Flags given on the command line
// override the file; applying the file is the caller's business, this reads and
// validates it.
//
// The file (every member optional):
//
//   {"region": "eu-central-1",
//    "connect_to": ["eu-central-1=127.0.0.1:8443"],
//    "ca_bundle": "/etc/edgeroute/ca.pem",
//    "endpoint_url": "https://bedrock.example.internal",
//    "timeouts_ms": {"connect": 3000, "first_byte": 30000, "idle": 30000, "deadline": 120000},
//    "routing": {"allow": ["eu", "eu-central-1"],
//                "mode": "failover",
//                "order": ["eu-central-1", "eu-west-1"],
//                "weights": {"eu-central-1": 3, "eu-west-1": 1},
//                "session": "line-7",
//                "catalog": "catalog.json",
//                "catalog_extend": ["site-profiles.json"],
//                "probe": true},
//    "failover": {"max_attempts": 3},
//    "alert": {"command": "/usr/local/bin/page-oncall",
//              "failover_rate": 0.2, "non_primary_share": 0.5}}
//
// - Lists (connect_to, routing.allow, .order, .catalog_extend) are JSON arrays of
//   strings or one comma-separated string; routing.weights is an object of
//   REGION: WEIGHT (0..65535) or the flag's "R=W,..." text. Each is normalized to
//   the text the matching flag takes.
// - routing.catalog is one file (a one-element array is accepted too). Relative
//   catalog and ca_bundle paths are resolved against the config file's directory,
//   so a config shipped with its catalog works from any working directory.
// - Timeouts are whole milliseconds 1..3600000 (the range of --deadline-ms);
//   failover.max_attempts is 1..10; alert rates are in (0, 1].
// - Unknown keys and keys given twice are errors: a misspelled setting must not be
//   ignored silently.
// - The file may hold no credentials: a key that looks like one ("secret",
//   "token", "session_token", "bearer", "api_key", "password", "access_key", ...)
//   anywhere refuses the whole file, naming the key but never its value.
//   Credentials come from the environment or the AWS shared files.
#ifndef EDGEROUTE_EXAMPLES_TOOL_CONFIG_H
#define EDGEROUTE_EXAMPLES_TOOL_CONFIG_H

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edgeroute/credentials_setup.h"

namespace edgeroute {
namespace tool {

// Largest config file read, bytes: a config is a few hundred bytes; anything near
// this is the wrong file.
constexpr std::size_t kMaxToolConfigBytes = 1024 * 1024;

// What the file sets. Empty, zero, negative or has_X false: not in the file.
struct ToolConfig {
  std::string region;                   // --region
  std::vector<std::string> connect_to;  // --connect-to each, "REGION=HOST:PORT" (checked)
  std::string ca_bundle;                // --ca-bundle, resolved
  std::string endpoint_url;             // AWS_ENDPOINT_URL_BEDROCK_RUNTIME's place
  std::int64_t deadline_ms = 0;         // --deadline-ms
  std::int64_t connect_timeout_ms = 0;
  std::int64_t first_byte_timeout_ms = 0;
  std::int64_t idle_timeout_ms = 0;

  // routing: the RoutingFlags texts.
  std::string allow;                        // --allow "eu,eu-central-1"
  std::string mode;                         // --mode: latency, failover or weighted
  std::string order;                        // --order "eu-central-1,eu-west-1"
  std::string weights;                      // --weights "eu-central-1=3,eu-west-1=1"
  std::string session;                      // --session
  std::string catalog;                      // --catalog (CatalogFiles::replace), resolved
  std::vector<std::string> catalog_extend;  // --catalog-extend each, resolved
  bool probe = false;                       // --probe, when has_probe
  bool has_probe = false;
  std::string state_dir;                    // --state-dir, resolved

  std::uint32_t max_attempts = 0;  // failover.max_attempts

  // The alert hook: the command runs when a share crosses its threshold.
  std::string alert_command;
  // "credentials": which source signs (never a secret: names, paths, windows).
  CredentialsOptions credentials;
  double alert_failover_rate = -1;
  double alert_non_primary_share = -1;
};

// Reads and validates the file at `path` into *out (reset first). On failure
// returns false with a one-line *error naming the file and the JSON path of the
// bad member, e.g.
//   gateway.json: routing.mode: expected one of latency, failover, weighted
// Messages never quote a value from the file (it could be a misplaced secret).
bool load_tool_config(const std::string& path, ToolConfig* out, std::string* error);

// The same for text already read; `path` names the file in errors and anchors
// relative paths.
bool parse_tool_config(const std::string& text, const std::string& path, ToolConfig* out,
                       std::string* error);

}  // namespace tool
}  // namespace edgeroute

#endif  // EDGEROUTE_EXAMPLES_TOOL_CONFIG_H
