// credential_process: the command line's words as shlex.split makes them, a real
// helper program run without a shell, bounded in time and output, and Version 1
// JSON. Scripts are written per test into a temporary directory; keys are fake.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include "edgeroute/credentials_remote.h"

namespace edgeroute {
namespace {

constexpr char kSecret[] = "pRoCeSsSeCrEt/K7MDENG+bPxRfiCYzzzz01";

class MapEnvironment final : public Environment {
 public:
  const char* get(const char* name) const override {
    const auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  }
  std::map<std::string, std::string> vars;
};

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> words;
  EXPECT_TRUE(split_command_line(line, &words).ok()) << line;
  return words;
}

TEST(CommandLine, SplitsAsShlexDoes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(split("/usr/bin/helper --profile edge"), (V{"/usr/bin/helper", "--profile", "edge"}));
  EXPECT_EQ(split("  a\t b  "), (V{"a", "b"}));
  EXPECT_EQ(split("'/opt/my tools/helper' 'it''s'"), (V{"/opt/my tools/helper", "its"}));
  EXPECT_EQ(split(R"("a \"quoted\" \\ \$HOME" x)"), (V{R"(a "quoted" \ \$HOME)", "x"}));
  EXPECT_EQ(split(R"(a\ b c\\d)"), (V{"a b", "c\\d"}));
  EXPECT_EQ(split("helper ; rm -rf / $(id) `id` | cat > f"),
            (V{"helper", ";", "rm", "-rf", "/", "$(id)", "`id`", "|", "cat", ">", "f"}));
  EXPECT_EQ(split("''"), (V{""}));
  std::vector<std::string> words;
  for (const char* bad : {"'open", "\"open", "trailing\\", "", "   "}) {
    EXPECT_EQ(split_command_line(bad, &words).code(), Code::kInvalidArgument) << bad;
  }
}

class ProcessTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/edgeroute-process-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
    env_.vars["HOME"] = dir_;
    std::filesystem::create_directories(dir_ + "/.aws");
  }
  void TearDown() override {
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  std::string script(const std::string& name, const std::string& body) {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << "#!/bin/sh\n" << body;
    chmod(path.c_str(), 0700);
    return path;
  }
  void use(const std::string& command) {
    std::ofstream(dir_ + "/.aws/config") << "[default]\ncredential_process = " << command << "\n";
  }
  Status get(AwsCredentials* out, std::int64_t timeout_ms = 10000) {
    return ProcessCredentialsProvider(env_, ProfileOptions(), timeout_ms).get(0, out);
  }
  std::string dir_;
  MapEnvironment env_;
};

TEST_F(ProcessTest, RunsTheHelperWithItsArgumentsAndReadsVersion1Json) {
  // The key ID tells how many arguments arrived and what the first was.
  const std::string helper = script(
      "helper", std::string("id=\"AKIDPROC$#$(printf %s \"$1\" | tr ' ' _)\"\n"
                            "printf '{\"Version\": 1, \"AccessKeyId\": \"%s\", \"SecretAccessKey\": \"") +
                    kSecret + "\", \"SessionToken\": \"tok\", \"Expiration\": \"2030-01-01T00:00:00Z\"}' \"$id\"\n");
  use("'" + helper + "' 'ARG 1'");
  AwsCredentials c;
  const Status s = get(&c);
  ASSERT_TRUE(s.ok()) << s.message();
  EXPECT_EQ(std::string(c.access_key_id()), "AKIDPROC1ARG_1");
  EXPECT_EQ(std::string(c.secret_access_key()), kSecret);
  EXPECT_EQ(std::string(c.session_token()), "tok");
  EXPECT_EQ(c.expiration_utc_ms(), 1893456000000);
  EXPECT_STREQ(c.source(), "process");
}

TEST_F(ProcessTest, ShellSyntaxIsPassedLiterallyNeverRun) {
  const std::string marker = dir_ + "/ran";
  const std::string helper = script("helper", "for a in \"$@\"; do printf '%s\\n' \"$a\"; done\n");
  use(helper + " ; touch " + marker + " $(touch " + marker + ")");
  AwsCredentials c;
  const Status s = get(&c);
  EXPECT_EQ(s.code(), Code::kParseError);  // the helper printed its arguments, not JSON
  EXPECT_FALSE(std::filesystem::exists(marker));
}

TEST_F(ProcessTest, FailuresAreBoundedAndNamed) {
  AwsCredentials c;
  use(script("fails", "echo 'helper: no session' >&2\nexit 3\n"));
  Status s = get(&c);
  EXPECT_EQ(s.code(), Code::kUnavailable);
  EXPECT_EQ(s.backend_code(), 3);
  EXPECT_NE(std::string(s.message()).find("exited with status 3"), std::string::npos) << s.message();

  use(script("sleeps", "exec sleep 30\n"));
  const auto start = std::chrono::steady_clock::now();
  s = get(&c, 300);
  EXPECT_EQ(s.code(), Code::kTimeout) << s.message();
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(5));

  use(script("floods", "exec yes\n"));
  s = get(&c);
  EXPECT_EQ(s.code(), Code::kLimitExceeded) << s.message();

  use(dir_ + "/does-not-exist");
  EXPECT_EQ(get(&c).code(), Code::kNotFound);

  use(script("v2", std::string("echo '{\"Version\": 2, \"AccessKeyId\": \"A\", \"SecretAccessKey\": \"") + kSecret +
                       "\"}'\n"));
  s = get(&c);
  EXPECT_EQ(s.code(), Code::kParseError);
  EXPECT_EQ(std::string(s.message()).find(kSecret), std::string::npos);

  std::ofstream(dir_ + "/.aws/config") << "[default]\nregion = eu-central-1\n";
  EXPECT_EQ(get(&c).code(), Code::kNotFound);
}

}  // namespace
}  // namespace edgeroute
