# Every dependency comes from the system (Debian 12 packages, installed by scripts/setup.sh).
# No vendored copies and no downloads at configure time.
# The library's own dependencies are found again by consumers of the installed package:
# keep cmake/nlhfConfig.cmake.in in step with this block.
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(fmt REQUIRED)
find_package(Threads REQUIRED)
find_package(yaml-cpp REQUIRED)
# Header-only, used inside the library only (summary.json): consumers never need it.
find_package(nlohmann_json 3.10 REQUIRED)
# Header-only, inside the library only (the Lanczos spectral radius in equilibrium.cc): consumers
# never need it. Debian's libspectra-dev ships a CMake package (Spectra::Spectra, on Eigen3::Eigen).
find_package(Spectra 1.0 CONFIG QUIET)
if(NOT Spectra_FOUND)
  message(FATAL_ERROR "Spectra (header-only eigensolvers on Eigen) was not found: install the Debian "
                      "package libspectra-dev (scripts/setup.sh does), or set Spectra_DIR to its CMake package")
endif()
# Compiled, inside the library only (the beta = 0 equilibrium's linear programs, nash_set.cc): COIN-OR
# CLP from Debian's coinor-libclp-dev, which ships a pkg-config file (clp.pc) and no CMake package.
# A static nlhf links it into every consumer, so cmake/nlhfConfig.cmake.in finds it again.
find_package(PkgConfig REQUIRED)
pkg_check_modules(CLP IMPORTED_TARGET clp)
if(NOT CLP_FOUND)
  message(FATAL_ERROR "COIN-OR CLP (the LP solver of the beta = 0 equilibrium) was not found: install the "
                      "Debian package coinor-libclp-dev (scripts/setup.sh does)")
endif()
# The apps only (nlhf_cli).
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
if(NLHF_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(NLHF_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
