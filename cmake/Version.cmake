# The version and the git commit are recorded in outputs so every result names the code that made
# it. PROJECT_SOURCE_DIR/PROJECT_BINARY_DIR, not CMAKE_*: nlhf may be a subproject (add_subdirectory).
# Installed beside the public headers as nlhf/version.h (cmake/Install.cmake).
set(NLHF_GENERATED_INCLUDE_DIR ${PROJECT_BINARY_DIR}/generated)
configure_file(${PROJECT_SOURCE_DIR}/cmake/version.h.in
               ${NLHF_GENERATED_INCLUDE_DIR}/nlhf/version.h @ONLY)
# The commit is read at every build, not only at configure time: a checkout that moved on (or was
# edited) since `cmake` ran would otherwise be recorded under the old commit. The library compiles
# NLHF_GIT_COMMIT_SOURCE (lib/src/CMakeLists.txt) and depends on nlhf_git_commit.
set(NLHF_GIT_COMMIT_SOURCE ${NLHF_GENERATED_INCLUDE_DIR}/git_commit.cc)
set(_nlhf_git_commit_command ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DOUT=${NLHF_GIT_COMMIT_SOURCE}
                             -P ${PROJECT_SOURCE_DIR}/cmake/GitCommit.cmake)
execute_process(COMMAND ${_nlhf_git_commit_command})  # so that the file exists before the first build
add_custom_target(nlhf_git_commit COMMAND ${_nlhf_git_commit_command} BYPRODUCTS ${NLHF_GIT_COMMIT_SOURCE}
                  COMMENT "" VERBATIM)
