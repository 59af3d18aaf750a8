// `--config FILE`: the reader behind it, on files written into a temporary folder.
// Applying the file under the flags is the commands' business, not checked here.
#include "tool_config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

namespace edgeroute {
namespace tool {
namespace {

// Stands in for a secret someone pasted into the file; it must never reach a message.
constexpr const char kSecretValue[] = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";

class ToolConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/edgeroute-tool-config-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }

  std::string write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path, std::ios::binary) << text;
    return path;
  }

  ToolConfig load(const std::string& text) {
    const std::string path = write("gateway.json", text);
    ToolConfig config;
    std::string error;
    EXPECT_TRUE(load_tool_config(path, &config, &error)) << error;
    return config;
  }

  // The message for a refused file, without the "PATH: " every message starts with.
  std::string load_error_at(const std::string& path) {
    ToolConfig config;
    config.region = "left over";
    std::string error;
    EXPECT_FALSE(load_tool_config(path, &config, &error));
    EXPECT_EQ(error.find('\n'), std::string::npos) << error;
    EXPECT_EQ(config.region, "") << "a refused file leaves nothing behind";
    const std::string prefix = path + ": ";
    EXPECT_EQ(error.compare(0, prefix.size(), prefix), 0) << error;
    return error.compare(0, prefix.size(), prefix) == 0 ? error.substr(prefix.size()) : error;
  }
  std::string load_error(const std::string& text) {
    return load_error_at(write("gateway.json", text));
  }

  std::string dir_;
};

TEST_F(ToolConfigTest, ReadsEverySettingOfAFullFile) {
  const ToolConfig c = load(R"({
    "region": "eu-central-1",
    "connect_to": ["eu-central-1=127.0.0.1:8443", "eu-west-1=localhost:8444"],
    "ca_bundle": "/etc/edgeroute/ca.pem",
    "endpoint_url": "https://bedrock.example.internal:8443/",
    "timeouts_ms": {"connect": 3000, "first_byte": 30000, "idle": 20000, "deadline": 120000},
    "routing": {"allow": ["eu", "eu-central-1"], "mode": "weighted",
                "order": ["eu-central-1", "eu-west-1"],
                "weights": {"eu-central-1": 3, "eu-west-1": 1}, "session": "line-7",
                "catalog": "/etc/edgeroute/catalog.json",
                "catalog_extend": ["/etc/edgeroute/site.json"], "probe": true},
    "failover": {"max_attempts": 3},
    "alert": {"command": "/usr/local/bin/page-oncall", "failover_rate": 0.2,
              "non_primary_share": 0.5}
  })");
  EXPECT_EQ(c.region, "eu-central-1");
  EXPECT_EQ(c.connect_to,
            (std::vector<std::string>{"eu-central-1=127.0.0.1:8443", "eu-west-1=localhost:8444"}));
  EXPECT_EQ(c.ca_bundle, "/etc/edgeroute/ca.pem");
  EXPECT_EQ(c.endpoint_url, "https://bedrock.example.internal:8443/");
  EXPECT_EQ(c.connect_timeout_ms, 3000);
  EXPECT_EQ(c.first_byte_timeout_ms, 30000);
  EXPECT_EQ(c.idle_timeout_ms, 20000);
  EXPECT_EQ(c.deadline_ms, 120000);
  EXPECT_EQ(c.allow, "eu,eu-central-1");
  EXPECT_EQ(c.mode, "weighted");
  EXPECT_EQ(c.order, "eu-central-1,eu-west-1");
  EXPECT_EQ(c.weights, "eu-central-1=3,eu-west-1=1");
  EXPECT_EQ(c.session, "line-7");
  EXPECT_EQ(c.catalog, "/etc/edgeroute/catalog.json");
  EXPECT_EQ(c.catalog_extend, (std::vector<std::string>{"/etc/edgeroute/site.json"}));
  EXPECT_TRUE(c.probe);
  EXPECT_TRUE(c.has_probe);
  EXPECT_EQ(c.max_attempts, 3u);
  EXPECT_EQ(c.alert_command, "/usr/local/bin/page-oncall");
  EXPECT_DOUBLE_EQ(c.alert_failover_rate, 0.2);
  EXPECT_DOUBLE_EQ(c.alert_non_primary_share, 0.5);
}

