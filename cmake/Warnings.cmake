# Warnings are errors on the project's own targets; dependencies come in as SYSTEM
# includes through their imported targets, so their headers do not trip these flags.
function(nlhf_set_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow
                                           -Wnon-virtual-dtor -Werror)
endfunction()
