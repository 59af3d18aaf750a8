#include "edgeroute/process.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

extern char** environ;

namespace edgeroute {

namespace {

std::int64_t now_ms() {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<std::int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// Waits for the child, retrying on EINTR; its status, or -1 with errno.
int reap(pid_t pid, int* status) {
  for (;;) {
    const pid_t r = waitpid(pid, status, 0);
    if (r == pid) return 0;
    if (r < 0 && errno != EINTR) return -1;
  }
}

// Whether `name` names a program this process may execute: a path is checked as given, a bare name
// against each PATH entry, as posix_spawnp would search. Checked before spawning because some
// environments (user-mode emulators among them) cannot report a failed exec from the child and
// the failure would otherwise look like the program exiting with status 127.
int find_program(const char* name) {
  if (std::strchr(name, '/') != nullptr) return access(name, X_OK) == 0 ? 0 : errno;
  const char* path = std::getenv("PATH");
  if (path == nullptr || *path == '\0') path = "/usr/local/bin:/usr/bin:/bin";
  int last = ENOENT;
  std::string candidate;
  for (const char* p = path;;) {
    const char* end = std::strchr(p, ':');
    const std::size_t len = end != nullptr ? static_cast<std::size_t>(end - p) : std::strlen(p);
    candidate.assign(p, len);
    if (candidate.empty()) candidate = ".";
    candidate += '/';
    candidate += name;
    if (access(candidate.c_str(), X_OK) == 0) return 0;
    if (errno == EACCES) last = EACCES;
    if (end == nullptr) break;
    p = end + 1;
  }
  return last;
}

}  // namespace

Status run_process(const std::vector<std::string>& argv, std::size_t max_stdout_bytes, std::int64_t timeout_ms,
                   std::string* out) {
  out->clear();
  if (argv.empty() || argv[0].empty()) return Status::error(Code::kInvalidArgument, "no program to run");
  const char* name = argv[0].c_str();
  std::vector<char*> args;
  for (const std::string& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  const int missing = find_program(name);
  if (missing != 0) {
    return Status::error_with_backend(Code::kNotFound, missing, "%s: cannot run: %s", name, std::strerror(missing));
  }

  int pipe_fds[2];
  if (pipe2(pipe_fds, O_CLOEXEC) != 0) {
    return Status::error_with_backend(Code::kIo, errno, "%s: cannot create a pipe: %s", name, std::strerror(errno));
  }
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, pipe_fds[1], 1);
  pid_t pid = -1;
  const int spawned = posix_spawnp(&pid, name, &actions, nullptr, args.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  close(pipe_fds[1]);
  if (spawned != 0) {
    close(pipe_fds[0]);
    return Status::error_with_backend(spawned == ENOENT || spawned == EACCES ? Code::kNotFound : Code::kIo, spawned,
                                      "%s: cannot run: %s", name, std::strerror(spawned));
  }

  out->reserve(max_stdout_bytes + 1);
  const std::int64_t deadline = now_ms() + timeout_ms;
  Status result;
  char buf[4096];
  for (;;) {
    const std::int64_t left = deadline - now_ms();
    if (left <= 0) {
      result = Status::error(Code::kTimeout, "%s: still running after %lld ms; killed", name,
                             static_cast<long long>(timeout_ms));
      break;
    }
    struct pollfd p = {pipe_fds[0], POLLIN, 0};
    const int ready = poll(&p, 1, static_cast<int>(left > 1000 ? 1000 : left));
    if (ready < 0 && errno != EINTR) {
      result = Status::error_with_backend(Code::kIo, errno, "%s: poll: %s", name, std::strerror(errno));
      break;
    }
    if (ready <= 0) continue;
    const ssize_t n = read(pipe_fds[0], buf, sizeof buf);
    if (n == 0) break;  // end of output
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      result = Status::error_with_backend(Code::kIo, errno, "%s: read: %s", name, std::strerror(errno));
      break;
    }
    if (out->size() + static_cast<std::size_t>(n) > max_stdout_bytes) {
      result = Status::error(Code::kLimitExceeded, "%s: wrote more than %zu bytes; killed", name, max_stdout_bytes);
      break;
    }
    out->append(buf, static_cast<std::size_t>(n));
  }
  close(pipe_fds[0]);
  if (!result.ok()) kill(pid, SIGKILL);
  int status = 0;
  if (reap(pid, &status) != 0 && result.ok()) {
    return Status::error_with_backend(Code::kIo, errno, "%s: wait: %s", name, std::strerror(errno));
  }
  if (!result.ok()) return result;
  if (WIFSIGNALED(status)) {
    return Status::error_with_backend(Code::kUnavailable, 128 + WTERMSIG(status), "%s: killed by signal %d", name,
                                      WTERMSIG(status));
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
    return Status::error_with_backend(Code::kUnavailable, WEXITSTATUS(status), "%s: exited with status %d", name,
                                      WEXITSTATUS(status));
  }
  return Status();
}

}  // namespace edgeroute
