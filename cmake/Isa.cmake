# NLHF_SSE41 compiles our targets with -msse4.1 (per target, nlhf_set_isa; dependencies and a
# parent project keep their flags). On by default where the compiler takes the flag and the build
# machine's processor has SSE4.1 (x86-64-v2: Intel processors since 2008, AMD ones since 2011 but
# the low-power Bobcat), off elsewhere (other architectures, cross builds).
#
# Why: Eigen's vectorized exp and log (every softmax, every normalization, gap_beta's log-sum-exp)
# round to an integer inside; with SSE4.1 that is one instruction (roundpd), with baseline x86-64
# (SSE2) an emulated floor of several. A small run is mostly those exps: steps at n = 10 are
# 10-25% faster, a sweep of 2000 such runs about 20% (README, Performance, "SSE4.1").
#
# The results are the same bits: rounding to an integer is exact either way, and SSE4.1 brings no
# fused multiply-add, so no product is rounded differently. Checked on the traces and summaries of
# every solver on five games at beta = 0.1, 1e-3 and 1e-4 (scripts/same_bits.sh: 2.6 million
# cells, all equal), and by tests/golden/same_bits_test.cc, which holds digests of Eigen's exp and
# log as the SSE2 build computes them. (A -march of the user's own in CMAKE_CXX_FLAGS that enables
# FMA, such as x86-64-v3 or native, does change them.)
#
# A binary built with it needs SSE4.1 where it runs: the tools and the Python module check at
# start (nlhf/processor.h) and refuse with a message; build on the machine that runs it (as
# scripts/build.sh does), or pass -DNLHF_SSE41=OFF.
include(CheckCXXCompilerFlag)
include(CheckCXXSourceRuns)
include(CMakePushCheckState)

check_cxx_compiler_flag(-msse4.1 NLHF_COMPILER_TAKES_MSSE41)
set(nlhf_sse41_default OFF)
if(NLHF_COMPILER_TAKES_MSSE41 AND NOT CMAKE_CROSSCOMPILING)
  # Compiled with the flag: on a processor without SSE4.1 the check itself may fault, which also
  # reads as "no".
  cmake_push_check_state()
  string(APPEND CMAKE_REQUIRED_FLAGS " -msse4.1")
  check_cxx_source_runs([[
    int main() {
      __builtin_cpu_init();
      return __builtin_cpu_supports("sse4.1") ? 0 : 1;
    }
  ]] NLHF_BUILD_MACHINE_HAS_SSE41)
  cmake_pop_check_state()
  if(NLHF_BUILD_MACHINE_HAS_SSE41)
    set(nlhf_sse41_default ON)
  endif()
endif()
option(NLHF_SSE41 "Compile with -msse4.1 (faster exp/log, the same results; default: on if this machine has SSE4.1)"
       ${nlhf_sse41_default})
if(NLHF_SSE41 AND NOT NLHF_COMPILER_TAKES_MSSE41)
  message(FATAL_ERROR "NLHF_SSE41=ON, but ${CMAKE_CXX_COMPILER} does not take -msse4.1 (not an x86 compiler?); "
                      "configure with -DNLHF_SSE41=OFF")
endif()
message(STATUS "nlhf: SSE4.1 ${NLHF_SSE41} (NLHF_SSE41)")

# Compiles `target` with -msse4.1 when NLHF_SSE41 is on. Private: a consumer of the library
# compiles its own code with its own flags.
function(nlhf_set_isa target)
  if(NLHF_SSE41)
    target_compile_options(${target} PRIVATE -msse4.1)
  endif()
endfunction()
