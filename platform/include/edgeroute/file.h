// edgeroute/file.h -- reading a whole file with a stated limit.
//
// Every file edgeroute or its tool reads (request bodies, configuration, signing
// cases, catalogs) is read through read_file_bounded, so that /dev/zero, a FIFO
// that never ends, a directory or a huge file is a one-line error that names the
// path and the limit, never an unbounded allocation or a bare "read error".
#ifndef EDGEROUTE_FILE_H
#define EDGEROUTE_FILE_H

#include <cstddef>
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
// sees the old file or the new one, never a half-written one. The directory must
// exist. Errors: kIo, one line "<what> <path>: <step>: <reason>"; the temporary
// file is removed on every failure.
Status write_file_atomically(const char* path, std::string_view data, const char* what);

}  // namespace edgeroute

#endif  // EDGEROUTE_FILE_H
