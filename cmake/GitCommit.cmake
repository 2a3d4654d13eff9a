# Writes OUT, a C++ file defining nlhf::kGitCommit: the commit of SOURCE_DIR's checkout, with
# "-modified" when tracked files differ from it, or "unknown" outside a git checkout. Run at every
# build (cmake/Version.cmake), so the commit that outputs record is the one the tools were built
# from, not the one at configure time. file(CONFIGURE) rewrites OUT only when its text changes, so
# an unchanged checkout recompiles nothing.
# Only SOURCE_DIR's own checkout: a copy of nlhf inside another repository (vendored, no .git of
# its own) is "unknown", not that repository's commit. --no-optional-locks: a build never takes
# .git/index.lock from a git command running beside it.
execute_process(COMMAND git rev-parse --show-toplevel
                WORKING_DIRECTORY ${SOURCE_DIR}
                OUTPUT_VARIABLE _top OUTPUT_STRIP_TRAILING_WHITESPACE ERROR_QUIET RESULT_VARIABLE _rc)
set(NLHF_GIT_COMMIT "")
if(_rc EQUAL 0)
  file(REAL_PATH "${_top}" _top)
  file(REAL_PATH "${SOURCE_DIR}" _src)
  if(_top STREQUAL _src)
    execute_process(COMMAND git rev-parse --short=12 HEAD
                    WORKING_DIRECTORY ${SOURCE_DIR}
                    OUTPUT_VARIABLE NLHF_GIT_COMMIT OUTPUT_STRIP_TRAILING_WHITESPACE
                    ERROR_QUIET RESULT_VARIABLE _rc)
  endif()
endif()
if(NOT _rc EQUAL 0 OR NLHF_GIT_COMMIT STREQUAL "")
  set(NLHF_GIT_COMMIT "unknown")
else()
  execute_process(COMMAND git --no-optional-locks status --porcelain --untracked-files=no
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
