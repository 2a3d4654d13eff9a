# Every dependency comes from the system (Debian 12 packages, installed by scripts/setup.sh).
# No vendored copies and no downloads at configure time.
find_package(Eigen3 3.4 REQUIRED NO_MODULE)
find_package(yaml-cpp REQUIRED)
find_package(Boost 1.74 REQUIRED COMPONENTS program_options)
find_package(fmt REQUIRED)
find_package(nlohmann_json 3.10 REQUIRED)  # summary.json (header-only, private to the library)
if(NLHF_BUILD_TESTS)
  find_package(GTest REQUIRED)
  include(GoogleTest)
endif()
if(NLHF_BUILD_BENCH)
  find_package(benchmark REQUIRED)
endif()
