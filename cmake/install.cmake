# `cmake --install build --prefix P`: what a C++ consumer builds against (README.md, "Use from C++").
#
#   include/tfjs_run/*.h                          the public API (no V8 types; C++20)
#   lib/libtfjs_run.so.0.1.0, .so.0, .so          the shared library, RUNPATH $ORIGIN
#   lib/libnode.so.108                            V8, beside it, unless V8 is the system's (libnode108)
#   lib/libtfjs_run.a, libtfjs_run_base.a         the static libraries
#   lib/cmake/tfjs_run/                           find_package(tfjs_run): tfjs_run::tfjs_run (shared);
#                                                 COMPONENTS static: tfjs_run::tfjs_run_static
#   lib/pkgconfig/tfjs_run.pc                     pkg-config tfjs_run (the shared library)
#
# Every path is relative to the prefix, so the installed tree can be moved.
include(CMakePackageConfigHelpers)

set(TFJS_RUN_CMAKE_DIR "${CMAKE_INSTALL_LIBDIR}/cmake/tfjs_run")

install(DIRECTORY "${CMAKE_SOURCE_DIR}/runtime/include/tfjs_run" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")

install(TARGETS tfjs_run_shared EXPORT tfjs_run_shared
  LIBRARY DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(EXPORT tfjs_run_shared NAMESPACE tfjs_run:: FILE tfjs_runTargets.cmake DESTINATION "${TFJS_RUN_CMAKE_DIR}")

# The static libraries need, at the consumer's link, what the shared one names itself: V8,
# XNNPACK, curl, OpenSSL's crypto and threads. tfjs_runConfig.cmake finds them.
set_target_properties(tfjs_run PROPERTIES EXPORT_NAME tfjs_run_static)
install(TARGETS tfjs_run tfjs_run_base EXPORT tfjs_run_static ARCHIVE DESTINATION "${CMAKE_INSTALL_LIBDIR}")
install(EXPORT tfjs_run_static NAMESPACE tfjs_run:: FILE tfjs_runStaticTargets.cmake DESTINATION "${TFJS_RUN_CMAKE_DIR}")

# V8: a libnode.so.108 outside the system's library directories (the project-local prefix
# third_party/libnode that tools/setup.sh unpacks) is installed beside libtfjs_run.so, where its
# RUNPATH finds it; Debian's libnode108 is left to the system.
get_filename_component(_libnode_dir "${LIBNODE_V8_LIBRARY}" DIRECTORY)
if(_libnode_dir IN_LIST CMAKE_CXX_IMPLICIT_LINK_DIRECTORIES)
  set(_install_libnode OFF)
else()
  set(_install_libnode ON)
endif()
set(TFJS_RUN_INSTALL_LIBNODE ${_install_libnode} CACHE BOOL "Install libnode.so.108 beside libtfjs_run.so")
if(TFJS_RUN_INSTALL_LIBNODE)
  get_filename_component(_libnode_real "${LIBNODE_V8_LIBRARY}" REALPATH)
  install(FILES "${_libnode_real}" DESTINATION "${CMAKE_INSTALL_LIBDIR}" RENAME libnode.so.108)
endif()

configure_package_config_file("${CMAKE_SOURCE_DIR}/cmake/tfjs_runConfig.cmake.in"
  "${CMAKE_BINARY_DIR}/install/tfjs_runConfig.cmake" INSTALL_DESTINATION "${TFJS_RUN_CMAKE_DIR}"
  PATH_VARS CMAKE_INSTALL_LIBDIR)
# 0.x: a minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file("${CMAKE_BINARY_DIR}/install/tfjs_runConfigVersion.cmake"
  COMPATIBILITY SameMinorVersion)
install(FILES "${CMAKE_BINARY_DIR}/install/tfjs_runConfig.cmake" "${CMAKE_BINARY_DIR}/install/tfjs_runConfigVersion.cmake"
  DESTINATION "${TFJS_RUN_CMAKE_DIR}")

# pkg-config: the prefix is found from the .pc file's own place (${pcfiledir}).
file(RELATIVE_PATH TFJS_RUN_PC_PREFIX "/p/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/p")
string(REGEX REPLACE "/$" "" TFJS_RUN_PC_PREFIX "${TFJS_RUN_PC_PREFIX}")
configure_file("${CMAKE_SOURCE_DIR}/cmake/tfjs_run.pc.in" "${CMAKE_BINARY_DIR}/install/tfjs_run.pc" @ONLY)
install(FILES "${CMAKE_BINARY_DIR}/install/tfjs_run.pc" DESTINATION "${CMAKE_INSTALL_LIBDIR}/pkgconfig")