TEST_F(ToolConfigTest, AnEmptyObjectSetsNothing) {
  const ToolConfig c = load("{}\n");
  EXPECT_EQ(c.region, "");
  EXPECT_TRUE(c.connect_to.empty());
  EXPECT_EQ(c.deadline_ms, 0);
  EXPECT_EQ(c.mode, "");
  EXPECT_FALSE(c.has_probe);
  EXPECT_EQ(c.max_attempts, 0u);
  EXPECT_LT(c.alert_failover_rate, 0);
  EXPECT_LT(c.alert_non_primary_share, 0);
}

TEST_F(ToolConfigTest, ListsMayBeCommaSeparatedStrings) {
  const ToolConfig c = load(R"({
    "connect_to": "eu-central-1=127.0.0.1:8443,eu-west-1=127.0.0.1:8444",
    "routing": {"allow": "eu,eu-central-1", "mode": "failover", "order": "eu-central-1,eu-west-1",
                "weights": "eu-central-1=3,eu-west-1=1", "catalog": ["/c.json"],
                "catalog_extend": "/a.json,/b.json", "probe": false}})");
  EXPECT_EQ(c.connect_to,
            (std::vector<std::string>{"eu-central-1=127.0.0.1:8443", "eu-west-1=127.0.0.1:8444"}));
  EXPECT_EQ(c.allow, "eu,eu-central-1");
  EXPECT_EQ(c.order, "eu-central-1,eu-west-1");
  EXPECT_EQ(c.weights, "eu-central-1=3,eu-west-1=1");
  EXPECT_EQ(c.catalog, "/c.json");
  EXPECT_EQ(c.catalog_extend, (std::vector<std::string>{"/a.json", "/b.json"}));
  EXPECT_FALSE(c.probe);
  EXPECT_TRUE(c.has_probe);
}

TEST_F(ToolConfigTest, RelativePathsAreResolvedAgainstTheConfigFilesFolder) {
  const ToolConfig c = load(R"({"ca_bundle": "certs/ca.pem",
    "routing": {"catalog": "catalog.json", "catalog_extend": ["site.json", "/abs/other.json"]}})");
  EXPECT_EQ(c.ca_bundle, dir_ + "/certs/ca.pem");
  EXPECT_EQ(c.catalog, dir_ + "/catalog.json");
  EXPECT_EQ(c.catalog_extend, (std::vector<std::string>{dir_ + "/site.json", "/abs/other.json"}));
  // A config named without a folder is in the working directory: paths stay as given.
  ToolConfig here;
  std::string error;
  ASSERT_TRUE(parse_tool_config(R"({"routing": {"catalog": "catalog.json"}})", "gateway.json",
                                &here, &error))
      << error;
  EXPECT_EQ(here.catalog, "catalog.json");
}

TEST_F(ToolConfigTest, AMissingFileIsNamedWithTheReason) {
  EXPECT_EQ(load_error_at(dir_ + "/absent.json"), "No such file or directory");
}

TEST_F(ToolConfigTest, AFolderIsNotReadable) {
  std::filesystem::create_directory(dir_ + "/folder.json");
  EXPECT_EQ(load_error_at(dir_ + "/folder.json"), "Is a directory");
}

TEST_F(ToolConfigTest, AFileOverOneMebibyteIsRefused) {
  std::string big = "{\"region\": \"" + std::string(kMaxToolConfigBytes, 'a') + "\"}";
  EXPECT_EQ(load_error(big), "larger than 1 MiB; not a config file");
  // Exactly the limit is read (and judged on its content).
  std::string at_limit = "{}";
  at_limit.resize(kMaxToolConfigBytes, ' ');
  ToolConfig c;
  std::string error;
  EXPECT_TRUE(load_tool_config(write("limit.json", at_limit), &c, &error)) << error;
}

TEST_F(ToolConfigTest, MalformedJsonSaysWhereButNotWhat) {
  EXPECT_EQ(
      load_error("{\n  \"region\": \"eu-central-1\",\n  \"routing\": {\"allow\" \"eu\"}\n}\n"),
      "not valid JSON at line 3, column 23");
  EXPECT_EQ(load_error("{\"region\": \"eu-central-1\"} {\"region\": \"x\"}"),
            "unexpected text after the JSON object at line 1, column 28");
  EXPECT_EQ(load_error(" \n"), "empty; expected a JSON object");
  // The text at the error could be a pasted secret.
  EXPECT_EQ(load_error(std::string("{\"region\": ") + kSecretValue + "}").find(kSecretValue),
            std::string::npos);
}

TEST_F(ToolConfigTest, TheTopLevelIsAnObject) {
  EXPECT_EQ(load_error("[\"eu-central-1\"]"), "expected a JSON object");
}

