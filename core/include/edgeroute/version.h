// edgeroute/version.h -- the library version.
#ifndef EDGEROUTE_VERSION_H
#define EDGEROUTE_VERSION_H
#include "edgeroute/export.h"
EDGEROUTE_API_BEGIN

namespace edgeroute {

// "MAJOR.MINOR.PATCH" of the library linked in.
const char* version();

}  // namespace edgeroute

EDGEROUTE_API_END
#endif  // EDGEROUTE_VERSION_H
