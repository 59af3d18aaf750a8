# Install rules and the exported CMake package: a consumer writes
#   find_package(edgeroute REQUIRED)
#   target_link_libraries(app PRIVATE edgeroute::core edgeroute::platform_mbedtls)
# and, when it was built, edgeroute::platform_curl for the HTTP transport and
# edgeroute::runtime for the routed client. A build without CMake uses pkg-config:
#   cc app.c $(pkg-config --cflags --libs edgeroute)            (shared libraries)
#   cc app.c $(pkg-config --static --cflags --libs edgeroute)   (static libraries)
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
# The limits this build was made with (see platform/CMakeLists.txt).
install(FILES ${PROJECT_BINARY_DIR}/platform/include/edgeroute/build_config.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/edgeroute)
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

# pkg-config: one edgeroute.pc for every installed library. The libraries are
# listed users first (the install list above names dependencies first), so a static
# link resolves in one pass; Libs.private holds what a static link needs besides.
set(_edgeroute_pc_libs "")
foreach(t ${_edgeroute_install_targets})
  get_target_property(_output ${t} OUTPUT_NAME)
  if(NOT _output)
    set(_output ${t})
  endif()
  string(PREPEND _edgeroute_pc_libs " -l${_output}")
endforeach()
set(_edgeroute_pc_private "-lmbedcrypto -lcjson")
if(EDGEROUTE_PACKAGE_HAS_CURL)
  string(APPEND _edgeroute_pc_private " -lcurl")
endif()
string(APPEND _edgeroute_pc_private " -lstdc++ -lm -lpthread")
set(EDGEROUTE_PC_LIBS "-L\${libdir}${_edgeroute_pc_libs}")
set(EDGEROUTE_PC_LIBS_PRIVATE "${_edgeroute_pc_private}")
configure_file(${PROJECT_SOURCE_DIR}/cmake/edgeroute.pc.in ${PROJECT_BINARY_DIR}/edgeroute.pc @ONLY)
install(FILES ${PROJECT_BINARY_DIR}/edgeroute.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
