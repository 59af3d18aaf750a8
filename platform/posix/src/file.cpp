#include "edgeroute/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace edgeroute {
namespace {


Status io_error(const char* what, const std::string& path, const char* step, int err) {
  return Status::error_with_backend(Code::kIo, err, "%s %s: %s: %s", what, path.c_str(), step, std::strerror(err));
}

// Writes all of data, resuming after EINTR and short writes.
bool write_all(int fd, const char* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

std::string directory_of(const std::string& path) {
  const std::size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// A rename is durable once its directory is synced.
void sync_directory(const std::string& path) {
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir < 0) return;
  (void)::fsync(dir);
  ::close(dir);
}

}  // namespace


Status read_stream_bounded(std::FILE* f, const char* path, std::size_t max_bytes, const char* what,
                           std::string* out) {
  out->clear();
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status::error(Code::kInvalidArgument, "%s %s: is a directory, not a file", what, path);
  }
  char chunk[8192];
  errno = 0;
  // One byte past the limit is enough to know the file is over it.
  while (out->size() <= max_bytes) {
    std::size_t want = sizeof chunk;
    if (max_bytes + 1 - out->size() < want) want = max_bytes + 1 - out->size();
    const std::size_t n = std::fread(chunk, 1, want, f);
    out->append(chunk, n);
    if (n < want) break;
  }
  if (std::ferror(f) != 0) {
    const int err = errno != 0 ? errno : EIO;
    out->clear();
    return Status::error_with_backend(Code::kIo, err, "%s %s: read error: %s", what, path,
                                      std::strerror(err));
  }
  if (out->size() > max_bytes) {
    out->clear();
    return Status::error(Code::kLimitExceeded, "%s %s: larger than %zu bytes, the limit for %s", what,
                         path, max_bytes, what);
  }
  return Status();
}

Status read_file_bounded(const char* path, std::size_t max_bytes, const char* what, std::string* out) {
  out->clear();
  if (std::strcmp(path, "-") == 0) return read_stream_bounded(stdin, "(standard input)", max_bytes, what, out);
  std::FILE* f = std::fopen(path, "rb");
  if (f == nullptr) {
    const int err = errno;
    return Status::error_with_backend(err == ENOENT || err == ENOTDIR ? Code::kNotFound : Code::kIo, err,
                                      "%s %s: cannot open: %s", what, path, std::strerror(err));
  }
  const Status s = read_stream_bounded(f, path, max_bytes, what, out);
  std::fclose(f);
  return s;
}

Status write_file_atomically(const char* path, std::string_view data, const char* what) {
  const std::string target(path);
  // Same directory, so rename() replaces in one step; the pid keeps two writers apart.
  const std::string temp = target + ".tmp." + std::to_string(static_cast<long>(::getpid()));
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return io_error(what, target, "cannot create", errno);
  int err = 0;
  const char* step = nullptr;
  if (!write_all(fd, data.data(), data.size())) {
    err = errno != 0 ? errno : EIO;
    step = "write";
  } else if (::fsync(fd) != 0) {
    err = errno;
    step = "fsync";
  }
  if (::close(fd) != 0 && step == nullptr) {
    err = errno;
    step = "close";
  }
  if (step == nullptr && ::rename(temp.c_str(), target.c_str()) != 0) {
    err = errno;
    step = "rename";
  }
  if (step != nullptr) {
    ::unlink(temp.c_str());
    return io_error(what, target, step, err);
  }
  sync_directory(target);
  return Status();
}

RotatingFile::~RotatingFile() {
  if (fd_ >= 0) ::close(fd_);
}

Status RotatingFile::open(const std::string& path, const Options& options, const char* what) {
  what_ = what;
  if (path.empty()) return Status::error(Code::kInvalidArgument, "%s: needs a file name", what);
  if (options.keep < 1 || options.keep > 99) {
    return Status::error(Code::kInvalidArgument, "%s %s: keep %u rotated files? expected 1..99", what, path.c_str(),
                         options.keep);
  }
  if (options.max_bytes < 1024) {
    return Status::error(Code::kInvalidArgument, "%s %s: a file of at most %llu bytes is too small (1024 at least)",
                         what, path.c_str(), static_cast<unsigned long long>(options.max_bytes));
  }
  path_ = path;
  options_ = options;
  return reopen();
}

Status RotatingFile::reopen() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd_ < 0) return io_error(what_.c_str(), path_, "cannot open", errno);
  struct stat st;
  if (::fstat(fd_, &st) != 0) return io_error(what_.c_str(), path_, "stat", errno);
  if (!S_ISREG(st.st_mode)) {
    ::close(fd_);
    fd_ = -1;
    return Status::error(Code::kInvalidArgument, "%s %s: not a regular file", what_.c_str(), path_.c_str());
  }
  size_ = static_cast<std::uint64_t>(st.st_size);
  return Status();
}

Status RotatingFile::rotate() {
  // Everything written so far is on disk before the file changes its name.
  if (::fsync(fd_) != 0) return io_error(what_.c_str(), path_, "fsync", errno);
  for (std::uint32_t k = options_.keep; k >= 1; --k) {
    const std::string from = k == 1 ? path_ : path_ + "." + std::to_string(k - 1);
    const std::string to = path_ + "." + std::to_string(k);
    if (::rename(from.c_str(), to.c_str()) != 0 && errno != ENOENT) {
      return io_error(what_.c_str(), path_, "rotate", errno);
    }
  }
  sync_directory(path_);
  return reopen();
}

Status RotatingFile::append(std::string_view line) {
  if (fd_ < 0) return Status::error(Code::kInvalidArgument, "%s: not open", what_.c_str());
  if (size_ > 0 && size_ + line.size() > options_.max_bytes) {
    const Status st = rotate();
    if (!st.ok()) return st;
  }
  if (!write_all(fd_, line.data(), line.size())) return io_error(what_.c_str(), path_, "write", errno != 0 ? errno : EIO);
  size_ += line.size();
  return Status();
}

Status RotatingFile::sync() {
  if (fd_ >= 0 && ::fsync(fd_) != 0) return io_error(what_.c_str(), path_, "fsync", errno);
  return Status();
}

}  // namespace edgeroute
