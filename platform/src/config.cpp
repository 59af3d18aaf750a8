// The limits the library was compiled with, for the start-up layout check in
// edgeroute/config.h.
#include "edgeroute/config.h"

namespace edgeroute {

std::uint64_t library_layout_fingerprint() { return limits::kLayoutFingerprint; }

}  // namespace edgeroute
