# Install rules and the exported CMake package: a consumer writes
#   find_package(edgeroute REQUIRED)
#   target_link_libraries(app PRIVATE edgeroute::core edgeroute::platform_mbedtls)
# and, when it was built, edgeroute::platform_curl for the HTTP transport and
# edgeroute::runtime for the routed client.
include(GNUInstallDirs)
include(CMakePackageConfigHelpers)

set(_edgeroute_install_targets edgeroute_platform edgeroute_platform_mbedtls edgeroute_sigv4
                                edgeroute_common edgeroute_bedrock edgeroute_routing edgeroute_core)
# The curl transport is optional (EDGEROUTE_WITH_CURL); the package then needs CURL too.
set(EDGEROUTE_PACKAGE_HAS_CURL OFF)
if(TARGET edgeroute_platform_curl)
  list(APPEND _edgeroute_install_targets edgeroute_platform_curl)
  set(EDGEROUTE_PACKAGE_HAS_CURL ON)
endif()
if(TARGET edgeroute_runtime)
  list(APPEND _edgeroute_install_targets edgeroute_runtime)
endif()
install(TARGETS ${_edgeroute_install_targets}
  EXPORT edgerouteTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
# Every module's public headers land in one include/edgeroute/.
foreach(module platform platform/posix platform/mbedtls platform/curl sigv4 core core/common core/bedrock core/routing core/runtime)
  if(EXISTS ${PROJECT_SOURCE_DIR}/${module}/include)
    install(DIRECTORY ${PROJECT_SOURCE_DIR}/${module}/include/ DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
  endif()
endforeach()
# Targets get their short names in the package: edgeroute::core, edgeroute::sigv4, ...
foreach(t ${_edgeroute_install_targets})
  string(REPLACE "edgeroute_" "" _short ${t})
  set_target_properties(${t} PROPERTIES EXPORT_NAME ${_short})
endforeach()
install(EXPORT edgerouteTargets NAMESPACE edgeroute:: DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/edgeroute)
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/edgerouteConfig.cmake.in
  ${PROJECT_BINARY_DIR}/edgerouteConfig.cmake
  INSTALL_DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/edgeroute)
write_basic_package_version_file(${PROJECT_BINARY_DIR}/edgerouteConfigVersion.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES
  ${PROJECT_BINARY_DIR}/edgerouteConfig.cmake
  ${PROJECT_BINARY_DIR}/edgerouteConfigVersion.cmake
  ${PROJECT_SOURCE_DIR}/cmake/FindMbedTLS.cmake
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/cmake/edgeroute)
