// Compiled, never run: each array below is as large as one edgeroute object, so the
// toolchain's `nm -S` reads the sizes of a cross build without running anything.
// scripts/footprint compiles this file for each configuration of the size table.
#include <cstddef>

#include "edgeroute/bedrock.h"
#include "edgeroute/catalog.h"
#include "edgeroute/eventstream.h"
#include "edgeroute/failover.h"
#include "edgeroute/policy.h"
#include "edgeroute/router.h"
#include "edgeroute/runtime.h"
#include "edgeroute/sigv4.h"

#define EDGEROUTE_SIZEOF(name, type) extern "C" const char edgeroute_sizeof_##name[sizeof(type)] = {}

EDGEROUTE_SIZEOF(Signer, edgeroute::sigv4::Signer);
EDGEROUTE_SIZEOF(Catalog, edgeroute::Catalog);
EDGEROUTE_SIZEOF(Policy, edgeroute::Policy);
EDGEROUTE_SIZEOF(Router, edgeroute::Router);
EDGEROUTE_SIZEOF(RoutedCall, edgeroute::RoutedCall);
EDGEROUTE_SIZEOF(FailoverMonitor, edgeroute::FailoverMonitor);
EDGEROUTE_SIZEOF(Runtime, edgeroute::Runtime);
EDGEROUTE_SIZEOF(Client, edgeroute::bedrock::Client);
EDGEROUTE_SIZEOF(Decoder, edgeroute::eventstream::Decoder);
