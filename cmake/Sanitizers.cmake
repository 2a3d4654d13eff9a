# NLHF_SANITIZE=ON builds our targets with AddressSanitizer and UndefinedBehaviorSanitizer.
# Per target (nlhf_set_sanitizers), never global flags, so dependencies and a parent project are
# left alone.
option(NLHF_SANITIZE "Build with ASan + UBSan" OFF)

# Compiles `target` with the sanitizers and links their runtimes. A static library is never
# linked by itself: its link options go to its interface instead, so whatever links it, including
# a consumer of an installed sanitized nlhf (the option is exported), gets the runtimes that its
# instrumented code calls.
function(nlhf_set_sanitizers target)
  if(NOT NLHF_SANITIZE)
    return()
  endif()
  target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                                           -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    target_link_options(${target} INTERFACE -fsanitize=address,undefined)
  else()
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()
