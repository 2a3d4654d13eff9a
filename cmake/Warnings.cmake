# Warnings are errors on the project's own targets; dependencies come in as SYSTEM
# includes through their imported targets, so their headers do not trip these flags.
function(nlhf_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Werror)
endfunction()

# Everything a target of this project gets: warnings, the sanitizers when NLHF_SANITIZE is on, and
# -msse4.1 when NLHF_SSE41 is (cmake/Isa.cmake).
function(nlhf_set_target_options target)
  nlhf_set_warnings(${target})
  nlhf_set_sanitizers(${target})
  nlhf_set_isa(${target})
endfunction()
