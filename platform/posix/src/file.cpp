#include "edgeroute/file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace edgeroute {

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
  const std::string tmp = std::string(path) + ".tmp." + std::to_string(static_cast<long>(getpid()));
  const auto failed = [&](const char* step, int err) {
    std::remove(tmp.c_str());
    return Status::error_with_backend(Code::kIo, err, "%s %s: %s: %s", what, path, step, std::strerror(err));
  };
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Status::error_with_backend(Code::kIo, errno, "%s %s: cannot create: %s", what, path,
                                                std::strerror(errno));
  std::size_t written = 0;
  while (written < data.size()) {
    const ssize_t n = ::write(fd, data.data() + written, data.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const int err = n < 0 ? errno : EIO;
      ::close(fd);
      return failed("write", err);
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) {
    const int err = errno;
    ::close(fd);
    return failed("fsync", err);
  }
  if (::close(fd) != 0) return failed("close", errno);
  if (std::rename(tmp.c_str(), path) != 0) return failed("rename", errno);
  return Status();
}

}  // namespace edgeroute
