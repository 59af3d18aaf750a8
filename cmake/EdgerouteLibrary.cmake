# edgeroute_library(<target>): what every edgeroute library shares. Static or
# shared as BUILD_SHARED_LIBS says; a shared one carries VERSION and SOVERSION and
# exports only what the public headers declare (edgeroute/export.h): everything
# else is hidden. While the major version is 0, a minor release may break the ABI,
# so the SOVERSION is major.minor (the CMake package says SameMinorVersion too).
#
# Each function and object gets its own section (GCC and Clang), so a firmware
# link with --gc-sections keeps only what its calls reach: 10 KB less machine
# code in the routed example on aarch64 (docs/footprint.md). Without that link
# flag nothing changes.
function(edgeroute_library target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -ffunction-sections -fdata-sections)
  endif()
  set_target_properties(${target} PROPERTIES
    VERSION ${PROJECT_VERSION}
    SOVERSION ${PROJECT_VERSION_MAJOR}.${PROJECT_VERSION_MINOR}
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
endfunction()
