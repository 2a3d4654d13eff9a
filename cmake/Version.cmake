# The git commit is recorded in outputs so every result names the code that made it.
# PROJECT_SOURCE_DIR/PROJECT_BINARY_DIR, not CMAKE_*: nlhf may be a subproject (add_subdirectory).
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY ${PROJECT_SOURCE_DIR}
                OUTPUT_VARIABLE NLHF_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET RESULT_VARIABLE _nlhf_git_rc)
if(NOT _nlhf_git_rc EQUAL 0 OR NLHF_GIT_COMMIT STREQUAL "")
  set(NLHF_GIT_COMMIT "unknown")
endif()
# Installed beside the public headers as nlhf/version.h (cmake/Install.cmake).
set(NLHF_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/generated)
configure_file(${PROJECT_SOURCE_DIR}/cmake/version.h.in
               ${NLHF_GENERATED_INCLUDE_DIR}/nlhf/version.h @ONLY)
