// edgeroute/process.h -- running a helper program and reading its output, bounded.
//
// For credential_process: argv is executed directly (execvp semantics: argv[0] is
// looked up in PATH), never through a shell. Its stdin is /dev/null, its stderr is
// ours (so its diagnostics reach the user), its stdout is read into *out.
#ifndef EDGEROUTE_PROCESS_H
#define EDGEROUTE_PROCESS_H

#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "edgeroute/status.h"

namespace edgeroute {

// Runs argv and waits for it. *out receives at most max_stdout_bytes (reserved
// up front, so the buffer is never reallocated and can be wiped by the caller).
// The child is killed (SIGKILL) and reaped when it runs past timeout_ms or writes
// more than max_stdout_bytes. Errors, one line naming argv[0]:
//   kNotFound        the program does not exist or cannot be executed;
//   kTimeout         it ran past timeout_ms;
//   kLimitExceeded   it wrote more than max_stdout_bytes;
//   kUnavailable     it exited with a non-zero status or died of a signal
//                    (backend_code: the exit status, or 128 + the signal);
//   kIo              pipe, spawn or wait failed (backend_code: errno).
Status run_process(const std::vector<std::string>& argv, std::size_t max_stdout_bytes, std::int64_t timeout_ms,
                   std::string* out);

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_PROCESS_H
