# NLHF_SANITIZE=ON builds our targets with AddressSanitizer and UndefinedBehaviorSanitizer.
# Per target (nlhf_set_sanitizers), never global flags, so dependencies and a parent project are
# left alone.
option(NLHF_SANITIZE "Build with ASan + UBSan" OFF)

# Compiles `target` with the sanitizers and links their runtimes.
# A static library passes -fsanitize on to whatever uses it (tests, apps, and a consumer of an
# installed sanitized nlhf: the options are exported). For linking: the library is never linked by
# itself and its instrumented code calls the runtimes. For compiling: the flag changes the ABI of
# inline code shared across the boundary. Eigen allocates by hand-aligned malloc (an offset
# pointer) under __SANITIZE_ADDRESS__ and by plain malloc otherwise, so a vector that an
# instrumented nlhf allocates and an uninstrumented consumer frees is a bad free
# (tests/consumer under the asan preset showed it).
function(nlhf_set_sanitizers target)
  if(NOT NLHF_SANITIZE)
    return()
  endif()
  get_target_property(type ${target} TYPE)
  if(type STREQUAL "STATIC_LIBRARY")
    set(scope PUBLIC)
  else()
    set(scope PRIVATE)
  endif()
  target_compile_options(${target} ${scope} -fsanitize=address,undefined
                         PRIVATE -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
  target_link_options(${target} ${scope} -fsanitize=address,undefined)
endfunction()

# In a sanitized build, compiles `target` at -O1 (the lowest level the AddressSanitizer
# documentation advises for reasonable speed) instead of the build type's -O2 (a Debug build keeps
# its -O0). For the test programs and the Python bindings: they are over half of the sanitized
# build's compile time but little of its tests' run time, which is spent in the library and the
# tools, still at -O2 (README, "Tests"). A later -O wins, and target options come after the build
# type's flags. (The asan preset's -g1, line tables only, is a flag of that build tree, not of
# these targets.)
function(nlhf_sanitized_at_o1 target)
  if(NLHF_SANITIZE)
    target_compile_options(${target} PRIVATE $<$<NOT:$<CONFIG:Debug>>:-O1>)
  endif()
endfunction()
