# FindMbedTLS -- locate mbedTLS 2.28 or 3.x.
#
# mbedTLS 3.x installs its own CMake package (MbedTLSConfig.cmake); it is used when
# present. Debian's 2.28 ships none, so fall back to the headers and libraries.
#
# Defines the imported targets MbedTLS::mbedcrypto, MbedTLS::mbedx509 and
# MbedTLS::mbedtls, and MbedTLS_FOUND, MbedTLS_VERSION.
include(FindPackageHandleStandardArgs)

find_package(MbedTLS CONFIG QUIET NO_MODULE)
if(MbedTLS_FOUND AND TARGET MbedTLS::mbedcrypto)
  find_package_handle_standard_args(MbedTLS CONFIG_MODE)
  return()
endif()

find_path(MbedTLS_INCLUDE_DIR mbedtls/ssl.h)
find_library(MbedTLS_CRYPTO_LIBRARY mbedcrypto)
find_library(MbedTLS_X509_LIBRARY mbedx509)
find_library(MbedTLS_TLS_LIBRARY mbedtls)

if(MbedTLS_INCLUDE_DIR)
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
  REQUIRED_VARS MbedTLS_CRYPTO_LIBRARY MbedTLS_X509_LIBRARY MbedTLS_TLS_LIBRARY MbedTLS_INCLUDE_DIR
  VERSION_VAR MbedTLS_VERSION)

if(MbedTLS_FOUND)
  if(MbedTLS_VERSION AND MbedTLS_VERSION VERSION_LESS 2.28)
    message(FATAL_ERROR "edgeroute needs mbedTLS 2.28 or newer; found ${MbedTLS_VERSION}")
  endif()
  foreach(part crypto x509 tls)
    string(TOUPPER ${part} _upper)
    if(part STREQUAL "tls")
      set(_name mbedtls)
    else()
      set(_name mbed${part})
    endif()
    if(NOT TARGET MbedTLS::${_name})
      add_library(MbedTLS::${_name} UNKNOWN IMPORTED)
      set_target_properties(MbedTLS::${_name} PROPERTIES
        IMPORTED_LOCATION "${MbedTLS_${_upper}_LIBRARY}"
        INTERFACE_INCLUDE_DIRECTORIES "${MbedTLS_INCLUDE_DIR}")
    endif()
  endforeach()
  set_property(TARGET MbedTLS::mbedx509 APPEND PROPERTY INTERFACE_LINK_LIBRARIES MbedTLS::mbedcrypto)
  set_property(TARGET MbedTLS::mbedtls APPEND PROPERTY INTERFACE_LINK_LIBRARIES MbedTLS::mbedx509)
endif()
mark_as_advanced(MbedTLS_INCLUDE_DIR MbedTLS_CRYPTO_LIBRARY MbedTLS_X509_LIBRARY MbedTLS_TLS_LIBRARY)
