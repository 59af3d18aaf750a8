# A consumer outside edgeroute's tree builds against the installed package, as a
# firmware build would: once with CMake (find_package) and once with pkg-config
# alone, then runs what it built.
#
#   -DMODE=static  installs BUILD_DIR (a static build) into a scratch prefix.
#   -DMODE=shared  first builds the libraries again from SOURCE_DIR with
#                  BUILD_SHARED_LIBS=ON (no tests, no tool), then installs those,
#                  and checks their SONAME and that only the public API is exported.
#
# -DMODE= -DBUILD_DIR= -DCONSUMER_DIR= -DWORK_DIR= -DSOURCE_DIR= -DCXX= -DCC=
# [-DGENERATOR=] [-DPYTHON=] [-DLAUNCHER=] [-DNM=]
file(REMOVE_RECURSE "${WORK_DIR}")
set(prefix "${WORK_DIR}/prefix")

function(run what)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${what} failed (${rc}):\n${out}")
  endif()
  set(run_output "${out}" PARENT_SCOPE)
endfunction()

set(installed "${BUILD_DIR}")
if(MODE STREQUAL "shared")
  set(installed "${WORK_DIR}/shared-build")
  set(launcher)
  if(LAUNCHER)
    set(launcher -DCMAKE_C_COMPILER_LAUNCHER=${LAUNCHER} -DCMAKE_CXX_COMPILER_LAUNCHER=${LAUNCHER})
  endif()
  run("shared library configure" ${CMAKE_COMMAND} -S "${SOURCE_DIR}" -B "${installed}" -G "${GENERATOR}"
      -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON -DEDGEROUTE_BUILD_TESTS=OFF
      -DEDGEROUTE_BUILD_EXAMPLES=OFF -DCMAKE_C_COMPILER=${CC} -DCMAKE_CXX_COMPILER=${CXX} ${launcher})
  run("shared library build" ${CMAKE_COMMAND} --build "${installed}")
endif()
run("install into ${prefix}" ${CMAKE_COMMAND} --install "${installed}" --prefix "${prefix}")

if(MODE STREQUAL "shared")
  # One SONAME per library, versioned; no internal symbol in the dynamic table.
  foreach(lib core bedrock routing)
    file(GLOB_RECURSE ${lib}_so "${prefix}/*/libedgeroute_${lib}.so")
    if(NOT ${lib}_so)
      message(FATAL_ERROR "no libedgeroute_${lib}.so installed under ${prefix}")
    endif()
    file(GLOB_RECURSE soname "${prefix}/*/libedgeroute_${lib}.so.0.1")
    if(NOT soname)
      message(FATAL_ERROR "libedgeroute_${lib}.so has no libedgeroute_${lib}.so.0.1 (SOVERSION) beside it")
    endif()
  endforeach()
  if(NM)
    # edgeroute::Router (the routing engine) is public.
    run("nm -D" ${NM} -D --defined-only -C "${routing_so}")
    if(NOT run_output MATCHES "edgeroute::Router::pick")
      message(FATAL_ERROR "libedgeroute_routing.so does not export edgeroute::Router::pick")
    endif()
    # The Bedrock client's JSON helpers (core/bedrock/src/bedrock_internal.h) are not.
    run("nm -D" ${NM} -D --defined-only -C "${bedrock_so}")
    if(NOT run_output MATCHES "edgeroute::bedrock::Client")
      message(FATAL_ERROR "libedgeroute_bedrock.so does not export edgeroute::bedrock::Client")
    endif()
    if(run_output MATCHES "edgeroute::bedrock::json_int")
      message(FATAL_ERROR "libedgeroute_bedrock.so exports internal symbols:\n${run_output}")
    endif()
  endif()
endif()

# --- CMake: find_package(edgeroute) ------------------------------------------
# Shared: the consumers find the libraries in the scratch prefix through an RPATH
# (not RUNPATH, which the loader does not apply to the libraries' own dependencies).
set(dtags)
if(MODE STREQUAL "shared")
  set(dtags "-DCMAKE_EXE_LINKER_FLAGS=-Wl,--disable-new-dtags")
