#include "edgeroute/file.h"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

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

}  // namespace edgeroute
