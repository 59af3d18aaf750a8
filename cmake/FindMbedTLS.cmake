# FindMbedTLS -- locate the crypto library of Mbed TLS 2.28 LTS or 3.x.
#
# edgeroute links only mbedcrypto (SHA-256 through the mbedtls_sha256_* calls, whose
# names changed between 2.x and 3.x; platform/src/crypto_mbedtls.cpp handles both).
# Mbed TLS 4.0 moved those calls out of the public API (into TF-PSA-Crypto), so
# versions from 4.0 on are refused here rather than failing to compile later.
#
# Mbed TLS 3.x installs its own CMake package (MbedTLSConfig.cmake); it is used when
# present. Debian's 2.28 ships none, so fall back to the header and the library.
#
# Defines the imported target MbedTLS::mbedcrypto, and MbedTLS_FOUND, MbedTLS_VERSION.
include(FindPackageHandleStandardArgs)

set(_mbedtls_min 2.28)
set(_mbedtls_below 4.0)

find_package(MbedTLS CONFIG QUIET NO_MODULE)
if(MbedTLS_FOUND AND TARGET MbedTLS::mbedcrypto)
  if(MbedTLS_VERSION AND (MbedTLS_VERSION VERSION_LESS _mbedtls_min OR NOT MbedTLS_VERSION VERSION_LESS _mbedtls_below))
    message(FATAL_ERROR "edgeroute needs Mbed TLS ${_mbedtls_min} to below ${_mbedtls_below}; "
                        "found ${MbedTLS_VERSION} (${MbedTLS_DIR})")
  endif()
  find_package_handle_standard_args(MbedTLS CONFIG_MODE)
  return()
endif()

find_path(MbedTLS_INCLUDE_DIR mbedtls/sha256.h)
find_library(MbedTLS_CRYPTO_LIBRARY mbedcrypto)

if(MbedTLS_INCLUDE_DIR)
  # 3.x states its version in build_info.h, 2.x in version.h.
  foreach(header mbedtls/build_info.h mbedtls/version.h)
    if(EXISTS "${MbedTLS_INCLUDE_DIR}/${header}")
      file(STRINGS "${MbedTLS_INCLUDE_DIR}/${header}" _mbedtls_version_line
           REGEX "^#define[ \t]+MBEDTLS_VERSION_STRING[ \t]+\"[0-9.]+\"")
      if(_mbedtls_version_line)
        string(REGEX REPLACE ".*\"([0-9.]+)\".*" "\\1" MbedTLS_VERSION "${_mbedtls_version_line}")
        break()
      endif()
    endif()
  endforeach()
endif()

find_package_handle_standard_args(MbedTLS
  REQUIRED_VARS MbedTLS_CRYPTO_LIBRARY MbedTLS_INCLUDE_DIR
  VERSION_VAR MbedTLS_VERSION)

if(MbedTLS_FOUND)
  if(NOT MbedTLS_VERSION)
    message(FATAL_ERROR "Mbed TLS headers at ${MbedTLS_INCLUDE_DIR} state no MBEDTLS_VERSION_STRING; "
                        "edgeroute needs ${_mbedtls_min} to below ${_mbedtls_below}")
  endif()
  if(MbedTLS_VERSION VERSION_LESS _mbedtls_min OR NOT MbedTLS_VERSION VERSION_LESS _mbedtls_below)
    message(FATAL_ERROR "edgeroute needs Mbed TLS ${_mbedtls_min} to below ${_mbedtls_below}; "
                        "found ${MbedTLS_VERSION} at ${MbedTLS_INCLUDE_DIR}")
  endif()
  if(NOT TARGET MbedTLS::mbedcrypto)
    add_library(MbedTLS::mbedcrypto UNKNOWN IMPORTED)
    set_target_properties(MbedTLS::mbedcrypto PROPERTIES
      IMPORTED_LOCATION "${MbedTLS_CRYPTO_LIBRARY}"
      INTERFACE_INCLUDE_DIRECTORIES "${MbedTLS_INCLUDE_DIR}")
  endif()
endif()
mark_as_advanced(MbedTLS_INCLUDE_DIR MbedTLS_CRYPTO_LIBRARY)
