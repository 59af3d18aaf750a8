// The probe state file's reader and writer: what it keeps, what it drops, and that
// nothing in a bad file is believed.
#include <gtest/gtest.h>

#include <string>

#include "edgeroute/catalog.h"
#include "edgeroute/probe_state.h"

namespace edgeroute {
namespace {

constexpr std::int64_t kNowMs = 1764950400000;  // 2025-12-05T16:00:00Z
constexpr std::int64_t kMaxAgeMs = kProbeStateDefaultMaxAgeMs;

class ProbeStateTest : public ::testing::Test {
 protected:
  // A catalog of its own (every configuration has it, the small one without the
  // built-in snapshot included): the state file names regions, not profiles.
  void SetUp() override {
    static const char kCatalog[] = R"({
      "region_sets": {"eu": ["eu-central-1", "eu-west-1", "eu-west-3", "eu-north-1"]},
      "profiles": [
        {"id": "eu.anthropic.claude-haiku-4-5-20251001-v1:0", "model": "anthropic.claude-haiku-4-5-20251001-v1:0",
         "geography": "eu", "sources": {"eu-central-1": ["eu"], "eu-west-1": ["eu"], "eu-west-3": ["eu"],
                                        "eu-north-1": ["eu"]}}
      ]
    })";
    const Status st = catalog_.load_json(kCatalog, "probe-state-test.json", CatalogMerge::kReplace);
    ASSERT_TRUE(st.ok()) << st.message();
  }

  static ProbeSample sample(const char* region, std::int64_t rtt_us, std::int64_t measured_ms) {
    ProbeSample s;
    s.region = region;
    s.endpoint = std::string("bedrock-runtime.") + region + ".amazonaws.com";
    s.rtt_us = rtt_us;
    s.measured_unix_ms = measured_ms;
    s.expires_unix_ms = measured_ms + kMaxAgeMs;
    return s;
  }

  Status parse(const std::string& text, ProbeStateRead* out) {
    return parse_probe_state(text, catalog_, kNowMs, kMaxAgeMs, out);
  }

  Catalog catalog_;
};

TEST_F(ProbeStateTest, WhatIsWrittenReadsBack) {
  const std::string text =
      format_probe_state({sample("eu-central-1", 12000, kNowMs - 1000), sample("eu-west-1", 31000, kNowMs - 2000)});
  ProbeStateRead read;
  ASSERT_TRUE(parse(text, &read).ok()) << text;
  ASSERT_EQ(read.samples.size(), 2u);
  EXPECT_EQ(read.samples[0].region, "eu-central-1");
  EXPECT_EQ(read.samples[0].endpoint, "bedrock-runtime.eu-central-1.amazonaws.com");
  EXPECT_EQ(read.samples[0].rtt_us, 12000);
  EXPECT_EQ(read.samples[1].measured_unix_ms, kNowMs - 2000);
  EXPECT_EQ(read.samples[1].expires_unix_ms, kNowMs - 2000 + kMaxAgeMs);
  EXPECT_EQ(read.dropped, 0u);
}

TEST_F(ProbeStateTest, ExpiredOldAndFutureSamplesAreDropped) {
  ProbeSample short_lived = sample("eu-west-3", 5000, kNowMs - 1000);
  short_lived.expires_unix_ms = kNowMs;  // its own expiry has come
  const std::string text = format_probe_state({
      sample("eu-central-1", 12000, kNowMs - kMaxAgeMs),                     // as old as the limit
      sample("eu-west-1", 31000, kNowMs + kProbeStateClockSlackMs + 1),     // from a wrong clock
      sample("eu-north-1", 40000, kNowMs + kProbeStateClockSlackMs - 1000),  // within the slack: kept
      short_lived,
  });
  ProbeStateRead read;
  ASSERT_TRUE(parse(text, &read).ok());
  ASSERT_EQ(read.samples.size(), 1u);
  EXPECT_EQ(read.samples[0].region, "eu-north-1");
  EXPECT_EQ(read.dropped, 3u);
  // A shorter limit than the file was written with wins.
  ASSERT_TRUE(parse_probe_state(format_probe_state({sample("eu-central-1", 12000, kNowMs - 60000)}), catalog_, kNowMs,
                                60000, &read)
                  .ok());
  EXPECT_EQ(read.samples.size(), 0u);
}

TEST_F(ProbeStateTest, UnknownAndRepeatedRegionsAreDropped) {
  const std::string text = format_probe_state(
      {sample("mars-north-1", 1000, kNowMs), sample("eu-central-1", 12000, kNowMs), sample("eu-central-1", 1, kNowMs)});
  ProbeStateRead read;
  ASSERT_TRUE(parse(text, &read).ok());
  ASSERT_EQ(read.samples.size(), 1u);
  EXPECT_EQ(read.samples[0].rtt_us, 12000);
  EXPECT_EQ(read.dropped, 2u);
}

TEST_F(ProbeStateTest, BadFilesAreOneLineErrorsAndGiveNothing) {
  const struct {
    const char* text;
    const char* message;
  } cases[] = {
      {"", "not JSON"},
      {"{\"format\": \"edgeroute-probe-state/1\", \"regions\": [", "not JSON"},
      {"[1, 2]", "not an edgeroute probe state file"},
      {"{\"regions\": []}", "not an edgeroute probe state file"},
      {"{\"format\": \"edgeroute-probe-state/2\", \"regions\": []}", "not an edgeroute probe state file"},
      {"{\"format\": \"edgeroute-probe-state/1\", \"regions\": {}}", "regions: expected a list"},
      {"{\"format\": \"edgeroute-probe-state/1\", \"regions\": [{\"region\": \"eu-central-1\"}]}", "regions[0]: expected"},
      {"{\"format\": \"edgeroute-probe-state/1\", \"regions\": [{\"region\": \"eu-central-1\", \"endpoint\": \"h\", "
       "\"rtt_us\": -5, \"measured_unix_ms\": 1, \"expires_unix_ms\": 2}]}",
       "regions[0]: expected"},
      {"{\"format\": \"edgeroute-probe-state/1\", \"regions\": [{\"region\": \"eu-central-1\", \"endpoint\": \"h\", "
       "\"rtt_us\": 1.5, \"measured_unix_ms\": 1, \"expires_unix_ms\": 2}]}",
       "regions[0]: expected"},
  };
  for (const auto& c : cases) {
    ProbeStateRead read;
    read.dropped = 99;
    const Status st = parse(c.text, &read);
    EXPECT_EQ(st.code(), Code::kInvalidArgument) << c.text;
    EXPECT_NE(std::string(st.message()).find(c.message), std::string::npos) << st.message();
    EXPECT_EQ(std::string(st.message()).find('\n'), std::string::npos);
    EXPECT_TRUE(read.samples.empty());
    EXPECT_EQ(read.dropped, 0u);
  }
}

TEST_F(ProbeStateTest, SizeIsBounded) {
  std::string text = format_probe_state({sample("eu-central-1", 12000, kNowMs)});
  text.insert(text.size() - 2, kProbeStateMaxBytes, ' ');  // valid JSON, padded past the limit
  ProbeStateRead read;
  const Status st = parse(text, &read);
  EXPECT_EQ(st.code(), Code::kInvalidArgument);
  EXPECT_NE(std::string(st.message()).find("larger than"), std::string::npos) << st.message();
  EXPECT_TRUE(read.samples.empty());
}

}  // namespace
}  // namespace edgeroute
