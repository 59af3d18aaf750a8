// edgeroute/version.h -- the library version.
#ifndef EDGEROUTE_VERSION_H
#define EDGEROUTE_VERSION_H

namespace edgeroute {

// "MAJOR.MINOR.PATCH" of the library linked in.
const char* version();

}  // namespace edgeroute

#endif  // EDGEROUTE_VERSION_H
