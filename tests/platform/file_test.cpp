// read_file_bounded: the limit holds whatever the file is, and each failure is one
// line naming the file's role, its path and the reason.
#include "edgeroute/file.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

namespace edgeroute {
namespace {

class ReadFileBounded : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir[] = "/tmp/edgeroute-file-test-XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    dir_ = dir;
  }
  void TearDown() override {
    for (const std::string& f : files_) std::remove(f.c_str());
    rmdir(dir_.c_str());
  }
  std::string write(const char* name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    std::FILE* f = std::fopen(path.c_str(), "wb");
    EXPECT_NE(f, nullptr);
    std::fwrite(text.data(), 1, text.size(), f);
    std::fclose(f);
    files_.push_back(path);
    return path;
  }
  std::string dir_;
  std::vector<std::string> files_;
};

TEST_F(ReadFileBounded, ReadsAFileUpToItsLimit) {
  const std::string path = write("at-limit", std::string(10000, 'x'));
  std::string out;
  ASSERT_TRUE(read_file_bounded(path.c_str(), 10000, "--body", &out).ok());
  EXPECT_EQ(out, std::string(10000, 'x'));
}

TEST_F(ReadFileBounded, OneByteOverTheLimitIsAnError) {
  const std::string path = write("over", std::string(10001, 'x'));
  std::string out = "left over";
  const Status s = read_file_bounded(path.c_str(), 10000, "--body", &out);
  EXPECT_EQ(s.code(), Code::kLimitExceeded);
  EXPECT_EQ(std::string(s.message()), "--body " + path + ": larger than 10000 bytes, the limit for --body");
  EXPECT_TRUE(out.empty());
}

TEST_F(ReadFileBounded, AnEndlessDeviceStopsAtTheLimit) {
  std::string out;
  const Status s = read_file_bounded("/dev/zero", 4096, "--context", &out);
  EXPECT_EQ(s.code(), Code::kLimitExceeded);
  EXPECT_LE(out.capacity(), 64u * 1024u);  // nothing near a large allocation was made
}

TEST_F(ReadFileBounded, ADirectoryIsNamedAsOne) {
  std::string out;
  const Status s = read_file_bounded(dir_.c_str(), 4096, "--body", &out);
  EXPECT_EQ(s.code(), Code::kInvalidArgument);
  EXPECT_EQ(std::string(s.message()), "--body " + dir_ + ": is a directory, not a file");
}

TEST_F(ReadFileBounded, AMissingFileIsNotFoundWithTheReason) {
  std::string out;
  const std::string path = dir_ + "/absent.json";
  const Status s = read_file_bounded(path.c_str(), 4096, "--config", &out);
  EXPECT_EQ(s.code(), Code::kNotFound);
  EXPECT_EQ(std::string(s.message()), "--config " + path + ": cannot open: No such file or directory");
}

TEST_F(ReadFileBounded, AnEmptyFileIsEmpty) {
  std::string out = "x";
  ASSERT_TRUE(read_file_bounded("/dev/null", 4096, "--body", &out).ok());
  EXPECT_TRUE(out.empty());
}

using WriteFileAtomically = ReadFileBounded;

TEST_F(WriteFileAtomically, ReplacesTheFileAndLeavesNoTemporaryBehind) {
  const std::string path = write("cache.json", "old");
  ASSERT_TRUE(write_file_atomically(path.c_str(), "new content", "--out").ok());
  std::string text;
  ASSERT_TRUE(read_file_bounded(path.c_str(), 100, "cache", &text).ok());
  EXPECT_EQ(text, "new content");
  const std::string tmp = path + ".tmp." + std::to_string(static_cast<long>(getpid()));
  EXPECT_NE(access(tmp.c_str(), F_OK), 0);
}

TEST_F(WriteFileAtomically, AMissingDirectoryIsOneLineAndTouchesNothing) {
  const std::string path = dir_ + "/no-such-dir/cache.json";
  const Status s = write_file_atomically(path.c_str(), "x", "--out");
  EXPECT_EQ(s.code(), Code::kIo);
  EXPECT_EQ(std::string(s.message()), "--out " + path + ": cannot create: No such file or directory");
}

}  // namespace
}  // namespace edgeroute
