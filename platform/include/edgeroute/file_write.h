// edgeroute/file_write.h -- files edgeroute writes for others to read: a file
// replaced whole and atomically (a metrics file a collector may read at any
// moment), and an append-only log rotated by size (an audit trail).
#ifndef EDGEROUTE_FILE_WRITE_H
#define EDGEROUTE_FILE_WRITE_H

#include <cstdint>
#include <string>
#include <string_view>

#include "edgeroute/status.h"

namespace edgeroute {

// Replaces `path` with `content` so that a reader sees the old file or the new
// one, never a part: writes a temporary file in the same directory, fsyncs it and
// renames it over `path` (node_exporter's textfile collector asks for exactly
// this). `what` names the file's role in messages. kIo (errno in backend_code)
// with "<what> <path>: <step>: <reason>"; the temporary file is removed on error.
Status write_file_atomic(const char* path, std::string_view content, const char* what);

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

#endif  // EDGEROUTE_FILE_WRITE_H
