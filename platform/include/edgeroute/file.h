// edgeroute/file.h -- reading a whole file with a stated limit.
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
#include <cstdio>
#include <string>

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

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_FILE_H
