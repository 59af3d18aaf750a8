// Files written for others to read (edgeroute/file.h): atomic replacement leaves no
// temporary behind, and a log rotated by size keeps lines whole.
#include "edgeroute/file.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace edgeroute {
namespace {

class FileOutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/edgeroute-file-write-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { (void)std::system(("rm -rf '" + dir_ + "'").c_str()); }
  std::string read(const std::string& path) {
    std::ifstream f(path);
    std::stringstream s;
    s << f.rdbuf();
    return s.str();
  }
  bool exists(const std::string& path) {
    struct stat st;
    return ::stat(path.c_str(), &st) == 0;
  }
  std::string dir_;
};

TEST_F(FileOutTest, AtomicWriteReplacesTheWholeFileAndLeavesNoTemporary) {
  const std::string path = dir_ + "/edgeroute.prom";
  ASSERT_TRUE(write_file_atomically(path.c_str(), "first\n", "metrics").ok());
  ASSERT_TRUE(write_file_atomically(path.c_str(), "second, longer\n", "metrics").ok());
  EXPECT_EQ(read(path), "second, longer\n");
  EXPECT_FALSE(exists(path + ".tmp." + std::to_string(static_cast<long>(getpid()))));
}

TEST_F(FileOutTest, RotatingFileKeepsLinesWholeAndTheNewestFiles) {
  const std::string path = dir_ + "/audit.jsonl";
  RotatingFile file;
  RotatingFile::Options options;
  options.max_bytes = 1024;
  options.keep = 2;
  ASSERT_TRUE(file.open(path, options, "audit trail").ok());
  const std::string line = std::string(299, 'a') + "\n";  // three fit in 1024 bytes, four do not
  for (int i = 0; i < 12; ++i) ASSERT_TRUE(file.append(line).ok());
  // 12 lines, 3 a file: the current one and two rotated; the oldest dropped.
  EXPECT_EQ(read(path).size(), 3 * line.size());
  EXPECT_EQ(read(path + ".1").size(), 3 * line.size());
  EXPECT_EQ(read(path + ".2").size(), 3 * line.size());
  EXPECT_FALSE(exists(path + ".3"));
}

TEST_F(FileOutTest, RotatingFileContinuesAnExistingFile) {
  const std::string path = dir_ + "/audit.jsonl";
  {
    RotatingFile file;
    ASSERT_TRUE(file.open(path, RotatingFile::Options(), "audit trail").ok());
    ASSERT_TRUE(file.append("one\n").ok());
  }
  RotatingFile again;
  ASSERT_TRUE(again.open(path, RotatingFile::Options(), "audit trail").ok());
  EXPECT_EQ(again.size(), 4u);
  ASSERT_TRUE(again.append("two\n").ok());
  EXPECT_EQ(read(path), "one\ntwo\n");
}

TEST_F(FileOutTest, RotatingFileRefusesBadOptionsAndDirectories) {
  RotatingFile file;
  RotatingFile::Options none;
  none.keep = 0;
  EXPECT_EQ(file.open(dir_ + "/a", none, "audit trail").code(), Code::kInvalidArgument);
  RotatingFile::Options tiny;
  tiny.max_bytes = 10;
  EXPECT_EQ(file.open(dir_ + "/a", tiny, "audit trail").code(), Code::kInvalidArgument);
  const Status st = file.open(dir_, RotatingFile::Options(), "audit trail");
  EXPECT_FALSE(st.ok());
  EXPECT_NE(std::string(st.message()).find("audit trail " + dir_), std::string::npos) << st.message();
}

}  // namespace
}  // namespace edgeroute