TEST_F(ToolConfigTest, AnUnknownKeyIsAnErrorNamingItsPath) {
  EXPECT_EQ(load_error(R"({"regoin": "eu-central-1"})"),
            "regoin: unknown key (expected region, connect_to, ca_bundle, endpoint_url, "
            "timeouts_ms, routing, "
            "failover, alert, credentials)");
  EXPECT_EQ(load_error(R"({"routing": {"allow": "eu", "mdoe": "latency"}})"),
            "routing.mdoe: unknown key (expected allow, mode, order, weights, session, catalog, "
            "catalog_extend, probe, state_dir)");
  EXPECT_EQ(load_error(R"({"timeouts_ms": {"conect": 10}})"),
            "timeouts_ms.conect: unknown key (expected connect, first_byte, idle, deadline)");
}

TEST_F(ToolConfigTest, AKeyGivenTwiceIsAnError) {
  EXPECT_EQ(load_error(R"({"region": "eu-central-1", "region": "eu-west-1"})"),
            "region: given twice");
  EXPECT_EQ(load_error(R"({"routing": {"weights": {"eu-west-1": 1, "eu-west-1": 2}}})"),
            "routing.weights.eu-west-1: given twice");
}

TEST_F(ToolConfigTest, AWrongTypeNamesTheMemberAndWhatItTakes) {
  EXPECT_EQ(load_error(R"({"region": 5})"), "region: expected a non-empty string");
  EXPECT_EQ(load_error(R"({"region": ""})"), "region: expected a non-empty string");
  EXPECT_EQ(load_error(R"({"routing": ["eu"]})"), "routing: expected an object");
  EXPECT_EQ(load_error(R"({"routing": {"probe": "yes"}})"),
            "routing.probe: expected true or false");
  EXPECT_EQ(load_error(R"({"routing": {"allow": {"eu": true}}})"),
            "routing.allow: expected a list of strings or a comma-separated string");
  EXPECT_EQ(load_error(R"({"routing": {"weights": ["eu-west-1=1"]}})"),
            "routing.weights: expected an object of REGION: WEIGHT or \"R=W,...\"");
  EXPECT_EQ(load_error(R"({"timeouts_ms": {"deadline": "120000"}})"),
            "timeouts_ms.deadline: expected a whole number 1..3600000");
}

TEST_F(ToolConfigTest, AnUnknownModeListsTheModes) {
  EXPECT_EQ(load_error(R"({"routing": {"mode": "fastest"}})"),
            "routing.mode: expected one of latency, failover, weighted");
}

TEST_F(ToolConfigTest, NumbersOutOfRangeAreRefused) {
  EXPECT_EQ(load_error(R"({"timeouts_ms": {"deadline": 0}})"),
            "timeouts_ms.deadline: expected a whole number 1..3600000");
  EXPECT_EQ(load_error(R"({"timeouts_ms": {"deadline": 3600001}})"),
            "timeouts_ms.deadline: expected a whole number 1..3600000");
  EXPECT_EQ(load_error(R"({"timeouts_ms": {"connect": 1.5}})"),
            "timeouts_ms.connect: expected a whole number 1..3600000");
  EXPECT_EQ(load_error(R"({"timeouts_ms": {"idle": 1e400}})"),
            "timeouts_ms.idle: expected a whole number 1..3600000");
  EXPECT_EQ(load_error(R"({"failover": {"max_attempts": 11}})"),
            "failover.max_attempts: expected a whole number 1..10");
  EXPECT_EQ(load_error(R"({"failover": {"max_attempts": 0}})"),
            "failover.max_attempts: expected a whole number 1..10");
  EXPECT_EQ(load_error(R"({"alert": {"failover_rate": 0}})"),
            "alert.failover_rate: expected a number in (0, 1]");
  EXPECT_EQ(load_error(R"({"alert": {"non_primary_share": 1.01}})"),
            "alert.non_primary_share: expected a number in (0, 1]");
  EXPECT_EQ(load_error(R"({"routing": {"weights": {"eu-west-1": 70000}}})"),
            "routing.weights.eu-west-1: expected a whole number 0..65535");
  // The ends of each range are taken.
  const ToolConfig c =
      load(R"({"timeouts_ms": {"deadline": 3600000, "connect": 1}, "failover": {"max_attempts": 10},
                                "alert": {"failover_rate": 1}})");
  EXPECT_EQ(c.deadline_ms, 3600000);
  EXPECT_EQ(c.connect_timeout_ms, 1);
  EXPECT_EQ(c.max_attempts, 10u);
  EXPECT_DOUBLE_EQ(c.alert_failover_rate, 1.0);
}

