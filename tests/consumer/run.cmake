# Driver of the consumer tests (tests/CMakeLists.txt registers them; label `consumer`):
#   cmake -DMODE=find_package -DNLHF_BUILD_DIR=<nlhf build> -DWORK_DIR=<scratch> ... -P run.cmake
# find_package: installs the current nlhf build into WORK_DIR/prefix (cmake --install), then
#   configures, builds and runs tests/consumer against it with find_package(nlhf).
# add_subdirectory: configures tests/consumer with add_subdirectory(NLHF_SOURCE_DIR) (configure
#   only: building would compile the whole library a second time).
# Same compiler, generator and build type as the nlhf build; every step must succeed.
cmake_minimum_required(VERSION 3.25)
foreach(var MODE WORK_DIR CONSUMER_DIR GENERATOR CXX_COMPILER BUILD_TYPE)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run.cmake: -D${var}=... is required")
  endif()
endforeach()

function(run_step what)
  message(STATUS "consumer: ${what}: ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "consumer: ${what} failed (${rc})")
  endif()
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(configure_args -S ${CONSUMER_DIR} -B ${WORK_DIR}/build -G ${GENERATOR}
                   -DCMAKE_CXX_COMPILER=${CXX_COMPILER} -DCMAKE_BUILD_TYPE=${BUILD_TYPE})
if(MAKE_PROGRAM)
  list(APPEND configure_args -DCMAKE_MAKE_PROGRAM=${MAKE_PROGRAM})
endif()

if(MODE STREQUAL "find_package")
  run_step("install nlhf" ${CMAKE_COMMAND} --install ${NLHF_BUILD_DIR} --prefix ${WORK_DIR}/prefix
                          --config ${BUILD_TYPE})
  run_step("configure" ${CMAKE_COMMAND} ${configure_args} -DCMAKE_PREFIX_PATH=${WORK_DIR}/prefix
                       -DNLHF_EXPECTED_PREFIX=${WORK_DIR}/prefix)
  run_step("build" ${CMAKE_COMMAND} --build ${WORK_DIR}/build --config ${BUILD_TYPE})
  find_program(consumer nlhf_consumer PATHS ${WORK_DIR}/build ${WORK_DIR}/build/${BUILD_TYPE}
               NO_DEFAULT_PATH REQUIRED)
  run_step("run" ${consumer})
elseif(MODE STREQUAL "add_subdirectory")
  run_step("configure" ${CMAKE_COMMAND} ${configure_args} -DNLHF_SOURCE_DIR=${NLHF_SOURCE_DIR})
else()
  message(FATAL_ERROR "run.cmake: MODE must be find_package or add_subdirectory, not '${MODE}'")
endif()
