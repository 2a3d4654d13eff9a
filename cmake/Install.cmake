# `cmake --install <build> [--prefix P]` installs the library, its headers, the CMake package
# (find_package(nlhf) then target_link_libraries(... nlhf::nlhf)) and the three tools.
include(CMakePackageConfigHelpers)

set(NLHF_INSTALL_CMAKEDIR ${CMAKE_INSTALL_LIBDIR}/cmake/nlhf)

install(TARGETS nlhf EXPORT nlhfTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR})
# lib/include/nlhf/*.h and the generated nlhf/version.h; the installed include directory is in
# nlhf::nlhf's interface through $<INSTALL_INTERFACE:...> (lib/src/CMakeLists.txt).
install(DIRECTORY ${PROJECT_SOURCE_DIR}/lib/include/nlhf ${NLHF_GENERATED_INCLUDE_DIR}/nlhf
        DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}
        FILES_MATCHING PATTERN "*.h")
install(TARGETS nlhf-run nlhf-sweep nlhf-equilibrium
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})

install(EXPORT nlhfTargets NAMESPACE nlhf:: DESTINATION ${NLHF_INSTALL_CMAKEDIR})
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/nlhfConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/nlhfConfig.cmake
                              INSTALL_DESTINATION ${NLHF_INSTALL_CMAKEDIR})
# 0.x: a new minor version may break the API, so only the same major.minor is compatible.
write_basic_package_version_file(${PROJECT_BINARY_DIR}/nlhfConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/nlhfConfig.cmake ${PROJECT_BINARY_DIR}/nlhfConfigVersion.cmake
        DESTINATION ${NLHF_INSTALL_CMAKEDIR})