TEST_F(ToolConfigTest, ListItemsAreNonEmptyAndHoldNoCommas) {
  EXPECT_EQ(load_error(R"({"routing": {"allow": []}})"),
            "routing.allow: expected a non-empty list");
  EXPECT_EQ(load_error(R"({"routing": {"order": ["eu-west-1", "eu-central-1,eu-north-1"]}})"),
            "routing.order[1]: expected a non-empty string without commas");
  EXPECT_EQ(load_error(R"({"routing": {"catalog_extend": ["a.json", 7]}})"),
            "routing.catalog_extend[1]: expected a non-empty string without commas");
  EXPECT_EQ(load_error(R"({"routing": {"allow": "eu,,us"}})"),
            "routing.allow: expected a comma-separated list without empty items");
}

TEST_F(ToolConfigTest, ConnectToEntriesAreCheckedWhereTheyStand) {
  EXPECT_EQ(
      load_error(R"({"connect_to": ["eu-west-1=127.0.0.1:8443", "eu-central-1=127.0.0.1:0"]})"),
      "connect_to[1]: port must be 1..65535");
  EXPECT_EQ(load_error(R"({"connect_to": "eu-central-1"})"),
            "connect_to: expected REGION=HOST:PORT");
  // The parser would quote the region; the file is never quoted.
  EXPECT_EQ(load_error(R"({"connect_to": "EU_Central=127.0.0.1:8443"})"),
            "connect_to: REGION is not a region name (a-z, 0-9, -)");
}

TEST_F(ToolConfigTest, TheEndpointUrlIsCheckedAsTheClientTakesIt) {
  EXPECT_EQ(load_error(R"({"endpoint_url": "bedrock.example.internal"})"),
            "endpoint_url: endpoint URL: must start with https://");
  EXPECT_EQ(load_error(R"({"endpoint_url": "https://host/a?b=c"})").rfind("endpoint_url: endpoint URL:", 0), 0u);
  // User information would be a credential in the file: refused, and not echoed.
  const std::string error =
      load_error(std::string(R"({"endpoint_url": "https://user:)") + kSecretValue + "@host\"}");
  EXPECT_EQ(error, "endpoint_url: endpoint URL: user name or password (user:pass@) is not allowed");
  EXPECT_EQ(load("{\"endpoint_url\": \"http://127.0.0.1:8080\"}").endpoint_url, "http://127.0.0.1:8080");
  EXPECT_EQ(load("{\"endpoint_url\": \"https://[::1]:8443/bedrock\"}").endpoint_url, "https://[::1]:8443/bedrock");
}

TEST_F(ToolConfigTest, TheCatalogIsOneFile) {
  EXPECT_EQ(load_error(R"({"routing": {"catalog": ["a.json", "b.json"]}})"),
            "routing.catalog: expected one file name (more files go in catalog_extend)");
}

TEST_F(ToolConfigTest, TheCredentialsSectionNamesASourceWithPathsFromTheFile) {
  const ToolConfig c = load(R"({"credentials": {"source": "iot", "endpoint": "c2abc.credentials.iot.eu-central-1.amazonaws.com",
      "role_alias": "edge-bedrock", "thing_name": "line-7", "certificate": "device.pem", "key": "device.key",
      "refresh_ms": {"advisory": 20000, "mandatory": 10000, "jitter": 0}}})");
  EXPECT_EQ(c.credentials.source, "iot");
  EXPECT_EQ(c.credentials.role_alias, "edge-bedrock");
  EXPECT_EQ(c.credentials.thing_name, "line-7");
  EXPECT_EQ(c.credentials.identity.certificate_file, dir_ + "/device.pem");
  EXPECT_EQ(c.credentials.identity.key, dir_ + "/device.key");
  EXPECT_EQ(c.credentials.identity.key_type, "PEM");
  EXPECT_EQ(c.credentials.cache.advisory_refresh_ms, 20000);
  EXPECT_EQ(c.credentials.cache.mandatory_refresh_ms, 10000);
  EXPECT_EQ(c.credentials.cache.refresh_jitter_ms, 0);
  // An engine key is an ID, not a path: kept as written.
  const ToolConfig e = load(R"({"credentials": {"source": "iot", "key_type": "ENG", "engine": "pkcs11",
      "key": "pkcs11:object=device-key;type=private", "certificate": "/etc/device.pem"}})");
  EXPECT_EQ(e.credentials.identity.key, "pkcs11:object=device-key;type=private");
  EXPECT_EQ(load_error(R"({"credentials": {"source": "imds"}})"),
            "credentials.source: expected one of default, environment, profile, process, container, iot, rolesanywhere");
  EXPECT_EQ(load_error(R"({"credentials": {"key_type": "DER"}})"), "credentials.key_type: expected PEM or ENG");
}

