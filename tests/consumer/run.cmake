# Builds a consumer project against respool and runs it.
#   MODE=find_package:     install the build tree BUILD_DIR (the one under
#                          test, already built) to a temp prefix, then
#                          find_package(respool), and check the pkg-config file.
#   MODE=add_subdirectory: add_subdirectory(respool source): compiles the
#                          library inside the consumer's build, unoptimized and
#                          as a unity build (the -O3 build compiles each file on
#                          its own; here the project's CMake is under test).
# Variables: SOURCE_DIR (respool), BUILD_DIR, WORK_DIR (scratch), MODE, CXX.
function(run)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (${rc}): ${ARGN}\n${out}")
  endif()
  set(LAST_OUTPUT "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(gen -G Ninja -DCMAKE_CXX_COMPILER=${CXX})
if(MODE STREQUAL "find_package")
  set(prefix ${WORK_DIR}/prefix)
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${prefix})
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer/find_package -B ${WORK_DIR}/app ${gen}
      -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH=${prefix})
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/app)
  run(${WORK_DIR}/app/app)
  # pkg-config: the installed .pc file compiles and links the same program.
  file(GLOB pcdir ${prefix}/lib*/pkgconfig)
  run(${CMAKE_COMMAND} -E env PKG_CONFIG_PATH=${pcdir} pkg-config --cflags --libs respool)
  string(STRIP "${LAST_OUTPUT}" flags)
  separate_arguments(flags UNIX_COMMAND "${flags}")
  run(${CXX} ${SOURCE_DIR}/tests/consumer/main.cpp -o ${WORK_DIR}/app-pc ${flags})
  run(${WORK_DIR}/app-pc)
else()
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/consumer/add_subdirectory -B ${WORK_DIR}/app ${gen}
      -DCMAKE_BUILD_TYPE= -DCMAKE_UNITY_BUILD=ON -DRESPOOL_SOURCE_DIR=${SOURCE_DIR})
  run(${CMAKE_COMMAND} --build ${WORK_DIR}/app)
  run(${WORK_DIR}/app/app)
endif()
message(STATUS "consumer ${MODE}: ok")
