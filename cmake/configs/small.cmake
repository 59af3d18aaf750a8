# The small configuration, for constrained devices that route one or two models in
# one geography with a catalog file of their own. The built-in catalog is left out:
# its 21 profiles over 30-odd regions need the default limits, so under these it
# could only fail to load. Use it as an initial cache:
#   cmake -C cmake/configs/small.cmake -S . -B build/small
# scripts/test small builds and tests it; docs/footprint.md lists its sizes.
set(EDGEROUTE_CONFIG_DEFINES
  "EDGEROUTE_ROUTER_MAX_PROFILES=8;EDGEROUTE_ROUTER_MAX_REGIONS=16;EDGEROUTE_ROUTER_MAX_SOURCES_PER_PROFILE=16;EDGEROUTE_ROUTER_MAX_REGION_SETS=8;EDGEROUTE_ROUTER_MAX_MODELS=4;EDGEROUTE_ROUTER_MAX_CANDIDATES=64;EDGEROUTE_ROUTER_MAX_CANDIDATES_PER_MODEL=32;EDGEROUTE_ROUTER_STICKY_SLOTS=32;EDGEROUTE_SIGV4_KEY_CACHE_SLOTS=4"
  CACHE STRING "Limit overrides NAME=VALUE;... written into edgeroute/build_config.h")
set(EDGEROUTE_BUILTIN_CATALOG OFF CACHE BOOL "Compile the built-in catalog snapshot into the library")
