#include "edgeroute/version.h"

namespace edgeroute {

const char* version() { return EDGEROUTE_VERSION_STRING; }

}  // namespace edgeroute