TEST_F(ToolConfigTest, TheRolesAnywhereSourceTakesArnsRegionAndPathsFromTheFile) {
  const ToolConfig c = load(R"({"credentials": {"source": "rolesanywhere", "certificate": "device.pem",
      "key": "device.key", "chain": "intermediate.pem", "region": "eu-central-1",
      "trust_anchor_arn": "arn:aws:rolesanywhere:eu-central-1:111122223333:trust-anchor/ta",
      "profile_arn": "arn:aws:rolesanywhere:eu-central-1:111122223333:profile/p",
      "role_arn": "arn:aws:iam::111122223333:role/edge", "session_duration_s": 900}})");
  EXPECT_EQ(c.credentials.source, "rolesanywhere");
  EXPECT_EQ(c.credentials.chain_file, dir_ + "/intermediate.pem");
  EXPECT_EQ(c.credentials.identity.key, dir_ + "/device.key");
  EXPECT_EQ(c.credentials.region, "eu-central-1");
  EXPECT_EQ(c.credentials.trust_anchor_arn, "arn:aws:rolesanywhere:eu-central-1:111122223333:trust-anchor/ta");
  EXPECT_EQ(c.credentials.role_arn, "arn:aws:iam::111122223333:role/edge");
  EXPECT_EQ(c.credentials.session_duration_s, 900);
  EXPECT_NE(load_error(R"({"credentials": {"source": "rolesanywhere", "session_duration_s": 60}})")
                .find("credentials.session_duration_s"),
            std::string::npos);
}

TEST_F(ToolConfigTest, ACredentialKeyAnywhereRefusesTheFileWithoutItsValue) {
  const std::string kRefused =
      ": credentials do not belong in the config file (value not shown); give them in the "
      "environment or the "
      "AWS shared files";
  const std::string v = std::string("\"") + kSecretValue + "\"";
  struct Case {
    std::string text, member;
  } const cases[] = {
      {"{\"aws_secret_access_key\": " + v + "}", "aws_secret_access_key"},
      {"{\"secret\": " + v + "}", "secret"},
      {"{\"token\": " + v + "}", "token"},
      {"{\"routing\": {\"allow\": \"eu\", \"session_token\": " + v + "}}", "routing.session_token"},
      {"{\"alert\": {\"Bearer\": " + v + "}}", "alert.Bearer"},
      {"{\"api-key\": " + v + "}", "api-key"},
      {"{\"connect_to\": [{\"aws_access_key_id\": \"AKIDEXAMPLE\"}]}",
       "connect_to[0].aws_access_key_id"},
      // Before any other complaint, however early that one comes; the "credentials"
      // section names a source, and a secret inside it is refused all the same.
      {"{\"regoin\": 1, \"routing\": {\"mode\": \"x\"}, \"credentials\": {\"password\": " + v +
           "}}",
       "credentials.password"},
      {"{\"credentials\": {\"source\": \"iot\", \"aws_secret_access_key\": " + v + "}}",
       "credentials.aws_secret_access_key"},
  };
  for (const Case& c : cases) {
    const std::string error = load_error(c.text);
    EXPECT_EQ(error, c.member + kRefused) << c.member;
    EXPECT_EQ(error.find(kSecretValue), std::string::npos) << c.member;
    EXPECT_EQ(error.find("AKIDEXAMPLE"), std::string::npos) << c.member;
  }
  // "session" (the sticky-session key) is not a credential.
  EXPECT_EQ(load(R"({"routing": {"session": "line-7"}})").session, "line-7");
}

TEST_F(ToolConfigTest, KeysInMessagesStayOnOneLine) {
  const std::string error = load_error("{\"re\\ngion\": 1, \"" + std::string(200, 'k') + "\": 2}");
  EXPECT_EQ(error.substr(0, 18), "re?gion: unknown k");
  const std::string long_key = load_error("{\"" + std::string(200, 'k') + "\": 2}");
  EXPECT_EQ(long_key.substr(0, 67), std::string(64, 'k') + "...");
}

}  // namespace
}  // namespace tool
}  // namespace edgeroute
