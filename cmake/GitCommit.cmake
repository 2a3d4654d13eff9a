# Writes OUT, a C++ file defining nlhf::kGitCommit: the commit of SOURCE_DIR's checkout, with
# "-modified" when tracked files differ from it, or "unknown" outside a git checkout. Run at every
# build (cmake/Version.cmake), so the commit that outputs record is the one the tools were built
# from, not the one at configure time. file(CONFIGURE) rewrites OUT only when its text changes, so
# an unchanged checkout recompiles nothing.
execute_process(COMMAND git rev-parse --short=12 HEAD
                WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE NLHF_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                ERROR_QUIET RESULT_VARIABLE _rc)
if(NOT _rc EQUAL 0 OR NLHF_GIT_COMMIT STREQUAL "")
  set(NLHF_GIT_COMMIT "unknown")
else()
  execute_process(COMMAND git status --porcelain --untracked-files=no
                  WORKING_DIRECTORY ${SOURCE_DIR}
                  OUTPUT_VARIABLE _changes ERROR_QUIET RESULT_VARIABLE _rc)
  if(_rc EQUAL 0 AND NOT _changes STREQUAL "")
    string(APPEND NLHF_GIT_COMMIT "-modified")
  endif()
endif()
file(CONFIGURE OUTPUT ${OUT} CONTENT [[
// Generated at build time by cmake/GitCommit.cmake.
#include "nlhf/version.h"
namespace nlhf {
const char* const kGitCommit = "@NLHF_GIT_COMMIT@";
}  // namespace nlhf
]] @ONLY)
