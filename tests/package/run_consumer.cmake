# Installs the build tree into a scratch prefix, then configures, builds and runs the
# consumer project against it with find_package(edgeroute).
# -DBUILD_DIR= -DCONSUMER_DIR= -DWORK_DIR= [-DGENERATOR=]
file(REMOVE_RECURSE "${WORK_DIR}")
execute_process(COMMAND ${CMAKE_COMMAND} --install "${BUILD_DIR}" --prefix "${WORK_DIR}/prefix"
                RESULT_VARIABLE rc OUTPUT_QUIET)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "install into ${WORK_DIR}/prefix failed (${rc})")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} -S "${CONSUMER_DIR}" -B "${WORK_DIR}/build"
                        -G "${GENERATOR}" "-DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer configure failed:\n${out}")
endif()
execute_process(COMMAND ${CMAKE_COMMAND} --build "${WORK_DIR}/build"
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "consumer build failed:\n${out}")
endif()
execute_process(COMMAND "${WORK_DIR}/build/consumer" RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0 OR NOT out MATCHES "^edgeroute [0-9.]+ signature [0-9a-f]+")
  message(FATAL_ERROR "consumer run failed (${rc}): ${out}${err}")
endif()
message(STATUS "consumer: ${out}")
# With the runtime in the package: a routed call against the Bedrock simulator.
if(EXISTS "${WORK_DIR}/build/routed_consumer" AND PYTHON AND SOURCE_DIR)
  execute_process(COMMAND "${PYTHON}" "${SOURCE_DIR}/tests/package/run_routed.py"
                          --binary "${WORK_DIR}/build/routed_consumer" --source-dir "${SOURCE_DIR}"
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "routed consumer failed (${rc}): ${out}${err}")
  endif()
  message(STATUS "routed consumer: ${out}")
endif()