endif()
run("consumer configure" ${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build" -G "${GENERATOR}"
    "-DCMAKE_PREFIX_PATH=${prefix}" -DCMAKE_C_COMPILER=${CC} -DCMAKE_CXX_COMPILER=${CXX} ${dtags})
run("consumer build" ${CMAKE_COMMAND} --build "${WORK_DIR}/build")
run("consumer run" "${WORK_DIR}/build/consumer")
if(NOT run_output MATCHES "^edgeroute [0-9.]+ signature [0-9a-f]+")
  message(FATAL_ERROR "consumer printed no signature: ${run_output}")
endif()
message(STATUS "cmake consumer (${MODE}): ${run_output}")

# --- pkg-config alone ----------------------------------------------------------
# The .pc file names the install prefix it was configured with; the scratch prefix
# replaces it, as a sysroot would.
set(ENV{PKG_CONFIG_PATH} "")
file(GLOB_RECURSE pc_file "${prefix}/*/pkgconfig/edgeroute.pc")
if(NOT pc_file)
  message(FATAL_ERROR "no edgeroute.pc installed under ${prefix}")
endif()
get_filename_component(pc_dir "${pc_file}" DIRECTORY)
set(ENV{PKG_CONFIG_LIBDIR} "${pc_dir}")
set(pkg_config_args --define-variable=prefix=${prefix} --cflags --libs edgeroute)
if(MODE STREQUAL "static")
  list(PREPEND pkg_config_args --static)
endif()
run("pkg-config" pkg-config ${pkg_config_args})
string(STRIP "${run_output}" flags)
separate_arguments(flags UNIX_COMMAND "${flags}")
set(rpath)
if(MODE STREQUAL "shared")
  file(GLOB_RECURSE core_lib "${prefix}/*/libedgeroute_core.so")
  get_filename_component(libdir "${core_lib}" DIRECTORY)
  set(rpath "-Wl,--disable-new-dtags,-rpath,${libdir}")
endif()
run("pkg-config consumer build" ${CXX} -std=c++17 "${CONSUMER_DIR}/main.cpp" -o "${WORK_DIR}/pc_consumer" ${flags} ${rpath})
run("pkg-config consumer run" "${WORK_DIR}/pc_consumer")
if(NOT run_output MATCHES "^edgeroute [0-9.]+ signature [0-9a-f]+")
  message(FATAL_ERROR "pkg-config consumer printed no signature: ${run_output}")
endif()
message(STATUS "pkg-config consumer (${MODE}): ${run_output}")

# The start-up layout check: the same program compiled with a limit the library
# was not built with must refuse to run, and say why.
execute_process(COMMAND ${CXX} -std=c++17 -DEDGEROUTE_ROUTER_MAX_PROFILES=9 "${CONSUMER_DIR}/main.cpp"
                        -o "${WORK_DIR}/pc_consumer_other_limits" ${flags} ${rpath}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pkg-config consumer with other limits did not build (${rc}):\n${out}")
endif()
execute_process(COMMAND "${WORK_DIR}/pc_consumer_other_limits" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(rc EQUAL 0 OR NOT err MATCHES "limits")
  message(FATAL_ERROR "a consumer built with other limits ran (${rc}): ${out}${err}")
endif()

# The routed C example through pkg-config: C compiler, C++ libraries.
if(EXISTS "${WORK_DIR}/build/routed_consumer")
  run("pkg-config C consumer build" ${CC} -std=c99 "${SOURCE_DIR}/examples/embed/routed_converse.c"
      -o "${WORK_DIR}/pc_routed_consumer" ${flags} ${rpath})
endif()

# With the runtime in the package: routed calls against the Bedrock simulator.
if(PYTHON AND SOURCE_DIR)
  foreach(binary "${WORK_DIR}/build/routed_consumer" "${WORK_DIR}/pc_routed_consumer")
    if(EXISTS "${binary}")
      run("routed consumer ${binary}" "${PYTHON}" "${SOURCE_DIR}/tests/package/run_routed.py"
          --binary "${binary}" --source-dir "${SOURCE_DIR}")
      message(STATUS "routed consumer (${MODE}): ${run_output}")
    endif()
  endforeach()
endif()
