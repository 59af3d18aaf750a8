// edgeroute/file.h -- reading a whole file with a stated limit, and the files
// edgeroute writes for others to read (replaced atomically, or rotated by size).
//
// Every file edgeroute or its tool reads (request bodies, configuration, signing
// cases, catalogs) is read through read_file_bounded, so that /dev/zero, a FIFO
// that never ends, a directory or a huge file is a one-line error that names the
// path and the limit, never an unbounded allocation or a bare "read error".
#ifndef EDGEROUTE_FILE_H
#define EDGEROUTE_FILE_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "edgeroute/status.h"

namespace edgeroute {

// Reads all of `path` ("-": standard input) into *out, at most max_bytes bytes;
// `what` names the file's role in messages ("--body", "credentials file"). Never
// reads more than max_bytes + 1 bytes, whatever the file is.
// Errors, each one line that starts with "<what> <path>: ":
//   kNotFound          "cannot open: No such file or directory" (ENOENT, ENOTDIR)
//   kIo                "cannot open: <reason>", "read error: <reason>"; backend_code is errno
//   kInvalidArgument   "is a directory, not a file"
//   kLimitExceeded     "larger than <max_bytes> bytes, the limit for <what>"
// *out is cleared first and holds nothing on error.
Status read_file_bounded(const char* path, std::size_t max_bytes, const char* what, std::string* out);

// The same for an open stream (not closed here); `path` only names it in messages.
Status read_stream_bounded(std::FILE* f, const char* path, std::size_t max_bytes, const char* what,
                           std::string* out);

// Replaces `path` with `data` atomically: written to a temporary file in the same
// directory, flushed to disk, then renamed over `path`, so a reader (or a crash)
// sees the old file or the new one, never a half-written one; the directory is
// synced after the rename, so the replacement survives power loss. The directory must
// exist. Errors: kIo, one line "<what> <path>: <step>: <reason>"; the temporary
// file is removed on every failure.
Status write_file_atomically(const char* path, std::string_view data, const char* what);

// An append-only file of lines that rotates by size: when a line would take it
// past max_bytes, the file is fsynced and renamed to PATH.1 (PATH.1 to PATH.2, ...
// up to PATH.<keep>, the oldest dropped), the directory fsynced, and a new PATH
// started. Each line goes out in one write(2) on an O_APPEND descriptor.
// Not thread-safe: one writer (the caller serializes).
class RotatingFile {
 public:
  struct Options {
    std::uint64_t max_bytes = 16u * 1024u * 1024u;  // per file, bytes (a larger line still goes out)
    std::uint32_t keep = 4;                         // rotated files kept, 1..99
  };
  RotatingFile() = default;
  ~RotatingFile();
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  // Opens (creating, mode 0640) or continues `path`. kInvalidArgument for bad options.
  Status open(const std::string& path, const Options& options, const char* what);
  // Appends `line` (which should end in '\n'), rotating first when needed.
  Status append(std::string_view line);
  // fsync of the current file.
  Status sync();
  std::uint64_t size() const { return size_; }

 private:
  Status rotate();
  Status reopen();

  std::string path_;
  std::string what_;
  Options options_;
  int fd_ = -1;
  std::uint64_t size_ = 0;
};

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_FILE_H
