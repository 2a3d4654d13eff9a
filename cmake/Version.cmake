# The git commit is recorded in outputs so every result names the code that made it.
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY ${CMAKE_SOURCE_DIR}
                OUTPUT_VARIABLE NLHF_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET RESULT_VARIABLE _nlhf_git_rc)
if(NOT _nlhf_git_rc EQUAL 0 OR NLHF_GIT_COMMIT STREQUAL "")
  set(NLHF_GIT_COMMIT "unknown")
endif()
configure_file(${CMAKE_SOURCE_DIR}/cmake/version.h.in
               ${CMAKE_BINARY_DIR}/generated/nlhf/version.h @ONLY)
