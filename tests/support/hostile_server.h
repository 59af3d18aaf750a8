// tests/support/hostile_server.py from C++: one deliberately broken endpoint on
// 127.0.0.1 per test case. start() waits (bounded) until it listens; stop() and the
// destructor always terminate and reap it. The server also stops by itself after
// --max-seconds, so a test that crashes does not leave it running.
#ifndef EDGEROUTE_TESTS_SUPPORT_HOSTILE_SERVER_H
#define EDGEROUTE_TESTS_SUPPORT_HOSTILE_SERVER_H

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace edgeroute {
namespace testing_support {

class HostileServer {
 public:
  static constexpr int kReadyTimeoutMs = 10000;
  static constexpr int kStopTimeoutMs = 5000;

  HostileServer() = default;
  HostileServer(const HostileServer&) = delete;
  HostileServer& operator=(const HostileServer&) = delete;
  ~HostileServer() { stop(); }

  // mode: one of hostile_server.py's modes; extra: more of its flags.
  bool start(const std::string& mode, std::string* error, const std::vector<std::string>& extra = {}) {
    char dir_template[] = "/tmp/edgeroute-hostile-XXXXXX";
    if (mkdtemp(dir_template) == nullptr) {
      *error = "mkdtemp failed";
      return false;
    }
    dir_ = dir_template;
    const std::string ready = dir_ + "/ready.json", log = dir_ + "/server.log";
    const std::string script = std::string(EDGEROUTE_SOURCE_DIR) + "/tests/support/hostile_server.py";
    std::vector<std::string> args = {"python3", script, "--mode", mode, "--ready-file", ready,
                                     "--max-seconds", "120"};
    args.insert(args.end(), extra.begin(), extra.end());
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(&a[0]);
    argv.push_back(nullptr);
    pid_ = fork();
    if (pid_ < 0) {
      *error = "fork failed";
      return false;
    }
    if (pid_ == 0) {
      const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
      if (fd >= 0) {
        dup2(fd, 1);
        dup2(fd, 2);
      }
      execvp("python3", argv.data());
      _exit(127);
    }
    for (int waited_ms = 0; waited_ms < kReadyTimeoutMs; waited_ms += 20) {
      if (std::filesystem::exists(ready)) {
        const std::string text = read(ready);
        const std::size_t at = text.find("\"port\": ");
        if (at != std::string::npos) port_ = static_cast<std::uint16_t>(std::atoi(text.c_str() + at + 8));
        if (port_ != 0) return true;
        *error = "ready file without a port: " + text;
        return false;
      }
      int wstatus = 0;
      if (waitpid(pid_, &wstatus, WNOHANG) == pid_) {
        pid_ = -1;
        *error = "hostile server exited: " + read(log);
        return false;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    *error = "hostile server not ready in time: " + read(log);
    return false;
  }

  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      bool reaped = false;
      for (int waited_ms = 0; waited_ms < kStopTimeoutMs && !reaped; waited_ms += 20) {
        int wstatus = 0;
        reaped = waitpid(pid_, &wstatus, WNOHANG) == pid_;
        if (!reaped) std::this_thread::sleep_for(std::chrono::milliseconds(20));
      }
      if (!reaped) {
        kill(pid_, SIGKILL);
        int wstatus = 0;
        waitpid(pid_, &wstatus, 0);
      }
      pid_ = -1;
    }
    if (!dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(dir_, ignored);
      dir_.clear();
    }
  }

  std::uint16_t port() const { return port_; }
  // The endpoint URL a client is given (plain HTTP: loopback only).
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

 private:
  static std::string read(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::string dir_;
};

}  // namespace testing_support
}  // namespace edgeroute

#endif  // EDGEROUTE_TESTS_SUPPORT_HOSTILE_SERVER_H
